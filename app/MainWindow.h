#pragma once
// MainWindow: the designer. Layer palette (left dock), the graph canvas (center), the
// property editor (right dock, a tab widget so later panels can join it), the model summary
// and the status bar below. Menus: File (New, New from template, Open, Save, Save As,
// Export PNG), Edit (undo/redo, clipboard, delete, select all), View (zoom, auto-layout,
// grid snapping), Train (Train, Pause/Resume, Stop, Save Weights). Training: a "Training" tab
// in the right dock (TrainingPanel) and a bottom dock with the run list and the live charts;
// runs go through a TrainingController on its own thread. Asks before unsaved changes are
// dropped.
#include <QMainWindow>

#include <memory>

namespace netcanvas {
class Dataset;
}

class QAction;
class QMenu;
class QTabWidget;
class QLabel;
class QDragEnterEvent;
class QDropEvent;

namespace netcanvas::widgets {
class GraphScene;
class GraphView;
class LayerPalette;
class PropertyEditor;
class SummaryBar;
class TrainingPanel;
class TrainingCharts;
class RunListWidget;
class LabelingPanel;
} // namespace netcanvas::widgets

class QUndoGroup;
class QDockWidget;

namespace netcanvas {
struct ModelWeights;
}

namespace netcanvas::app {

class Autosave;
class InspectDock;
class InspectionController;
class LabelingController;
class ProjectDocument;
class TrainingController;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);

    ProjectDocument* document() const { return m_doc; }
    widgets::GraphScene* scene() const { return m_scene; }
    widgets::GraphView* view() const { return m_view; }
    // The right-hand tab widget (the property editor is its first tab).
    QTabWidget* sideTabs() const { return m_sideTabs; }

    // Opens a model file as the document (no unsaved-changes prompt). Returns success.
    bool openFile(const QString& path);
    // The default project: LeNet-5 (models/lenet5.json as an untitled template, else an
    // empty model) on defaultDatasetPath().
    void openStartupTemplate();
    // Fashion-MNIST when installed, else the sample dataset shipped in resources/.
    static QString defaultDatasetPath();
    // When a crashed session left an autosaved copy: asks whether to recover it and opens
    // it if so. Returns whether a copy was recovered.
    bool offerRecovery();
    Autosave* autosave() const { return m_autosave; }
    // Recent files, newest first (QSettings "recentFiles").
    static QStringList recentFiles();
    // Writes the document (project or model by extension) without dialogs; returns success.
    bool saveTo(const QString& path);
    // Exports the canvas as SVG (vector) or PNG (by extension); returns an error or empty.
    QString exportCanvas(const QString& path);
    // Directories searched for templates: the source tree's models/ and the installed share dir.
    static QStringList templateDirs();

    widgets::TrainingPanel* trainingPanel() const { return m_trainingPanel; }
    widgets::TrainingCharts* trainingCharts() const { return m_charts; }
    TrainingController* trainingController() const { return m_training; }
    InspectionController* inspectionController() const { return m_inspection; }
    InspectDock* inspectDock() const { return m_inspect; }
    // Shows a side tab by name ("properties", "data", "training"); "data" also loads the
    // dataset when it is not loaded yet.
    void showSideTab(const QString& name);
    // Shows the Training tab and presses Train (loading the dataset first when needed).
    void trainNow();

    // ---- Labeling (MainWindowLabeling.cpp): the "Label" mode of the central area ----
    widgets::LabelingPanel* labelingPanel() const { return m_labelPanel; }
    LabelingController* labelingController() const { return m_labeling; }
    // Design mode (canvas) or Label mode (image browser).
    void setLabelMode(bool label);
    bool labelMode() const;
    // Opens a folder of images for labeling and switches to Label mode; returns an error or empty.
    QString openLabelFolder(const QString& folder);
    // Trains a round on the labeled images (fine-tuning the last round's model when the
    // model still fits), then predicts the unlabeled ones.
    void trainOnLabels();

protected:
    void closeEvent(QCloseEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    void createActions();
    void createMenus();
    void populateTemplateMenu();
    bool maybeSave();
    bool save();
    bool saveAs();
    void openDialog();
    void newFromTemplate(const QString& path);
    void exportDialog();
    void exportModelJson();
    void addRecentFile(const QString& path);
    void populateRecentMenu();
    // Panels ← document (after open/new) and document ← panels (before save/autosave).
    void applyDocumentSettings();
    void collectDocumentSettings();
    void updateTitle();
    void afterLoad();
    void addLayerAtCenter(const QString& type);
    // Training: the panel tab, the charts dock, the Train menu and the controller wiring.
    void createTrainingUi();
    void createTrainMenu();
    void startTraining();
    void updateTrainActions();
    void saveWeightsDialog();
    void createLabelingUi();
    void startLabelRound(std::shared_ptr<const Dataset> data);
    // Sets the units of the Dense layer that feeds the output to `classes` (undoable);
    // returns an error when the output cannot be adapted and does not fit.
    QString adaptOutputToClasses(int classes);
    void exportLabelsDialog();
    void classifyFolderDialog();
    // The model to classify with: the last labeling round's, else the last training run's
    // (null before any).
    std::shared_ptr<const ModelWeights> currentModelWeights() const;
    void updateLabelStatus();
    void reopenProjectLabelFolder(); // the document's labeling folder, when another (or none) is open

    ProjectDocument* m_doc;
    widgets::GraphScene* m_scene;
    widgets::GraphView* m_view;
    widgets::LayerPalette* m_palette;
    widgets::PropertyEditor* m_properties;
    widgets::SummaryBar* m_summary;
    QTabWidget* m_sideTabs;
    QMenu* m_templateMenu = nullptr;
    QMenu* m_recentMenu = nullptr;
    Autosave* m_autosave = nullptr;
    QAction* m_snapAction = nullptr;

    TrainingController* m_training = nullptr;
    widgets::TrainingPanel* m_trainingPanel = nullptr;
    widgets::TrainingCharts* m_charts = nullptr;
    widgets::RunListWidget* m_runList = nullptr;
    InspectionController* m_inspection = nullptr;
    InspectDock* m_inspect = nullptr;
    bool m_inspectPending = false; // a run started: inspect it once its first batch is done
    QString m_inspectedWeights; // the project's weights file being inspected (no run yet)
    QLabel* m_trainStatus = nullptr;
    QAction* m_trainAction = nullptr;
    QAction* m_pauseAction = nullptr;
    QAction* m_stopAction = nullptr;
    QAction* m_saveWeightsAction = nullptr;
    int m_liveRunId = 0;

    QTabWidget* m_modeTabs = nullptr; // Design | Label
    QDockWidget* m_paletteDock = nullptr;
    int m_designInspectorWidth = 0; // the inspector's width in Design mode (narrowed while labeling)
    QUndoGroup* m_undoGroup = nullptr;
    widgets::LabelingPanel* m_labelPanel = nullptr;
    LabelingController* m_labeling = nullptr;
};

// Labels the first `count` images listed in a "path,label" CSV (paths = image ids of the open
// labeling folder) as a person would with the keys, through the Label panel's undo stack.
// For demos and the README's screenshots. Returns an error naming the CSV line, or empty.
QString labelFromCsv(MainWindow& window, const QString& csvPath, int count);

} // namespace netcanvas::app
