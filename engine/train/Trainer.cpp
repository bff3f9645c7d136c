#include "engine/train/Trainer.h"

#include "engine/core/Error.h"
#include "engine/graph/ModelJson.h"
#include "engine/io/Safetensors.h"
#include "engine/train/Loss.h"
#include "engine/train/Schedule.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <thread>

namespace netcanvas {

namespace {

constexpr double kSnapshotInterval = 0.1; // seconds between published snapshots
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double now()
{
    using namespace std::chrono;
    return duration<double>(steady_clock::now().time_since_epoch()).count();
}

std::string formatNumber(double v)
{
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.4g", v);
    return buf;
}

// A label the model cannot output: names the sample (its file) rather than the batch row.
void checkLabels(const Dataset& data, const Batch& batch, int64_t outputs)
{
    for (size_t i = 0; i < batch.labels.size(); ++i) {
        const int32_t y = batch.labels[i];
        if (y >= 0 && y < outputs)
            continue;
        const int64_t index = i < batch.indices.size() ? batch.indices[i] : -1;
        std::string source = "index ";
        if (index >= 0 && static_cast<size_t>(index) < data.sources.size())
            source = data.sources[static_cast<size_t>(index)];
        else
            source.append(std::to_string(index));
        throw DataError("sample '" + source + "': label " + std::to_string(y) + " is out of range [0, "
            + std::to_string(outputs) + ") for a model with " + std::to_string(outputs) + " outputs");
    }
}

// A parameter the optimizer updates from its gradient (Optimizer.cpp's rule): trainable, with a
// gradient of its own size. The loss scaler checks and unscales exactly these gradients.
bool updatedByOptimizer(const Parameter& p)
{
    return p.trainable && !p.grad.empty() && p.grad.size() == p.value.size();
}

// Clears a flag when leaving scope (so a Trainer can run fit() again after a stop).
struct ResetOnExit {
    std::atomic<bool>& flag;
    ~ResetOnExit() { flag = false; }
};

} // namespace

Trainer::Trainer(const ModelGraph& graph, TrainConfig config, Backend& backend)
    : m_config(std::move(config))
    , m_backend(backend)
    , m_graph(graph)
    , m_grad(backend.allocator())
    , m_labels(backend)
{
    if (m_config.threads > 0)
        m_backend.setThreads(m_config.threads);
    m_network = std::make_unique<Network>(m_graph, m_backend, m_config.seed);
    // A model that ends in Softmax outputs probabilities: cross-entropy then takes them as
    // they are (the Softmax backward completes the usual fused gradient).
    const GraphAnalysis& a = m_network->analysis();
    const GraphNode* out = m_graph.node(a.outputNode);
    m_outputIsProbabilities = out && out->type == "Softmax" && a.outputShape.rank() == 1;
    m_optimizer = Optimizer::create(m_config.optimizer, m_backend);
    if (m_config.lossScaling == LossScaling::On
        || (m_config.lossScaling == LossScaling::Auto && m_backend.mathPrecision() == Precision::Fp16))
        m_scaler = std::make_unique<LossScaler>(m_config.lossScaler);
    // Validate the schedule kind now rather than after the first batch.
    learningRateAt(m_config.schedule, m_config.optimizer.learningRate, 0, 1, 1);
    m_params = m_network->parameters();
    m_trainable = m_network->trainableParameters();
    m_snapshot.resize(m_params.size());
    for (size_t i = 0; i < m_params.size(); ++i)
        m_snapshot[i] = Tensor(m_params[i].param->value.shape());
}

Trainer::~Trainer() = default;

void Trainer::setOnBatch(std::function<void(const BatchEvent&)> fn)
{
    m_onBatch = std::move(fn);
}
void Trainer::setOnEpoch(std::function<void(const EpochEvent&)> fn)
{
    m_onEpoch = std::move(fn);
}

void Trainer::saveParameters(std::vector<Tensor>& dst)
{
    if (dst.size() != m_params.size()) {
        dst.clear();
        for (size_t i = 0; i < m_params.size(); ++i)
            dst.emplace_back(m_backend.allocator());
    }
    for (size_t i = 0; i < m_params.size(); ++i)
        m_network->assign(dst[i], m_params[i].param->value); // allocates only the first time
}

void Trainer::restoreParameters(const std::vector<Tensor>& src)
{
    for (size_t i = 0; i < m_params.size() && i < src.size(); ++i)
        m_network->assign(m_params[i].param->value, src[i]);
}

void Trainer::publishSnapshot()
{
    std::lock_guard<std::mutex> lock(m_snapshotMutex);
    for (size_t i = 0; i < m_params.size(); ++i)
        m_network->assign(m_snapshot[i], m_params[i].param->value); // host copy (a download on a device)
    m_snapshotNormalization = m_normalization; // a few floats: copied with every snapshot
    m_hasSnapshot = true;
}

bool Trainer::copySnapshot(Network& target, Normalization* normalization)
{
    auto params = target.parameters();
    std::lock_guard<std::mutex> lock(m_snapshotMutex);
    if (!m_hasSnapshot)
        return false;
    if (normalization)
        *normalization = m_snapshotNormalization;
    if (params.size() != m_snapshot.size())
        throw GraphError("copySnapshot: the target network has " + std::to_string(params.size())
            + " parameters, the trained one " + std::to_string(m_snapshot.size()));
    for (size_t i = 0; i < params.size(); ++i) {
        if (params[i].param->value.shape() != m_snapshot[i].shape())
            throw ShapeError("copySnapshot: parameter '" + params[i].key() + "' is "
                + params[i].param->value.shape().toString() + " in the target, " + m_snapshot[i].shape().toString()
                + " in the trained network");
        target.assign(params[i].param->value, m_snapshot[i]); // uploaded when the target is on a device
    }
    return true;
}

void Trainer::writeCheckpoint(const std::string& fileName, const Dataset& data)
{
    WeightsMeta meta;
    meta.classNames = data.classNames;
    meta.mean = m_normalization.mean;
    meta.stddev = m_normalization.stddev;
    meta.modelJson = m_checkpointModelJson;
    saveWeights((std::filesystem::path(m_config.checkpointDir) / fileName).string(), *m_network, meta);
}

EvalResult Trainer::runEvaluation(const Dataset& data, DataLoader& loader, int classes, bool confusion)
{
    EvalResult r;
    r.confusion.reset(confusion ? classes : 0);
    Batch batch;
    double lossSum = 0.0;
    int64_t correct = 0;
    loader.startEpoch(0);
    while (loader.next(batch)) {
        const int64_t n = batch.size();
        if (n == 0)
            continue;
        checkLabels(data, batch, m_network->outputShape().numel());
        batch.images.reshape(m_network->inputShape().batched(n));
        const Tensor& out = m_network->forward(batch.images, false);
        const int32_t* labels = m_labels.upload(batch.labels);
        const double loss = computeLoss(m_backend, m_config.loss, out, labels, m_grad, m_outputIsProbabilities);
        lossSum += loss * static_cast<double>(n);
        if (confusion) {
            const Tensor* host = &out;
            if (!out.isHost()) {
                m_network->assign(m_hostOutput, out);
                host = &m_hostOutput;
            }
            for (int64_t i = 0; i < n; ++i) {
                const int predicted = argmaxRow(*host, i);
                correct += predicted == batch.labels[static_cast<size_t>(i)] ? 1 : 0;
                r.confusion.add(batch.labels[static_cast<size_t>(i)], predicted);
            }
        } else {
            correct += m_backend.countCorrect(out.data(), labels, n, out.sampleSize());
        }
        r.samples += n;
    }
    if (r.samples == 0) {
        r.loss = kNaN;
        r.accuracy = kNaN;
    } else {
        r.loss = lossSum / static_cast<double>(r.samples);
        r.accuracy = static_cast<double>(correct) / static_cast<double>(r.samples);
    }
    return r;
}

EvalResult Trainer::evaluate(const Dataset& data, const std::vector<int64_t>& indices)
{
    const int classes = static_cast<int>(m_network->outputShape().numel());
    if (indices.empty()) {
        EvalResult r;
        r.loss = kNaN;
        r.accuracy = kNaN;
        r.confusion.reset(classes);
        return r;
    }
    if (data.sampleSize() != m_network->inputShape().numel())
        throw ShapeError("evaluate: the network takes " + m_network->inputShape().toString()
            + " inputs, the dataset has " + data.sampleShape().toString() + " samples");
    LoaderOptions opt;
    opt.batchSize = m_config.batchSize;
    opt.shuffle = false;
    opt.seed = m_config.seed;
    opt.normalization = m_normalization;
    DataLoader loader(data, indices, opt);
    return runEvaluation(data, loader, classes, true);
}

TrainResult Trainer::fit(const Dataset& data, const DataSplit& split)
{
    ResetOnExit resetStop { m_stop };
    TrainResult result;
    const double fitStart = now();

    if (split.train.empty())
        throw DataError("training: the training split is empty (dataset '" + data.root + "' has "
            + std::to_string(data.size()) + " samples)");
    Network& net = *m_network;
    if (data.sampleSize() != net.inputShape().numel())
        throw ShapeError("training: the model's input node '" + net.analysis().inputNode + "' takes "
            + net.inputShape().toString() + " samples, the dataset has " + data.sampleShape().toString());
    const int64_t outputs = net.outputShape().numel();
    if (data.numClasses() > outputs)
        throw ShapeError("training: the model's output node '" + net.analysis().outputNode + "' has "
            + std::to_string(outputs) + " values, but the dataset has " + std::to_string(data.numClasses())
            + " classes");

    if (m_config.normalize && !m_normalizationFixed)
        m_normalization = computeNormalization(data, split.train);
    {
        ModelGraph recipe = m_graph;
        recipe.training = trainConfigToJson(m_config);
        m_checkpointModelJson = serializeModel(recipe);
    }

    LoaderOptions trainOpt;
    trainOpt.batchSize = m_config.batchSize;
    trainOpt.shuffle = true;
    trainOpt.seed = m_config.seed;
    trainOpt.normalization = m_normalization;
    trainOpt.augmentation = m_config.augmentation;
    DataLoader trainLoader(data, split.train, trainOpt);
    std::unique_ptr<DataLoader> validationLoader;
    if (!split.validation.empty()) {
        LoaderOptions valOpt = trainOpt;
        valOpt.shuffle = false;
        valOpt.augmentation = Augmentation {};
        validationLoader = std::make_unique<DataLoader>(data, split.validation, valOpt);
    }

    const int64_t batchesPerEpoch = trainLoader.batchesPerEpoch();
    const int64_t totalSteps = static_cast<int64_t>(m_config.epochs) * batchesPerEpoch;
    const double baseLr = m_config.optimizer.learningRate;
    const bool keepBest = m_config.earlyStoppingPatience > 0;

    double best = std::numeric_limits<double>::infinity();
    int epochsWithoutImprovement = 0;
    int64_t globalStep = 0;
    double activeSeconds = 0.0; // time spent training (pauses excluded)
    int64_t samplesSeen = 0;
    double smoothedRate = 0.0;
    Batch batch;
    m_lastPublish = -1.0;

    auto publishThrottled = [&](bool force) {
        const double t = now();
        if (force || m_lastPublish < 0.0 || t - m_lastPublish >= kSnapshotInterval) {
            publishSnapshot();
            m_lastPublish = t;
        }
    };
    auto where = [](int epoch, int64_t b) {
        return "training stopped at epoch " + std::to_string(epoch + 1) + ", batch " + std::to_string(b + 1);
    };

    for (int epoch = 0; epoch < m_config.epochs; ++epoch) {
        const double epochStart = now();
        double epochActive = 0.0;
        trainLoader.startEpoch(epoch);
        double lossSum = 0.0;
        int64_t correct = 0, epochSamples = 0;
        double lr = baseLr;
        bool interrupted = false;
        int64_t epochSkipped = 0;

        for (int64_t b = 0;; ++b) {
            // Between batches: honour pause (stop still works while paused) and stop.
            while (m_pause && !m_stop)
                std::this_thread::sleep_for(std::chrono::milliseconds(5));
            if (m_stop) {
                result.stopped = true;
                // b batches of this epoch are done (b may equal batchesPerEpoch).
                result.message = "stopped by request in epoch " + std::to_string(epoch + 1) + " after batch "
                    + std::to_string(b) + " of " + std::to_string(batchesPerEpoch);
                interrupted = true;
                break;
            }
            const double t0 = now();
            if (!trainLoader.next(batch))
                break;
            const int64_t n = batch.size();
            if (n == 0)
                continue;
            checkLabels(data, batch, outputs);
            batch.images.reshape(net.inputShape().batched(n));
            lr = learningRateAt(m_config.schedule, baseLr, globalStep, totalSteps, batchesPerEpoch);

            // The values before this step: restored if the step goes non-finite (running
            // statistics change in forward(), so the copy comes first).
            saveParameters(m_lastGood);
            const Tensor& out = net.forward(batch.images, true);
            const int32_t* labels = m_labels.upload(batch.labels);
            const double dataLoss = computeLoss(m_backend, m_config.loss, out, labels, m_grad, m_outputIsProbabilities);
            const double loss = dataLoss + m_optimizer->penalty(m_trainable);
            if (!std::isfinite(loss)) {
                const std::string node = net.firstNonFiniteNode();
                restoreParameters(m_lastGood);
                result.diverged = true;
                result.message = where(epoch, b) + ": the loss became " + (std::isnan(loss) ? "NaN" : "Inf")
                    + (node.empty() ? std::string("; the outputs are finite but too large")
                                    : "; first non-finite output at node '" + node + "'")
                    + " \u2014 try a lower learning rate";
                interrupted = true;
                break;
            }
            const int64_t batchCorrect = m_backend.countCorrect(out.data(), labels, n, out.sampleSize());
            const float lossScale = m_scaler ? m_scaler->scale() : 1.0f;
            if (m_scaler)
                m_backend.scale(lossScale, m_grad.data(), m_grad.size());
            net.backward(m_grad);
            bool skipped = false;
            if (m_scaler) {
                // One check of every gradient the optimizer reads; a non-finite one is an overflow
                // of the scaled values: skip the update and back off (LossScaler.h).
                m_gradSpans.clear();
                for (const auto& p : m_trainable)
                    if (updatedByOptimizer(*p.param))
                        m_gradSpans.push_back({ p.param->grad.data(), p.param->grad.size() });
                const LossScaler::Verdict verdict = m_scaler->update(m_backend.allFinite(m_gradSpans));
                if (verdict == LossScaler::Verdict::Stop) {
                    restoreParameters(m_lastGood);
                    result.diverged = true;
                    result.message = where(epoch, b) + ": " + m_scaler->stopReason()
                        + " \u2014 try FP32 math or a lower learning rate";
                    ++epochSkipped;
                    ++result.skippedSteps;
                    interrupted = true;
                    break;
                }
                skipped = verdict == LossScaler::Verdict::Skip;
                if (skipped) {
                    ++epochSkipped;
                    ++result.skippedSteps;
                } else {
                    // Exact: the scale is a power of two. Before the optimizer adds its L1/L2
                    // terms and weight decay to the gradients.
                    for (const auto& p : m_trainable)
                        if (updatedByOptimizer(*p.param))
                            m_backend.scale(1.0f / lossScale, p.param->grad.data(), p.param->grad.size());
                }
            }
            if (!skipped)
                m_optimizer->step(m_trainable, lr);
            // An update that overflowed: undo it. One check of all values (a device waits
            // once); the per-parameter search for the name only when one is bad.
            std::string badParam;
            m_valueSpans.clear();
            for (const auto& p : m_params)
                m_valueSpans.push_back({ p.param->value.data(), p.param->value.size() });
            if (!m_backend.allFinite(m_valueSpans))
                for (const auto& p : m_params)
                    if (m_backend.firstNonFinite(p.param->value.data(), p.param->value.size()) >= 0) {
                        badParam = p.key();
                        break;
                    }
            if (!badParam.empty()) {
                restoreParameters(m_lastGood);
                result.diverged = true;
                result.message = where(epoch, b) + ": the update made parameter '" + badParam
                    + "' non-finite (the gradients overflowed) \u2014 try a lower learning rate";
                interrupted = true;
                break;
            }

            lossSum += loss * static_cast<double>(n);
            correct += batchCorrect;
            epochSamples += n;
            samplesSeen += n;
            const double dt = std::max(now() - t0, 1e-9);
            epochActive += dt;
            const double rate = static_cast<double>(n) / dt;
            smoothedRate = smoothedRate == 0.0 ? rate : 0.9 * smoothedRate + 0.1 * rate;
            publishThrottled(false);

            if (m_onBatch) {
                BatchEvent e;
                e.epoch = epoch;
                e.batch = b;
                e.batchesPerEpoch = batchesPerEpoch;
                e.globalStep = globalStep;
                e.totalSteps = totalSteps;
                e.loss = loss;
                e.accuracy = static_cast<double>(batchCorrect) / static_cast<double>(n);
                e.learningRate = lr;
                e.samplesPerSecond = smoothedRate;
                e.etaSeconds = static_cast<double>(totalSteps - globalStep - 1)
                    * static_cast<double>(m_config.batchSize) / smoothedRate;
                e.lossScale = m_scaler ? lossScale : 0.0;
                e.skipped = skipped;
                m_onBatch(e);
            }
            ++globalStep;
        }
        activeSeconds += epochActive;
        if (interrupted)
            break;
        if (m_stop) { // requested in the last batch's callback: skip validation
            result.stopped = true;
            result.message = "stopped by request after the last batch of epoch " + std::to_string(epoch + 1);
            break;
        }

        EpochEvent ev;
        ev.epoch = epoch;
        ev.trainLoss = epochSamples ? lossSum / static_cast<double>(epochSamples) : kNaN;
        ev.trainAccuracy = epochSamples ? static_cast<double>(correct) / static_cast<double>(epochSamples) : kNaN;
        ev.validationLoss = kNaN;
        ev.validationAccuracy = kNaN;
        if (validationLoader) {
            const double v0 = now();
            const EvalResult v = runEvaluation(data, *validationLoader, static_cast<int>(outputs), false);
            activeSeconds += now() - v0;
            ev.validationLoss = v.loss;
            ev.validationAccuracy = v.accuracy;
        }
        ev.learningRate = lr;
        ev.skippedSteps = epochSkipped;
        ev.lossScale = m_scaler ? m_scaler->scale() : 0.0;
        ev.seconds = now() - epochStart;
        ev.samplesPerSecond = epochActive > 0.0 ? static_cast<double>(epochSamples) / epochActive : 0.0;
        const double monitored = validationLoader ? ev.validationLoss : ev.trainLoss;
        ev.improved = std::isfinite(monitored) && monitored < best;
        if (ev.improved) {
            best = monitored;
            result.bestValidationLoss = monitored;
            result.bestEpoch = epoch;
            epochsWithoutImprovement = 0;
            if (keepBest)
                saveParameters(m_best);
        } else {
            ++epochsWithoutImprovement;
        }
        if (!m_config.checkpointDir.empty()) {
            writeCheckpoint("last.safetensors", data);
            if (ev.improved)
                writeCheckpoint("best.safetensors", data);
        }
        publishThrottled(true);
        result.epochsCompleted = epoch + 1;
        result.history.push_back(ev);
        if (m_onEpoch)
            m_onEpoch(ev);

        if (keepBest && epochsWithoutImprovement >= m_config.earlyStoppingPatience && epoch + 1 < m_config.epochs) {
            result.earlyStopped = true;
            restoreParameters(m_best);
            result.message = "early stopping after epoch " + std::to_string(epoch + 1) + ": the "
                + std::string(validationLoader ? "validation" : "training") + " loss did not improve for "
                + std::to_string(epochsWithoutImprovement) + " epoch" + (epochsWithoutImprovement == 1 ? "" : "s")
                + "; restored the best weights (epoch " + std::to_string(result.bestEpoch + 1) + ", loss "
                + formatNumber(best) + ")";
            break;
        }
    }

    if (result.stopped && !m_config.checkpointDir.empty())
        writeCheckpoint("last.safetensors", data); // the stopped run's weights are not lost
    publishThrottled(true);
    result.seconds = now() - fitStart;
    result.samplesPerSecond = activeSeconds > 0.0 ? static_cast<double>(samplesSeen) / activeSeconds : 0.0;
    if (result.bestEpoch < 0)
        result.bestValidationLoss = kNaN;
    result.lossScale = m_scaler ? m_scaler->scale() : 0.0;
    return result;
}

} // namespace netcanvas
