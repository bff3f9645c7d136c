// Run control through netcanvas-cli, as a user runs it: a run killed with SIGKILL mid-run and
// continued with `train --resume RUN_DIR` ends with the same loss curve as a run that was never
// interrupted (same seed); a finished run extended with --epochs equals a longer run; `control`
// changes a running run's learning rate; and the errors of --resume.
#include "common/BarImages.h"
#include "common/CliRun.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <random>

#include <csignal>

namespace {

using netcanvas::test::cli;
using netcanvas::test::lastJsonLine;

// Three classes of 16×16 gray images (bars and a square) over noise.
void writeDataset(const QString& root, int perClass)
{
    netcanvas::test::writeBarImages(root, perClass, { 7, 60, 200, true });
}

// With dropout (its generator is part of the resume state) and shift augmentation.
const char* kModel = R"({
  "format": "netcanvas-model", "version": 1, "name": "resumecnn",
  "nodes": [
    {"id": "input", "type": "Input", "params": {"channels": 1, "height": 16, "width": 16}},
    {"id": "conv1", "type": "Conv2D", "inputs": ["input"], "params": {"filters": 8, "kernel": 3, "padding": "same"}},
    {"id": "relu1", "type": "ReLU", "inputs": ["conv1"]},
    {"id": "pool1", "type": "MaxPool2D", "inputs": ["relu1"], "params": {"pool": 2}},
    {"id": "flat", "type": "Flatten", "inputs": ["pool1"]},
    {"id": "drop", "type": "Dropout", "inputs": ["flat"], "params": {"rate": 0.2}},
    {"id": "fc", "type": "Dense", "inputs": ["drop"], "params": {"units": 3}}
  ],
  "training": {"epochs": 12, "batch_size": 16, "optimizer": "adam", "learning_rate": 0.002,
               "validation_fraction": 0.15, "seed": 5, "augment": {"shift": 1}}
})";

// history.csv without its timing columns: epoch, train loss and accuracy, validation loss and
// accuracy, learning rate (6 significant digits, as written).
QStringList curve(const QString& runDir)
{
    QFile f(runDir + "/history.csv");
    if (!f.open(QIODevice::ReadOnly))
        return { "no history.csv in " + runDir };
    QStringList rows;
    for (const QString& line : QString::fromUtf8(f.readAll()).split('\n', Qt::SkipEmptyParts))
        rows << line.section(',', 0, 5);
    return rows;
}

} // namespace

class TestCliResume : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;
    QString m_data, m_model;

    QStringList trainArgs(const QString& out, int epochs) const
    {
        return { "train", m_model, "--data", m_data, "--out", out, "--epochs", QString::number(epochs), "--threads",
            "1", "--json" };
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_data = m_dir.filePath("shapes");
        writeDataset(m_data, 120);
        m_model = m_dir.filePath("resumecnn.json");
        QFile f(m_model);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(kModel);
    }

    // kill -9 after a few epochs, then --resume: the same curve as an uninterrupted run.
    // Equal, not merely close: the resume restores every state the run depends on and the CPU
    // backend with one thread is deterministic, so each number matches to the 6 digits written.
    void resumeAfterKillMatchesUninterruptedRun()
    {
        const QString whole = m_dir.filePath("whole");
        const auto full = cli(trainArgs(whole, 12));
        QVERIFY2(full.code == 0, qPrintable(full.err));

        const QString killed = m_dir.filePath("killed");
        QProcess p;
        p.setProcessChannelMode(QProcess::MergedChannels);
        p.start(QStringLiteral(NETCANVAS_CLI_PATH), trainArgs(killed, 12));
        QVERIFY(p.waitForStarted());
        QString seen;
        QElapsedTimer t;
        t.start();
        while (!seen.contains("epoch 3/12") && t.elapsed() < 60000 && p.state() == QProcess::Running) {
            p.waitForReadyRead(20);
            seen += QString::fromUtf8(p.readAll());
        }
        QVERIFY2(seen.contains("epoch 3/12"), qPrintable(seen));
        QVERIFY2(p.state() == QProcess::Running, "the run finished before it could be killed");
        ::kill(static_cast<pid_t>(p.processId()), SIGKILL);
        QVERIFY(p.waitForFinished());
        QCOMPARE(p.exitStatus(), QProcess::CrashExit);
        QVERIFY(!QFile::exists(killed + "/metrics.json")); // it really died mid-run
        QVERIFY(QFile::exists(killed + "/checkpoints/resume.safetensors"));

        const auto resumed = cli({ "train", "--resume", killed, "--threads", "1", "--json" });
        QVERIFY2(resumed.code == 0, qPrintable(resumed.err + resumed.out));
        QVERIFY2(resumed.out.contains("resuming") || resumed.err.contains("resuming"), qPrintable(resumed.out));
        const QJsonObject m = lastJsonLine(resumed.out);
        QCOMPARE(m["epochs"].toInt(), 12);
        QVERIFY(m["resumed"].toObject()["epoch"].toInt() >= 4);
        QCOMPARE(curve(killed), curve(whole));
        QCOMPARE(m["test_accuracy"].toDouble(), lastJsonLine(full.out)["test_accuracy"].toDouble());
    }

    // A finished run of 4 epochs extended to 7 equals a run of 7.
    void extendFinishedRun()
    {
        const QString seven = m_dir.filePath("seven"), four = m_dir.filePath("four");
        QCOMPARE(cli(trainArgs(seven, 7)).code, 0);
        QCOMPARE(cli(trainArgs(four, 4)).code, 0);
        const auto more = cli({ "train", "--resume", four, "--epochs", "7", "--threads", "1", "--json" });
        QVERIFY2(more.code == 0, qPrintable(more.err));
        QCOMPARE(curve(four), curve(seven));
        const QJsonArray changes = lastJsonLine(more.out)["changes"].toArray();
        QCOMPARE(changes.size(), 1);
        QCOMPARE(changes[0].toObject()["label"].toString(), QString("epochs 4 \u2192 7"));

        // Finished, nothing asked: the error says what to do; bad combinations are refused.
        const auto done = cli({ "train", "--resume", four });
        QVERIFY(done.code != 0);
        QVERIFY2(done.err.contains("finished its 7 epochs") && done.err.contains("--epochs"), qPrintable(done.err));
        const auto fewer = cli({ "train", "--resume", four, "--epochs", "5" });
        QVERIFY(fewer.code != 0);
        QVERIFY2(fewer.err.contains("has done 7 epochs"), qPrintable(fewer.err));
        const auto recipe = cli({ "train", "--resume", four, "--epochs", "9", "--batch", "8" });
        QVERIFY(recipe.code != 0);
        QVERIFY2(recipe.err.contains("own model, recipe"), qPrintable(recipe.err));
        const auto nowhere = cli({ "train", "--resume", m_dir.filePath("nowhere") });
        QVERIFY(nowhere.code != 0);
        QVERIFY2(nowhere.err.contains("no resume checkpoint"), qPrintable(nowhere.err));
    }

    // `control RUN --lr X` while `train` runs: the run applies it and records it.
    void controlChangesARunningRun()
    {
        const QString run = m_dir.filePath("controlled");
        QProcess p;
        p.setProcessChannelMode(QProcess::MergedChannels);
        p.start(QStringLiteral(NETCANVAS_CLI_PATH),
            trainArgs(run, 400) << "--layer-stats"
                                << "10");
        QVERIFY(p.waitForStarted());
        QString seen;
        QElapsedTimer t;
        t.start();
        while (!seen.contains("epoch 1/400") && t.elapsed() < 60000 && p.state() == QProcess::Running) {
            p.waitForReadyRead(20);
            seen += QString::fromUtf8(p.readAll());
        }
        const auto c = cli({ "control", run, "--lr", "0.0005", "--epochs", "6" });
        QVERIFY2(c.code == 0, qPrintable(c.err));
        if (p.state() != QProcess::NotRunning) // it may have ended already: 6 epochs are quick
            QVERIFY(p.waitForFinished(120000));
        seen += QString::fromUtf8(p.readAll());
        QCOMPARE(p.exitCode(), 0);
        QVERIFY2(seen.contains("lr 0.002 \u2192 0.0005"), qPrintable(seen));
        const QJsonObject m = lastJsonLine(seen);
        // 6 epochs, or the epoch in progress when the request was taken if that was later.
        const QJsonArray changes = m["changes"].toArray();
        QCOMPARE(changes.size(), 2);
        const QJsonObject epochs = changes[1].toObject();
        QCOMPARE(epochs["kind"].toString(), QString("epochs"));
        QCOMPARE(epochs["to"].toInt(), std::max(6, epochs["epoch"].toInt() + 1));
        QCOMPARE(m["epochs"].toInt(), epochs["to"].toInt());
        QVERIFY(m["epochs"].toInt() < 400);
        QVERIFY(!QFile::exists(run + "/control.json")); // taken
        // The layer stats: one JSON line per 10 steps, a ratio per layer.
        QFile stats(run + "/layer-stats.jsonl");
        QVERIFY(stats.open(QIODevice::ReadOnly));
        const QList<QByteArray> lines = stats.readAll().split('\n');
        QVERIFY(lines.size() > 5);
        const QJsonObject first = QJsonDocument::fromJson(lines.first()).object();
        QCOMPARE(first["step"].toInt(), 0);
        QCOMPARE(first["layers"].toArray().size(), 2);
        QVERIFY(first["layers"].toArray()[0].toObject()["ratio"].toDouble() > 0.0);
    }
};

QTEST_GUILESS_MAIN(TestCliResume)
#include "test_cli_resume.moc"
