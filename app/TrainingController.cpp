#include "app/TrainingController.h"

#include "app/TrainingWorker.h"
#include "engine/graph/ModelJson.h"
#include "engine/io/Safetensors.h"

#include <QThread>

namespace netcanvas::app {

void TrainingController::registerMetaTypes()
{
    qRegisterMetaType<netcanvas::BatchEvent>();
    qRegisterMetaType<netcanvas::EpochEvent>();
    qRegisterMetaType<std::vector<netcanvas::BatchEvent>>();
    qRegisterMetaType<netcanvas::widgets::TrainingSummary>();
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
    connect(m_worker, &TrainingWorker::finished, this, &TrainingController::onWorkerFinished);
    connect(m_worker, &TrainingWorker::failed, this, &TrainingController::onWorkerFailed);
    connect(m_worker, &TrainingWorker::deviceNote, this, &TrainingController::onWorkerDeviceNote);
    m_thread->start();
}

TrainingController::~TrainingController()
{
    if (m_job) {
        std::lock_guard lock(m_job->mutex);
        m_job->stop = true;
        m_job->pause = false;
        m_job->shuttingDown = true;
        if (m_job->trainer) {
            m_job->trainer->requestPause(false);
            m_job->trainer->requestStop();
        }
    }
    m_thread->quit();
    m_thread->wait();
    delete m_thread;
    m_job.reset(); // the Trainer, then its backend
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
    auto job = std::make_shared<TrainingJob>();
    job->graph = graph;
    job->data = std::move(data);
    job->split = std::move(split);
    job->computeSplit = computeSplit;
    job->config = std::move(config);
    job->runId = ++m_serial;
    job->batchIntervalMs = m_batchIntervalMs;
    job->initialWeights = std::move(m_initialWeights);
    m_job = job; // the previous run's Trainer is released here (it is idle)
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
    if (!m_running || m_paused || !m_job)
        return;
    {
        std::lock_guard lock(m_job->mutex);
        m_job->pause = true;
        if (m_job->trainer)
            m_job->trainer->requestPause(true);
    }
    m_paused = true;
    emit pausedChanged(true);
}

void TrainingController::resume()
{
    if (!m_running || !m_paused || !m_job)
        return;
    {
        std::lock_guard lock(m_job->mutex);
        m_job->pause = false;
        if (m_job->trainer)
            m_job->trainer->requestPause(false);
    }
    m_paused = false;
    emit pausedChanged(false);
}

void TrainingController::stop()
{
    if (!m_running || !m_job)
        return;
    std::lock_guard lock(m_job->mutex);
    m_job->stop = true;
    if (m_job->trainer)
        m_job->trainer->requestStop(); // also ends a pause: the Trainer checks stop while paused
}

bool TrainingController::hasWeights() const
{
    return !m_running && m_job && m_job->trainer;
}

std::shared_ptr<const Dataset> TrainingController::lastDataset() const
{
    return m_job ? m_job->data : nullptr;
}

QString TrainingController::saveWeights(const QString& path) const
{
    if (m_running)
        return tr("Training is in progress: stop it or wait for it to finish before saving the weights.");
    if (!m_job || !m_job->trainer)
        return tr("There are no trained weights yet: train the model first.");
    try {
        Trainer& t = *m_job->trainer;
        WeightsMeta meta;
        for (const std::string& c : m_job->data->classNames)
            meta.classNames.push_back(c);
        meta.mean = t.normalization().mean;
        meta.stddev = t.normalization().stddev;
        ModelGraph withRecipe = m_job->graph;
        withRecipe.training = trainConfigToJson(m_job->config);
        meta.modelJson = serializeModel(withRecipe);
        netcanvas::saveWeights(path.toStdString(), t.network(), meta);
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
    if (m_job && runId == m_job->runId)
        emit batchFinished(events);
}

void TrainingController::onWorkerEpoch(int runId, const EpochEvent& event)
{
    if (m_job && runId == m_job->runId)
        emit epochFinished(event);
}

void TrainingController::onWorkerFinished(int runId, const widgets::TrainingSummary& summary)
{
    if (!m_job || runId != m_job->runId)
        return;
    m_paused = false;
    setRunning(false);
    emit finished(summary);
}

void TrainingController::onWorkerFailed(int runId, const QString& message)
{
    if (!m_job || runId != m_job->runId)
        return;
    m_paused = false;
    setRunning(false);
    emit failed(message);
}

void TrainingController::onWorkerDeviceNote(int runId, const QString& note)
{
    if (m_job && runId == m_job->runId)
        emit deviceNote(note);
}

} // namespace netcanvas::app
