#pragma once
// TrainingWorker: the object that lives on the training thread (the QThread worker-object
// pattern). run() creates the backend of the job's device (DeviceManager: the CPU when the
// GPU cannot be used, with a note) and a netcanvas::Trainer for one TrainingJob, runs
// fit(), evaluates the test split and reports everything as value copies through signals
// (queued to the UI thread by TrainingController). It catches every exception and reports
// it through failed().
//
// Batch events are coalesced: at most one batchesFinished() per batchInterval (~33 ms),
// carrying every batch since the previous one, so no point is lost and the UI thread is
// not flooded at hundreds of batches per second.
#include "app/ModelWeights.h"
#include "engine/backend/Backend.h"
#include "engine/data/Split.h"
#include "engine/graph/ModelGraph.h"
#include "engine/train/Trainer.h"
#include "widgets/train/TrainingRun.h"

#include <QObject>

#include <memory>
#include <mutex>
#include <vector>

namespace netcanvas::app {

// What one run needs, and the Trainer it produced (kept after fit for its weights). Shared
// by the controller (UI thread), the worker and the inspection thread; `mutex` guards
// `trainer`, `split` (written once by the worker when computeSplit), `stop`, `pause`.
struct TrainingJob {
    ModelGraph graph;
    std::shared_ptr<const Dataset> data;
    DataSplit split;
    bool computeSplit = false; // split on the worker from config (validation/test fraction, seed)
    TrainConfig config;
    int runId = 0;
    int batchIntervalMs = 33;
    std::shared_ptr<const ModelWeights> initialWeights; // fine-tune from these (see TrainingController)

    std::mutex mutex;
    std::unique_ptr<Backend> backend; // outlives trainer (declared first, destroyed last)
    std::unique_ptr<Trainer> trainer;
    bool stop = false;
    bool pause = false;
    bool shuttingDown = false; // the controller is being destroyed: skip the test evaluation
};

class TrainingWorker : public QObject {
    Q_OBJECT
public:
    using QObject::QObject;

    // Runs the job to its end on the calling thread (the worker's thread).
    void run(std::shared_ptr<TrainingJob> job);

signals:
    void batchesFinished(int runId, const std::vector<netcanvas::BatchEvent>& events);
    void epochFinished(int runId, const netcanvas::EpochEvent& event);
    void finished(int runId, const netcanvas::widgets::TrainingSummary& summary);
    void failed(int runId, const QString& message);
    // The chosen GPU is not used: one line ("cuda: unavailable (...); training on the CPU (4 threads)").
    void deviceNote(int runId, const QString& note);
};

} // namespace netcanvas::app
