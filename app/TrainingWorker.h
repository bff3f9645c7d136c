#pragma once
// TrainingWorker: the object that lives on the training thread (the QThread worker-object
// pattern). run() runs one engine TrainingSession — backend (the CPU when the GPU cannot be
// used, with a note), fit, test evaluation — and reports everything as value copies through
// signals (queued to the UI thread by TrainingController). It catches every exception and
// reports it through failed().
//
// Batch events are coalesced: at most one batchesFinished() per batchInterval (~33 ms),
// carrying every batch since the previous one, so no point is lost and the UI thread is
// not flooded at hundreds of batches per second.
#include "engine/session/TrainingSession.h"
#include "widgets/train/RunDisplay.h"

#include <QObject>

#include <memory>
#include <vector>

namespace netcanvas::app {

// One run for the worker: the session (shared with the controller, which stops and pauses
// it, and the inspection thread, which copies its snapshots — TrainingSession's thread rule)
// and how to report it.
struct TrainingJob {
    std::shared_ptr<TrainingSession> session;
    int runId = 0;
    int batchIntervalMs = 33;
};

class TrainingWorker : public QObject {
    Q_OBJECT
public:
    using QObject::QObject;

    // Runs the job to its end on the calling thread (the worker's thread).
    void run(const TrainingJob& job);

signals:
    void batchesFinished(int runId, const std::vector<netcanvas::BatchEvent>& events);
    void epochFinished(int runId, const netcanvas::EpochEvent& event);
    // A live change was applied (after the batches before it were sent).
    void changeApplied(int runId, const netcanvas::ChangeEvent& change);
    void layerStats(int runId, const netcanvas::LayerStatsEvent& stats);
    void finished(int runId, const netcanvas::RunSummary& summary);
    void failed(int runId, const QString& message);
    // The chosen GPU is not used: one line ("cuda: unavailable (...); training on the CPU (4 threads)").
    void deviceNote(int runId, const QString& note);
    // Weights were loaded by name: what was loaded, skipped (with both shapes) and new, a line each.
    void weightsNote(int runId, const QString& report);
};

} // namespace netcanvas::app
