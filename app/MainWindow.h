#pragma once
// MainWindow: the shell of the designer. It builds the layout and the menus and hands each
// area to its own coordinator:
//   - its own: the layer palette (left dock), the graph canvas over the model summary
//     (central area, Design mode), the inspector's tabs (right dock, Properties first), the
//     Edit and View menus, the Design | Label mode switch (Edit ▸ Undo follows the mode
//     through a QUndoGroup), the title, and drops (dispatched to the coordinators);
//   - FileActions: the File menu, saving, recent files, templates, recovery;
//   - TrainingCoordinator: the Data and Training tabs, the bottom charts/Inspect dock, the
//     Train menu and the training controller;
//   - LabelingCoordinator: the Label mode's page, the Label menu's labeling actions and the
//     labeling controller;
//   - ServeCoordinator: the Deploy menu (serving the last run's weights over HTTP).
// Coordinators talk to each other through small public methods and signals only.
// The toolbar holds the one visible Train / Pause / Stop; WindowLayout shares the height between
// the canvas and the bottom dock per mode (design / train / inspect) and remembers it per user.
// Ensures: unsaved changes are asked about before the window closes.
#include <QMainWindow>

class QDockWidget;
class QDragEnterEvent;
class QDropEvent;
class QTabWidget;
class QToolBar;
class QUndoGroup;

namespace netcanvas::widgets {
class GraphScene;
class GraphView;
class LayerPalette;
class PropertyEditor;
class SummaryBar;
} // namespace netcanvas::widgets

namespace netcanvas::app {

class ExperimentCoordinator;
class FileActions;
class LabelingCoordinator;
class PresentationMode;
class ProjectDocument;
class ServeCoordinator;
class RunControlCoordinator;
class TrainingCoordinator;
class WindowLayout;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);

    ProjectDocument* document() const { return m_doc; }
    widgets::GraphScene* scene() const { return m_scene; }
    widgets::GraphView* view() const { return m_view; }
    // The right-hand tab widget (the property editor is its first tab).
    QTabWidget* sideTabs() const { return m_sideTabs; }

    FileActions* files() const { return m_files; }
    TrainingCoordinator* training() const { return m_training; }
    LabelingCoordinator* labeling() const { return m_labeling; }
    ServeCoordinator* serving() const { return m_serve; }
    ExperimentCoordinator* experiments() const { return m_experiments; }
    PresentationMode* presentation() const { return m_presentation; }
    RunControlCoordinator* runControl() const { return m_runControl; }
    WindowLayout* windowLayout() const { return m_layout; }
    QToolBar* toolBar() const { return m_toolBar; }

    // The saved layout (QSettings), or on first start the whole screen; `persistent` false
    // (unattended demo runs) uses the defaults and saves nothing.
    void restoreLayout(bool persistent = true);

    // Shows a side tab by name ("properties", "data", "training"); "data" also loads the
    // dataset when it is not loaded yet.
    void showSideTab(const QString& name);
    // Design mode (canvas) or Label mode (image browser).
    void setLabelMode(bool label);
    bool labelMode() const;

protected:
    void closeEvent(QCloseEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    QWidget* buildDesignPage();
    void buildDocks();
    void createEditMenu();
    void createViewMenu();
    void createModeTabs(QMenu* labelMenu);
    void createToolBar();
    void trackLayoutMode();
    void onModeChanged(bool label);
    void updateTitle();
    void addLayerAtCenter(const QString& type);

    ProjectDocument* m_doc;
    widgets::GraphScene* m_scene;
    widgets::GraphView* m_view;
    widgets::LayerPalette* m_palette = nullptr;
    widgets::PropertyEditor* m_properties = nullptr;
    widgets::SummaryBar* m_summary = nullptr;
    QTabWidget* m_sideTabs = nullptr;
    QDockWidget* m_paletteDock = nullptr;
    QDockWidget* m_inspectorDock = nullptr;
    QUndoGroup* m_undoGroup = nullptr;
    QTabWidget* m_modeTabs = nullptr; // Design | Label
    ExperimentCoordinator* m_experiments = nullptr;
    PresentationMode* m_presentation = nullptr;
    int m_designInspectorWidth = 0; // the inspector's width in Design mode (narrowed while labeling)

    TrainingCoordinator* m_training = nullptr;
    LabelingCoordinator* m_labeling = nullptr;
    ServeCoordinator* m_serve = nullptr;
    RunControlCoordinator* m_runControl = nullptr;
    FileActions* m_files = nullptr;
    WindowLayout* m_layout = nullptr;
    QToolBar* m_toolBar = nullptr;
    bool m_persistentLayout = false;
};

} // namespace netcanvas::app
