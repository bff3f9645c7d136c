// `mpirun -np 2 netcanvas-cli train --distributed` (docs/distributed.md): 2 ranks × batch 32 give
// the weights of 1 rank × batch 64 after the same steps; rank 0 alone writes and prints; a
// rank killed with SIGKILL, or one that hangs (SIGSTOP), ends the job within 60 s with a
// message naming it, and the last checkpoint stays readable. Skipped, with the reason, when
// Open MPI's mpirun is missing or this netcanvas-cli was built without MPI.
#include "common/BarImages.h"
#include "common/CliRun.h"

#include "engine/io/Safetensors.h"

#include <QDir>
#include <QDirIterator>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <opencv2/imgcodecs.hpp>

#include <cmath>
#include <csignal>
#include <random>
#include <unistd.h>

using namespace netcanvas;
using netcanvas::test::cli;

namespace {

// 3 classes of 16×16 images (a horizontal bar, a square, a vertical bar) on noise.
void writeDataset(const QString& root, int perClass)
{
    netcanvas::test::writeBarImages(root, perClass, { 11, 40, 255, false });
}

// A CNN without dropout or batch norm: its step is a pure function of the global batch.
const char* kCnn = R"({
  "format": "netcanvas-model", "version": 1, "name": "tinycnn",
  "nodes": [
    {"id": "input", "type": "Input", "params": {"channels": 1, "height": 16, "width": 16}},
    {"id": "conv1", "type": "Conv2D", "inputs": ["input"], "params": {"filters": 4, "kernel": 3, "padding": "same"}},
    {"id": "relu1", "type": "ReLU", "inputs": ["conv1"]},
    {"id": "pool1", "type": "MaxPool2D", "inputs": ["relu1"], "params": {"pool": 2}},
    {"id": "conv2", "type": "Conv2D", "inputs": ["pool1"], "params": {"filters": 8, "kernel": 3, "padding": "same"}},
    {"id": "relu2", "type": "ReLU", "inputs": ["conv2"]},
    {"id": "flat", "type": "Flatten", "inputs": ["relu2"]},
    {"id": "fc", "type": "Dense", "inputs": ["flat"], "params": {"units": 3}}
  ],
  "training": {"epochs": 2, "batch_size": 64, "optimizer": "sgd", "momentum": 0.9, "learning_rate": 0.05,
               "validation_fraction": 0.1, "test_fraction": 0.1, "seed": 5}
})";

QStringList mpirunPrefix(int ranks)
{
    QStringList args { "-np", QString::number(ranks), "--oversubscribe" };
    if (::geteuid() == 0)
        args << "--allow-run-as-root";
    return args;
}

QProcessEnvironment mpiEnvironment()
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("OMPI_ALLOW_RUN_AS_ROOT", "1");
    env.insert("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1");
    env.insert("OMPI_MCA_rmaps_base_oversubscribe", "1");
    return env;
}

using MpiRun = netcanvas::test::CliRun;

MpiRun mpirun(int ranks, const QStringList& cliArgs, int timeoutMs = 180000)
{
    return netcanvas::test::runProcess(QStandardPaths::findExecutable("mpirun"),
        mpirunPrefix(ranks) << QStringLiteral(NETCANVAS_CLI_PATH) << cliArgs, timeoutMs, mpiEnvironment());
}

// The PID of the netcanvas-cli process of MPI rank `rank` whose command line holds `marker`.
qint64 rankPid(int rank, const QString& marker)
{
    QDirIterator it("/proc", QDir::Dirs | QDir::NoDotAndDotDot);
    while (it.hasNext()) {
        const QString dir = it.next();
        bool isPid = false;
        const qint64 pid = QFileInfo(dir).fileName().toLongLong(&isPid);
        if (!isPid)
            continue;
        QFile cmd(dir + "/cmdline"), env(dir + "/environ");
        if (!cmd.open(QIODevice::ReadOnly) || !env.open(QIODevice::ReadOnly))
            continue;
        const QByteArray cmdline = cmd.readAll();
        if (!cmdline.contains("netcanvas-cli") || !cmdline.contains(marker.toUtf8()) || cmdline.startsWith("mpirun"))
            continue;
        if (env.readAll().contains("OMPI_COMM_WORLD_RANK=" + QByteArray::number(rank) + '\0'))
            return pid;
    }
    return -1;
}

// Max |a - b| / (1 + |b|) over every tensor of two weight files with the same keys.
double maxRelativeDifference(const QString& a, const QString& b, int& tensors)
{
    const TensorFile fa = loadSafetensors(a.toStdString());
    const TensorFile fb = loadSafetensors(b.toStdString());
    tensors = 0;
    if (fa.tensors.size() != fb.tensors.size())
        return INFINITY;
    double worst = 0.0;
    for (const auto& [key, ta] : fa.tensors) {
        auto it = fb.tensors.find(key);
        if (it == fb.tensors.end() || it->second.size() != ta.size())
            return INFINITY;
        ++tensors;
        for (int64_t i = 0; i < ta.size(); ++i)
            worst = std::max(worst,
                std::fabs(double(ta.data()[i]) - double(it->second.data()[i]))
                    / (1.0 + std::fabs(double(it->second.data()[i]))));
    }
    return worst;
}

} // namespace

class TestCliDistributed : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;
    QString m_data, m_model;
    QString m_skip; // why the MPI cases cannot run here

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_data = m_dir.filePath("bars");
        writeDataset(m_data, 60); // 180 images: 144 train, 18 validation, 18 test
        m_model = m_dir.filePath("tinycnn.json");
        QFile f(m_model);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(kCnn);
        f.close();
        if (QStandardPaths::findExecutable("mpirun").isEmpty()) {
            m_skip = "Open MPI's mpirun is not installed (apt-get install openmpi-bin libopenmpi-dev)";
            return;
        }
        // A build without MPI says so, plainly (a singleton MPI process otherwise trains alone).
        const auto probe = cli({ "train", m_model, "--data", m_data, "--distributed", "--epochs", "1", "--out",
            m_dir.filePath("probe"), "--threads", "1", "--quiet" });
        if (probe.code != 0 && probe.err.contains("built without MPI")) {
            QVERIFY(probe.err.contains("libopenmpi-dev"));
            m_skip = "this netcanvas-cli was built without MPI: " + probe.err.trimmed();
            return;
        }
        QVERIFY2(probe.code == 0, qPrintable(probe.err));
    }

    // 2 ranks × batch 32 (lr 0.025 × 2 by the linear rule) = 1 rank × batch 64 (lr 0.05).
    void twoRanksEqualOneRankWithTheGlobalBatch()
    {
        if (!m_skip.isEmpty())
            QSKIP(qPrintable(m_skip));
        const QString one = m_dir.filePath("one"), two = m_dir.filePath("two");
        const auto single = cli({ "train", m_model, "--data", m_data, "--out", one, "--batch", "64", "--lr", "0.05",
            "--threads", "1", "--json" });
        QVERIFY2(single.code == 0, qPrintable(single.err));
        const MpiRun pair = mpirun(2,
            { "train", m_model, "--data", m_data, "--out", two, "--distributed", "--batch", "32", "--lr", "0.025",
                "--warmup-epochs", "0", "--threads", "1", "--json" });
        QVERIFY2(pair.code == 0, qPrintable(pair.err + pair.out));
        int tensors = 0;
        const double diff = maxRelativeDifference(one + "/weights.safetensors", two + "/weights.safetensors", tensors);
        qInfo("2x32 vs 1x64 after 2 epochs (6 steps): %d tensors, max relative difference %.3g", tensors, diff);
        QCOMPARE(tensors, 6);
        QVERIFY2(diff < 1e-4, qPrintable(QString::number(diff)));
        // Different data order gives clearly different weights: the comparison can fail.
        const auto other = cli({ "train", m_model, "--data", m_data, "--out", m_dir.filePath("seed6"), "--batch", "64",
            "--lr", "0.05", "--threads", "1", "--seed", "6", "--quiet" });
        QVERIFY2(other.code == 0, qPrintable(other.err));
        QVERIFY(maxRelativeDifference(
                    m_dir.filePath("seed6") + "/weights.safetensors", one + "/weights.safetensors", tensors)
            > 1e-3);

        // Rank 0 alone speaks and writes: one summary, one distributed line, the stated rule
        // (progress lines go to stderr, results to stdout).
        QCOMPARE(pair.err.count("distributed: 2 ranks on"), 1);
        QVERIFY(pair.err.contains("learning rate 0.025 x 2 ranks = 0.05 (linear scaling), warm-up 0 epochs"));
        QCOMPARE(pair.err.count("split: 144 train"), 1);
        QCOMPARE(pair.out.count("test: accuracy"), 1);
        QVERIFY(QFile::exists(two + "/checkpoints/last.safetensors"));
        QFile stats(two + "/distributed.json");
        QVERIFY(stats.open(QIODevice::ReadOnly));
        const QJsonObject s = QJsonDocument::fromJson(stats.readAll()).object();
        QCOMPARE(s["ranks"].toInt(), 2);
        QCOMPARE(s["steps"].toInt(), 6);
        // Every trainable float once per step: conv1 4·9+4, conv2 8·4·9+8, fc 3·512+3.
        QCOMPARE(s["allreduce_bytes_per_step"].toDouble(), 4.0 * (40 + 296 + 1539));
        QFile progress(two + "/progress.jsonl");
        QVERIFY(progress.open(QIODevice::ReadOnly));
        const QList<QByteArray> lines = progress.readAll().trimmed().split('\n');
        QVERIFY(lines.size() >= 4);
        QCOMPARE(QJsonDocument::fromJson(lines.first()).object()["type"].toString(), QString("start"));
        QCOMPARE(QJsonDocument::fromJson(lines.last()).object()["type"].toString(), QString("end"));
        int epochs = 0;
        for (const QByteArray& l : lines)
            epochs += QJsonDocument::fromJson(l).object()["type"].toString() == "epoch" ? 1 : 0;
        QCOMPARE(epochs, 2);
    }

    // Blocking all-reduce (no overlap) gives the same weights as the overlapped one.
    void blockingAndOverlapAgree()
    {
        if (!m_skip.isEmpty())
            QSKIP(qPrintable(m_skip));
        const QString a = m_dir.filePath("ov"), b = m_dir.filePath("bl");
        const QStringList common { "train", m_model, "--data", m_data, "--distributed", "--batch", "32", "--epochs",
            "1", "--threads", "1", "--quiet", "--bucket-mb", "0.002" };
        const MpiRun ov = mpirun(2, QStringList(common) << "--out" << a);
        QVERIFY2(ov.code == 0, qPrintable(ov.err));
        const MpiRun bl = mpirun(2,
            QStringList(common) << "--out" << b << "--sync"
                                << "blocking");
        QVERIFY2(bl.code == 0, qPrintable(bl.err));
        int tensors = 0;
        QVERIFY(maxRelativeDifference(a + "/weights.safetensors", b + "/weights.safetensors", tensors) < 1e-6);
        QFile stats(a + "/distributed.json");
        QVERIFY(stats.open(QIODevice::ReadOnly));
        QVERIFY(QJsonDocument::fromJson(stats.readAll()).object()["buckets"].toInt() >= 2); // 2 KB buckets
    }

    // Parameter averaging every 2 steps trains and ends with one model on every rank.
    void parameterAveraging()
    {
        if (!m_skip.isEmpty())
            QSKIP(qPrintable(m_skip));
        const QString out = m_dir.filePath("avg");
        const MpiRun r = mpirun(2,
            { "train", m_model, "--data", m_data, "--out", out, "--distributed", "--sync", "average", "--average-every",
                "2", "--batch", "32", "--epochs", "3", "--threads", "1", "--json" });
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY(r.err.contains("parameter averaging every 2 steps"));
        const QJsonObject m = netcanvas::test::lastJsonLine(r.out);
        QVERIFY2(m["test_accuracy"].toDouble() > 0.5, qPrintable(r.out));
        QFile stats(out + "/distributed.json");
        QVERIFY(stats.open(QIODevice::ReadOnly));
        const QJsonObject s = QJsonDocument::fromJson(stats.readAll()).object();
        QCOMPARE(s["allreduce_calls"].toInt(), 5); // 9 steps: after steps 2, 4, 6, 8 and at the end
    }

    // Bad options fail before MPI starts, naming the option.
    void badOptions()
    {
        const auto r = cli(
            { "train", m_model, "--data", m_data, "--distributed", "--patience", "2", "--out", m_dir.filePath("bad") });
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("--patience") && r.err.contains("--distributed"), qPrintable(r.err));
    }

    // kill -9 of rank 1 mid-epoch: the job ends within 60 s, naming the rank and its host; the
    // checkpoint of the last finished epoch is intact.
    void killedRankEndsTheJob() { faultEndsTheJob(SIGKILL); }

    // A rank that hangs (SIGSTOP): rank 0's watchdog ends the job after --comm-timeout, naming it.
    void hungRankEndsTheJob() { faultEndsTheJob(SIGSTOP); }

private:
    void faultEndsTheJob(int signal)
    {
        if (!m_skip.isEmpty())
            QSKIP(qPrintable(m_skip));
        const QString out = m_dir.filePath(signal == SIGKILL ? "killed" : "hung");
        QProcess p;
        p.setProcessEnvironment(mpiEnvironment());
        p.start(QStandardPaths::findExecutable("mpirun"),
            mpirunPrefix(2) << QStringLiteral(NETCANVAS_CLI_PATH)
                            << QStringList { "train", m_model, "--data", m_data, "--out", out, "--distributed",
                                   "--batch", "4", "--epochs", "1000", "--threads", "1", "--comm-timeout", "5" });
        QVERIFY(p.waitForStarted());
        // Wait for the first finished epoch (its checkpoint), then strike mid-epoch.
        const QString checkpoint = out + "/checkpoints/last.safetensors";
        QElapsedTimer wait;
        wait.start();
        while (!QFile::exists(checkpoint) && wait.elapsed() < 60000 && p.state() == QProcess::Running)
            QThread::msleep(100);
        QVERIFY2(QFile::exists(checkpoint), qPrintable(QString::fromUtf8(p.readAllStandardError())));
        QThread::msleep(300);
        const qint64 pid = rankPid(1, out);
        QVERIFY(pid > 0);
        QElapsedTimer end;
        end.start();
        QCOMPARE(::kill(static_cast<pid_t>(pid), signal), 0);
        const bool ended = p.waitForFinished(60000);
        if (!ended) {
            ::kill(static_cast<pid_t>(pid), SIGKILL);
            p.kill();
            p.waitForFinished();
        }
        QVERIFY2(ended, "the job did not end within 60 s of the fault");
        const QString err = QString::fromUtf8(p.readAllStandardError());
        qInfo("%s: the job ended %.1f s after the signal; mpirun exit code %d",
            signal == SIGKILL ? "SIGKILL" : "SIGSTOP", end.elapsed() / 1000.0, p.exitCode());
        QVERIFY(p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0);
        const QString host = QString::fromUtf8(qgetenv("HOSTNAME")).isEmpty() ? QSysInfo::machineHostName()
                                                                              : QString::fromUtf8(qgetenv("HOSTNAME"));
        QVERIFY2(err.contains("rank 1"), qPrintable(err));
        QVERIFY2(err.contains(QSysInfo::machineHostName()) || err.contains(host), qPrintable(err));
        if (signal == SIGSTOP) { // rank 0's watchdog: rank 1 has not arrived, or arrived and went silent
            const qsizetype at = err.indexOf("netcanvas distributed: rank 0");
            QVERIFY2(at >= 0, qPrintable(err.right(600)));
            const QString line = err.mid(at, err.indexOf('\n', at) - at);
            QVERIFY2(line.contains("rank 1 (host ")
                    && (line.contains("has not reached it") || line.contains("stopped answering")),
                qPrintable(line));
        }
        // The checkpoint is whole: it reads back with every tensor.
        const TensorFile f = loadSafetensors(checkpoint.toStdString());
        QCOMPARE(static_cast<int>(f.tensors.size()), 6);
        if (signal == SIGKILL)
            resumeAfterTheFault(out);
    }

    // `train --resume` continues the killed job from its resume checkpoint, on two ranks again:
    // asked for too few epochs it says how many the run has done; given one more, it trains it.
    void resumeAfterTheFault(const QString& out)
    {
        const MpiRun few = mpirun(2, { "train", "--resume", out, "--epochs", "1", "--distributed", "--threads", "1" });
        QVERIFY2(few.code != 0, qPrintable(few.err)); // an error on a rank ends the job through MPI_Abort
        const QRegularExpressionMatch done = QRegularExpression("has done (\\d+) epochs").match(few.err);
        QVERIFY2(done.hasMatch(), qPrintable(few.err));
        const int epochs = done.captured(1).toInt() + 1;
        const MpiRun more = mpirun(2,
            { "train", "--resume", out, "--epochs", QString::number(epochs), "--distributed", "--threads", "1",
                "--json" });
        QVERIFY2(more.code == 0, qPrintable(more.err));
        QVERIFY2(more.err.contains("resuming " + out), qPrintable(more.err));
        const QJsonObject m = netcanvas::test::lastJsonLine(more.out);
        QCOMPARE(m["epochs_planned"].toInt(), epochs);
        QVERIFY2(m.contains("resumed"), qPrintable(more.out));
    }
};

QTEST_GUILESS_MAIN(TestCliDistributed)
#include "test_cli_distributed.moc"
