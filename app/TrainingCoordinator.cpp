#include "app/TrainingCoordinator.h"

#include "app/ClusterRunCoordinator.h"
#include "app/DataDirs.h"

#include "app/InspectDock.h"
#include "app/InspectionController.h"
#include "app/TrainingController.h"
#include "app/TrainingWorker.h"
#include "engine/graph/ClassifierLayers.h"
#include "engine/graph/ModelJson.h"
#include "engine/session/ModelWeights.h"
#include "widgets/canvas/GraphCommands.h"
#include "widgets/canvas/GraphModel.h"
#include "widgets/charts/TrainingCharts.h"
#include "widgets/data/DataPanel.h"
#include "widgets/data/DatasetView.h"
#include "widgets/train/ClusterRunBox.h"
#include "widgets/train/RunDisplay.h"
#include "widgets/train/RunHistory.h"
#include "widgets/train/RunListWidget.h"
#include "widgets/train/TrainingPanel.h"

#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDir>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QLabel>
#include <QMainWindow>
#include <QMenu>
#include <QMessageBox>
#include <QSpinBox>
#include <QSplitter>
#include <QStatusBar>
#include <QStyle>
#include <QTabWidget>

#include <algorithm>

namespace netcanvas::app {

TrainingCoordinator::TrainingCoordinator(
    QMainWindow* window, ProjectDocument* document, QTabWidget* sideTabs, QMenu* trainMenu)
    : QObject(window)
    , m_window(window)
    , m_doc(document)
    , m_sideTabs(sideTabs)
    , m_training(new TrainingController(this))
    , m_panel(new widgets::TrainingPanel(document->model(), window))
{
    m_sideTabs->addTab(m_panel->dataPanel(), tr("Data"));
    m_sideTabs->addTab(m_panel, tr("Training"));
    m_panel->setRunButtonsVisible(false); // the window's toolbar has them
    auto* clusterBox = new widgets::ClusterRunBox;
    m_panel->addSection(clusterBox);
    m_cluster = new ClusterRunCoordinator(
        clusterBox, m_doc->runs(), [this] { return clusterInputs(); }, this);
    connect(m_panel, &widgets::TrainingPanel::dataTabRequested, this,
        [this] { m_sideTabs->setCurrentWidget(m_panel->dataPanel()); });

    m_inspection = new InspectionController(m_training, this);
    m_inspect = new InspectDock(m_inspection, window);
    // "Charts", not "Training": the inspector already has a Training tab.
    m_inspect->insertTab(0, buildBottomDock(), tr("Charts"));
    m_inspect->setCurrentIndex(0);
    m_dock = new QDockWidget(tr("Training and Inspection"), window);
    m_dock->setObjectName(QStringLiteral("trainingChartsDock"));
    m_dock->setWidget(m_inspect);
    // Its tabs' pages would make the tallest page's minimum the dock's: the layout decides.
    m_inspect->setMinimumHeight(70);
    m_dock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable);
    // The Inspect views need more height than the charts: give it when one is opened.
    connect(m_inspect, &QTabWidget::currentChanged, this, [this](int index) {
        if (index > 0 && m_dock->height() < 400 && !m_dock->isFloating())
            m_window->resizeDocks({ m_dock }, { std::min(420, m_window->height() / 2) }, Qt::Vertical);
    });

    m_trainStatus = new QLabel(window);
    m_trainStatus->setStyleSheet(QStringLiteral("color: #3a414c; padding: 0 6px;"));
    m_window->statusBar()->addPermanentWidget(m_trainStatus);

    connectController();
    connectInspection();
    // The project keeps the panel's settings: an edit there is an unsaved change.
    connect(m_panel, &widgets::TrainingPanel::settingsEdited, m_doc, &ProjectDocument::markModified);
    connect(m_doc, &ProjectDocument::documentReplaced, this, &TrainingCoordinator::applyDocumentSettings);
    createTrainMenu(trainMenu);
    updateTrainActions();
}

QWidget* TrainingCoordinator::buildBottomDock()
{
    // Run list | live charts.
    m_runList = new widgets::RunListWidget(m_window);
    m_runList->setHistory(m_doc->runs());
    m_charts = new widgets::TrainingCharts(m_window);
    m_charts->setHistory(m_doc->runs());
    auto* split = new QSplitter(Qt::Horizontal, m_window);
    split->addWidget(m_runList);
    split->addWidget(m_charts);
    split->setStretchFactor(0, 0);
    split->setStretchFactor(1, 1);
    split->setSizes({ 240, 1000 });
    split->setChildrenCollapsible(false);
    m_runList->setMinimumWidth(180);
    connect(m_runList, &widgets::RunListWidget::checkedRunsChanged, m_charts, &widgets::TrainingCharts::setVisibleRuns);
    // An empty run list is only room taken from the canvas: shown once there is a run.
    auto showList = [this] { m_runList->setVisible(m_doc->runs()->count() > 0); };
    showList();
    for (auto sig : { &widgets::RunHistory::runAdded, &widgets::RunHistory::runRemoved })
        connect(m_doc->runs(), sig, this, showList);
    connect(m_doc->runs(), &widgets::RunHistory::cleared, this, showList);
    return split;
}

void TrainingCoordinator::connectController()
{
    widgets::RunHistory* runs = m_doc->runs();
    connect(m_panel, &widgets::TrainingPanel::trainRequested, this, &TrainingCoordinator::startTraining);
    connect(m_panel, &widgets::TrainingPanel::pauseRequested, m_training, &TrainingController::pause);
    connect(m_panel, &widgets::TrainingPanel::resumeRequested, m_training, &TrainingController::resume);
    connect(m_panel, &widgets::TrainingPanel::stopRequested, m_training, &TrainingController::stop);
    // "cuda: unavailable (…) — training on the CPU": why a run is not on the chosen device.
    connect(m_training, &TrainingController::deviceNote, m_panel, &widgets::TrainingPanel::showDeviceNote);
    connect(m_training, &TrainingController::deviceNote, this, [this](const QString& note) {
        if (m_panel->config().device != "auto") // a chosen GPU that is not used; Automatic stays quiet
            showStatus(note, 10000);
    });
    // Pretrained weights loaded by name: which tensors were loaded, skipped and new.
    connect(m_training, &TrainingController::weightsNote, this, [this](const QString& report) {
        m_panel->showDeviceNote(
            tr("Started from %1 — %2")
                .arg(m_startWeightsLabel, QString(report).replace(QLatin1Char('\n'), QStringLiteral("; "))));
        showStatus(report.section(QLatin1Char('\n'), 0, 0) + QStringLiteral(" …"), 10000);
    });
    connect(m_doc->model(), &widgets::GraphModel::modelReset, this, [this] { m_startWeights.reset(); });
    connect(m_panel, &widgets::TrainingPanel::statusMessage, m_trainStatus, &QLabel::setText);
    connect(m_training, &TrainingController::started, this, [this] { m_inspectPending = true; });
    connect(m_training, &TrainingController::batchFinished, this, [this, runs](const std::vector<BatchEvent>& events) {
        if (m_inspectPending) { // the run has weights now: inspect them (live when asked)
            m_inspectPending = false;
            m_inspection->useTrainingRun();
            m_inspect->sourceChanged(m_training->session()->graph());
        }
        runs->appendBatches(m_liveRunId, events);
        if (!events.empty()) {
            m_panel->showBatch(events.back());
            const BatchEvent& e = events.back();
            m_inspect->setWeightsSource(tr("%1 · epoch %2/%3, batch %4/%5 (training)")
                                            .arg(runName())
                                            .arg(e.epoch + 1)
                                            .arg(m_panel->config().epochs)
                                            .arg(e.batch + 1)
                                            .arg(e.batchesPerEpoch));
        }
    });
    connect(m_training, &TrainingController::epochFinished, this, [this, runs](const EpochEvent& e) {
        if (m_inspect->currentWidget() == m_inspect->statsPage())
            m_inspection->requestStats(); // the instructor watches saturation develop
        runs->appendEpoch(m_liveRunId, e);
        m_panel->showEpoch(e);
    });
    connect(m_training, &TrainingController::finished, this, [this, runs](const RunSummary& s) {
        m_inspect->setWeightsSource(tr("%1 · final, after %n epoch(s)", nullptr, s.epochsCompleted).arg(runName()));
        m_inspection->useTrainingRun();
        m_inspect->sourceChanged(m_training->session()->graph()); // the final weights and the test split
        runs->finishRun(m_liveRunId, s);
        m_panel->showFinished(s);
        if (s.diverged)
            showStatus(tr("Training diverged: %1").arg(QString::fromStdString(s.message)), 15000);
    });
    connect(m_training, &TrainingController::failed, this, [this, runs](const QString& message) {
        runs->failRun(m_liveRunId, message);
        m_panel->showFailed(message);
    });
    auto syncState = [this] {
        m_panel->setTrainingState(m_training->isRunning(), m_training->isPaused());
        updateTrainActions();
    };
    connect(m_training, &TrainingController::runningChanged, this, syncState);
    connect(m_training, &TrainingController::pausedChanged, this, syncState);
    connect(m_doc->model(), &widgets::GraphModel::analysisChanged, this, &TrainingCoordinator::updateTrainActions);
}

void TrainingCoordinator::connectInspection()
{
    // A double-clicked thumbnail in the Data tab is shown through the network.
    connect(m_panel->dataPanel()->view(), &widgets::DatasetView::thumbnailActivated, this, [this](qint64 index) {
        if (!m_inspection->hasSource()) {
            showStatus(tr("Train the model first to see its feature maps for this image."), 6000);
            return;
        }
        m_inspect->setCurrentWidget(m_inspect->mapsPage());
        m_inspect->showSample(index);
    });
    // Weights opened with a project are inspected on the dataset once it is loaded.
    connect(m_panel, &widgets::TrainingPanel::datasetLoaded, this, [this] {
        if (!m_inspectedWeights.isEmpty() && !m_training->session()) {
            m_inspection->useWeightsFile(m_inspectedWeights, m_panel->dataset());
            m_inspect->sourceChanged(m_doc->model()->graph());
        }
    });
}

void TrainingCoordinator::createTrainMenu(QMenu* train)
{
    m_trainAction = train->addAction(tr("&Train"), this, &TrainingCoordinator::trainNow);
    m_trainAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_T));
    m_trainAction->setToolTip(tr("Train the model on the dataset (Ctrl+T)"));
    m_pauseAction = train->addAction(tr("&Pause"), this, [this] {
        if (m_training->isPaused())
            m_training->resume();
        else
            m_training->pause();
    });
    m_pauseAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_P));
    m_pauseAction->setToolTip(tr("Pause or resume the run (Ctrl+Shift+P)"));
    m_stopAction = train->addAction(tr("&Stop"), m_training, &TrainingController::stop);
    m_stopAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Period));
    m_stopAction->setToolTip(tr("Stop the run and keep its weights (Ctrl+.)"));
    train->addSeparator();
    m_saveWeightsAction = train->addAction(tr("Save &Weights…"), this, &TrainingCoordinator::saveWeightsDialog);
    train->addSeparator();
    m_replaceHeadAction = train->addAction(tr("Replace &Head…"), this, &TrainingCoordinator::replaceHeadDialog);
    m_replaceHeadAction->setToolTip(tr("A new, freshly initialized output layer for the dataset's classes"));
}

void TrainingCoordinator::updateTrainActions()
{
    if (!m_trainAction)
        return;
    const bool running = m_training->isRunning();
    m_trainAction->setEnabled(!running && m_doc->model()->analysis().ok);
    m_pauseAction->setEnabled(running);
    const bool paused = m_training->isPaused();
    m_pauseAction->setText(paused ? tr("&Resume") : tr("&Pause"));
    if (!m_pauseAction->icon().isNull()) // the toolbar's: play to resume, pause to pause
        m_pauseAction->setIcon(m_window->style()->standardIcon(paused ? QStyle::SP_MediaPlay : QStyle::SP_MediaPause));
    m_stopAction->setEnabled(running);
    m_saveWeightsAction->setEnabled(m_training->hasWeights());
    m_replaceHeadAction->setEnabled(
        !running && !widgets::SetOutputClassesCommand::outputLayer(*m_doc->model()).isEmpty());
}

void TrainingCoordinator::showDataTab()
{
    m_sideTabs->setCurrentWidget(m_panel->dataPanel());
    if (!m_panel->dataset() && !m_panel->isLoading())
        m_panel->loadDataset();
}

void TrainingCoordinator::showTrainingTab()
{
    m_sideTabs->setCurrentWidget(m_panel);
}

void TrainingCoordinator::trainNow()
{
    m_sideTabs->setCurrentWidget(m_panel);
    m_panel->requestTrain();
}

void TrainingCoordinator::startTraining()
{
    const auto data = m_panel->dataset();
    if (!data || m_training->isRunning())
        return;
    RunRecord run;
    run.modelName = m_doc->displayName().toStdString();
    run.config = m_panel->config();
    run.datasetName = QFileInfo(QString::fromStdString(data->root)).fileName().toStdString();
    if (m_startWeights) {
        m_training->setInitialWeights(m_startWeights, WeightsLoading::ByName);
        run.modelName += " (from " + m_startWeightsLabel.toStdString() + ")";
    }
    startRun(m_doc->model()->graph(), data, run.config, run); // splits on the worker thread
}

void TrainingCoordinator::setStartWeights(std::shared_ptr<const ModelWeights> weights, const QString& label)
{
    m_startWeights = std::move(weights);
    m_startWeightsLabel = label;
    if (m_startWeights)
        showStatus(tr("Training will start from the pretrained weights of %1 (loaded by name).").arg(label), 10000);
}

void TrainingCoordinator::replaceHeadDialog()
{
    widgets::GraphModel* model = m_doc->model();
    const QString head = widgets::SetOutputClassesCommand::outputLayer(*model);
    if (head.isEmpty() || m_training->isRunning())
        return;
    const auto data = m_panel->dataset();
    const int current = static_cast<int>(model->analysis().outputShape.numel());
    QStringList hidden;
    for (const std::string& id : classifierDenseLayers(model->graph(), model->analysis()))
        if (QString::fromStdString(id) != head)
            hidden.prepend(QString::fromStdString(id));

    QDialog dialog(m_window);
    dialog.setWindowTitle(tr("Replace Head"));
    auto* form = new QFormLayout(&dialog);
    form->addRow(new QLabel(tr("A new, freshly initialized output layer replaces '%1'.").arg(head)));
    auto* classes = new QSpinBox;
    classes->setRange(1, 100000);
    classes->setValue(data ? static_cast<int>(data->numClasses()) : current);
    form->addRow(tr("Number of &classes:"), classes);
    auto* whole
        = new QCheckBox(tr("Also start the hidden dense layers afresh (%1)").arg(hidden.join(QStringLiteral(", "))));
    whole->setToolTip(tr("Pretrained weights loaded by name then give only the features (the convolutions); the "
                         "whole classifier is learned from your data. With few images of a different kind "
                         "than the pretraining's, this is usually the better start (docs/transfer-learning.md)."));
    whole->setVisible(!hidden.isEmpty());
    form->addRow(whole);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    connect(buttons, &QDialogButtonBox::accepted, &dialog, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
    form->addRow(buttons);
    if (dialog.exec() == QDialog::Accepted)
        m_doc->undoStack()->push(
            new widgets::ReplaceHeadCommand(model, classes->value(), nullptr, whole->isChecked() && !hidden.isEmpty()));
}

bool TrainingCoordinator::startRun(
    const ModelGraph& graph, std::shared_ptr<const Dataset> data, const TrainConfig& config, const RunRecord& run)
{
    m_liveRunId = m_doc->runs()->addRun(run);
    return m_training->start(graph, std::move(data), config, m_liveRunId);
}

bool TrainingCoordinator::resumeRun(const ModelGraph& graph, std::shared_ptr<const Dataset> data,
    const TrainConfig& config, const QString& checkpoint, std::vector<RunChange> changes, int existingRunId,
    const RunRecord& run)
{
    if (m_training->isRunning())
        return false;
    widgets::RunHistory* runs = m_doc->runs();
    if (existingRunId > 0 && runs->run(existingRunId)) {
        runs->reopenRun(existingRunId);
        m_liveRunId = existingRunId;
    } else {
        m_liveRunId = runs->addRun(run);
    }
    m_training->setResumeFrom(checkpoint, std::move(changes));
    return m_training->start(graph, std::move(data), config, m_liveRunId);
}

bool TrainingCoordinator::explainImage(const QString& path)
{
    if (!m_inspection->hasSource())
        return false;
    m_inspect->explainImage(path);
    return true;
}

void TrainingCoordinator::useDataset(const QString& path)
{
    if (m_training->isRunning()) {
        showStatus(tr("Stop training before choosing another dataset."), 6000);
        return;
    }
    m_panel->setDatasetPath(path);
    m_doc->setDatasetPath(path);
    m_sideTabs->setCurrentWidget(m_panel->dataPanel());
    m_panel->loadDataset();
    showStatus(tr("Dataset: %1").arg(QDir::toNativeSeparators(path)), 5000);
}

ClusterLaunchInputs TrainingCoordinator::clusterInputs() const
{
    ClusterLaunchInputs in;
    in.config = m_panel->config();
    in.datasetPath = m_panel->datasetPath();
    ModelGraph graph = m_doc->model()->graph();
    in.modelName = m_doc->displayName();
    if (in.datasetPath.isEmpty())
        in.problem = tr("Choose a dataset in the Data tab first");
    else if (const GraphAnalysis a = graph.analyze(); !a.ok)
        in.problem = tr("The model is not valid yet: %1").arg(QString::fromStdString(a.error));
    graph.training = trainConfigToJson(in.config);
    in.modelJson = QString::fromStdString(serializeModel(graph));
    return in;
}

TrainConfig TrainingCoordinator::recipe() const
{
    return m_panel->config();
}

void TrainingCoordinator::storeSettings()
{
    const TrainConfig c = m_panel->config();
    m_doc->setTrainingSettings(c, c.threads);
    m_doc->setDatasetPath(m_panel->datasetPath());
}

ProjectDocument::WeightsWriter TrainingCoordinator::weightsWriter(int* runId) const
{
    *runId = 0;
    if (!m_training->hasWeights())
        return {};
    *runId = m_training->currentRunId();
    return [this](const QString& weightsPath) { return m_training->saveWeights(weightsPath); };
}

std::shared_ptr<const ModelWeights> TrainingCoordinator::lastRunWeights() const
{
    auto session = m_training->session();
    if (!session || m_training->isRunning() || !session->isPrepared())
        return nullptr;
    try {
        return ModelWeights::fromSession(*session);
    } catch (const std::exception&) {
        return nullptr;
    }
}

void TrainingCoordinator::saveWeightsDialog()
{
    const QString base = QFileInfo(m_doc->displayName()).completeBaseName();
    const QString dir = m_doc->filePath().isEmpty() ? QDir::homePath() : QFileInfo(m_doc->filePath()).absolutePath();
    QString path = QFileDialog::getSaveFileName(m_window, tr("Save Weights"),
        QDir(dir).filePath(base + QStringLiteral(".safetensors")), tr("Safetensors weights (*.safetensors)"));
    if (path.isEmpty())
        return;
    if (QFileInfo(path).suffix().isEmpty())
        path += QStringLiteral(".safetensors");
    const QString err = m_training->saveWeights(path);
    if (!err.isEmpty())
        QMessageBox::warning(m_window, tr("Cannot save weights"), err);
    else
        showStatus(tr("Saved weights to %1").arg(QDir::toNativeSeparators(path)), 5000);
}

void TrainingCoordinator::applyDocumentSettings()
{
    // The panel has just taken the model's recipe (GraphModel reset); project settings win.
    if (const auto settings = m_doc->trainingSettings()) {
        TrainConfig c = *settings;
        c.threads = m_doc->threads();
        m_panel->setConfig(c);
    }
    // A project names its dataset; a template or new model keeps the dataset in use.
    QString data = m_doc->datasetPath();
    if (data.isEmpty())
        data = m_panel->datasetPath().isEmpty() ? defaultDatasetPath() : m_panel->datasetPath();
    if (data != m_panel->datasetPath())
        m_panel->setDatasetPath(data);
    // A project's saved weights can be inspected without training again.
    m_inspectedWeights.clear();
    if (!m_doc->weightsPath().isEmpty() && QFileInfo::exists(m_doc->weightsPath()) && !m_training->isRunning()) {
        m_inspectedWeights = m_doc->weightsPath();
        m_inspection->setModel(m_doc->model()->graph());
        m_inspect->setWeightsSource(
            tr("the project's saved weights (%1)").arg(QFileInfo(m_inspectedWeights).fileName()));
        if (m_inspection->useWeightsFile(m_inspectedWeights, m_panel->dataset()).isEmpty())
            m_inspect->sourceChanged(m_doc->model()->graph());
    }
}

QString TrainingCoordinator::defaultDatasetPath()
{
    const QString fashion = widgets::TrainingPanel::defaultDatasetPath();
    if (!fashion.isEmpty())
        return fashion;
    const QStringList dirs = shippedDataDirs(QStringLiteral("resources/sample-fashion"));
    return dirs.isEmpty() ? QString() : dirs.front();
}

QString TrainingCoordinator::runName() const
{
    const RunRecord* run = m_doc->runs()->run(m_liveRunId);
    return run ? widgets::shortName(*run) : tr("Run %1").arg(m_liveRunId);
}

void TrainingCoordinator::showStatus(const QString& text, int ms)
{
    m_window->statusBar()->showMessage(text, ms);
}

} // namespace netcanvas::app
