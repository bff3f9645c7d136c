#include "app/TrainingController.h"

#include <utility>

#include "app/TrainingWorker.h"

#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QThread>

namespace netcanvas::app {

void TrainingController::registerMetaTypes()
{
    qRegisterMetaType<netcanvas::BatchEvent>();
    qRegisterMetaType<netcanvas::EpochEvent>();
    qRegisterMetaType<std::vector<netcanvas::BatchEvent>>();
    qRegisterMetaType<netcanvas::RunSummary>();
    qRegisterMetaType<netcanvas::ChangeEvent>();
    qRegisterMetaType<netcanvas::LayerStatsEvent>();
}

TrainingController::TrainingController(QObject* parent)
    : QObject(parent)
    , m_thread(new QThread)
    , m_worker(new TrainingWorker)
{
    registerMetaTypes();
    m_thread->setObjectName(QStringLiteral("netcanvas-training"));
    m_worker->moveToThread(m_thread);
    connect(m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    connect(m_worker, &TrainingWorker::batchesFinished, this, &TrainingController::onWorkerBatches);
    connect(m_worker, &TrainingWorker::epochFinished, this, &TrainingController::onWorkerEpoch);
    connect(m_worker, &TrainingWorker::changeApplied, this, [this](int runId, const ChangeEvent& c) {
        if (m_session && runId == m_sessionRunId)
            emit changeApplied(c);
    });
    connect(m_worker, &TrainingWorker::layerStats, this, [this](int runId, const LayerStatsEvent& e) {
        if (m_session && runId == m_sessionRunId)
            emit layerStats(e);
    });
    connect(m_worker, &TrainingWorker::finished, this, &TrainingController::onWorkerFinished);
    connect(m_worker, &TrainingWorker::failed, this, &TrainingController::onWorkerFailed);
    connect(m_worker, &TrainingWorker::deviceNote, this, &TrainingController::onWorkerDeviceNote);
    connect(m_worker, &TrainingWorker::weightsNote, this, &TrainingController::onWorkerWeightsNote);
    m_thread->start();
}

TrainingController::~TrainingController()
{
    if (m_session)
        m_session->cancel(); // stop at the next batch, skip the test evaluation
    m_thread->quit();
    m_thread->wait();
    delete m_thread;
    m_session.reset();
}

bool TrainingController::start(
    const ModelGraph& graph, std::shared_ptr<const Dataset> data, DataSplit split, TrainConfig config, int runId)
{
    return startJob(graph, std::move(data), std::move(split), false, std::move(config), runId);
}

bool TrainingController::start(
    const ModelGraph& graph, std::shared_ptr<const Dataset> data, TrainConfig config, int runId)
{
    return startJob(graph, std::move(data), DataSplit {}, true, std::move(config), runId);
}

bool TrainingController::startJob(const ModelGraph& graph, std::shared_ptr<const Dataset> data, DataSplit split,
    bool computeSplit, TrainConfig config, int runId)
{
    if (m_running || !data)
        return false;
    SessionSettings settings;
    settings.config = std::move(config);
    settings.weightsLoading = std::exchange(m_initialLoading, WeightsLoading::Strict);
    const QString resumeFrom = std::exchange(m_resumeFrom, QString());
    if (!resumeFrom.isEmpty()) {
        settings.resumeFrom = resumeFrom.toStdString();
        m_checkpointFolder = QFileInfo(resumeFrom).absolutePath();
        m_initialWeights.reset();
    } else {
        settings.initialWeights = std::move(m_initialWeights);
        m_checkpointFolder.clear();
        if (!m_runsFolder.isEmpty()) {
            m_checkpointFolder
                = QDir(m_runsFolder)
                      .filePath(QStringLiteral("run-%1-%2")
                                    .arg(QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-hhmmss")))
                                    .arg(m_serial + 1));
            QDir().mkpath(m_checkpointFolder);
        }
    }
    if (!m_checkpointFolder.isEmpty())
        settings.config.checkpointDir = m_checkpointFolder.toStdString();
    if (settings.config.layerStatsEvery == 0)
        settings.config.layerStatsEvery = m_layerStatsEvery;
    settings.runInfo = { { "data", data->root }, { "model", graph.name } };
    auto session = std::make_shared<TrainingSession>(graph, std::move(data), std::move(settings));
    for (const RunChange& c : std::exchange(m_resumeChanges, {}))
        session->requestChange(c);
    if (!computeSplit) // else split on the worker from the config: not on the UI thread
        session->setSplit(std::move(split));
    TrainingJob job;
    job.session = session;
    job.runId = ++m_serial;
    job.batchIntervalMs = m_batchIntervalMs;
    m_session = std::move(session); // the previous run's session is released here (it is idle)
    m_sessionRunId = job.runId;
    m_runId = runId;
    m_paused = false;
    TrainingWorker* worker = m_worker;
    QMetaObject::invokeMethod(
        m_worker, [worker, job] { worker->run(job); }, Qt::QueuedConnection);
    setRunning(true);
    emit started(runId);
    emit pausedChanged(false);
    return true;
}

void TrainingController::pause()
{
    if (!m_running || m_paused || !m_session)
        return;
    m_session->requestPause(true);
    m_paused = true;
    emit pausedChanged(true);
}

void TrainingController::resume()
{
    if (!m_running || !m_paused || !m_session)
        return;
    m_session->requestPause(false);
    m_paused = false;
    emit pausedChanged(false);
}

void TrainingController::requestChange(const RunChange& change)
{
    if (m_running && m_session)
        m_session->requestChange(change); // a vector push under a mutex: never waits on a step
}

void TrainingController::stop()
{
    if (!m_running || !m_session)
        return;
    m_session->requestStop(); // also ends a pause: training checks stop while paused
}

bool TrainingController::hasWeights() const
{
    return !m_running && m_session && m_session->isPrepared();
}

std::shared_ptr<const Dataset> TrainingController::lastDataset() const
{
    return m_session ? m_session->dataset() : nullptr;
}

QString TrainingController::saveWeights(const QString& path) const
{
    if (m_running)
        return tr("Training is in progress: stop it or wait for it to finish before saving the weights.");
    if (!m_session || !m_session->isPrepared())
        return tr("There are no trained weights yet: train the model first.");
    try {
        m_session->saveWeights(path.toStdString());
    } catch (const std::exception& e) {
        return QString::fromStdString(e.what());
    }
    return {};
}

void TrainingController::setRunning(bool running)
{
    if (m_running == running)
        return;
    m_running = running;
    emit runningChanged(running);
}

void TrainingController::onWorkerBatches(int runId, const std::vector<BatchEvent>& events)
{
    if (m_session && runId == m_sessionRunId)
        emit batchFinished(events);
}

void TrainingController::onWorkerEpoch(int runId, const EpochEvent& event)
{
    if (m_session && runId == m_sessionRunId)
        emit epochFinished(event);
}

void TrainingController::onWorkerFinished(int runId, const RunSummary& summary)
{
    if (!m_session || runId != m_sessionRunId)
        return;
    m_paused = false;
    setRunning(false);
    emit finished(summary);
}

void TrainingController::onWorkerFailed(int runId, const QString& message)
{
    if (!m_session || runId != m_sessionRunId)
        return;
    m_paused = false;
    setRunning(false);
    emit failed(message);
}

void TrainingController::onWorkerWeightsNote(int runId, const QString& report)
{
    if (m_session && runId == m_sessionRunId)
        emit weightsNote(report);
}

void TrainingController::onWorkerDeviceNote(int runId, const QString& note)
{
    if (m_session && runId == m_sessionRunId)
        emit deviceNote(note);
}

} // namespace netcanvas::app
