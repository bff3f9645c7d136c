#pragma once
// TrainingCoordinator: the training area of the main window and its wiring. It owns
//   - the Data and Training tabs it adds to the inspector's tab widget (TrainingPanel),
//   - the bottom dock "Training and Inspection": its Charts tab (run list | live charts), then the Inspect
//     views (InspectDock over an InspectionController),
//   - the Train menu's actions (Train, Pause/Resume, Stop, Save Weights) and the status-bar
//     label that shows the run's progress,
//   - the TrainingController (the training session on its own thread) and what its signals drive: the
//     document's run history, the panel, the charts, the Inspect views.
// Requires: `window`, `document` and `sideTabs` outlive it (the window is its parent); the
//   window places dock() itself.
// Ensures: every run — a Train press or a labeling round through startRun() — is recorded in
//   the document's RunHistory and charted; the Train actions follow the controller's state
//   and the model's validity; a replaced document's training settings, dataset and saved
//   weights are applied to the panels (documentReplaced).
#include "app/ProjectDocument.h"
#include "engine/train/TrainConfig.h"

#include <QObject>
#include <QString>

#include <memory>

class QAction;
class QDockWidget;
class QLabel;
class QMainWindow;
class QMenu;
class QTabWidget;

namespace netcanvas {
class Dataset;
}

namespace netcanvas::widgets {
class RunListWidget;
class TrainingCharts;
class TrainingPanel;
} // namespace netcanvas::widgets

namespace netcanvas {
struct ModelWeights;
struct RunRecord;
} // namespace netcanvas

namespace netcanvas::app {

class ClusterRunCoordinator;
struct ClusterLaunchInputs;
class InspectDock;
class InspectionController;
class TrainingController;

class TrainingCoordinator : public QObject {
    Q_OBJECT
public:
    // Builds the tabs, the dock and the actions of `trainMenu` (empty, placed by the window).
    TrainingCoordinator(QMainWindow* window, ProjectDocument* document, QTabWidget* sideTabs, QMenu* trainMenu);

    TrainingController* controller() const { return m_training; }
    widgets::TrainingPanel* panel() const { return m_panel; }
    widgets::TrainingCharts* charts() const { return m_charts; }
    InspectionController* inspection() const { return m_inspection; }
    InspectDock* inspectDock() const { return m_inspect; }
    // The Training tab's "Several processes (MPI)" launcher and follower.
    ClusterRunCoordinator* cluster() const { return m_cluster; }
    // The bottom dock (charts and Inspect views), for the window to place.
    QDockWidget* dock() const { return m_dock; }
    // Train / Pause-Resume / Stop (the Train menu's; the window's toolbar shows them too).
    QAction* trainAction() const { return m_trainAction; }
    QAction* pauseAction() const { return m_pauseAction; }
    QAction* stopAction() const { return m_stopAction; }

    // Fashion-MNIST when installed, else the sample dataset shipped in resources/.
    static QString defaultDatasetPath();
    // Shows the Training tab and presses Train (loading the dataset first when needed).
    void trainNow();
    // Shows the Data tab, loading the dataset when it is not loaded yet / the Training tab.
    void showDataTab();
    void showTrainingTab();
    // Records `run` in the document's history and starts training it (the charts and the
    // Inspect views follow it). Returns false when the controller refused (already running).
    bool startRun(
        const ModelGraph& graph, std::shared_ptr<const Dataset> data, const TrainConfig& config, const RunRecord& run);
    // Continues the run of a resume checkpoint (RunResume.h): `graph` and `config` are the run's,
    // `changes` are applied at its first step (more epochs, a new learning rate). The events go
    // to the run `existingRunId` of the history when it is there (its curves continue), else to a
    // new record `run`. Returns false when the controller refused (already running).
    bool resumeRun(const ModelGraph& graph, std::shared_ptr<const Dataset> data, const TrainConfig& config,
        const QString& checkpoint, std::vector<RunChange> changes, int existingRunId, const RunRecord& run);
    // The history id of the live (or last) run.
    int liveRunId() const { return m_liveRunId; }
    // A dropped or activated image file: shows its class and Grad-CAM in the Explain view.
    // Returns false (and says so in the status bar) when nothing has been trained yet.
    bool explainImage(const QString& path);
    // A dropped dataset (folder or CSV): makes it the document's and loads it in the Data tab,
    // unless a run is in progress.
    void useDataset(const QString& path);
    // The recipe in use (the panel's settings).
    TrainConfig recipe() const;
    // Document ← panel: the settings and dataset a save writes.
    void storeSettings();
    // What a project save writes besides the document: the last finished run's weights (none
    // while a run is going: its weights still change; then the writer is empty) and its run id.
    ProjectDocument::WeightsWriter weightsWriter(int* runId) const;
    // The model of the last finished training run (null before any or while one runs).
    std::shared_ptr<const ModelWeights> lastRunWeights() const;
    // Pretrained weights the Train button starts from (by name: File ▸ New from Template ▸
    // Pretrained) until another document is opened or started; `label` names them in the
    // status ("lenet5, Fashion-MNIST"). Null clears them.
    void setStartWeights(std::shared_ptr<const ModelWeights> weights, const QString& label);
    std::shared_ptr<const ModelWeights> startWeights() const { return m_startWeights; }
    // Train ▸ Replace Head…: asks for the number of classes (the loaded dataset's by default)
    // and pushes a ReplaceHeadCommand.
    void replaceHeadDialog();

private:
    QWidget* buildBottomDock();
    void connectController();
    void connectInspection();
    void createTrainMenu(QMenu* train);
    void updateTrainActions();
    void startTraining();
    void saveWeightsDialog();
    void applyDocumentSettings(); // panels ← document (after open/new)
    void showStatus(const QString& text, int ms);
    QString runName() const; // the live run's short name ("Run 2" or its label)

    QMainWindow* m_window;
    ProjectDocument* m_doc;
    QTabWidget* m_sideTabs;
    TrainingController* m_training;
    widgets::TrainingPanel* m_panel;
    widgets::TrainingCharts* m_charts = nullptr;
    widgets::RunListWidget* m_runList = nullptr;
    InspectionController* m_inspection = nullptr;
    InspectDock* m_inspect = nullptr;
    ClusterRunCoordinator* m_cluster = nullptr;
    // What a launch on MPI needs: the model with this recipe, the dataset (or why not now).
    ClusterLaunchInputs clusterInputs() const;
    QDockWidget* m_dock = nullptr;
    bool m_inspectPending = false; // a run started: inspect it once its first batch is done
    QString m_inspectedWeights; // the project's weights file being inspected (no run yet)
    QLabel* m_trainStatus = nullptr;
    QAction* m_trainAction = nullptr;
    QAction* m_pauseAction = nullptr;
    QAction* m_stopAction = nullptr;
    QAction* m_saveWeightsAction = nullptr;
    QAction* m_replaceHeadAction = nullptr;
    std::shared_ptr<const ModelWeights> m_startWeights;
    QString m_startWeightsLabel;
    int m_liveRunId = 0;
};

} // namespace netcanvas::app
