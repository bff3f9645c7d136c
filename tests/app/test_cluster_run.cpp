// The app's side of distributed training (app/ClusterRunCoordinator, widgets/train/ClusterRunBox):
// the mpirun command a launch runs; following a run folder's progress.jsonl into the run
// history while rank 0 writes it (batches, epochs, the end line's summary); a job whose process
// is gone without an end line marked failed with the rank/host line of its job.log; reopening
// attaches to the remembered folder; a launch refused with the reason. Offscreen.
#include "app/ClusterRunCoordinator.h"
#include "engine/session/ProgressLog.h"
#include "widgets/train/ClusterRunBox.h"
#include "widgets/train/RunHistory.h"

#include <QApplication>
#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QProcess>
#include <QPushButton>
#include <QSettings>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace netcanvas;
using namespace netcanvas::app;

namespace {

void append(const QString& path, const nlohmann::json& line, bool newline = true)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::Append));
    f.write(QByteArray::fromStdString(line.dump() + (newline ? "\n" : "")));
}

BatchEvent batch(int epoch, int64_t b)
{
    BatchEvent e;
    e.epoch = epoch;
    e.batch = b;
    e.batchesPerEpoch = 10;
    e.globalStep = epoch * 10 + b;
    e.totalSteps = 20;
    e.loss = 1.0 / (1 + e.globalStep);
    e.accuracy = 0.5;
    e.samplesPerSecond = 2500;
    return e;
}

} // namespace

class TestClusterRun : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;

private slots:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true); // QSettings away from the user's
        QSettings().clear();
    }

    void commandLine()
    {
        const ClusterCommand local = clusterCommand(
            "/usr/bin/mpirun", "/opt/nc/netcanvas-cli", 4, "", 2, "m.json", "/data/fashion", "/runs/x", false);
        QCOMPARE(local.program, QString("/usr/bin/mpirun"));
        QCOMPARE(local.arguments,
            QStringList({ "-np", "4", "--oversubscribe", "/opt/nc/netcanvas-cli", "train", "m.json", "--data",
                "/data/fashion", "--out", "/runs/x", "--distributed", "--threads", "2", "--device", "cpu" }));
        const ClusterCommand hosts = clusterCommand("mpirun", "cli", 8, "/etc/hosts.mpi", 1, "m", "d", "r", true);
        QCOMPARE(hosts.arguments.mid(0, 5),
            QStringList({ "--allow-run-as-root", "-np", "8", "--hostfile", "/etc/hosts.mpi" }));
        QVERIFY(!hosts.arguments.contains("--oversubscribe"));
    }

    // The log grows while the run trains; the history follows it, then finishes it.
    void followsARunToItsEnd()
    {
        const QString folder = m_dir.filePath("run1");
        QVERIFY(QDir().mkpath(folder));
        const QString log = folder + "/progress.jsonl";
        append(log, progressStartLine(2, "node7", 2, 1.0));
        append(log, progressBatchLine(batch(0, 0), 2.0));
        widgets::ClusterRunBox box;
        widgets::RunHistory runs;
        ClusterRunCoordinator c(&box, &runs, [] { return ClusterLaunchInputs {}; });
        c.attach(folder);
        QVERIFY(c.following());
        const int id = c.runId();
        QVERIFY(runs.run(id));
        QCOMPARE(runs.run(id)->batches.size(), size_t(1));
        QVERIFY(runs.run(id)->running);
        QVERIFY2(box.status().contains("epoch 1/2") && box.status().contains("2 ranks"), qPrintable(box.status()));
        append(log, progressBatchLine(batch(0, 9), 3.0));
        EpochEvent e;
        e.epoch = 0;
        e.trainLoss = 0.3;
        e.trainAccuracy = 0.9;
        e.validationLoss = 0.35;
        e.validationAccuracy = 0.88;
        append(log, progressEpochLine(e, 3.5));
        append(log, progressBatchLine(batch(1, 3), 4.0), false); // mid-line: not read yet
        c.poll();
        QCOMPARE(runs.run(id)->batches.size(), size_t(2));
        QCOMPARE(runs.run(id)->epochs.size(), size_t(1));
        QCOMPARE(runs.run(id)->epochs[0].validationAccuracy, 0.88);
        {
            QFile f(log);
            QVERIFY(f.open(QIODevice::Append));
            f.write("\n");
        }
        append(log,
            progressEndLine(
                { { "epochs", 2 }, { "test_accuracy", 0.91 }, { "best_epoch", 2 } }, { { "ranks", 2 } }, 5.0));
        c.poll();
        QCOMPARE(runs.run(id)->batches.size(), size_t(3));
        QVERIFY(!runs.run(id)->running);
        QVERIFY(!runs.run(id)->failed);
        QCOMPARE(runs.run(id)->summary.epochsCompleted, 2);
        QCOMPARE(runs.run(id)->summary.testAccuracy, 0.91);
        QVERIFY(!c.following());
        QVERIFY2(box.status().contains("finished") && box.status().contains("91.00%"), qPrintable(box.status()));
        QCOMPARE(QSettings().value("cluster/runFolder").toString(), QDir(folder).absolutePath());
    }

    // The job's process is gone and the log has no end line: failed, with the job's last words.
    void deadJobIsMarkedFailed()
    {
        const QString folder = m_dir.filePath("run2");
        QVERIFY(QDir().mkpath(folder));
        append(folder + "/progress.jsonl", progressStartLine(2, "node7", 5, 1.0));
        QFile job(folder + "/job.json");
        QVERIFY(job.open(QIODevice::WriteOnly));
        job.write(QJsonDocument(QJsonObject { { "pid", 2147483000 } }).toJson()); // above pid_max: no such process
        job.close();
        QFile out(folder + "/job.log");
        QVERIFY(out.open(QIODevice::WriteOnly));
        out.write("training...\n-------\nmpirun noticed that process rank 1 with PID 42 on node node7 exited on "
                  "signal 9 (Killed).\n-------\n");
        out.close();
        widgets::ClusterRunBox box;
        widgets::RunHistory runs;
        ClusterRunCoordinator c(&box, &runs, [] { return ClusterLaunchInputs {}; });
        c.attach(folder);
        QVERIFY(!c.following());
        const RunRecord* r = runs.run(runs.ids().back());
        QVERIFY(r->failed);
        QVERIFY2(QString::fromStdString(r->summary.message).contains("rank 1"), r->summary.message.c_str());
        QVERIFY(box.status().contains("node node7"));
    }

    // A new coordinator (the app reopened) attaches to the remembered folder while it runs.
    void reopeningAttaches()
    {
        const QString folder = m_dir.filePath("run3");
        QVERIFY(QDir().mkpath(folder));
        append(folder + "/progress.jsonl", progressStartLine(3, "node1", 4, 1.0));
        append(folder + "/progress.jsonl", progressBatchLine(batch(0, 2), 2.0));
        QSettings().setValue("cluster/runFolder", QDir(folder).absolutePath());
        widgets::ClusterRunBox box;
        widgets::RunHistory runs;
        ClusterRunCoordinator c(&box, &runs, [] { return ClusterLaunchInputs {}; });
        QTRY_VERIFY(c.following());
        QCOMPARE(box.runFolder(), QDir(folder).absolutePath());
        QCOMPARE(runs.run(c.runId())->batches.size(), size_t(1));
        QVERIFY(box.status().contains("3 ranks"));
    }

    // The box fits the inspector's column: no long word (a path) widens the Training tab.
    void fitsANarrowColumn()
    {
        widgets::ClusterRunBox box;
        box.setRunFolder("/a/very/long/path/to/a/run/folder/that/goes/on/and/on/for/quite/a/while/runs/mpi");
        box.setStatus("Following folder-with-a-rather-long-name-without-spaces-at-all-in-it: waiting for rank 0");
        box.setLaunchAvailable(false, "Open MPI's mpirun is not installed (Debian: openmpi-bin)");
        qInfo("ClusterRunBox minimum width %d px", box.minimumSizeHint().width());
        QVERIFY2(box.minimumSizeHint().width() <= 300, qPrintable(QString::number(box.minimumSizeHint().width())));
    }

    void launchRefusedWithTheReason()
    {
        widgets::ClusterRunBox box;
        widgets::RunHistory runs;
        ClusterRunCoordinator c(&box, &runs, [] {
            ClusterLaunchInputs in;
            in.problem = "Choose a dataset in the Data tab first";
            return in;
        });
        QVERIFY(!c.launch());
        QCOMPARE(box.status(), QString("Choose a dataset in the Data tab first"));
        QCOMPARE(runs.count(), 0);
        box.setLaunchAvailable(false, "Open MPI's mpirun is not installed (Debian: openmpi-bin)");
        QVERIFY(!box.findChild<QPushButton*>("launchCluster")->isEnabled());
    }
};

QTEST_MAIN(TestClusterRun)
#include "test_cluster_run.moc"
