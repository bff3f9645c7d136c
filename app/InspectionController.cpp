#include "app/InspectionController.h"

#include "app/TrainingController.h"
#include "engine/backend/Backend.h"
#include "engine/core/Error.h"
#include "engine/graph/ModelJson.h"
#include "engine/io/Safetensors.h"
#include "engine/session/TrainedModel.h"
#include "engine/session/TrainingSession.h"

#include <QFileInfo>
#include <QFutureWatcher>
#include <QPointer>
#include <QTimer>
#include <QtConcurrent/QtConcurrentRun>

#include <atomic>
#include <chrono>

namespace netcanvas::app {

// Worker-side state. `mutex` guards the source fields, which the UI thread sets; the
// network and its backend are touched by the worker only (one request at a time).
struct InspectionController::Context {
    std::mutex mutex;
    ModelGraph graph; // the designer's model (for a weights file without one)
    std::shared_ptr<TrainingSession> session; // source: a training run
    std::string weightsPath; // source: a weights file
    std::shared_ptr<const Dataset> fileData;
    uint64_t sourceVersion = 0;

    // Worker only.
    uint64_t builtVersion = ~uint64_t(0);
    uint64_t targetVersion = ~uint64_t(0); // the source whose target normalization data holds
    std::unique_ptr<Backend> backend;
    std::unique_ptr<Network> network;
    InspectionData data;
};

namespace {

// The one image file as a one-sample dataset of the network's input geometry.
Dataset imageAsDataset(const std::string& path, const Shape& in)
{
    Dataset d;
    d.channels = static_cast<int>(in[0]);
    d.height = static_cast<int>(in[1]);
    d.width = static_cast<int>(in[2]);
    d.pixels = loadImageSample(path, d.channels, d.height, d.width);
    d.labels = { 0 };
    d.classNames = { "?" };
    d.sources = { path };
    d.format = "image";
    d.root = path;
    return d;
}

void sampleAsFloats(const Dataset& d, int64_t i, std::vector<float>& out, int& c, int& h, int& w)
{
    c = d.channels;
    h = d.height;
    w = d.width;
    out.resize(static_cast<size_t>(d.sampleSize()));
    d.sampleToFloat(i, out.data());
}

// Feature maps of sample `i` of `d` (a dataset sample, or the one image of imageAsDataset).
FeatureMapsResult mapsOf(Network& net, const Dataset& d, int64_t i, const Normalization& norm, const std::string& node)
{
    FeatureMapsResult r;
    sampleAsFloats(d, i, r.input, r.channels, r.height, r.width);
    const Tensor input = inspect::sampleTensor(d, i, norm);
    r.maps = inspect::featureMaps(net, input, node);
    r.scores = inspect::classify(net, input, 3);
    return r;
}

} // namespace

InspectionController::InspectionController(TrainingController* training, QObject* parent)
    : QObject(parent)
    , m_training(training)
    , m_ctx(std::make_shared<Context>())
    , m_liveTimer(new QTimer(this))
{
    m_liveTimer->setInterval(300);
    connect(m_liveTimer, &QTimer::timeout, this, [this] {
        if (m_live && m_training->isRunning() && m_lastMapsRequest && !m_pending[static_cast<int>(Kind::FeatureMaps)]) {
            ++m_liveRefreshes;
            m_lastMapsRequest();
        }
    });
    m_liveTimer->start();
}

InspectionController::~InspectionController()
{
    if (m_cancelEvaluation)
        *m_cancelEvaluation = true;
    if (m_watcher) {
        m_watcher->disconnect(this);
        m_watcher->waitForFinished();
    }
}

void InspectionController::setModel(const ModelGraph& graph)
{
    std::lock_guard lock(m_ctx->mutex);
    m_ctx->graph = graph;
    if (!m_ctx->session)
        ++m_ctx->sourceVersion;
}

QString InspectionController::useWeightsFile(const QString& path, std::shared_ptr<const Dataset> data)
{
    if (!QFileInfo::exists(path))
        return tr("No weights file %1").arg(path);
    {
        std::lock_guard lock(m_ctx->mutex);
        m_ctx->session.reset();
        m_ctx->weightsPath = path.toStdString();
        m_ctx->fileData = std::move(data);
        ++m_ctx->sourceVersion;
    }
    emit sourceChanged();
    return {};
}

void InspectionController::useTrainingRun()
{
    auto session = m_training->session();
    {
        std::lock_guard lock(m_ctx->mutex);
        if (session == m_ctx->session)
            return;
        m_ctx->session = std::move(session);
        m_ctx->weightsPath.clear();
        m_ctx->fileData.reset();
        ++m_ctx->sourceVersion;
    }
    emit sourceChanged();
}

bool InspectionController::hasSource() const
{
    std::lock_guard lock(m_ctx->mutex);
    return m_ctx->session || !m_ctx->weightsPath.empty();
}

InspectionData InspectionController::data() const
{
    std::lock_guard lock(m_ctx->mutex);
    InspectionData d;
    if (m_ctx->session) {
        d.dataset = m_ctx->session->dataset();
        d.testIndices = m_ctx->session->split().test;
    } else {
        d.dataset = m_ctx->fileData;
    }
    if (d.dataset)
        d.classNames = d.dataset->classNames;
    return d;
}

bool InspectionController::isBusy() const
{
    return m_running;
}

void InspectionController::prepare(Context& c)
{
    std::shared_ptr<TrainingSession> session;
    std::string weightsPath;
    std::shared_ptr<const Dataset> fileData;
    ModelGraph graph;
    uint64_t version = 0;
    {
        std::lock_guard lock(c.mutex);
        session = c.session;
        weightsPath = c.weightsPath;
        fileData = c.fileData;
        graph = c.graph;
        version = c.sourceVersion;
    }
    if (!session && weightsPath.empty())
        throw GraphError("nothing to inspect yet: train the model, or open a project with trained weights");

    if (session) {
        c.data.dataset = session->dataset();
        c.data.testIndices = session->split().test;
        if (!session->isPrepared())
            throw GraphError("the run has not started training yet");
        if (version != c.builtVersion || !c.network) {
            c.backend = createCpuBackend(1);
            c.network = std::make_unique<Network>(session->graph(), *c.backend, 1);
            c.builtVersion = version;
        }
        // The session (held above) stays alive; copySnapshot is safe while it trains.
        if (!session->copySnapshot(*c.network, &c.data.normalization))
            throw GraphError("no trained weights yet: wait for the first batch");
        // The training loop's own rule (fit() in engine/train): the training split's targets, when normalizing.
        if (c.data.dataset && c.data.dataset->isRegression() && version != c.targetVersion) {
            c.data.targetNormalization = session->settings().config.normalize
                ? computeTargetNormalization(*c.data.dataset, session->split().train)
                : Normalization {};
            c.targetVersion = version;
        }
    } else if (version != c.builtVersion || !c.network) {
        const TensorFile tf = loadSafetensors(weightsPath);
        if (auto it = tf.metadata.find("netcanvas.model"); it != tf.metadata.end())
            graph = parseModelJson(it->second, weightsPath + " (embedded model)");
        c.backend = createCpuBackend(1);
        c.network = std::make_unique<Network>(graph, *c.backend, 1);
        c.data.normalization = normalizationOf(loadWeights(weightsPath, *c.network));
        c.data.dataset = fileData;
        c.data.testIndices.clear();
        if (fileData) {
            // Without the run's split, the whole dataset is evaluated (its official test split when it has one).
            const int64_t begin = fileData->officialTestBegin >= 0 ? fileData->officialTestBegin : 0;
            for (int64_t i = begin; i < fileData->size(); ++i)
                c.data.testIndices.push_back(i);
        }
        c.builtVersion = version;
    }
    c.data.classNames = c.data.dataset ? c.data.dataset->classNames : std::vector<std::string> {};
}

void InspectionController::submit(Kind kind, Work work)
{
    m_pending[static_cast<int>(kind)] = std::move(work);
    if (!m_running)
        startNext();
}

void InspectionController::startNext()
{
    // Interactive requests first; a long evaluation waits its turn.
    for (Kind kind :
        { Kind::FeatureMaps, Kind::Filters, Kind::Explain, Kind::Stats, Kind::Recurrent, Kind::Evaluation }) {
        auto& slot = m_pending[static_cast<int>(kind)];
        if (!slot)
            continue;
        Work work = std::move(*slot);
        slot.reset();
        m_running = true;
        auto* watcher = new QFutureWatcher<std::function<void()>>(this);
        m_watcher = watcher;
        connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher] {
            const std::function<void()> deliver = watcher->result();
            watcher->deleteLater();
            m_watcher = nullptr;
            m_running = false;
            if (deliver)
                deliver();
            startNext();
        });
        std::shared_ptr<Context> ctx = m_ctx;
        QPointer<InspectionController> self(this);
        watcher->setFuture(QtConcurrent::run([ctx, work, self]() -> std::function<void()> {
            try {
                prepare(*ctx);
                return work(*ctx);
            } catch (const std::exception& e) {
                const QString message = QString::fromStdString(e.what());
                return [self, message] {
                    if (self)
                        emit self->failed(message);
                };
            }
        }));
        return;
    }
}

void InspectionController::requestFeatureMaps(int64_t sampleIndex, const QString& nodeId)
{
    const std::string node = nodeId.toStdString();
    m_lastMapsRequest = [this, sampleIndex, nodeId] { requestFeatureMaps(sampleIndex, nodeId); };
    const bool live = m_live && m_training->isRunning();
    QPointer<InspectionController> self(this);
    submit(Kind::FeatureMaps, [self, sampleIndex, node, live](Context& c) -> std::function<void()> {
        if (!c.data.dataset)
            throw DataError("no dataset to take the sample from");
        if (sampleIndex < 0 || sampleIndex >= c.data.dataset->size())
            throw DataError("sample " + std::to_string(sampleIndex) + " is not in the dataset");
        FeatureMapsResult r = mapsOf(*c.network, *c.data.dataset, sampleIndex, c.data.normalization, node);
        r.sampleIndex = sampleIndex;
        r.live = live;
        return [self, r = std::move(r)] {
            if (self)
                emit self->featureMapsReady(r);
        };
    });
}

void InspectionController::requestFeatureMapsForImage(const QString& imagePath, const QString& nodeId)
{
    const std::string node = nodeId.toStdString();
    const std::string path = imagePath.toStdString();
    m_lastMapsRequest = [this, imagePath, nodeId] { requestFeatureMapsForImage(imagePath, nodeId); };
    const bool live = m_live && m_training->isRunning();
    QPointer<InspectionController> self(this);
    submit(Kind::FeatureMaps, [self, path, node, imagePath, live](Context& c) -> std::function<void()> {
        const Dataset one = imageAsDataset(path, c.network->inputShape());
        FeatureMapsResult r = mapsOf(*c.network, one, 0, c.data.normalization, node);
        r.imagePath = imagePath;
        r.live = live;
        return [self, r = std::move(r)] {
            if (self)
                emit self->featureMapsReady(r);
        };
    });
}

namespace {

ExplainResult explainSample(
    Network& net, const Dataset& d, int64_t i, const Normalization& norm, int cls, const std::string& node)
{
    ExplainResult r;
    r.sampleIndex = i;
    sampleAsFloats(d, i, r.input, r.channels, r.height, r.width);
    const Tensor input = inspect::sampleTensor(d, i, norm);
    r.scores = inspect::classify(net, input, 5);
    r.explainedClass = cls >= 0 ? cls : (r.scores.empty() ? 0 : r.scores.front().cls);
    r.saliency = inspect::saliency(net, input, r.explainedClass);
    const std::string target = node.empty() ? inspect::lastConvolution(net) : node;
    if (!target.empty()) {
        r.gradCam = inspect::gradCam(net, input, r.explainedClass, target);
        r.gradCamNode = QString::fromStdString(target);
    }
    return r;
}

} // namespace

void InspectionController::requestExplain(int64_t sampleIndex, int cls, const QString& gradCamNode)
{
    const std::string node = gradCamNode.toStdString();
    QPointer<InspectionController> self(this);
    submit(Kind::Explain, [self, sampleIndex, cls, node](Context& c) -> std::function<void()> {
        if (!c.data.dataset || sampleIndex < 0 || sampleIndex >= c.data.dataset->size())
            throw DataError("sample " + std::to_string(sampleIndex) + " is not in the dataset");
        ExplainResult r = explainSample(*c.network, *c.data.dataset, sampleIndex, c.data.normalization, cls, node);
        return [self, r = std::move(r)] {
            if (self)
                emit self->explainReady(r);
        };
    });
}

void InspectionController::requestExplainImage(const QString& imagePath, int cls, const QString& gradCamNode)
{
    const std::string node = gradCamNode.toStdString();
    const std::string path = imagePath.toStdString();
    QPointer<InspectionController> self(this);
    submit(Kind::Explain, [self, path, imagePath, cls, node](Context& c) -> std::function<void()> {
        const Dataset one = imageAsDataset(path, c.network->inputShape());
        ExplainResult r = explainSample(*c.network, one, 0, c.data.normalization, cls, node);
        r.sampleIndex = -1;
        r.imagePath = imagePath;
        return [self, r = std::move(r)] {
            if (self)
                emit self->explainReady(r);
        };
    });
}

void InspectionController::requestEvaluation(int topK)
{
    if (m_cancelEvaluation)
        *m_cancelEvaluation = true; // a newer request supersedes a running one
    auto cancel = std::make_shared<std::atomic<bool>>(false);
    m_cancelEvaluation = cancel;
    QPointer<InspectionController> self(this);
    submit(Kind::Evaluation, [self, topK, cancel](Context& c) -> std::function<void()> {
        if (!c.data.dataset)
            throw DataError("no dataset to evaluate on");
        if (c.data.testIndices.empty())
            throw DataError("the run has no test samples (set a test fraction in the Data tab)");
        auto last = std::chrono::steady_clock::now();
        auto progress = [self, cancel, &last](int64_t done, int64_t total) {
            const auto now = std::chrono::steady_clock::now();
            if (now - last > std::chrono::milliseconds(100)) {
                last = now;
                QMetaObject::invokeMethod(
                    self.data(),
                    [self, done, total] {
                        if (self)
                            emit self->evaluationProgress(done, total);
                    },
                    Qt::QueuedConnection);
            }
            return !cancel->load();
        };
        inspect::Evaluation e = c.data.dataset->isRegression()
            ? inspect::evaluateRegression(*c.network, *c.data.dataset, c.data.testIndices, c.data.normalization,
                c.data.targetNormalization, 256, progress)
            : inspect::evaluate(
                *c.network, *c.data.dataset, c.data.testIndices, c.data.normalization, topK, 256, progress);
        return [self, e = std::move(e)] {
            if (self)
                emit self->evaluationReady(e);
        };
    });
}

void InspectionController::requestFilters(const QString& nodeId)
{
    const std::string node = nodeId.toStdString();
    QPointer<InspectionController> self(this);
    submit(Kind::Filters, [self, node](Context& c) -> std::function<void()> {
        inspect::Filters f = inspect::convolutionFilters(*c.network, node);
        return [self, f = std::move(f)] {
            if (self)
                emit self->filtersReady(f);
        };
    });
}

void InspectionController::cancelEvaluation()
{
    if (m_cancelEvaluation)
        *m_cancelEvaluation = true;
    m_pending[static_cast<int>(Kind::Evaluation)].reset();
}

void InspectionController::requestRecurrentGates(int64_t sampleIndex, const QString& nodeId, int direction)
{
    const std::string node = nodeId.toStdString();
    QPointer<InspectionController> self(this);
    submit(Kind::Recurrent, [self, sampleIndex, node, direction](Context& c) -> std::function<void()> {
        if (!c.data.dataset)
            throw DataError("no dataset to take the sample from");
        if (sampleIndex < 0 || sampleIndex >= c.data.dataset->size())
            throw DataError("sample " + std::to_string(sampleIndex) + " is not in the dataset");
        RecurrentGatesResult r;
        r.sampleIndex = sampleIndex;
        const Tensor x = inspect::sampleTensor(*c.data.dataset, sampleIndex, c.data.normalization);
        r.gates = inspect::recurrentGates(*c.network, x, node, -1, direction);
        return [self, r = std::move(r)] {
            if (self)
                emit self->recurrentGatesReady(r);
        };
    });
}

void InspectionController::requestStats(int batchSize)
{
    QPointer<InspectionController> self(this);
    submit(Kind::Stats, [self, batchSize](Context& c) -> std::function<void()> {
        if (!c.data.dataset)
            throw DataError("no dataset to take a batch from");
        const std::vector<int64_t>& pool = c.data.testIndices.empty() ? std::vector<int64_t> {} : c.data.testIndices;
        std::vector<int64_t> indices;
        const int64_t n = pool.empty() ? c.data.dataset->size() : static_cast<int64_t>(pool.size());
        const int64_t take = std::min<int64_t>(batchSize, n);
        for (int64_t k = 0; k < take; ++k) {
            const int64_t j = k * n / std::max<int64_t>(take, 1); // evenly spread: every class shows up
            indices.push_back(pool.empty() ? j : pool[static_cast<size_t>(j)]);
        }
        const Tensor batch = inspect::batchTensor(*c.data.dataset, indices, c.data.normalization);
        std::vector<int32_t> labels;
        for (int64_t i : indices)
            labels.push_back(c.data.dataset->labels[static_cast<size_t>(i)]);
        StatsResult r;
        r.batchSize = static_cast<int>(take);
        r.layers = inspect::layerStatistics(*c.network, batch, labels);
        return [self, r = std::move(r)] {
            if (self)
                emit self->statsReady(r);
        };
    });
}

void InspectionController::setLive(bool live)
{
    m_live = live;
}

void InspectionController::setLiveInterval(int ms)
{
    m_liveTimer->setInterval(ms);
}

} // namespace netcanvas::app
