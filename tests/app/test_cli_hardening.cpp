// netcanvas-cli against careless and hostile use (issue 22): one --threads range for every
// command, signals that always end a run, --out checked before any work and never destroying
// an earlier run, non-finite hyper-parameters refused, newer projects refused, models whose
// counts overflow refused by bench and info.
#include "common/CliRun.h"
#include <QCryptographicHash>
#include <QDateTime>
#include <QDir>
#include <QDirIterator>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QSet>
#include <QTemporaryDir>
#include <QThread>
#include <QtTest>

#include <csignal>
#include <random>

namespace {

using netcanvas::test::cli;
using netcanvas::test::lastJsonLine;
using Run = netcanvas::test::CliRun;

void writeText(const QString& path, const QByteArray& text)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(text);
}

QByteArray fileHash(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? QCryptographicHash::hash(f.readAll(), QCryptographicHash::Sha256)
                                       : QByteArray();
}

// 3 classes of 4 features (class = which feature is large), `rows` rows.
QByteArray featuresCsv(int rows)
{
    std::mt19937 rng(3);
    std::uniform_real_distribution<double> noise(0, 0.3);
    QByteArray csv;
    for (int i = 0; i < rows; ++i) {
        const int c = i % 3;
        for (int k = 0; k < 4; ++k)
            csv += QByteArray::number(noise(rng) + (k == c ? 1.0 : 0.0), 'f', 3) + ",";
        csv += QByteArray::number(c) + "\n";
    }
    return csv;
}

const QByteArray kMlp = R"({"format":"netcanvas-model","version":1,"name":"tiny","nodes":[
 {"id":"in","type":"Input","params":{"channels":1,"height":1,"width":4}},
 {"id":"flat","type":"Flatten","inputs":["in"]},
 {"id":"fc","type":"Dense","inputs":["flat"],"params":{"units":3}}],
 "training":{"epochs":2,"batch_size":16,"learning_rate":0.05,"optimizer":"sgd"}})";

} // namespace

class TestCliHardening : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    QString m_model, m_data;

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_model = m_dir.filePath("tiny.json");
        m_data = m_dir.filePath("data.csv");
        writeText(m_model, kMlp);
        writeText(m_data, featuresCsv(300));
    }

    // eval, predict, featuremaps, explain and bench took any --threads; train 1024 hung.
    void threadsHaveOneRangeEverywhere()
    {
        const QString w = m_dir.filePath("none.safetensors");
        writeText(w, "x");
        const QList<QStringList> commands {
            { "train", m_model, "--data", m_data },
            { "eval", m_model, "--weights", w, "--data", m_data },
            { "predict", m_data, "--weights", w },
            { "featuremaps", m_model, "--weights", w, "--layer", "fc", "--image", w, "--out", m_dir.path() },
            { "explain", w, "--weights", w, "--out", m_dir.filePath("x.png") },
            { "bench", m_model },
            { "devices" },
        };
        for (QStringList args : commands) {
            args << "--threads"
                 << "1024";
            const Run r = cli(args, 20000);
            QVERIFY2(r.code != 0 && r.code != -1, qPrintable(args.join(' ') + ": " + r.err));
            QVERIFY2(r.err.contains("--threads") && r.err.contains("256"), qPrintable(args.front() + ": " + r.err));
        }
    }

    // SIGTERM and Ctrl-C did nothing to a run. The first stops it keeping its weights.
    void sigtermEndsATrainingRun()
    {
        const QString big = m_dir.filePath("big.csv");
        writeText(big, featuresCsv(30000));
        const QString out = m_dir.filePath("sigterm-run");
        QProcess p;
        p.setProcessChannelMode(QProcess::MergedChannels);
        p.start(QStringLiteral(NETCANVAS_CLI_PATH),
            { "train", m_model, "--data", big, "--out", out, "--epochs", "1000", "--batch", "4", "--threads", "1" });
        QVERIFY(p.waitForStarted());
        QByteArray seen;
        QElapsedTimer t;
        t.start();
        while (!seen.contains("training ") && t.elapsed() < 30000) {
            p.waitForReadyRead(200);
            seen += p.readAll();
        }
        QThread::msleep(300); // a few batches in
        QVERIFY2(seen.contains("training "), seen.constData());
        ::kill(static_cast<pid_t>(p.processId()), SIGTERM);
        QVERIFY2(p.waitForFinished(15000), "SIGTERM did not end the run");
        QCOMPARE(p.exitCode(), 130);
        QVERIFY(QFile::exists(out + "/weights.safetensors"));
        const Run ev = cli({ "eval", "--weights", out + "/weights.safetensors", "--data", m_data, "--json" });
        QVERIFY2(ev.code == 0, qPrintable(ev.err));
    }

    void secondSignalEndsAtOnce()
    {
        const QString big = m_dir.filePath("big2.csv");
        writeText(big, featuresCsv(3000));
        QProcess p;
        p.start(QStringLiteral(NETCANVAS_CLI_PATH),
            { "train", m_model, "--data", big, "--out", m_dir.filePath("sig2"), "--epochs", "1000", "--threads", "1" });
        QVERIFY(p.waitForStarted());
        QThread::msleep(300); // during start-up or loading: whatever it is doing
        ::kill(static_cast<pid_t>(p.processId()), SIGINT);
        ::kill(static_cast<pid_t>(p.processId()), SIGINT);
        QVERIFY2(p.waitForFinished(10000), "two SIGINTs did not end the process");
    }

    // --out naming an existing file failed only after a full epoch.
    void outNamingAFileFailsFirst()
    {
        const QString file = m_dir.filePath("a-file");
        writeText(file, "mine");
        const Run r = cli({ "train", m_model, "--data", m_data, "--out", file });
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("a-file") && r.err.contains("not a folder"), qPrintable(r.err));
        QVERIFY2(!r.out.contains("epoch 1/"), qPrintable(r.out));
    }

    // A diverging run (--lr 1e30) into a folder holding a good run replaced its weights.
    void aSecondRunKeepsTheFirst()
    {
        const QString out = m_dir.filePath("keep");
        Run r = cli({ "train", m_model, "--data", m_data, "--out", out, "-q" });
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QFile w(out + "/weights.safetensors");
        QVERIFY(w.open(QIODevice::ReadOnly));
        const QByteArray good = w.readAll();
        r = cli({ "train", m_model, "--data", m_data, "--out", out, "--lr", "1e30" });
        QVERIFY2(r.out.contains("kept in") || r.err.contains("kept in"), qPrintable(r.out + r.err));
        QFile kept(out + "/previous-1/weights.safetensors");
        QVERIFY(kept.open(QIODevice::ReadOnly));
        QCOMPARE(kept.readAll(), good);
        r = cli({ "eval", "--weights", out + "/previous-1/weights.safetensors", "--data", m_data });
        QVERIFY2(r.code == 0, qPrintable(r.err));
    }

    // --lr nan passed validation and wrote weights that could not be loaded.
    void nanLearningRateIsRefused()
    {
        const Run r = cli({ "train", m_model, "--data", m_data, "--out", m_dir.filePath("nan"), "--lr", "nan" });
        QVERIFY(r.code != 0 && r.code != -1);
        QVERIFY2(r.err.contains("lr") || r.err.contains("learning_rate"), qPrintable(r.err));
        QVERIFY(!QFile::exists(m_dir.filePath("nan/weights.safetensors")));
    }

    // The CLI ignored a project's version.
    void newerProjectIsRefused()
    {
        const QString project = m_dir.filePath("new.ncproj");
        writeText(project,
            "{\"format\":\"netcanvas-project\",\"version\":4294967297,\"model\":" + kMlp.mid(kMlp.indexOf("{")) + "}");
        for (const QStringList& args : { QStringList { "info", project }, QStringList { "runs", project } }) {
            const Run r = cli(args);
            QCOMPARE(r.code, 1);
            QVERIFY2(r.err.contains("newer"), qPrintable(args.front() + ": " + r.err));
        }
    }

    // Input 4096×65536×65536 into Dense(16,777,215): bench segfaulted, info said "valid".
    void overflowingModelIsRefusedByInfoAndBench()
    {
        const QString model = m_dir.filePath("huge.json");
        writeText(model, R"({"nodes":[
 {"id":"in","type":"Input","params":{"channels":4096,"height":65536,"width":65536}},
 {"id":"flat","type":"Flatten","inputs":["in"]},
 {"id":"fc","type":"Dense","inputs":["flat"],"params":{"units":16777215}}]})");
        Run r = cli({ "info", model, "--json" });
        QCOMPARE(r.code, 1);
        QVERIFY2(r.out.contains("\"valid\":false"), qPrintable(r.out));
        r = cli({ "bench", model, "--steps", "1" });
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("'in'") && r.err.contains("2147483647"), qPrintable(r.err));
    }

    // kill -9 at 20 random points of training runs into one --out folder: every weights file
    // on disk after each kill loads (eval), nothing on disk is half-written (a partial file
    // has a .tmp- name and the next run removes it), and a later run completes there.
    void killNineNeverLeavesAHalfWrittenRun()
    {
        const QString big = m_dir.filePath("kill.csv");
        writeText(big, featuresCsv(2000));
        const QString out = m_dir.filePath("kill-run");
        const quint32 seed = static_cast<quint32>(QDateTime::currentMSecsSinceEpoch());
        std::mt19937 rng(seed);
        std::uniform_int_distribution<int> after(100, 2500);
        QStringList partials; // partial files seen right after a kill
        int withCheckpoint = 0;
        QSet<QByteArray> seen; // hashes of every weights file found after a kill
        for (int kill = 0; kill < 20; ++kill) {
            const int ms = after(rng);
            const QString at = QString("kill %1 at %2 ms (seed %3)").arg(kill).arg(ms).arg(seed);
            QProcess p;
            p.start(QStringLiteral(NETCANVAS_CLI_PATH),
                { "train", m_model, "--data", big, "--out", out, "--epochs", "100000", "--batch", "8", "--threads", "1",
                    "-q" });
            QVERIFY2(p.waitForStarted(), qPrintable(at));
            QThread::msleep(static_cast<unsigned long>(ms));
            p.kill(); // SIGKILL
            QVERIFY2(p.waitForFinished(10000), qPrintable(at));
            QVERIFY2(p.exitStatus() == QProcess::CrashExit, qPrintable(at + ": the run ended before the kill"));

            // Whatever has its final name is whole: every weights file loads and evaluates.
            for (const QString& folder : { out, out + "/checkpoints" }) {
                const QDir d(folder);
                for (const QString& f : d.entryList(QDir::Files)) {
                    const QString path = d.filePath(f);
                    if (f.contains(".tmp-")) {
                        partials << path;
                        continue;
                    }
                    // resume.safetensors is the run's resume checkpoint (weights, optimizer state
                    // and progress), read by `train --resume`, not by eval: test_cli_resume kills
                    // a run with SIGKILL and resumes from it.
                    if (!f.endsWith(".safetensors") || f == "resume.safetensors")
                        continue;
                    const Run ev = cli({ "eval", "--weights", path, "--data", m_data, "--json" });
                    QVERIFY2(ev.code == 0, qPrintable(at + ": " + path + ": " + ev.err));
                    QVERIFY2(lastJsonLine(ev.out).contains("test_accuracy"), qPrintable(at + ": " + ev.out));
                    withCheckpoint += f == "last.safetensors" ? 1 : 0;
                    seen << fileHash(path);
                }
            }
        }
        // Most kills came after the first epoch's checkpoint (a kill during start-up is a test too).
        QVERIFY2(
            withCheckpoint >= 10, qPrintable(QString("only %1 of 20 kills found a checkpoint").arg(withCheckpoint)));

        // A run to the end in the same folder: it trips on nothing left behind, and no partial
        // file survives it anywhere in the folder (the earlier runs are in previous-N/).
        const Run done = cli({ "train", m_model, "--data", m_data, "--out", out, "--epochs", "2", "-q" });
        QVERIFY2(done.code == 0, qPrintable(done.err));
        const Run ev = cli({ "eval", "--weights", out + "/weights.safetensors", "--data", m_data, "--json" });
        QVERIFY2(ev.code == 0, qPrintable(ev.err));
        for (const QString& p : partials)
            QVERIFY2(!QFile::exists(p), qPrintable(p + " was not removed"));
        QDirIterator it(out, QDir::Files, QDirIterator::Subdirectories);
        QSet<QByteArray> kept;
        while (it.hasNext()) {
            const QString f = it.next();
            QVERIFY2(!f.contains(".tmp-"), qPrintable(f + " is a partial file left behind"));
            kept << fileHash(f);
        }
        QVERIFY(!seen.isEmpty());
        for (const QByteArray& h : seen) // every weights file a killed run left is still there, unchanged
            QVERIFY2(kept.contains(h), "a killed run's weights file was lost or changed");
        qInfo("%d kills, %d with a checkpoint on disk, %d partial files seen (all removed)", 20, withCheckpoint,
            static_cast<int>(partials.size()));
    }
};

QTEST_GUILESS_MAIN(TestCliHardening)
#include "test_cli_hardening.moc"
