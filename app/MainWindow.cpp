#include "app/MainWindow.h"

#include "app/Autosave.h"
#include "app/InspectDock.h"
#include "app/InspectionController.h"
#include "app/ProjectDocument.h"
#include "app/TrainingController.h"
#include "app/TrainingWorker.h"
#include "engine/data/Split.h"
#include "engine/graph/ModelJson.h"
#include "widgets/canvas/GraphScene.h"
#include "widgets/canvas/GraphView.h"
#include "widgets/canvas/LayerPalette.h"
#include "widgets/canvas/PropertyEditor.h"
#include "widgets/canvas/SummaryBar.h"
#include "widgets/charts/TrainingCharts.h"
#include "widgets/data/DataPanel.h"
#include "widgets/data/DatasetView.h"
#include "widgets/train/RunHistory.h"
#include "widgets/train/RunListWidget.h"
#include "widgets/train/TrainingPanel.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QImage>
#include <QKeySequence>
#include <QLabel>
#include <QLocale>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QPainter>
#include <QPushButton>
#include <QSettings>
#include <QSplitter>
#include <QStatusBar>
#include <QSvgGenerator>
#include <QTabWidget>
#include <QTimer>
#include <QUndoGroup>
#include <QUndoStack>
#include <QVBoxLayout>

#include <algorithm>

namespace netcanvas::app {

using widgets::GraphScene;
using widgets::GraphView;

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent)
    , m_doc(new ProjectDocument(this))
{
    m_scene = new GraphScene(m_doc->model(), m_doc->undoStack(), this);
    m_view = new GraphView(m_scene, this);

    // Center: canvas over the summary bar.
    auto* central = new QWidget(this);
    auto* v = new QVBoxLayout(central);
    v->setContentsMargins(0, 0, 0, 0);
    v->setSpacing(0);
    v->addWidget(m_view, 1);
    auto* line = new QFrame(central);
    line->setFrameShape(QFrame::HLine);
    line->setStyleSheet(QStringLiteral("color: #dde1e6;"));
    v->addWidget(line);
    m_summary = new widgets::SummaryBar(m_doc->model(), central);
    v->addWidget(m_summary);
    setCentralWidget(central);

    // Left: palette.
    m_palette = new widgets::LayerPalette(this);
    auto* paletteDock = new QDockWidget(tr("Layers"), this);
    m_paletteDock = paletteDock;
    paletteDock->setObjectName(QStringLiteral("layersDock"));
    paletteDock->setWidget(m_palette);
    paletteDock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable);
    addDockWidget(Qt::LeftDockWidgetArea, paletteDock);
    connect(m_palette, &widgets::LayerPalette::addRequested, this, &MainWindow::addLayerAtCenter);

    // Right: properties, in tabs so more panels (training, data) can join.
    m_properties = new widgets::PropertyEditor(m_doc->model(), m_doc->undoStack(), this);
    m_sideTabs = new QTabWidget(this);
    m_sideTabs->setDocumentMode(true);
    m_sideTabs->addTab(m_properties, tr("Properties"));
    auto* propDock = new QDockWidget(tr("Inspector"), this);
    propDock->setObjectName(QStringLiteral("inspectorDock"));
    propDock->setWidget(m_sideTabs);
    propDock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable);
    addDockWidget(Qt::RightDockWidgetArea, propDock);
    resizeDocks({ paletteDock, propDock }, { 200, 300 }, Qt::Horizontal);
    connect(m_scene, &GraphScene::currentNodeChanged, m_properties, &widgets::PropertyEditor::setNode);
    connect(m_scene, &GraphScene::currentNodeChanged, this, [this](const QString& id) {
        if (m_inspect && !id.isEmpty())
            m_inspect->setLayer(id); // the Feature Maps tab follows the canvas selection
    });

    connect(m_scene, &GraphScene::message, this, [this](const QString& text) { statusBar()->showMessage(text, 8000); });
    connect(m_doc, &ProjectDocument::modifiedChanged, this, &MainWindow::updateTitle);
    connect(m_doc, &ProjectDocument::filePathChanged, this, &MainWindow::updateTitle);

    createActions();
    createTrainingUi();
    createLabelingUi();
    setAcceptDrops(true);
    m_autosave = new Autosave(m_doc, {}, this);
    connect(
        m_autosave, &Autosave::failed, this, [this](const QString& text) { statusBar()->showMessage(text, 10000); });
    statusBar()->showMessage(
        tr("Drag layers from the palette; drag from a node's output port onto another node to connect them."));
    updateTitle();
}

QStringList MainWindow::templateDirs()
{
    QStringList dirs;
#ifdef NETCANVAS_SOURCE_DIR
    dirs << QStringLiteral(NETCANVAS_SOURCE_DIR "/models");
#endif
#ifdef NETCANVAS_SHARE_DIR
    dirs << QStringLiteral(NETCANVAS_SHARE_DIR "/models");
#endif
    dirs << QDir(QApplication::applicationDirPath()).filePath(QStringLiteral("../share/netcanvas/models"));
    QStringList existing;
    for (const auto& d : dirs)
        if (QDir(d).exists() && !existing.contains(QDir(d).canonicalPath()))
            existing << QDir(d).canonicalPath();
    return existing;
}

void MainWindow::createActions()
{
    // Undo follows the mode: the canvas's stack in Design, the labels' in Label.
    m_undoGroup = new QUndoGroup(this);
    m_undoGroup->addStack(m_doc->undoStack());
    m_undoGroup->setActiveStack(m_doc->undoStack());

    // File
    QMenu* file = menuBar()->addMenu(tr("&File"));
    QAction* newAct = file->addAction(tr("&New"), this, [this] {
        if (maybeSave()) {
            m_doc->newEmpty();
            afterLoad();
        }
    });
    newAct->setShortcut(QKeySequence::New);
    m_templateMenu = file->addMenu(tr("New from &Template"));
    populateTemplateMenu();
    QAction* openAct = file->addAction(tr("&Open…"), this, &MainWindow::openDialog);
    openAct->setShortcut(QKeySequence::Open);
    m_recentMenu = file->addMenu(tr("Open &Recent"));
    connect(m_recentMenu, &QMenu::aboutToShow, this, &MainWindow::populateRecentMenu);
    populateRecentMenu();
    file->addSeparator();
    QAction* saveAct = file->addAction(tr("&Save"), this, [this] { save(); });
    saveAct->setShortcut(QKeySequence::Save);
    QAction* saveAsAct = file->addAction(tr("Save &As…"), this, [this] { saveAs(); });
    saveAsAct->setShortcut(QKeySequence::SaveAs);
    file->addSeparator();
    file->addAction(tr("&Export Canvas (SVG or PNG)…"), this, &MainWindow::exportDialog);
    file->addAction(tr("Export &Model JSON…"), this, &MainWindow::exportModelJson);
    file->addSeparator();
    QAction* quitAct = file->addAction(tr("&Quit"), this, &QWidget::close);
    quitAct->setShortcut(QKeySequence::Quit);

    // Edit
    QMenu* edit = menuBar()->addMenu(tr("&Edit"));
    QAction* undoAct = m_undoGroup->createUndoAction(this, tr("&Undo"));
    undoAct->setShortcut(QKeySequence::Undo);
    QAction* redoAct = m_undoGroup->createRedoAction(this, tr("&Redo"));
    redoAct->setShortcut(QKeySequence::Redo);
    edit->addAction(undoAct);
    edit->addAction(redoAct);
    edit->addSeparator();
    auto canvasAction = [&](QMenu* menu, const QString& text, QKeySequence key, auto slot) {
        QAction* a = menu->addAction(text, m_scene, slot);
        a->setShortcut(key);
        a->setShortcutContext(Qt::WidgetWithChildrenShortcut);
        m_view->addAction(a); // active while the canvas has focus, not in text fields
        return a;
    };
    canvasAction(edit, tr("Cu&t"), QKeySequence::Cut, &GraphScene::cutSelection);
    canvasAction(edit, tr("&Copy"), QKeySequence::Copy, &GraphScene::copySelection);
    canvasAction(edit, tr("&Paste"), QKeySequence::Paste, &GraphScene::paste);
    canvasAction(edit, tr("&Delete"), QKeySequence::Delete, &GraphScene::deleteSelection);
    edit->addSeparator();
    canvasAction(edit, tr("Select &All"), QKeySequence::SelectAll, &GraphScene::selectAllNodes);

    // View
    QMenu* view = menuBar()->addMenu(tr("&View"));
    QAction* zin = view->addAction(tr("Zoom &In"), m_view, &GraphView::zoomIn);
    zin->setShortcuts(
        { QKeySequence(Qt::CTRL | Qt::Key_Equal), QKeySequence(Qt::CTRL | Qt::Key_Plus), QKeySequence::ZoomIn });
    QAction* zout = view->addAction(tr("Zoom &Out"), m_view, &GraphView::zoomOut);
    zout->setShortcuts({ QKeySequence(Qt::CTRL | Qt::Key_Minus), QKeySequence::ZoomOut });
    QAction* fit = view->addAction(tr("&Fit to Window"), m_view, &GraphView::fitToContents);
    fit->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_0));
    view->addSeparator();
    view->addAction(tr("Auto-Layout &Top to Bottom"), this,
            [this] {
                m_scene->autoLayout(Qt::Vertical);
                m_view->frameContents();
            })
        ->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_L));
    view->addAction(tr("Auto-Layout &Left to Right"), this,
            [this] {
                m_scene->autoLayout(Qt::Horizontal);
                m_view->frameContents();
            })
        ->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_L));
    view->addSeparator();
    m_snapAction = view->addAction(tr("&Snap to Grid"));
    m_snapAction->setCheckable(true);
    m_snapAction->setChecked(m_scene->snapToGrid());
    connect(m_snapAction, &QAction::toggled, m_scene, &GraphScene::setSnapToGrid);
}

void MainWindow::createTrainingUi()
{
    m_training = new TrainingController(this);
    m_trainingPanel = new widgets::TrainingPanel(m_doc->model(), this);
    m_sideTabs->addTab(m_trainingPanel->dataPanel(), tr("Data"));
    m_sideTabs->addTab(m_trainingPanel, tr("Training"));
    connect(m_trainingPanel, &widgets::TrainingPanel::dataTabRequested, this,
        [this] { m_sideTabs->setCurrentWidget(m_trainingPanel->dataPanel()); });

    // Bottom: run list | live charts.
    m_runList = new widgets::RunListWidget(this);
    m_runList->setHistory(m_doc->runs());
    m_charts = new widgets::TrainingCharts(this);
    m_charts->setHistory(m_doc->runs());
    auto* split = new QSplitter(Qt::Horizontal, this);
    split->addWidget(m_runList);
    split->addWidget(m_charts);
    split->setStretchFactor(0, 0);
    split->setStretchFactor(1, 1);
    split->setSizes({ 240, 1000 });
    split->setChildrenCollapsible(false);
    m_runList->setMinimumWidth(180);
    // The bottom dock's tabs: the training charts, then the Inspect views.
    m_inspection = new InspectionController(m_training, this);
    m_inspect = new InspectDock(m_inspection, this);
    m_inspect->insertTab(0, split, tr("Training"));
    m_inspect->setCurrentIndex(0);
    auto* chartsDock = new QDockWidget(tr("Training and Inspection"), this);
    chartsDock->setObjectName(QStringLiteral("trainingChartsDock"));
    chartsDock->setWidget(m_inspect);
    chartsDock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable);
    addDockWidget(Qt::BottomDockWidgetArea, chartsDock);
    // The inspector (Data, Training) keeps the full height; the charts sit under the canvas.
    setCorner(Qt::BottomRightCorner, Qt::RightDockWidgetArea);
    resizeDocks({ chartsDock }, { 250 }, Qt::Vertical);
    // The Inspect views need more height than the charts: give it when one is opened.
    connect(m_inspect, &QTabWidget::currentChanged, this, [this, chartsDock](int index) {
        if (index > 0 && chartsDock->height() < 400 && !chartsDock->isFloating())
            resizeDocks({ chartsDock }, { std::min(420, height() / 2) }, Qt::Vertical);
    });
    if (auto* inspector = findChild<QDockWidget*>(QStringLiteral("inspectorDock")))
        resizeDocks({ inspector }, { 350 }, Qt::Horizontal);
    connect(m_runList, &widgets::RunListWidget::checkedRunsChanged, m_charts, &widgets::TrainingCharts::setVisibleRuns);

    m_trainStatus = new QLabel(this);
    m_trainStatus->setStyleSheet(QStringLiteral("color: #3a414c; padding: 0 6px;"));
    statusBar()->addPermanentWidget(m_trainStatus);

    widgets::RunHistory* runs = m_doc->runs();
    connect(m_trainingPanel, &widgets::TrainingPanel::trainRequested, this, &MainWindow::startTraining);
    connect(m_trainingPanel, &widgets::TrainingPanel::pauseRequested, m_training, &TrainingController::pause);
    connect(m_trainingPanel, &widgets::TrainingPanel::resumeRequested, m_training, &TrainingController::resume);
    connect(m_trainingPanel, &widgets::TrainingPanel::stopRequested, m_training, &TrainingController::stop);
    // "cuda: unavailable (…) — training on the CPU": why a run is not on the chosen device.
    connect(m_training, &TrainingController::deviceNote, m_trainingPanel, &widgets::TrainingPanel::showDeviceNote);
    connect(m_training, &TrainingController::deviceNote, this,
        [this](const QString& note) { statusBar()->showMessage(note, 10000); });
    connect(m_trainingPanel, &widgets::TrainingPanel::statusMessage, m_trainStatus, &QLabel::setText);
    connect(m_training, &TrainingController::started, this, [this] { m_inspectPending = true; });
    connect(m_training, &TrainingController::batchFinished, this, [this, runs](const std::vector<BatchEvent>& events) {
        if (m_inspectPending) { // the run has weights now: inspect them (live when asked)
            m_inspectPending = false;
            m_inspection->useTrainingRun();
            m_inspect->sourceChanged(m_training->session()->graph());
        }
        runs->appendBatches(m_liveRunId, events);
        if (!events.empty())
            m_trainingPanel->showBatch(events.back());
    });
    connect(m_training, &TrainingController::epochFinished, this, [this, runs](const EpochEvent& e) {
        if (m_inspect->currentWidget() == m_inspect->statsPage())
            m_inspection->requestStats(); // the instructor watches saturation develop
        runs->appendEpoch(m_liveRunId, e);
        m_trainingPanel->showEpoch(e);
    });
    connect(m_training, &TrainingController::finished, this, [this, runs](const RunSummary& s) {
        m_inspection->useTrainingRun();
        m_inspect->sourceChanged(m_training->session()->graph()); // the final weights and the test split
        runs->finishRun(m_liveRunId, s);
        m_trainingPanel->showFinished(s);
        if (s.diverged)
            statusBar()->showMessage(tr("Training diverged: %1").arg(QString::fromStdString(s.message)), 15000);
    });
    connect(m_training, &TrainingController::failed, this, [this, runs](const QString& message) {
        runs->failRun(m_liveRunId, message);
        m_trainingPanel->showFailed(message);
    });
    auto syncState = [this] {
        m_trainingPanel->setTrainingState(m_training->isRunning(), m_training->isPaused());
        updateTrainActions();
    };
    connect(m_training, &TrainingController::runningChanged, this, syncState);
    connect(m_training, &TrainingController::pausedChanged, this, syncState);
    connect(m_doc->model(), &widgets::GraphModel::analysisChanged, this, &MainWindow::updateTrainActions);

    // A double-clicked thumbnail in the Data tab is shown through the network.
    connect(
        m_trainingPanel->dataPanel()->view(), &widgets::DatasetView::thumbnailActivated, this, [this](qint64 index) {
            if (!m_inspection->hasSource()) {
                statusBar()->showMessage(tr("Train the model first to see its feature maps for this image."), 6000);
                return;
            }
            m_inspect->setCurrentWidget(m_inspect->mapsPage());
            m_inspect->showSample(index);
        });
    // Weights opened with a project are inspected on the dataset once it is loaded.
    connect(m_trainingPanel, &widgets::TrainingPanel::datasetLoaded, this, [this] {
        if (!m_inspectedWeights.isEmpty() && !m_training->session()) {
            m_inspection->useWeightsFile(m_inspectedWeights, m_trainingPanel->dataset());
            m_inspect->sourceChanged(m_doc->model()->graph());
        }
    });

    // The project keeps the panel's settings: an edit there is an unsaved change.
    connect(m_trainingPanel, &widgets::TrainingPanel::settingsEdited, m_doc, &ProjectDocument::markModified);
    connect(m_doc, &ProjectDocument::documentReplaced, this, &MainWindow::applyDocumentSettings);

    createTrainMenu();
    updateTrainActions();
}

void MainWindow::createTrainMenu()
{
    QMenu* train = menuBar()->addMenu(tr("&Train"));
    m_trainAction = train->addAction(tr("&Train"), this, &MainWindow::trainNow);
    m_trainAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_T));
    m_pauseAction = train->addAction(tr("&Pause"), this, [this] {
        if (m_training->isPaused())
            m_training->resume();
        else
            m_training->pause();
    });
    m_pauseAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_P));
    m_stopAction = train->addAction(tr("&Stop"), m_training, &TrainingController::stop);
    m_stopAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Period));
    train->addSeparator();
    m_saveWeightsAction = train->addAction(tr("Save &Weights…"), this, &MainWindow::saveWeightsDialog);
}

void MainWindow::updateTrainActions()
{
    if (!m_trainAction)
        return;
    const bool running = m_training->isRunning();
    m_trainAction->setEnabled(!running && m_doc->model()->analysis().ok);
    m_pauseAction->setEnabled(running);
    m_pauseAction->setText(m_training->isPaused() ? tr("&Resume") : tr("&Pause"));
    m_stopAction->setEnabled(running);
    m_saveWeightsAction->setEnabled(m_training->hasWeights());
}

void MainWindow::showSideTab(const QString& name)
{
    const QString n = name.toLower();
    if (n == QLatin1String("properties")) {
        m_sideTabs->setCurrentWidget(m_properties);
    } else if (n == QLatin1String("training")) {
        m_sideTabs->setCurrentWidget(m_trainingPanel);
    } else if (n == QLatin1String("data")) {
        m_sideTabs->setCurrentWidget(m_trainingPanel->dataPanel());
        if (!m_trainingPanel->dataset() && !m_trainingPanel->isLoading())
            m_trainingPanel->loadDataset();
    }
}

void MainWindow::trainNow()
{
    m_sideTabs->setCurrentWidget(m_trainingPanel);
    m_trainingPanel->requestTrain();
}

void MainWindow::startTraining()
{
    const auto data = m_trainingPanel->dataset();
    if (!data || m_training->isRunning())
        return;
    const TrainConfig config = m_trainingPanel->config();
    RunRecord run;
    run.modelName = m_doc->displayName().toStdString();
    run.config = config;
    run.datasetName = QFileInfo(QString::fromStdString(data->root)).fileName().toStdString();
    m_liveRunId = m_doc->runs()->addRun(run);
    m_training->start(m_doc->model()->graph(), data, config, m_liveRunId); // splits on the worker thread
}

void MainWindow::saveWeightsDialog()
{
    const QString base = QFileInfo(m_doc->displayName()).completeBaseName();
    const QString dir = m_doc->filePath().isEmpty() ? QDir::homePath() : QFileInfo(m_doc->filePath()).absolutePath();
    QString path = QFileDialog::getSaveFileName(this, tr("Save Weights"),
        QDir(dir).filePath(base + QStringLiteral(".safetensors")), tr("Safetensors weights (*.safetensors)"));
    if (path.isEmpty())
        return;
    if (QFileInfo(path).suffix().isEmpty())
        path += QStringLiteral(".safetensors");
    const QString err = m_training->saveWeights(path);
    if (!err.isEmpty())
        QMessageBox::warning(this, tr("Cannot save weights"), err);
    else
        statusBar()->showMessage(tr("Saved weights to %1").arg(QDir::toNativeSeparators(path)), 5000);
}

void MainWindow::populateTemplateMenu()
{
    m_templateMenu->clear();
    QStringList seen;
    for (const QString& dir : templateDirs()) {
        const auto files = QDir(dir).entryInfoList({ QStringLiteral("*.json") }, QDir::Files, QDir::Name);
        for (const QFileInfo& fi : files) {
            if (seen.contains(fi.completeBaseName()))
                continue;
            seen << fi.completeBaseName();
            const QString path = fi.absoluteFilePath();
            m_templateMenu->addAction(fi.completeBaseName(), this, [this, path] { newFromTemplate(path); });
        }
    }
    if (seen.isEmpty())
        m_templateMenu->addAction(tr("(no templates found)"))->setEnabled(false);
}

bool MainWindow::openFile(const QString& path)
{
    const QString err = m_doc->open(path);
    if (!err.isEmpty()) {
        QMessageBox::warning(this, tr("Cannot open"), err);
        return false;
    }
    addRecentFile(path);
    afterLoad();
    QString msg = tr("Opened %1").arg(QDir::toNativeSeparators(path));
    if (const int n = m_doc->runs()->count(); n > 0)
        msg += tr(" · %n training run(s)", nullptr, n);
    statusBar()->showMessage(msg, 5000);
    return true;
}

QString MainWindow::defaultDatasetPath()
{
    const QString fashion = widgets::TrainingPanel::defaultDatasetPath();
    if (!fashion.isEmpty())
        return fashion;
    QStringList dirs;
#ifdef NETCANVAS_SOURCE_DIR
    dirs << QStringLiteral(NETCANVAS_SOURCE_DIR "/resources/sample-fashion");
#endif
#ifdef NETCANVAS_SHARE_DIR
    dirs << QStringLiteral(NETCANVAS_SHARE_DIR "/resources/sample-fashion");
#endif
    dirs << QDir(QApplication::applicationDirPath())
                .filePath(QStringLiteral("../share/netcanvas/resources/sample-fashion"));
    for (const QString& d : dirs)
        if (QFileInfo(d).isDir())
            return QDir(d).canonicalPath();
    return {};
}

void MainWindow::openStartupTemplate()
{
    bool loaded = false;
    for (const QString& dir : templateDirs()) {
        const QString path = QDir(dir).filePath(QStringLiteral("lenet5.json"));
        if (QFileInfo::exists(path) && m_doc->newFromTemplate(path).isEmpty()) {
            loaded = true;
            break;
        }
    }
    if (!loaded)
        m_doc->newEmpty();
    afterLoad();
}

bool MainWindow::offerRecovery()
{
    const auto orphans = m_autosave->orphans();
    if (orphans.isEmpty())
        return false;
    const Autosave::Orphan& o = orphans.front();
    const QString what = !o.originalPath.isEmpty() ? QFileInfo(o.originalPath).fileName()
        : !o.modelName.isEmpty()                   ? tr("untitled “%1”").arg(o.modelName)
                                                   : tr("an untitled project");
    QMessageBox box(QMessageBox::Question, tr("Recover unsaved work?"),
        tr("NetCanvas did not close normally. Unsaved work on %1 was autosaved at %2.")
            .arg(what, QLocale().toString(o.savedAt, QLocale::ShortFormat)),
        QMessageBox::NoButton, this);
    box.setInformativeText(tr("Recover opens it as an unsaved project; Discard deletes the autosaved copy."));
    QPushButton* recover = box.addButton(tr("Recover"), QMessageBox::AcceptRole);
    box.addButton(QMessageBox::Discard);
    box.setDefaultButton(recover);
    box.exec();
    if (box.clickedButton() != recover) {
        for (const auto& x : orphans)
            Autosave::removeOrphan(x);
        return false;
    }
    const QString err = m_doc->openRecovery(o.file);
    if (!err.isEmpty()) {
        QMessageBox::warning(this, tr("Cannot recover"), tr("The autosaved copy could not be read: %1").arg(err));
        return false;
    }
    for (const auto& x : orphans)
        Autosave::removeOrphan(x); // older copies too: the newest is what the user chose
    m_autosave->saveNow(); // this session's copy takes over at once
    afterLoad();
    statusBar()->showMessage(tr("Recovered unsaved work — save it to keep it."), 10000);
    return true;
}

void MainWindow::newFromTemplate(const QString& path)
{
    if (!maybeSave())
        return;
    const QString err = m_doc->newFromTemplate(path);
    if (!err.isEmpty()) {
        QMessageBox::warning(this, tr("Cannot open template"), err);
        return;
    }
    afterLoad();
}

void MainWindow::applyDocumentSettings()
{
    // The panel has just taken the model's recipe (GraphModel reset); project settings win.
    if (const auto settings = m_doc->trainingSettings()) {
        TrainConfig c = *settings;
        c.threads = m_doc->threads();
        m_trainingPanel->setConfig(c);
    }
    // A project names its dataset; a template or new model keeps the dataset in use.
    QString data = m_doc->datasetPath();
    if (data.isEmpty())
        data = m_trainingPanel->datasetPath().isEmpty() ? defaultDatasetPath() : m_trainingPanel->datasetPath();
    if (data != m_trainingPanel->datasetPath())
        m_trainingPanel->setDatasetPath(data);
    // A project that was labeling a folder opens it again (Label mode shows it).
    reopenProjectLabelFolder();
    // A project's saved weights can be inspected without training again.
    m_inspectedWeights.clear();
    if (!m_doc->weightsPath().isEmpty() && QFileInfo::exists(m_doc->weightsPath()) && !m_training->isRunning()) {
        m_inspectedWeights = m_doc->weightsPath();
        m_inspection->setModel(m_doc->model()->graph());
        if (m_inspection->useWeightsFile(m_inspectedWeights, m_trainingPanel->dataset()).isEmpty())
            m_inspect->sourceChanged(m_doc->model()->graph());
    }
}

void MainWindow::collectDocumentSettings()
{
    const TrainConfig c = m_trainingPanel->config();
    m_doc->setTrainingSettings(c, c.threads);
    m_doc->setDatasetPath(m_trainingPanel->datasetPath());
}

void MainWindow::afterLoad()
{
    updateTitle();
    // Fit once the view has its final size.
    QTimer::singleShot(0, m_view, &GraphView::frameContents);
    m_view->frameContents();
}

void MainWindow::openDialog()
{
    if (!maybeSave())
        return;
    QString start = m_doc->filePath().isEmpty() ? QString() : QFileInfo(m_doc->filePath()).absolutePath();
    if (start.isEmpty() && !recentFiles().isEmpty())
        start = QFileInfo(recentFiles().front()).absolutePath();
    if (start.isEmpty())
        start = templateDirs().value(0);
    const QString path = QFileDialog::getOpenFileName(this, tr("Open"), start,
        tr("NetCanvas projects and models (*.ncproj *.json);;Projects (*.ncproj);;Models (*.json);;All files (*)"));
    if (!path.isEmpty())
        openFile(path);
}

bool MainWindow::saveTo(const QString& path)
{
    collectDocumentSettings();
    ProjectDocument::WeightsWriter writer;
    int weightsRun = 0;
    // Weights go with a project when a finished run left some (a running one keeps the
    // previous file: its weights are still changing).
    if (isProjectPath(path.toStdString()) && m_training->hasWeights()) {
        writer = [this](const QString& weightsPath) { return m_training->saveWeights(weightsPath); };
        weightsRun = m_training->currentRunId();
    }
    const QString err = m_doc->saveAs(path, writer, weightsRun);
    if (!err.isEmpty()) {
        QMessageBox::warning(this, tr("Cannot save"), err);
        return false;
    }
    addRecentFile(path);
    QString msg = tr("Saved %1").arg(QDir::toNativeSeparators(path));
    if (!m_doc->isProject() && m_doc->runs()->count() > 0)
        msg += tr(
            " — a model file keeps the graph and recipe only; save as a project (.ncproj) to keep runs and weights");
    statusBar()->showMessage(msg, 8000);
    return true;
}

bool MainWindow::save()
{
    if (m_doc->filePath().isEmpty())
        return saveAs();
    return saveTo(m_doc->filePath());
}

bool MainWindow::saveAs()
{
    const QString base = QFileInfo(m_doc->displayName()).completeBaseName();
    QString dir = m_doc->filePath().isEmpty() ? QString() : QFileInfo(m_doc->filePath()).absolutePath();
    if (dir.isEmpty() || templateDirs().contains(QDir(dir).canonicalPath()))
        dir = QDir::homePath(); // never suggest writing into the shipped templates
    QString selected = m_doc->isProject() ? tr("NetCanvas project (*.ncproj)") : tr("Model JSON (*.json)");
    QString path = QFileDialog::getSaveFileName(this, tr("Save As"),
        QDir(dir).filePath(base + (m_doc->isProject() ? QStringLiteral(".ncproj") : QStringLiteral(".json"))),
        tr("NetCanvas project (*.ncproj);;Model JSON (*.json)"), &selected);
    if (path.isEmpty())
        return false;
    if (QFileInfo(path).suffix().isEmpty())
        path += selected.contains(QStringLiteral("ncproj")) ? QStringLiteral(".ncproj") : QStringLiteral(".json");
    return saveTo(path);
}

bool MainWindow::maybeSave()
{
    if (!m_doc->isModified())
        return true;
    const auto answer = QMessageBox::warning(this, tr("Unsaved changes"),
        tr("“%1” has unsaved changes. Save them first?").arg(m_doc->displayName()),
        QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel);
    if (answer == QMessageBox::Save)
        return save();
    return answer == QMessageBox::Discard;
}

void MainWindow::closeEvent(QCloseEvent* event)
{
    if (maybeSave()) {
        m_autosave->discard();
        event->accept();
    } else {
        event->ignore();
    }
}

namespace {

// The local paths of a drag that NetCanvas can use: folders, CSV, project and model files.
QStringList usableDropPaths(const QMimeData* mime)
{
    QStringList out;
    if (!mime || !mime->hasUrls())
        return out;
    for (const QUrl& url : mime->urls()) {
        if (!url.isLocalFile())
            continue;
        const QFileInfo fi(url.toLocalFile());
        const QString ext = fi.suffix().toLower();
        static const QStringList images = { QStringLiteral("png"), QStringLiteral("jpg"), QStringLiteral("jpeg"),
            QStringLiteral("bmp"), QStringLiteral("tif"), QStringLiteral("tiff"), QStringLiteral("webp") };
        if (fi.isDir() || ext == QLatin1String("csv") || ext == QLatin1String("ncproj") || ext == QLatin1String("json")
            || images.contains(ext))
            out << fi.absoluteFilePath();
    }
    return out;
}

} // namespace

void MainWindow::dragEnterEvent(QDragEnterEvent* event)
{
    if (!usableDropPaths(event->mimeData()).isEmpty())
        event->acceptProposedAction();
    else
        QMainWindow::dragEnterEvent(event);
}

void MainWindow::dropEvent(QDropEvent* event)
{
    const QStringList paths = usableDropPaths(event->mimeData());
    if (paths.isEmpty())
        return QMainWindow::dropEvent(event);
    event->acceptProposedAction();
    const QString path = paths.front();
    const QFileInfo fi(path);
    const QString ext = fi.suffix().toLower();
    if (ext == QLatin1String("ncproj") || ext == QLatin1String("json")) {
        // After the drop returns: a modal prompt inside a drop handler confuses some platforms.
        QTimer::singleShot(0, this, [this, path] {
            if (maybeSave())
                openFile(path);
        });
        return;
    }
    if (fi.isFile() && ext != QLatin1String("csv")) { // an image: classify and explain it
        if (!m_inspection->hasSource()) {
            statusBar()->showMessage(tr("Train the model first, then drop an image to see what it sees."), 8000);
            return;
        }
        m_inspect->explainImage(path);
        if (paths.size() > 1)
            statusBar()->showMessage(
                tr("Explaining %1 — to classify many images at once, use Label ▸ Classify Folder to CSV…")
                    .arg(fi.fileName()),
                8000);
        return;
    }
    if (fi.isDir() && labelMode()) { // in Label mode a folder is images to label
        QTimer::singleShot(0, this, [this, path] {
            const QString err = openLabelFolder(path);
            if (!err.isEmpty())
                QMessageBox::warning(this, tr("Cannot open the folder"), err);
        });
        return;
    }
    if (m_training->isRunning()) {
        statusBar()->showMessage(tr("Stop training before choosing another dataset."), 6000);
        return;
    }
    m_trainingPanel->setDatasetPath(path);
    m_doc->setDatasetPath(path);
    m_sideTabs->setCurrentWidget(m_trainingPanel->dataPanel());
    m_trainingPanel->loadDataset();
    statusBar()->showMessage(tr("Dataset: %1").arg(QDir::toNativeSeparators(path)), 5000);
}

QStringList MainWindow::recentFiles()
{
    QStringList files = QSettings().value(QStringLiteral("recentFiles")).toStringList();
    files.erase(std::remove_if(files.begin(), files.end(), [](const QString& f) { return !QFileInfo::exists(f); }),
        files.end());
    return files;
}

void MainWindow::addRecentFile(const QString& path)
{
    QSettings settings;
    QStringList files = settings.value(QStringLiteral("recentFiles")).toStringList();
    const QString abs = QFileInfo(path).absoluteFilePath();
    files.removeAll(abs);
    files.prepend(abs);
    while (files.size() > 10)
        files.removeLast();
    settings.setValue(QStringLiteral("recentFiles"), files);
    populateRecentMenu();
}

void MainWindow::populateRecentMenu()
{
    if (!m_recentMenu)
        return;
    m_recentMenu->clear();
    const QStringList files = recentFiles();
    for (int i = 0; i < files.size(); ++i) {
        const QString f = files[i];
        QAction* a = m_recentMenu->addAction(
            QStringLiteral("&%1  %2").arg(i + 1).arg(QFileInfo(f).fileName()), this, [this, f] {
                if (maybeSave())
                    openFile(f);
            });
        a->setToolTip(QDir::toNativeSeparators(f));
        a->setStatusTip(QDir::toNativeSeparators(f));
    }
    if (files.isEmpty()) {
        m_recentMenu->addAction(tr("(none yet)"))->setEnabled(false);
        return;
    }
    m_recentMenu->addSeparator();
    m_recentMenu->addAction(tr("Clear Menu"), this, [this] {
        QSettings().remove(QStringLiteral("recentFiles"));
        populateRecentMenu();
    });
}

QString MainWindow::exportCanvas(const QString& path)
{
    if (QFileInfo(path).suffix().compare(QLatin1String("svg"), Qt::CaseInsensitive) == 0) {
        const QRectF src = m_scene->itemsBoundingRect().adjusted(-24, -24, 24, 24);
        // Written to a temporary file and renamed, like every file the user owns.
        const QString tmp = path + QStringLiteral(".tmp-svg");
        {
            QSvgGenerator svg;
            svg.setFileName(tmp);
            svg.setTitle(m_doc->displayName());
            svg.setDescription(tr("Network diagram exported by NetCanvas"));
            svg.setSize(src.size().toSize());
            svg.setViewBox(QRectF(QPointF(0, 0), src.size()));
            QPainter p;
            if (!p.begin(&svg))
                return tr("Could not write %1").arg(QDir::toNativeSeparators(path));
            p.setRenderHint(QPainter::Antialiasing);
            m_scene->render(&p, QRectF(QPointF(0, 0), src.size()), src);
            p.end();
        }
        QFile::remove(path);
        if (!QFile::rename(tmp, path)) {
            QFile::remove(tmp);
            return tr("Could not write %1").arg(QDir::toNativeSeparators(path));
        }
        return {};
    }
    const QImage image = m_scene->toImage(2.0);
    const QString tmp = path + QStringLiteral(".tmp-png");
    if (!image.save(tmp, "PNG")) {
        QFile::remove(tmp);
        return tr("Could not write %1").arg(QDir::toNativeSeparators(path));
    }
    QFile::remove(path);
    if (!QFile::rename(tmp, path))
        return tr("Could not write %1").arg(QDir::toNativeSeparators(path));
    return {};
}

void MainWindow::exportDialog()
{
    const QString base = QFileInfo(m_doc->displayName()).completeBaseName();
    QString selected = tr("SVG vector image (*.svg)");
    QString path
        = QFileDialog::getSaveFileName(this, tr("Export Canvas"), QDir::home().filePath(base + QStringLiteral(".svg")),
            tr("SVG vector image (*.svg);;PNG image (*.png)"), &selected);
    if (path.isEmpty())
        return;
    if (QFileInfo(path).suffix().isEmpty())
        path += selected.contains(QStringLiteral("png")) ? QStringLiteral(".png") : QStringLiteral(".svg");
    const QString err = exportCanvas(path);
    if (!err.isEmpty())
        QMessageBox::warning(this, tr("Cannot export"), err);
    else
        statusBar()->showMessage(tr("Exported %1").arg(QDir::toNativeSeparators(path)), 5000);
}

void MainWindow::exportModelJson()
{
    const QString base = QFileInfo(m_doc->displayName()).completeBaseName();
    QString path = QFileDialog::getSaveFileName(this, tr("Export Model JSON"),
        QDir::home().filePath(base + QStringLiteral(".json")), tr("Model JSON (*.json)"));
    if (path.isEmpty())
        return;
    if (QFileInfo(path).suffix().isEmpty())
        path += QStringLiteral(".json");
    ModelGraph g = m_doc->model()->graph();
    g.training = trainConfigToJson(m_trainingPanel->config()); // the recipe in use
    try {
        saveModelFile(g, path.toStdString());
    } catch (const std::exception& e) {
        QMessageBox::warning(this, tr("Cannot export"), QString::fromStdString(e.what()));
        return;
    }
    statusBar()->showMessage(
        tr("Exported %1 — train it with netcanvas-cli train").arg(QDir::toNativeSeparators(path)), 6000);
}

void MainWindow::updateTitle()
{
    setWindowTitle(QStringLiteral("%1%2 — NetCanvas")
                       .arg(m_doc->displayName(), m_doc->isModified() ? QStringLiteral(" •") : QString()));
}

void MainWindow::addLayerAtCenter(const QString& type)
{
    const QPointF center = m_view->mapToScene(m_view->viewport()->rect().center());
    m_scene->addNodeAt(type, center);
}

} // namespace netcanvas::app
