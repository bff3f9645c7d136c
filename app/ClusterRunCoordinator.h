#pragma once
// ClusterRunCoordinator: training on several processes or hosts from the app. The Training
// tab's ClusterRunBox launches `mpirun -np N [--hostfile F] netcanvas-cli train MODEL --data D
// --out RUN --distributed --threads T` as a detached process (the app is a client of the job,
// not its parent: closing the window does not end it), then follows rank 0's RUN/progress.jsonl
// (engine/session/ProgressLog.h) into the document's RunHistory, so the charts and the run
// list show it like any other run. The last followed folder is remembered (QSettings): a
// reopened app attaches to it again while the job runs.
// Ensures: a followed run ends in the history as finished (the log's end line) or failed —
// the job's process is gone without an end line; the message is the tail of RUN/job.log,
// which holds the rank and host mpirun or the watchdog named.
#include "engine/train/TrainConfig.h"

#include <QObject>
#include <QString>
#include <QStringList>

#include <functional>
#include <memory>

class QTimer;

namespace netcanvas {
struct ProgressLogState;
namespace widgets {
class ClusterRunBox;
class RunHistory;
} // namespace widgets
} // namespace netcanvas

namespace netcanvas::app {

// What a launch needs besides the box's settings.
struct ClusterLaunchInputs {
    QString modelJson; // the model with its recipe ("training"), serialized
    QString modelName;
    QString datasetPath;
    TrainConfig config; // for the run's record (the recipe is in modelJson)
    QString problem; // non-empty: why a launch is impossible now (no dataset, invalid model)
};

// The command line of a launch: the program (mpirun) and its arguments.
struct ClusterCommand {
    QString program;
    QStringList arguments;
};
// mpirun [--allow-run-as-root] -np N (--hostfile F | --oversubscribe) CLI train MODEL --data D
// --out RUN --distributed --threads T.
ClusterCommand clusterCommand(const QString& mpirun, const QString& cli, int processes, const QString& hostfile,
    int threads, const QString& modelFile, const QString& dataset, const QString& runFolder, bool asRoot);

class ClusterRunCoordinator : public QObject {
    Q_OBJECT
public:
    ClusterRunCoordinator(widgets::ClusterRunBox* box, widgets::RunHistory* runs,
        std::function<ClusterLaunchInputs()> inputs, QObject* parent = nullptr);
    ~ClusterRunCoordinator() override;

    // Writes RUN/launch/model.json, starts the job detached (output in RUN/job.log, its PID in
    // RUN/job.json) and follows it. False (and the box says why) when it could not start.
    bool launch();
    // Follows the run in `runFolder` (its progress.jsonl; job.json's PID when present).
    void attach(const QString& runFolder);
    bool following() const { return m_runId != 0; }
    int runId() const { return m_runId; }
    // Reads what is new in the log now (the timer does it twice a second).
    void poll();
    // mpirun and netcanvas-cli as found (empty when missing).
    static QString findMpirun();
    static QString findCli();

private:
    void finish(bool failed, const QString& message);
    bool jobAlive() const;

    widgets::ClusterRunBox* m_box;
    widgets::RunHistory* m_runs;
    std::function<ClusterLaunchInputs()> m_inputs;
    QTimer* m_timer;
    QString m_folder;
    qint64 m_pid = 0; // the detached mpirun (0: unknown — attached to a job started elsewhere)
    int m_runId = 0;
    TrainConfig m_config;
    std::unique_ptr<ProgressLogState> m_log;
};

} // namespace netcanvas::app
