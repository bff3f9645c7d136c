#include "app/LabelingCoordinator.h"

#include "app/LabelingController.h"
#include "app/ProjectDocument.h"
#include "app/TrainingController.h"
#include "app/TrainingCoordinator.h"
#include "engine/backend/Backend.h"
#include "engine/session/ModelWeights.h"
#include "engine/train/Network.h"
#include "widgets/canvas/GraphCommands.h"
#include "widgets/canvas/GraphModel.h"
#include "widgets/labels/LabelingPanel.h"
#include "widgets/train/TrainingPanel.h"

#include <QAction>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QMainWindow>
#include <QMenu>
#include <QMessageBox>
#include <QScrollArea>
#include <QStatusBar>
#include <QUndoStack>

#include <algorithm>

namespace netcanvas::app {

namespace {

// A warning that does not block: the labeling jobs report from signal handlers, and a nested
// event loop there would hold up the jobs still running (and unattended runs).
void warnLater(QWidget* parent, const QString& title, const QString& text)
{
    auto* box = new QMessageBox(QMessageBox::Warning, title, text, QMessageBox::Ok, parent);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->setObjectName(QStringLiteral("labelingWarning"));
    box->open();
}

} // namespace

LabelingCoordinator::LabelingCoordinator(
    QMainWindow* window, ProjectDocument* document, TrainingCoordinator* training, QMenu* labelMenu)
    : QObject(window)
    , m_window(window)
    , m_doc(document)
    , m_training(training)
    , m_labeling(new LabelingController(training->controller(), this))
    , m_panel(new widgets::LabelingPanel(window))
{
    m_page = buildPage();
    createMenu(labelMenu);
    connectPanel();
    connectController();
    // A project that was labeling a folder opens it again (Label mode shows it).
    connect(m_doc, &ProjectDocument::documentReplaced, this, &LabelingCoordinator::reopenProjectLabelFolder);
    updateLabelStatus();
}

QWidget* LabelingCoordinator::buildPage()
{
    // In a scroll area: a tab widget is as wide as its widest page's minimum, and the Label
    // page's must not squeeze the docks in Design mode (it only scrolls on tiny screens).
    auto* labelScroll = new QScrollArea(m_window);
    labelScroll->setWidget(m_panel);
    labelScroll->setWidgetResizable(true);
    labelScroll->setFrameShape(QFrame::NoFrame);
    return labelScroll;
}

void LabelingCoordinator::createMenu(QMenu* menu)
{
    m_openFolder = menu->addAction(tr("&Open Folder to Label…"), this, &LabelingCoordinator::openFolderDialog);
    m_openFolder->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O));
    menu->addAction(tr("&Import Class Folders"), this, &LabelingCoordinator::importClassFolders);
    menu->addSeparator();
    QAction* train = menu->addAction(tr("&Train on Labeled"), this, &LabelingCoordinator::trainOnLabels);
    train->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_T));
    menu->addAction(tr("&Predict Unlabeled"), m_labeling, &LabelingController::predictUnlabeled);
    menu->addAction(tr("&Export Labels…"), this, &LabelingCoordinator::exportLabelsDialog);
    menu->addSeparator();
    menu->addAction(tr("&Classify Folder to CSV…"), this, &LabelingCoordinator::classifyFolderDialog);
}

void LabelingCoordinator::openFolderDialog()
{
    const QString dir = QFileDialog::getExistingDirectory(m_window, tr("Open a Folder of Images to Label"),
        m_labeling->folder().isEmpty() ? QDir::homePath() : m_labeling->folder());
    if (dir.isEmpty())
        return;
    const QString err = openFolder(dir);
    if (!err.isEmpty())
        QMessageBox::warning(m_window, tr("Cannot open the folder"), err);
}

void LabelingCoordinator::importClassFolders()
{
    if (!m_labeling->store())
        return;
    try {
        const LabelChange change = m_labeling->store()->importFolderPerClass();
        if (change.empty()) {
            showStatus(tr("No sub-folder adds a class or a label."), 6000);
            return;
        }
        m_panel->pushAppliedChange(change); // undoable like a key press
    } catch (const std::exception& e) {
        QMessageBox::warning(m_window, tr("Cannot import the class folders"), QString::fromStdString(e.what()));
    }
}

void LabelingCoordinator::connectPanel()
{
    connect(m_panel, &widgets::LabelingPanel::openFolderRequested, m_openFolder, &QAction::trigger);
    connect(m_panel, &widgets::LabelingPanel::trainRequested, this, &LabelingCoordinator::trainOnLabels);
    connect(m_panel, &widgets::LabelingPanel::predictRequested, m_labeling, &LabelingController::predictUnlabeled);
    connect(m_panel, &widgets::LabelingPanel::exportRequested, this, &LabelingCoordinator::exportLabelsDialog);
    connect(m_panel, &widgets::LabelingPanel::errorOccurred, this,
        [this](const QString& message) { warnLater(m_window, tr("Labeling"), message); });
    connect(m_panel, &widgets::LabelingPanel::labelsChanged, this, &LabelingCoordinator::updateLabelStatus);
    connect(m_panel, &widgets::LabelingPanel::imageActivated, this, [this](int image) {
        LabelStore* store = m_labeling->store();
        if (!store)
            return;
        if (!m_training->explainImage(QString::fromStdString(store->imagePath(image))))
            showStatus(tr("Train on the labeled images first to see what the model sees in this one."), 6000);
    });
}

void LabelingCoordinator::connectController()
{
    connect(m_labeling, &LabelingController::storeChanged, this, [this] {
        m_panel->setStore(m_labeling->store());
        updateLabelStatus();
    });
    connect(m_labeling, &LabelingController::busyChanged, m_panel, &widgets::LabelingPanel::setBusy);
    connect(m_labeling, &LabelingController::progress, m_panel, &widgets::LabelingPanel::setProgress);
    connect(m_labeling, &LabelingController::labeledReady, this, &LabelingCoordinator::startLabelRound);
    connect(m_labeling, &LabelingController::roundFinished, this, [this](const QString& status) {
        m_panel->setModelStatus(status);
        showStatus(status, 10000);
    });
    connect(m_labeling, &LabelingController::predictionsReady, this, [this](int, const QString& message) {
        m_panel->refresh();
        updateLabelStatus();
        showStatus(message, 8000);
    });
    connect(m_labeling, &LabelingController::exported, this,
        [this](const QString& message) { showStatus(message, 10000); });
    connect(m_labeling, &LabelingController::failed, this, [this](const QString& message) {
        m_panel->setBusy(m_labeling->isBusy() || m_labeling->roundRunning());
        updateLabelStatus();
        showStatus(message, 10000);
        if (message != QLatin1String("cancelled"))
            warnLater(m_window, tr("Labeling"), message);
    });
    // A round's training run shows its progress on the panel too.
    TrainingController* training = m_training->controller();
    connect(training, &TrainingController::epochFinished, this, [this](const EpochEvent& e) {
        if (m_labeling->roundRunning())
            m_panel->setProgress(e.epoch + 1, m_training->recipe().epochs);
    });
    connect(training, &TrainingController::runningChanged, this, [this](bool running) {
        if (!running && !m_labeling->isBusy())
            m_panel->setBusy(false);
    });
}

void LabelingCoordinator::modeChanged(bool label)
{
    if (label)
        m_panel->setFocus();
    updateLabelStatus();
}

QString LabelingCoordinator::openFolder(const QString& folder)
{
    const QString err = m_labeling->openFolder(folder);
    if (!err.isEmpty())
        return err;
    m_doc->setLabelFolder(m_labeling->folder()); // the project reopens it
    emit labelModeRequested();
    const QStringList notes = m_labeling->notes();
    if (!notes.isEmpty())
        warnLater(m_window, tr("Labels of %1").arg(QDir::toNativeSeparators(folder)), notes.join(QLatin1Char('\n')));
    showStatus(
        tr("Labeling %1: %2 images").arg(QDir::toNativeSeparators(folder)).arg(m_labeling->store()->imageCount()),
        8000);
    return {};
}

void LabelingCoordinator::reopenProjectLabelFolder()
{
    const QString folder = m_doc->labelFolder();
    if (folder.isEmpty() || QDir(folder) == QDir(m_labeling->folder()))
        return;
    if (!QFileInfo(folder).isDir()) {
        showStatus(
            tr("This project labeled %1, which is no longer there (Label ▸ Open Folder to Label to choose another).")
                .arg(QDir::toNativeSeparators(folder)),
            15000);
        return;
    }
    const QString err = m_labeling->openFolder(folder);
    if (!err.isEmpty()) {
        warnLater(m_window, tr("Labels of %1").arg(QDir::toNativeSeparators(folder)), err);
        return;
    }
    const QStringList notes = m_labeling->notes();
    if (!notes.isEmpty())
        warnLater(m_window, tr("Labels of %1").arg(QDir::toNativeSeparators(folder)), notes.join(QLatin1Char('\n')));
}

void LabelingCoordinator::updateLabelStatus()
{
    m_panel->setModelStatus(m_labeling->statusText());
    m_panel->setPredictEnabled(m_labeling->hasModel());
}

void LabelingCoordinator::trainOnLabels()
{
    if (!m_labeling->store()) {
        showStatus(tr("Open a folder of images to label first (Label ▸ Open Folder to Label…)."), 8000);
        return;
    }
    if (m_training->controller()->isRunning()) {
        showStatus(tr("A training run is in progress: stop it or wait for it to finish."), 8000);
        return;
    }
    const GraphAnalysis& a = m_doc->model()->analysis();
    if (!a.ok) {
        warnLater(
            m_window, tr("Cannot train"), tr("The model does not validate: %1").arg(QString::fromStdString(a.error)));
        return;
    }
    emit labelModeRequested();
    m_labeling->prepareRound(a.inputShape); // → labeledReady → startLabelRound
}

QString LabelingCoordinator::adaptOutputToClasses(int classes)
{
    widgets::GraphModel* model = m_doc->model();
    const GraphAnalysis& a = model->analysis();
    if (a.outputShape.numel() == classes)
        return {};
    if (const QString layer = widgets::SetOutputClassesCommand::outputLayer(*model); !layer.isEmpty()) {
        m_doc->undoStack()->push(new widgets::SetOutputClassesCommand(model, classes));
        showStatus(
            tr("The output layer '%1' now has %2 units, one per class (undo in Design mode).").arg(layer).arg(classes),
            10000);
        return {};
    }
    if (a.outputShape.numel() > classes)
        return {}; // spare outputs are never a target; predictions only use the classes' outputs
    return tr("The model gives %1 outputs but the labels have %2 classes: give the output layer %2 units.")
        .arg(a.outputShape.numel())
        .arg(classes);
}

void LabelingCoordinator::startLabelRound(std::shared_ptr<const Dataset> data)
{
    TrainingController* training = m_training->controller();
    if (!data || training->isRunning())
        return;
    const QString err = adaptOutputToClasses(data->numClasses());
    if (!err.isEmpty()) {
        warnLater(m_window, tr("Cannot train on the labels"), err);
        return;
    }
    const ModelGraph graph = m_doc->model()->graph();
    TrainConfig config = m_training->recipe();
    // Every labeled image counts: no test split; a validation share large enough to measure.
    config.testFraction = 0.0;
    config.validationFraction = std::max(config.validationFraction, 0.2);
    // Fine-tune from the last round when the model still fits it (same layers and shapes).
    bool fineTune = false;
    if (auto model = m_labeling->model(); model && model->classNames == data->classNames) {
        try {
            auto host = createCpuBackend(1);
            Network probe(graph, *host);
            fineTune = model->fits(probe);
        } catch (const std::exception&) {
            fineTune = false;
        }
        if (fineTune)
            training->setInitialWeights(model);
    }
    // Else from the pretrained (zoo) weights the document was opened with, by name: the layers
    // that fit are loaded, an output layer refitted to the labels' classes starts afresh.
    if (auto pretrained = m_training->startWeights(); !fineTune && pretrained) {
        training->setInitialWeights(pretrained, WeightsLoading::ByName);
        fineTune = true;
    }
    RunRecord run;
    run.modelName = m_doc->displayName().toStdString();
    run.config = config;
    run.datasetName = tr("%1 (labels, round %2)")
                          .arg(QFileInfo(m_labeling->folder()).fileName())
                          .arg(m_labeling->rounds().size() + 1)
                          .toStdString();
    m_labeling->roundStarted(data->size(), fineTune);
    if (!m_training->startRun(graph, data, config, run)) {
        training->setInitialWeights(nullptr);
        return;
    }
    m_panel->setBusy(true,
        fineTune ? tr("Fine-tuning on %1 labeled images…").arg(data->size())
                 : tr("Training on %1 labeled images…").arg(data->size()));
}

std::shared_ptr<const ModelWeights> LabelingCoordinator::currentModelWeights() const
{
    if (m_labeling->hasModel())
        return m_labeling->model();
    return m_training->lastRunWeights();
}

void LabelingCoordinator::classifyFolderDialog()
{
    auto model = currentModelWeights();
    if (!model) {
        warnLater(
            m_window, tr("Classify Folder"), tr("Train a model first (a training run, or a round on labeled images)."));
        return;
    }
    const QString dir
        = QFileDialog::getExistingDirectory(m_window, tr("Folder of Images to Classify"), QDir::homePath());
    if (dir.isEmpty())
        return;
    QString csv = QFileDialog::getSaveFileName(m_window, tr("Write Predictions"),
        QDir(dir).filePath(QStringLiteral("../%1-predictions.csv").arg(QFileInfo(dir).fileName())), tr("CSV (*.csv)"));
    if (csv.isEmpty())
        return;
    if (QFileInfo(csv).suffix().isEmpty())
        csv += QStringLiteral(".csv");
    m_labeling->classifyToCsv({ dir }, csv, model);
}

void LabelingCoordinator::exportLabelsDialog()
{
    if (!m_labeling->store())
        return;
    QString selected;
    const QString path = QFileDialog::getSaveFileName(m_window, tr("Export Labels"),
        QDir(m_labeling->folder())
            .filePath(QStringLiteral("../%1-labeled").arg(QFileInfo(m_labeling->folder()).fileName())),
        tr("Folder per class (*);;CSV of path,label (*.csv)"), &selected, QFileDialog::DontConfirmOverwrite);
    if (path.isEmpty())
        return;
    QString target = path;
    if (selected.contains(QLatin1String("*.csv")) && !target.endsWith(QLatin1String(".csv"), Qt::CaseInsensitive))
        target += QStringLiteral(".csv");
    m_labeling->exportLabels(target);
}

void LabelingCoordinator::showStatus(const QString& text, int ms)
{
    m_window->statusBar()->showMessage(text, ms);
}

} // namespace netcanvas::app
