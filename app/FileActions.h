#pragma once
// FileActions: the File menu of the main window and what it does to the document — New, New
// from Template, Open, Open Recent, Save, Save As, Export Canvas (SVG or PNG), Export Model
// JSON, and the interchange entries of InterchangeActions (Export ▸ ONNX/PyTorch, Import ONNX) —
// plus the startup project, crash recovery (it owns the Autosave) and the
// unsaved-changes prompt.
// Requires: `window`, `document`, `scene`, `view` and `training` outlive it (the window is its
//   parent); `fileMenu` is empty and placed by the window.
// Ensures: nothing unsaved is dropped without asking (maybeSave()); a save stores the training
//   panel's settings in the document first and, for a project, the last finished run's
//   weights beside it; every file is written to a temporary file and renamed; loaded() follows
//   every document the user opens, starts or recovers.
#include <QObject>
#include <QString>
#include <QStringList>

class QMainWindow;
class QMenu;

namespace netcanvas::widgets {
class GraphScene;
class GraphView;
} // namespace netcanvas::widgets

namespace netcanvas::app {

class Autosave;
class InterchangeActions;
class ProjectDocument;
class TrainingCoordinator;

class FileActions : public QObject {
    Q_OBJECT
public:
    FileActions(QMainWindow* window, ProjectDocument* document, widgets::GraphScene* scene, widgets::GraphView* view,
        TrainingCoordinator* training, QMenu* fileMenu);

    Autosave* autosave() const { return m_autosave; }
    InterchangeActions* interchange() const { return m_interchange; }
    // Opens a model file as the document (no unsaved-changes prompt). Returns success.
    bool openFile(const QString& path);
    // Asks about unsaved changes first, then opens `path` (after the current event: a modal
    // prompt inside a drop handler confuses some platforms).
    void openFileLater(const QString& path);
    // The default project: LeNet-5 (models/lenet5.json as an untitled template, else an
    // empty model) on the default dataset.
    void openStartupTemplate();
    // When a crashed session left an autosaved copy: asks whether to recover it and opens
    // it if so. Returns whether a copy was recovered.
    bool offerRecovery();
    // Writes the document (project or model by extension) without dialogs; returns success.
    bool saveTo(const QString& path);
    // Exports the canvas as SVG (vector) or PNG (by extension); returns an error or empty.
    QString exportCanvas(const QString& path);
    // Asks to save unsaved changes; false when the user cancels (or the save fails).
    bool maybeSave();
    // The window is closing: true when it may (the autosaved copy is then discarded).
    bool closeRequested();

    // Recent files, newest first (QSettings "recentFiles").
    static QStringList recentFiles();
    // Directories searched for templates: the source tree's models/ and the installed share dir.
    static QStringList templateDirs();

signals:
    // A document was opened, started or recovered (the window frames and titles it).
    void loaded();

private:
    void createMenu(QMenu* file);
    void populateTemplateMenu();
    void populateRecentMenu();
    void addRecentFile(const QString& path);
    bool save();
    bool saveAs();
    void openDialog();
    bool newFromTemplate(const QString& path);
    // File ▸ New from Template ▸ Pretrained ▸ …: the template, with the zoo's weights as the
    // start of the next training run (TrainingCoordinator::setStartWeights).
    void newFromPretrained(const QString& templatePath, const QString& weightsPath, const QString& label);
    // The zoo's entries (models/zoo/index.json in the template folders) as a submenu.
    void addPretrainedMenu();
    void exportDialog();
    void exportModelJson();
    void showStatus(const QString& text, int ms);

    QMainWindow* m_window;
    ProjectDocument* m_doc;
    widgets::GraphScene* m_scene;
    widgets::GraphView* m_view;
    TrainingCoordinator* m_training;
    Autosave* m_autosave;
    InterchangeActions* m_interchange;
    QMenu* m_templateMenu = nullptr;
    QMenu* m_recentMenu = nullptr;
};

} // namespace netcanvas::app
