// MainWindow's Label mode: the LabelingPanel as the second page of the central area, the
// Label menu, and the rounds of the model in the loop (LabelingController). Kept apart from
// MainWindow.cpp, which holds the designer.
#include "app/MainWindow.h"

#include "app/InspectDock.h"
#include "app/InspectionController.h"
#include "app/LabelingController.h"
#include "app/ProjectDocument.h"
#include "app/TrainingController.h"
#include "engine/backend/Backend.h"
#include "engine/train/Network.h"
#include "widgets/canvas/GraphCommands.h"
#include "widgets/canvas/GraphModel.h"
#include "widgets/labels/LabelingPanel.h"
#include "widgets/train/RunHistory.h"
#include "widgets/train/TrainingPanel.h"

#include <QDir>
#include <QDockWidget>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QScrollArea>
#include <QStatusBar>
#include <QTabWidget>
#include <QTextStream>
#include <QUndoGroup>
#include <QUndoStack>

#include <algorithm>
#include <map>

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

void MainWindow::createLabelingUi()
{
    m_labeling = new LabelingController(m_training, this);
    m_labelPanel = new widgets::LabelingPanel(this);
    m_undoGroup->addStack(m_labelPanel->undoStack());

    // The central area: Design (canvas and summary) | Label (the image browser).
    QWidget* design = takeCentralWidget();
    m_modeTabs = new QTabWidget(this);
    m_modeTabs->setObjectName(QStringLiteral("modeTabs"));
    m_modeTabs->setDocumentMode(true);
    m_modeTabs->addTab(design, tr("Design"));
    // In a scroll area: a tab widget is as wide as its widest page's minimum, and the Label
    // page's must not squeeze the docks in Design mode (it only scrolls on tiny screens).
    auto* labelScroll = new QScrollArea(m_modeTabs);
    labelScroll->setWidget(m_labelPanel);
    labelScroll->setWidgetResizable(true);
    labelScroll->setFrameShape(QFrame::NoFrame);
    m_modeTabs->addTab(labelScroll, tr("Label"));
    m_modeTabs->setTabToolTip(0, tr("Design the network on the canvas (Ctrl+1)"));
    m_modeTabs->setTabToolTip(1, tr("Label images and train on them with the model in the loop (Ctrl+2)"));
    setCentralWidget(m_modeTabs);
    // Replacing the central widget resets the docks' widths: give them back theirs.
    if (auto* inspector = findChild<QDockWidget*>(QStringLiteral("inspectorDock")))
        resizeDocks({ m_paletteDock, inspector }, { 200, 350 }, Qt::Horizontal);
    connect(m_modeTabs, &QTabWidget::currentChanged, this, [this](int index) {
        const bool label = index == 1;
        m_undoGroup->setActiveStack(label ? m_labelPanel->undoStack() : m_doc->undoStack());
        if (m_paletteDock)
            m_paletteDock->setVisible(!label); // layers are for the canvas
        // The grid needs the width the inspector has in Design mode: narrow it while labeling
        // and give it back after.
        if (auto* inspector = findChild<QDockWidget*>(QStringLiteral("inspectorDock"));
            inspector && !inspector->isFloating()) {
            if (label) {
                m_designInspectorWidth = inspector->width();
                resizeDocks({ inspector }, { 180 }, Qt::Horizontal);
            } else if (m_designInspectorWidth > 0) {
                resizeDocks({ inspector }, { m_designInspectorWidth }, Qt::Horizontal);
            }
        }
        if (label)
            m_labelPanel->setFocus();
        updateLabelStatus();
    });

    // Label menu.
    QMenu* menu = menuBar()->addMenu(tr("&Label"));
    QAction* designMode = menu->addAction(tr("&Design Mode"), this, [this] { setLabelMode(false); });
    designMode->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_1));
    QAction* labelModeAct = menu->addAction(tr("&Label Mode"), this, [this] { setLabelMode(true); });
    labelModeAct->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_2));
    menu->addSeparator();
    QAction* openFolder = menu->addAction(tr("&Open Folder to Label…"), this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Open a Folder of Images to Label"),
            m_labeling->folder().isEmpty() ? QDir::homePath() : m_labeling->folder());
        if (dir.isEmpty())
            return;
        const QString err = openLabelFolder(dir);
        if (!err.isEmpty())
            QMessageBox::warning(this, tr("Cannot open the folder"), err);
    });
    openFolder->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O));
    menu->addAction(tr("&Import Class Folders"), this, [this] {
        if (!m_labeling->store())
            return;
        try {
            const LabelChange change = m_labeling->store()->importFolderPerClass();
            if (change.empty()) {
                statusBar()->showMessage(tr("No sub-folder adds a class or a label."), 6000);
                return;
            }
            m_labelPanel->pushAppliedChange(change); // undoable like a key press
        } catch (const std::exception& e) {
            QMessageBox::warning(this, tr("Cannot import the class folders"), QString::fromStdString(e.what()));
        }
    });
    menu->addSeparator();
    QAction* train = menu->addAction(tr("&Train on Labeled"), this, &MainWindow::trainOnLabels);
    train->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_T));
    menu->addAction(tr("&Predict Unlabeled"), m_labeling, &LabelingController::predictUnlabeled);
    menu->addAction(tr("&Export Labels…"), this, &MainWindow::exportLabelsDialog);
    menu->addSeparator();
    menu->addAction(tr("&Classify Folder to CSV…"), this, &MainWindow::classifyFolderDialog);

    // Panel → window / controller.
    connect(m_labelPanel, &widgets::LabelingPanel::openFolderRequested, openFolder, &QAction::trigger);
    connect(m_labelPanel, &widgets::LabelingPanel::trainRequested, this, &MainWindow::trainOnLabels);
    connect(m_labelPanel, &widgets::LabelingPanel::predictRequested, m_labeling, &LabelingController::predictUnlabeled);
    connect(m_labelPanel, &widgets::LabelingPanel::exportRequested, this, &MainWindow::exportLabelsDialog);
    connect(m_labelPanel, &widgets::LabelingPanel::errorOccurred, this,
        [this](const QString& message) { warnLater(this, tr("Labeling"), message); });
    connect(m_labelPanel, &widgets::LabelingPanel::labelsChanged, this, &MainWindow::updateLabelStatus);
    connect(m_labelPanel, &widgets::LabelingPanel::imageActivated, this, [this](int image) {
        LabelStore* store = m_labeling->store();
        if (!store)
            return;
        if (!m_inspection->hasSource()) {
            statusBar()->showMessage(
                tr("Train on the labeled images first to see what the model sees in this one."), 6000);
            return;
        }
        m_inspect->explainImage(QString::fromStdString(store->imagePath(image)));
    });

    // Controller → panel.
    connect(m_labeling, &LabelingController::storeChanged, this, [this] {
        m_labelPanel->setStore(m_labeling->store());
        updateLabelStatus();
    });
    connect(m_labeling, &LabelingController::busyChanged, m_labelPanel, &widgets::LabelingPanel::setBusy);
    connect(m_labeling, &LabelingController::progress, m_labelPanel, &widgets::LabelingPanel::setProgress);
    connect(m_labeling, &LabelingController::labeledReady, this, &MainWindow::startLabelRound);
    connect(m_labeling, &LabelingController::roundFinished, this, [this](const QString& status) {
        m_labelPanel->setModelStatus(status);
        statusBar()->showMessage(status, 10000);
    });
    connect(m_labeling, &LabelingController::predictionsReady, this, [this](int, const QString& message) {
        m_labelPanel->refresh();
        updateLabelStatus();
        statusBar()->showMessage(message, 8000);
    });
    connect(m_labeling, &LabelingController::exported, this,
        [this](const QString& message) { statusBar()->showMessage(message, 10000); });
    connect(m_labeling, &LabelingController::failed, this, [this](const QString& message) {
        m_labelPanel->setBusy(m_labeling->isBusy() || m_labeling->roundRunning());
        updateLabelStatus();
        statusBar()->showMessage(message, 10000);
        if (message != QLatin1String("cancelled"))
            warnLater(this, tr("Labeling"), message);
    });
    // A round's training run shows its progress on the panel too.
    connect(m_training, &TrainingController::epochFinished, this, [this](const EpochEvent& e) {
        if (m_labeling->roundRunning())
            m_labelPanel->setProgress(e.epoch + 1, m_trainingPanel->config().epochs);
    });
    connect(m_training, &TrainingController::runningChanged, this, [this](bool running) {
        if (!running && !m_labeling->isBusy())
            m_labelPanel->setBusy(false);
    });
    updateLabelStatus();
}

bool MainWindow::labelMode() const
{
    return m_modeTabs && m_modeTabs->currentIndex() == 1;
}

void MainWindow::setLabelMode(bool label)
{
    m_modeTabs->setCurrentIndex(label ? 1 : 0);
}

QString MainWindow::openLabelFolder(const QString& folder)
{
    const QString err = m_labeling->openFolder(folder);
    if (!err.isEmpty())
        return err;
    m_doc->setLabelFolder(m_labeling->folder()); // the project reopens it
    setLabelMode(true);
    const QStringList notes = m_labeling->notes();
    if (!notes.isEmpty())
        warnLater(this, tr("Labels of %1").arg(QDir::toNativeSeparators(folder)), notes.join(QLatin1Char('\n')));
    statusBar()->showMessage(
        tr("Labeling %1: %2 images").arg(QDir::toNativeSeparators(folder)).arg(m_labeling->store()->imageCount()),
        8000);
    return {};
}

void MainWindow::reopenProjectLabelFolder()
{
    const QString folder = m_doc->labelFolder();
    if (!m_labeling || folder.isEmpty() || QDir(folder) == QDir(m_labeling->folder()))
        return;
    if (!QFileInfo(folder).isDir()) {
        statusBar()->showMessage(
            tr("This project labeled %1, which is no longer there (Label ▸ Open Folder to Label to choose another).")
                .arg(QDir::toNativeSeparators(folder)),
            15000);
        return;
    }
    const QString err = m_labeling->openFolder(folder);
    if (!err.isEmpty()) {
        warnLater(this, tr("Labels of %1").arg(QDir::toNativeSeparators(folder)), err);
        return;
    }
    const QStringList notes = m_labeling->notes();
    if (!notes.isEmpty())
        warnLater(this, tr("Labels of %1").arg(QDir::toNativeSeparators(folder)), notes.join(QLatin1Char('\n')));
}

void MainWindow::updateLabelStatus()
{
    if (!m_labelPanel)
        return;
    m_labelPanel->setModelStatus(m_labeling->statusText());
    m_labelPanel->setPredictEnabled(m_labeling->hasModel());
}

void MainWindow::trainOnLabels()
{
    if (!m_labeling->store()) {
        statusBar()->showMessage(tr("Open a folder of images to label first (Label ▸ Open Folder to Label…)."), 8000);
        return;
    }
    if (m_training->isRunning()) {
        statusBar()->showMessage(tr("A training run is in progress: stop it or wait for it to finish."), 8000);
        return;
    }
    const GraphAnalysis& a = m_doc->model()->analysis();
    if (!a.ok) {
        warnLater(this, tr("Cannot train"), tr("The model does not validate: %1").arg(QString::fromStdString(a.error)));
        return;
    }
    setLabelMode(true);
    m_labeling->prepareRound(a.inputShape); // → labeledReady → startLabelRound
}

QString MainWindow::adaptOutputToClasses(int classes)
{
    const GraphAnalysis& a = m_doc->model()->analysis();
    if (a.outputShape.numel() == classes)
        return {};
    // Walk back from the output through single-input layers that keep the width
    // (Softmax, activations, Dropout) to the Dense layer that sets it.
    const ModelGraph& g = m_doc->model()->graph();
    std::string id = a.outputNode;
    for (int guard = 0; guard < 64 && !id.empty(); ++guard) {
        const GraphNode* node = g.node(id);
        if (!node)
            break;
        if (node->type == "Dense") {
            m_doc->undoStack()->push(new widgets::SetParamCommand(
                m_doc->model(), QString::fromStdString(id), QStringLiteral("units"), classes));
            statusBar()->showMessage(tr("The output layer '%1' now has %2 units, one per class (undo in Design mode).")
                                         .arg(QString::fromStdString(id))
                                         .arg(classes),
                10000);
            return {};
        }
        if (node->inputs.size() != 1)
            break;
        id = node->inputs.front();
    }
    if (a.outputShape.numel() > classes)
        return {}; // spare outputs are never a target; predictions only use the classes' outputs
    return tr("The model gives %1 outputs but the labels have %2 classes: give the output layer %2 units.")
        .arg(a.outputShape.numel())
        .arg(classes);
}

void MainWindow::startLabelRound(std::shared_ptr<const Dataset> data)
{
    if (!data || m_training->isRunning())
        return;
    const QString err = adaptOutputToClasses(data->numClasses());
    if (!err.isEmpty()) {
        warnLater(this, tr("Cannot train on the labels"), err);
        return;
    }
    const ModelGraph graph = m_doc->model()->graph();
    TrainConfig config = m_trainingPanel->config();
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
            m_training->setInitialWeights(model);
    }
    RunRecord run;
    run.modelName = m_doc->displayName().toStdString();
    run.config = config;
    run.datasetName = tr("%1 (labels, round %2)")
                          .arg(QFileInfo(m_labeling->folder()).fileName())
                          .arg(m_labeling->rounds().size() + 1)
                          .toStdString();
    m_liveRunId = m_doc->runs()->addRun(run);
    m_labeling->roundStarted(data->size(), fineTune);
    if (!m_training->start(graph, data, config, m_liveRunId)) {
        m_training->setInitialWeights(nullptr);
        return;
    }
    m_labelPanel->setBusy(true,
        fineTune ? tr("Fine-tuning on %1 labeled images…").arg(data->size())
                 : tr("Training on %1 labeled images…").arg(data->size()));
}

std::shared_ptr<const ModelWeights> MainWindow::currentModelWeights() const
{
    if (m_labeling->hasModel())
        return m_labeling->model();
    auto session = m_training->session();
    if (!session || m_training->isRunning() || !session->isPrepared())
        return nullptr;
    try {
        return ModelWeights::fromSession(*session);
    } catch (const std::exception&) {
        return nullptr;
    }
}

void MainWindow::classifyFolderDialog()
{
    auto model = currentModelWeights();
    if (!model) {
        warnLater(
            this, tr("Classify Folder"), tr("Train a model first (a training run, or a round on labeled images)."));
        return;
    }
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Folder of Images to Classify"), QDir::homePath());
    if (dir.isEmpty())
        return;
    QString csv = QFileDialog::getSaveFileName(this, tr("Write Predictions"),
        QDir(dir).filePath(QStringLiteral("../%1-predictions.csv").arg(QFileInfo(dir).fileName())), tr("CSV (*.csv)"));
    if (csv.isEmpty())
        return;
    if (QFileInfo(csv).suffix().isEmpty())
        csv += QStringLiteral(".csv");
    m_labeling->classifyToCsv({ dir }, csv, model);
}

void MainWindow::exportLabelsDialog()
{
    if (!m_labeling->store())
        return;
    QString selected;
    const QString path = QFileDialog::getSaveFileName(this, tr("Export Labels"),
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

QString labelFromCsv(MainWindow& window, const QString& csvPath, int count)
{
    LabelStore* store = window.labelingController()->store();
    if (!store)
        return QObject::tr("no folder is open for labeling");
    QFile f(csvPath);
    if (!f.open(QIODevice::ReadOnly | QIODevice::Text))
        return QObject::tr("%1: %2").arg(csvPath, f.errorString());
    // path,label rows (a header row is skipped); paths are image ids of the labeled folder.
    std::map<std::string, std::vector<int>> byClass;
    std::vector<std::string> classOrder;
    QTextStream in(&f);
    int line = 0, used = 0;
    while (!in.atEnd() && used < count) {
        const QString row = in.readLine();
        ++line;
        const int comma = row.lastIndexOf(QLatin1Char(','));
        if (comma <= 0)
            continue;
        const std::string id = row.left(comma).trimmed().toStdString();
        const std::string cls = row.mid(comma + 1).trimmed().toStdString();
        if (line == 1 && id == "path")
            continue;
        const int image = store->indexOf(id);
        if (image < 0)
            return QObject::tr("%1:%2: '%3' is not an image of the folder")
                .arg(csvPath)
                .arg(line)
                .arg(QString::fromStdString(id));
        if (!byClass.count(cls))
            classOrder.push_back(cls);
        byClass[cls].push_back(image);
        ++used;
    }
    try {
        std::sort(classOrder.begin(), classOrder.end());
        for (const std::string& cls : classOrder) {
            if (store->classIndex(cls) < 0)
                window.labelingPanel()->pushAppliedChange(store->addClass(cls));
            window.labelingPanel()->pushAppliedChange(store->assign(byClass[cls], cls));
        }
    } catch (const std::exception& e) {
        return QString::fromStdString(e.what());
    }
    window.labelingPanel()->refresh();
    return {};
}

} // namespace netcanvas::app
