#pragma once
// RunControlCoordinator: run control in the main window — the Train menu's Continue Run and
// Resume Run… actions, the Training tab's live changes (learning rate, epochs, augmentation)
// sent to the running session, the change markers and per-layer stats recorded in the run
// history, and the "Layer Health" tab (update:parameter ratios and gradient norms) of the
// bottom dock. Every run of the app keeps its checkpoints in a run folder of its own under
// runsFolder(), so a stopped, crashed or finished run can be continued — through the same
// engine path as `netcanvas-cli train --resume` (TrainingSession with resumeFrom).
// Requires: `window`, `training` and `document` outlive it.
#include "engine/session/RunResume.h"

#include <QObject>
#include <QString>

#include <optional>

class QAction;
class QMainWindow;
class QMenu;

namespace netcanvas::widgets {
class LayerStatsCharts;
}

namespace netcanvas::app {

class ProjectDocument;
class TrainingCoordinator;

class RunControlCoordinator : public QObject {
    Q_OBJECT
public:
    RunControlCoordinator(
        QMainWindow* window, TrainingCoordinator* training, ProjectDocument* document, QMenu* trainMenu);

    QAction* continueAction() const { return m_continue; }
    QAction* resumeAction() const { return m_resume; }
    widgets::LayerStatsCharts* layerCharts() const { return m_layerCharts; }
    // Where the app's runs keep their checkpoints: $NETCANVAS_RUNS_DIR, else the user's
    // application data folder + "/runs".
    static QString runsFolder();

    // Continue Run: the last run from its last checkpoint — to its planned epochs when it was
    // stopped or crashed, or by the Training tab's Epochs more when it finished. Returns an error
    // message, or empty when the run started.
    QString continueRun();
    // Resume Run…: the run of a run folder (the app's or the CLI's), as a new run in the history
    // carrying its earlier epochs. Loads the run's dataset first when another is loaded.
    QString resumeRunFolder(const QString& folder);

private:
    void updateActions();
    QString startResumed(const ResumeInfo& info, int existingRunId);

    QMainWindow* m_window;
    TrainingCoordinator* m_training;
    ProjectDocument* m_doc;
    QAction* m_continue = nullptr;
    QAction* m_resume = nullptr;
    widgets::LayerStatsCharts* m_layerCharts = nullptr;
    std::optional<ResumeInfo> m_pending; // Resume Run… waiting for its dataset to load
};

} // namespace netcanvas::app
