#pragma once
// TrainingController: the bridge between the UI thread and the Qt-free engine
// TrainingSession. start() creates a session and hands it to a TrainingWorker living on the
// controller's own QThread; the worker's events come back as queued signals carrying value
// copies, so slots run on the UI thread and the UI never waits on the engine.
//
// Control: pause()/resume()/stop() go to the session (taking effect within one batch) and
// return at once. The session — and so its network's weights — is kept after a run ends,
// until the next start(); saveWeights() writes them.
//
// Ensures: every start() that returns true is followed by exactly one finished() or
// failed(); isRunning() is true from start() until that signal is delivered. The
// destructor requests stop, quits the thread and waits for it.
#include "engine/data/Split.h"
#include "engine/graph/ModelGraph.h"
#include "engine/session/TrainingSession.h"
#include "engine/train/TrainConfig.h"
#include "widgets/train/RunDisplay.h"

#include <QObject>
#include <QString>

#include <memory>
#include <vector>

class QThread;

namespace netcanvas::app {

class TrainingWorker;

class TrainingController : public QObject {
    Q_OBJECT
public:
    explicit TrainingController(QObject* parent = nullptr);
    ~TrainingController() override;

    // Registers the value types that cross threads (called by the constructor too).
    static void registerMetaTypes();

    // Starts training `graph` on `data` with `split` and `config` on the worker thread.
    // Returns false (and does nothing) while a run is in progress. `runId` is passed back
    // in no signal; it is only remembered (currentRunId()) for the caller's bookkeeping.
    bool start(const ModelGraph& graph, std::shared_ptr<const Dataset> data, DataSplit split, TrainConfig config,
        int runId = 0);
    // The same, with the split computed on the worker thread from the config's validation
    // and test fractions and seed (a bad fraction arrives as failed()).
    bool start(const ModelGraph& graph, std::shared_ptr<const Dataset> data, TrainConfig config, int runId = 0);
    // Fine-tuning: the next start() begins from these weights (and their normalization)
    // instead of fresh ones, when they fit the graph (same parameter keys and shapes); the
    // run fails with a message naming the mismatch otherwise. Used once, then cleared.
    // The next run starts from these weights: strictly (the same model, every tensor) or by name
    // (another graph: matching tensors, the rest initialized; weightsNote() then says which).
    void setInitialWeights(std::shared_ptr<const ModelWeights> weights, WeightsLoading loading = WeightsLoading::Strict)
    {
        m_initialWeights = std::move(weights);
        m_initialLoading = loading;
    }
    void pause();
    void resume();
    void stop();
    // A live change of the running run (RunControl.h): posted to its session, applied at its next
    // step; changeApplied() follows. Returns at once; ignored when no run goes on.
    void requestChange(const RunChange& change);

    // Run folders: each run keeps its checkpoints (resume.safetensors, last, best) in a folder of
    // its own under `folder` (Continue and Train ▸ Resume Run… start from them). Empty: none.
    void setRunsFolder(const QString& folder) { m_runsFolder = folder; }
    // Per-layer stats every this many steps for runs whose config does not set it (0: off).
    void setLayerStatsEvery(int steps) { m_layerStatsEvery = steps; }
    // The checkpoint folder of the current (or last) run; empty when it has none.
    QString checkpointFolder() const { return m_checkpointFolder; }
    // Resume: the next start() continues the run of this resume checkpoint (RunResume.h) — the
    // graph and config given must be the run's — after applying `changes` (more epochs, a new
    // learning rate) at its first step. Its checkpoints stay in the checkpoint's folder. Used once.
    void setResumeFrom(const QString& checkpoint, std::vector<RunChange> changes = {})
    {
        m_resumeFrom = checkpoint;
        m_resumeChanges = std::move(changes);
    }

    bool isRunning() const { return m_running; }
    bool isPaused() const { return m_paused; }
    int currentRunId() const { return m_runId; }
    // Milliseconds between coalesced batch signals (default 33, about 30 per second).
    void setBatchInterval(int ms) { m_batchIntervalMs = ms; }

    // Whether a finished run left a trained network (a run that failed to compile has none).
    bool hasWeights() const;
    // Writes the last run's weights (with class names, normalization and the model JSON)
    // as safetensors. Returns an error message, or empty on success. Refused while running.
    QString saveWeights(const QString& path) const;
    // The dataset and normalization of the last run (for inspection; null before any run).
    std::shared_ptr<const Dataset> lastDataset() const;
    // The current (or last) run's session: it publishes weight snapshots that the inspection
    // views copy from any thread (TrainingSession::copySnapshot). Holding the pointer keeps it
    // alive after the next start(). Null before any run.
    std::shared_ptr<TrainingSession> session() const { return m_session; }

signals:
    void started(int runId);
    // Every batch since the previous signal, in order (at most ~30 signals per second).
    void batchFinished(const std::vector<netcanvas::BatchEvent>& events);
    void epochFinished(const netcanvas::EpochEvent& event);
    void changeApplied(const netcanvas::ChangeEvent& change);
    void layerStats(const netcanvas::LayerStatsEvent& stats);
    void finished(const netcanvas::RunSummary& summary);
    void failed(const QString& message);
    // The run's device could not be used and it trains on the CPU: the one-line reason.
    void deviceNote(const QString& note);
    // The run started from weights loaded by name: the report's lines (WeightsLoadReport::lines).
    void weightsNote(const QString& report);
    void pausedChanged(bool paused);
    void runningChanged(bool running);

private:
    bool startJob(const ModelGraph& graph, std::shared_ptr<const Dataset> data, DataSplit split, bool computeSplit,
        TrainConfig config, int runId);
    void onWorkerBatches(int runId, const std::vector<BatchEvent>& events);
    void onWorkerEpoch(int runId, const EpochEvent& event);
    void onWorkerFinished(int runId, const RunSummary& summary);
    void onWorkerFailed(int runId, const QString& message);
    void onWorkerDeviceNote(int runId, const QString& note);
    void onWorkerWeightsNote(int runId, const QString& report);
    void setRunning(bool running);

    QThread* m_thread;
    TrainingWorker* m_worker;
    std::shared_ptr<TrainingSession> m_session;
    int m_sessionRunId = 0; // the worker's id of m_session's run (m_serial when it started)
    bool m_running = false;
    bool m_paused = false;
    int m_runId = 0;
    int m_serial = 0; // distinguishes runs in worker signals
    int m_batchIntervalMs = 33;
    QString m_runsFolder;
    int m_layerStatsEvery = 0;
    QString m_checkpointFolder;
    QString m_resumeFrom;
    std::vector<RunChange> m_resumeChanges;
    std::shared_ptr<const ModelWeights> m_initialWeights;
    WeightsLoading m_initialLoading = WeightsLoading::Strict;
};

} // namespace netcanvas::app

Q_DECLARE_METATYPE(std::vector<netcanvas::BatchEvent>)
Q_DECLARE_METATYPE(netcanvas::ChangeEvent)
Q_DECLARE_METATYPE(netcanvas::LayerStatsEvent)
