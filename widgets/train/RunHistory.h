#pragma once
// RunHistory: every training run of a project document, in memory, in start order.
// The live run grows through appendBatches()/appendEpoch(); listeners (charts, run list)
// hear about it through signals carrying the run id.
//
// Ensures: ids are 1, 2, 3 … and never reused until clear().
#include "widgets/train/RunDisplay.h"

#include <QObject>

#include <memory>
#include <vector>

namespace netcanvas::widgets {

class RunHistory : public QObject {
    Q_OBJECT
public:
    explicit RunHistory(QObject* parent = nullptr);

    // Adds a running run (id assigned here) and returns its id.
    int addRun(RunRecord run);
    void appendBatches(int id, const std::vector<BatchEvent>& events);
    void appendEpoch(int id, const EpochEvent& event);
    // A finished or stopped run that continues (resume): running again, its curves go on.
    void reopenRun(int id);
    // A live change applied to the run (charted as a marker) / per-layer stats of a step.
    void appendChange(int id, const ChangeEvent& change);
    void appendLayerStats(int id, const LayerStatsEvent& stats);
    void finishRun(int id, const RunSummary& summary);
    // Ends a run that threw: `message` is the reason.
    void failRun(int id, const QString& message);
    void clear();
    // Names a run (empty clears the name). Emits runRenamed().
    void renameRun(int id, const QString& label);
    // Removes a finished run; a running run (or an unknown id) is refused: returns false.
    bool removeRun(int id);
    // Replaces every run by `runs` (finished runs read from a project file), keeping their
    // ids; the next new run gets the id after the largest. Emits cleared(), then runAdded()
    // and runFinished() per run.
    void restore(std::vector<RunRecord> runs);

    const RunRecord* run(int id) const;
    std::vector<int> ids() const;
    int count() const { return static_cast<int>(m_runs.size()); }

signals:
    void runAdded(int id);
    void runUpdated(int id); // new batches, epochs or changes
    void layerStatsAdded(int id);
    void runFinished(int id);
    void cleared();
    void runRenamed(int id);
    void runRemoved(int id);

private:
    RunRecord* find(int id);

    std::vector<std::unique_ptr<RunRecord>> m_runs;
    int m_nextId = 1;
};

} // namespace netcanvas::widgets
