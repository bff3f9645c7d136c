#include "app/RunControlCoordinator.h"

#include "app/InspectDock.h"
#include "app/ProjectDocument.h"
#include "app/TrainingController.h"
#include "app/TrainingCoordinator.h"
#include "engine/core/Error.h"
#include "engine/session/RunRecord.h"
#include "widgets/charts/LayerStatsCharts.h"
#include "widgets/train/RunHistory.h"
#include "widgets/train/TrainingPanel.h"

#include <QAction>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QMainWindow>
#include <QMenu>
#include <QMessageBox>
#include <QStandardPaths>
#include <QStatusBar>

namespace netcanvas::app {

namespace {
constexpr int kLayerStatsEvery = 20; // steps between per-layer stats in the app (a few % of a step)
}

RunControlCoordinator::RunControlCoordinator(
    QMainWindow* window, TrainingCoordinator* training, ProjectDocument* document, QMenu* trainMenu)
    : QObject(window)
    , m_window(window)
    , m_training(training)
    , m_doc(document)
{
    TrainingController* ctl = training->controller();
    ctl->setRunsFolder(runsFolder());
    ctl->setLayerStatsEvery(kLayerStatsEvery);

    // Menu: after Stop.
    QAction* before = nullptr;
    const QList<QAction*> actions = trainMenu->actions();
    for (int i = 0; i + 1 < actions.size(); ++i)
        if (actions[i] == training->stopAction())
            before = actions[i + 1];
    m_continue = new QAction(tr("&Continue Run"), this);
    m_continue->setToolTip(tr("Continue the last run from its last checkpoint: to its planned epochs when it was "
                              "stopped, or by the Training tab's Epochs more when it finished"));
    m_resume = new QAction(tr("Resume Run&…"), this);
    m_resume->setToolTip(tr("Continue a run from its run folder (after a crash, or a run of netcanvas-cli)"));
    trainMenu->insertAction(before, m_continue);
    trainMenu->insertAction(before, m_resume);
    connect(m_continue, &QAction::triggered, this, [this] {
        const QString error = continueRun();
        if (!error.isEmpty())
            QMessageBox::information(m_window, tr("Continue Run"), error);
    });
    connect(m_resume, &QAction::triggered, this, [this] {
        const QString folder = QFileDialog::getExistingDirectory(m_window, tr("Resume Run"), runsFolder());
        if (folder.isEmpty())
            return;
        const QString error = resumeRunFolder(folder);
        if (!error.isEmpty())
            QMessageBox::warning(m_window, tr("Resume Run"), error);
    });

    // The Layer Health tab, after Charts.
    m_layerCharts = new widgets::LayerStatsCharts(m_window);
    m_layerCharts->setHistory(m_doc->runs());
    training->inspectDock()->insertTab(1, m_layerCharts, tr("Layer Health"));

    widgets::TrainingPanel* panel = training->panel();
    connect(panel, &widgets::TrainingPanel::changeRequested, ctl, &TrainingController::requestChange);
    connect(ctl, &TrainingController::changeApplied, this, [this](const ChangeEvent& c) {
        m_doc->runs()->appendChange(m_training->liveRunId(), c);
        m_window->statusBar()->showMessage(
            tr("%1 from epoch %2, batch %3").arg(QString::fromStdString(c.label())).arg(c.epoch + 1).arg(c.batch + 1),
            8000);
    });
    connect(ctl, &TrainingController::layerStats, this,
        [this](const LayerStatsEvent& e) { m_doc->runs()->appendLayerStats(m_training->liveRunId(), e); });
    connect(ctl, &TrainingController::started, this, [this] { m_layerCharts->setRun(m_training->liveRunId()); });
    connect(ctl, &TrainingController::runningChanged, this, &RunControlCoordinator::updateActions);
    connect(panel, &widgets::TrainingPanel::datasetLoaded, this, [this] {
        if (!m_pending)
            return;
        ResumeInfo info = std::move(*m_pending);
        m_pending.reset();
        const QString error = startResumed(info, 0);
        if (!error.isEmpty())
            QMessageBox::warning(m_window, tr("Resume Run"), error);
    });
    updateActions();
}

QString RunControlCoordinator::runsFolder()
{
    const QByteArray env = qgetenv("NETCANVAS_RUNS_DIR");
    if (!env.isEmpty())
        return QString::fromLocal8Bit(env);
    return QDir(QStandardPaths::writableLocation(QStandardPaths::AppLocalDataLocation))
        .filePath(QStringLiteral("runs"));
}

void RunControlCoordinator::updateActions()
{
    const TrainingController* ctl = m_training->controller();
    const bool running = ctl->isRunning();
    const QString folder = ctl->checkpointFolder();
    m_continue->setEnabled(!running && !folder.isEmpty() && QFileInfo::exists(QDir(folder).filePath(kResumeFile)));
    m_resume->setEnabled(!running);
}

QString RunControlCoordinator::continueRun()
{
    const QString folder = m_training->controller()->checkpointFolder();
    if (m_training->controller()->isRunning())
        return tr("A run is in progress.");
    if (folder.isEmpty() || !QFileInfo::exists(QDir(folder).filePath(kResumeFile)))
        return tr("The last run has no checkpoint to continue from (runs write one after each epoch and when "
                  "stopped).");
    try {
        return startResumed(readResumeInfo(folder.toStdString()), m_training->liveRunId());
    } catch (const std::exception& e) {
        return QString::fromStdString(e.what());
    }
}

QString RunControlCoordinator::resumeRunFolder(const QString& folder)
{
    if (m_training->controller()->isRunning())
        return tr("A run is in progress.");
    ResumeInfo info;
    try {
        info = readResumeInfo(folder.toStdString());
    } catch (const std::exception& e) {
        return QString::fromStdString(e.what());
    }
    const QString data = QString::fromStdString(info.run.is_object() ? info.run.value("data", std::string()) : "");
    const auto loaded = m_training->panel()->dataset();
    if (loaded && QString::fromStdString(loaded->root) == data)
        return startResumed(info, 0);
    if (data.isEmpty() || !QFileInfo::exists(data))
        return tr("%1 does not name a dataset that exists here (%2): open it in the Data tab first.")
            .arg(QString::fromStdString(info.checkpoint), data.isEmpty() ? tr("none") : data);
    m_pending = std::move(info); // started when the dataset is loaded
    m_training->useDataset(data);
    m_window->statusBar()->showMessage(tr("Loading %1 to resume the run…").arg(data), 8000);
    return {};
}

QString RunControlCoordinator::startResumed(const ResumeInfo& info, int existingRunId)
{
    const auto data = m_training->panel()->dataset();
    const std::string trained = info.run.is_object() ? info.run.value("data", std::string()) : std::string();
    if (!data)
        return tr("Load the run's dataset first (%1).").arg(QString::fromStdString(trained));
    if (!trained.empty() && data->root != trained)
        return tr("The run trained on %1, but %2 is loaded: load the run's dataset to continue it.")
            .arg(QString::fromStdString(trained), QString::fromStdString(data->root));
    const TrainConfig form = m_training->panel()->config();
    TrainConfig config = info.recipe; // the run's own recipe; the machine's settings from the form
    config.device = form.device;
    config.threads = form.threads;
    config.precision = form.precision;
    std::vector<RunChange> changes;
    const int done = static_cast<int>(info.progress.history.size());
    if (info.progress.finished())
        changes.push_back({ RunChangeKind::Epochs, static_cast<double>(done + form.epochs) });
    RunRecord run;
    run.modelName = (info.graph.name.empty() ? std::string("model") : info.graph.name) + " (resumed)";
    run.config = config;
    run.datasetName = QFileInfo(QString::fromStdString(data->root)).fileName().toStdString();
    run.epochs = info.progress.history; // the earlier curve, so the new one joins it
    run.changes = info.progress.changes;
    if (!m_training->resumeRun(
            info.graph, data, config, QString::fromStdString(info.checkpoint), std::move(changes), existingRunId, run))
        return tr("A run is in progress.");
    m_window->statusBar()->showMessage(
        tr("Continuing %1 at epoch %2").arg(QString::fromStdString(run.modelName)).arg(info.progress.epoch + 1), 8000);
    return {};
}

} // namespace netcanvas::app
