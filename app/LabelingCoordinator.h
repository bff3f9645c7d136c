#pragma once
// LabelingCoordinator: the Label mode of the main window and its wiring. It owns
//   - the LabelingPanel (the image browser), shown by the window as the central area's
//     second page (page()),
//   - the LabelingController (the open LabelStore and the model in the loop) and what its
//     signals drive: the panel, the status bar, warnings,
//   - the Label menu's labeling actions (open folder, import class folders, train on labeled,
//     predict, export labels, classify folder to CSV),
//   - the rounds: a round's labeled images are trained as a normal run through the
//     TrainingCoordinator (fine-tuning the previous round's weights when the graph still fits, else
//     the pretrained zoo weights the document was opened with, loaded by name);
//     when the labels have another number of classes than the model has outputs, the output
//     layer is set to that number with one SetOutputClassesCommand on the document's undo
//     stack (undoable in Design mode).
// Requires: `window`, `document` and `training` outlive it (the window is its parent).
// Ensures: it switches modes only by asking the window (labelModeRequested()); it edits the
//   graph only through undo commands; an open folder is recorded as the document's label
//   folder, and a replaced document's label folder is opened again (documentReplaced).
#include <QObject>
#include <QString>

#include <memory>

class QAction;
class QMainWindow;
class QMenu;
class QWidget;

namespace netcanvas {
class Dataset;
}

namespace netcanvas::widgets {
class LabelingPanel;
}

namespace netcanvas {
struct ModelWeights;
struct RunRecord;
} // namespace netcanvas

namespace netcanvas::app {

class LabelingController;
class ProjectDocument;
class TrainingCoordinator;

class LabelingCoordinator : public QObject {
    Q_OBJECT
public:
    // Builds the panel and appends its actions to `labelMenu` (the window's Label menu).
    LabelingCoordinator(
        QMainWindow* window, ProjectDocument* document, TrainingCoordinator* training, QMenu* labelMenu);

    widgets::LabelingPanel* panel() const { return m_panel; }
    LabelingController* controller() const { return m_labeling; }
    // The Label page of the central area (the panel in a scroll area).
    QWidget* page() const { return m_page; }

    // Opens a folder of images for labeling and asks for Label mode; returns an error or empty.
    QString openFolder(const QString& folder);
    // Trains a round on the labeled images (fine-tuning the last round's model when the
    // model still fits), then predicts the unlabeled ones.
    void trainOnLabels();
    // The window switched modes: the panel takes the focus in Label mode; the status follows.
    void modeChanged(bool label);

signals:
    // The coordinator needs Label mode shown (a folder was opened, a round starts).
    void labelModeRequested();

private:
    QWidget* buildPage();
    void createMenu(QMenu* menu);
    void connectPanel();
    void connectController();
    void openFolderDialog();
    void importClassFolders();
    void startLabelRound(std::shared_ptr<const Dataset> data);
    // Sets the output layer's units to `classes` (one undo step); returns an error when the
    // output cannot be adapted and does not fit.
    QString adaptOutputToClasses(int classes);
    void exportLabelsDialog();
    void classifyFolderDialog();
    // The model to classify with: the last labeling round's, else the last training run's
    // (null before any).
    std::shared_ptr<const ModelWeights> currentModelWeights() const;
    void updateLabelStatus();
    void reopenProjectLabelFolder(); // the document's labeling folder, when another (or none) is open
    void showStatus(const QString& text, int ms);

    QMainWindow* m_window;
    ProjectDocument* m_doc;
    TrainingCoordinator* m_training;
    LabelingController* m_labeling;
    widgets::LabelingPanel* m_panel;
    QWidget* m_page = nullptr;
    QAction* m_openFolder = nullptr;
};

} // namespace netcanvas::app
