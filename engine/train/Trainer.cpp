#include "engine/train/Trainer.h"

#include "engine/core/Error.h"
#include "engine/graph/ModelJson.h"
#include "engine/io/Safetensors.h"
#include "engine/train/GradientClipping.h"
#include "engine/train/Loss.h"
#include "engine/train/Schedule.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>

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
    if (data.isRegression())
        return;
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

StepResult stoppedStep()
{
    StepResult s;
    s.outcome = StepOutcome::Stopped;
    return s;
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
    m_network->setFrozenNodes(m_graph.frozenNodes());
    // A model that ends in Softmax outputs probabilities: cross-entropy then takes them as
    // they are (the Softmax backward completes the usual fused gradient).
    m_outputIsProbabilities = outputIsProbabilities(m_graph, m_network->analysis());
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

double Trainer::batchLoss(const Batch& batch, const Tensor& out, const int32_t*& labels)
{
    if (batch.targets.empty()) {
        labels = m_labels.upload(batch.labels);
        return computeLoss(m_backend, m_config.loss, out, labels, m_grad, m_outputIsProbabilities);
    }
    labels = nullptr;
    return computeRegressionLoss(m_backend, m_config.loss, out, batch.targets, m_grad, m_hostOut, m_hostGrad);
}

double Trainer::targetUnit(const Dataset& data) const
{
    const double sd = m_targetNormalization.empty() ? 1.0 : m_targetNormalization.stddev[0];
    return sd * static_cast<double>(data.targetScale);
}

EvalResult Trainer::runEvaluation(const Dataset& data, DataLoader& loader, int classes, bool confusion)
{
    EvalResult r;
    r.regression = data.isRegression();
    r.confusion.reset(confusion && !r.regression ? classes : 0);
    Batch batch;
    double lossSum = 0.0;
    int64_t correct = 0;
    RegressionMetrics metrics;
    const float tMean = m_targetNormalization.empty() ? 0.0f : m_targetNormalization.mean[0];
    const float tSd = m_targetNormalization.empty() ? 1.0f : m_targetNormalization.stddev[0];
    auto toDataUnits = [&](float v) { return (v * tSd + tMean) * data.targetScale + data.targetOffset; };
    loader.startEpoch(0);
    while (loader.next(batch)) {
        const int64_t n = batch.size();
        if (n == 0)
            continue;
        checkLabels(data, batch, m_network->outputShape().numel());
        batch.images.reshape(m_network->inputShape().batched(n));
        const Tensor& out = m_network->forward(batch.images, false);
        const int32_t* labels = nullptr;
        const double loss = batchLoss(batch, out, labels);
        lossSum += loss * static_cast<double>(n);
        if (r.regression) {
            const int64_t count = batch.targets.size();
            metrics.add(m_hostOut.data(), batch.targets.data(), count);
            if (confusion) {
                r.indices.insert(r.indices.end(), batch.indices.begin(), batch.indices.end());
                for (int64_t i = 0; i < count; ++i) {
                    r.predicted.push_back(toDataUnits(m_hostOut[static_cast<size_t>(i)]));
                    r.actual.push_back(toDataUnits(batch.targets.data()[i]));
                }
            }
        } else if (confusion) {
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
        r.accuracy = r.regression ? kNaN : static_cast<double>(correct) / static_cast<double>(r.samples);
    }
    if (r.regression) {
        r.rmse = metrics.rmse(targetUnit(data));
        r.mae = metrics.mae(targetUnit(data));
        r.r2 = metrics.r2();
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
        r.confusion.reset(data.isRegression() ? 0 : classes);
        r.regression = data.isRegression();
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
    opt.targetNormalization = m_targetNormalization;
    DataLoader loader(data, indices, opt);
    return runEvaluation(data, loader, classes, true);
}

// ---- fit ------------------------------------------------------------------------------------

// One fit()'s state: what it was given, its loaders, the counters that run across epochs and
// the result being built.
struct Trainer::FitRun {
    const Dataset& data;
    int64_t outputs = 0; // the model's output values (labels must be below)
    DataLoader trainLoader;
    std::unique_ptr<DataLoader> validationLoader; // null: no validation split
    int64_t batchesPerEpoch = 0;
    int64_t totalSteps = 0;
    double baseLr = 0.0;
    bool keepBest = false; // early stopping keeps the best weights
    double best = std::numeric_limits<double>::infinity(); // the monitored loss of the best epoch
    int epochsWithoutImprovement = 0;
    int64_t globalStep = 0;
    double activeSeconds = 0.0; // time spent training (pauses excluded)
    int64_t samplesSeen = 0;
    double smoothedRate = 0.0;
    double start = 0.0;
    Batch batch;
    TrainResult result;

    FitRun(const Dataset& d, const std::vector<int64_t>& train, const LoaderOptions& opt)
        : data(d)
        , trainLoader(d, train, opt)
    {
    }
};

struct Trainer::EpochTotals {
    double start = 0.0;
    double pausedAtStart = 0.0; // Trainer::m_pausedSeconds when the epoch began
    double active = 0.0; // seconds spent in steps
    double lossSum = 0.0;
    int64_t correct = 0, samples = 0, skipped = 0;
    double squaredError = 0.0; // regression: normalized units
    int64_t values = 0;
    double lr = 0.0; // the last step's learning rate
};

void Trainer::requestStop()
{
    {
        std::lock_guard<std::mutex> lock(m_controlMutex);
        m_stop = true;
    }
    m_controlChanged.notify_all();
}

void Trainer::requestPause(bool paused)
{
    {
        std::lock_guard<std::mutex> lock(m_controlMutex);
        m_pause = paused;
    }
    m_controlChanged.notify_all();
}

bool Trainer::waitWhilePaused()
{
    if (m_pause) {
        const double t0 = now();
        std::unique_lock<std::mutex> lock(m_controlMutex);
        m_controlChanged.wait(lock, [this] { return !m_pause || m_stop; });
        m_pausedSeconds += now() - t0; // a run's time is its training time
    }
    return m_stop;
}

void Trainer::checkFitInputs(const Dataset& data, const DataSplit& split) const
{
    if (split.train.empty())
        throw DataError("training: the training split is empty (dataset '" + data.root + "' has "
            + std::to_string(data.size()) + " samples)");
    const Network& net = *m_network;
    if (data.isRegression()) {
        if (!isRegressionLoss(m_config.loss))
            throw DataError("training: dataset '" + data.root
                + "' has real-valued targets: choose the mse, mae or huber loss, not " + toString(m_config.loss));
        if (data.sampleSize() != net.inputShape().numel())
            throw ShapeError("training: the model's input node '" + net.analysis().inputNode + "' takes "
                + net.inputShape().toString() + " samples, the dataset has " + data.sampleShape().toString());
        if (net.outputShape().numel() != data.targetSize())
            throw ShapeError("training: the model's output node '" + net.analysis().outputNode + "' gives "
                + net.outputShape().toString() + " values per sample, but the targets of '" + data.root + "' are "
                + data.targetShape.toString());
        return;
    }
    if (m_config.loss == LossKind::MeanAbsoluteError || m_config.loss == LossKind::Huber)
        throw DataError("training: the " + toString(m_config.loss) + " loss needs real-valued targets; dataset '"
            + data.root + "' has class labels (use cross_entropy or mse)");
    // One class is not a classification: a 1-unit model would report 100% accuracy.
    const int32_t firstLabel = data.labels[static_cast<size_t>(split.train.front())];
    bool twoClasses = false;
    for (int64_t i : split.train)
        if (data.labels[static_cast<size_t>(i)] != firstLabel) {
            twoClasses = true;
            break;
        }
    if (!twoClasses) {
        const std::string name = firstLabel >= 0 && firstLabel < data.numClasses()
            ? data.classNames[static_cast<size_t>(firstLabel)]
            : std::to_string(firstLabel);
        throw DataError("training: dataset '" + data.root + "': every training sample is of class '" + name
            + "': a classifier needs samples of at least 2 classes");
    }
    if (data.sampleSize() != net.inputShape().numel())
        throw ShapeError("training: the model's input node '" + net.analysis().inputNode + "' takes "
            + net.inputShape().toString() + " samples, the dataset has " + data.sampleShape().toString());
    const int64_t outputs = net.outputShape().numel();
    if (data.numClasses() > outputs)
        throw ShapeError("training: the model's output node '" + net.analysis().outputNode + "' has "
            + std::to_string(outputs) + " values, but the dataset has " + std::to_string(data.numClasses())
            + " classes");
}

TrainResult Trainer::fit(const Dataset& data, const DataSplit& split)
{
    ResetOnExit resetStop { m_stop };
    const double fitStart = now();
    m_pausedSeconds = 0.0;
    checkFitInputs(data, split);
    if (m_config.normalize && !m_normalizationFixed)
        m_normalization = computeNormalization(data, split.train);
    if (m_config.normalize && !m_normalizationFixed)
        m_targetNormalization = computeTargetNormalization(data, split.train);
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
    if (m_sync) { // this rank's slice of every global batch (DataLoader.h)
        trainOpt.shardCount = m_sync->size();
        trainOpt.shardRank = m_sync->rank();
    }
    trainOpt.targetNormalization = m_targetNormalization;
    FitRun run(data, split.train, trainOpt);
    run.start = fitStart;
    run.outputs = m_network->outputShape().numel();
    if (!split.validation.empty()) {
        LoaderOptions valOpt = trainOpt;
        valOpt.shuffle = false;
        valOpt.augmentation = Augmentation {};
        valOpt.shardCount = 1; // rank 0 validates on the whole validation split
        valOpt.shardRank = 0;
        run.validationLoader = std::make_unique<DataLoader>(data, split.validation, valOpt);
    }
    run.batchesPerEpoch = run.trainLoader.batchesPerEpoch();
    run.totalSteps = static_cast<int64_t>(m_config.epochs) * run.batchesPerEpoch;
    run.baseLr = m_config.optimizer.learningRate;
    run.keepBest = m_config.earlyStoppingPatience > 0;
    m_lastPublish = -1.0;
    struct Detach {
        GradientSync* sync;
        ~Detach()
        {
            if (sync)
                sync->detach();
        }
    } detach { m_sync };
    if (m_sync)
        m_sync->attach(*m_network, m_trainable, m_params);

    for (int epoch = 0; epoch < m_config.epochs; ++epoch) {
        EpochTotals totals;
        totals.start = now();
        totals.pausedAtStart = m_pausedSeconds;
        totals.lr = run.baseLr;
        const StepOutcome end = runEpoch(run, epoch, totals);
        run.activeSeconds += totals.active;
        if (end != StepOutcome::Trained)
            break;
        if (m_stop) { // requested in the last batch's callback: skip validation
            run.result.stopped = true;
            run.result.lastStep = stoppedStep();
            run.result.message = "stopped after the last batch of epoch " + std::to_string(epoch + 1);
            break;
        }
        EpochEvent ev = validate(run, epoch, totals);
        if (concludeEpoch(run, data, ev))
            break;
    }
    finishFit(run, data);
    return std::move(run.result);
}

StepOutcome Trainer::runEpoch(FitRun& run, int epoch, EpochTotals& totals)
{
    run.trainLoader.startEpoch(epoch);
    Network& net = *m_network;
    TrainResult& result = run.result;
    for (int64_t b = 0;; ++b) {
        // Between batches: honour pause (stop still works while paused) and stop.
        if (waitWhilePaused()) {
            result.stopped = true;
            result.lastStep = stoppedStep();
            // b batches of this epoch are done (b may equal batchesPerEpoch).
            result.message = "stopped in epoch " + std::to_string(epoch + 1) + " after batch " + std::to_string(b)
                + " of " + std::to_string(run.batchesPerEpoch);
            return StepOutcome::Stopped;
        }
        const double t0 = now();
        if (!run.trainLoader.next(run.batch))
            return StepOutcome::Trained;
        const int64_t n = run.batch.size();
        if (n == 0)
            continue;
        checkLabels(run.data, run.batch, run.outputs);
        run.batch.images.reshape(net.inputShape().batched(n));
        totals.lr = learningRateAt(m_config.schedule, run.baseLr, run.globalStep, run.totalSteps, run.batchesPerEpoch);

        if (m_sync)
            m_sync->beginStep(n, run.batch.globalSize);
        StepResult step = trainStep(run.batch, totals.lr);
        if (step.updateSkipped) {
            ++totals.skipped;
            ++result.skippedSteps;
        }
        if (step.outcome == StepOutcome::Diverged) {
            result.diverged = true;
            result.message = "training stopped at epoch " + std::to_string(epoch + 1) + ", batch "
                + std::to_string(b + 1) + ": " + step.message;
            result.lastStep = std::move(step);
            return StepOutcome::Diverged;
        }
        reportBatch(run, totals, step, epoch, b, n, totals.lr, std::max(now() - t0, 1e-9));
        result.lastStep = std::move(step);
    }
}

StepResult Trainer::trainStep(const Batch& batch, double lr)
{
    Network& net = *m_network;
    const int64_t n = batch.size();
    StepResult step;
    // The values before this step: restored if the step goes non-finite (running
    // statistics change in forward(), so the copy comes first).
    saveParameters(m_lastGood);
    const Tensor& out = net.forward(batch.images, true);
    const int32_t* labels = nullptr;
    const double dataLoss = batchLoss(batch, out, labels);
    step.loss = dataLoss + m_optimizer->penalty(m_trainable);
    if (!std::isfinite(step.loss)) {
        if (m_sync)
            m_sync->abandonStep(); // the other ranks finish the step and diverge too
        step.outcome = StepOutcome::Diverged;
        step.node = net.firstNonFiniteNode();
        restoreParameters(m_lastGood);
        step.message = std::string("the loss became ") + (std::isnan(step.loss) ? "NaN" : "Inf")
            + (step.node.empty() ? std::string("; the outputs are finite but too large")
                                 : "; first non-finite output at node '" + step.node + "'")
            + " \u2014 try a lower learning rate";
        return step;
    }
    if (labels) {
        step.correct = m_backend.countCorrect(out.data(), labels, n, out.sampleSize());
    } else {
        step.values = batch.targets.size();
        for (int64_t i = 0; i < step.values; ++i) {
            const double d = static_cast<double>(m_hostOut[static_cast<size_t>(i)]) - batch.targets.data()[i];
            step.squaredError += d * d;
        }
    }
    step.lossScale = m_scaler ? m_scaler->scale() : 1.0f;
    if (m_scaler)
        m_backend.scale(step.lossScale, m_grad.data(), m_grad.size());
    net.backward(m_grad);
    if (m_sync)
        m_sync->finishGradients(); // every rank now holds the global batch's gradients
    if (m_scaler) {
        step = applyLossScaling(std::move(step));
        if (step.outcome == StepOutcome::Diverged) {
            restoreParameters(m_lastGood);
            return step;
        }
    }
    if (step.outcome == StepOutcome::Trained && m_config.clipNorm > 0.0) {
        m_gradSpans.clear();
        for (const auto& p : m_trainable)
            if (updatedByOptimizer(*p.param))
                m_gradSpans.push_back({ p.param->grad.data(), p.param->grad.size() });
        step.gradNorm = clipGradientNorm(m_backend, m_gradSpans, m_config.clipNorm);
    }
    if (step.outcome == StepOutcome::Trained)
        m_optimizer->step(m_trainable, lr);
    if (m_sync)
        m_sync->afterUpdate();
    // An update that overflowed: undo it.
    step.parameter = nonFiniteParameter();
    if (!step.parameter.empty()) {
        restoreParameters(m_lastGood);
        step.outcome = StepOutcome::Diverged;
        step.message = "the update made parameter '" + step.parameter
            + "' non-finite (the gradients overflowed) \u2014 try a lower learning rate";
    }
    return step;
}

StepResult Trainer::applyLossScaling(StepResult step)
{
    // One check of every gradient the optimizer reads; a non-finite one is an overflow of the
    // scaled values: skip the update and back off (LossScaler.h).
    m_gradSpans.clear();
    for (const auto& p : m_trainable)
        if (updatedByOptimizer(*p.param))
            m_gradSpans.push_back({ p.param->grad.data(), p.param->grad.size() });
    const LossScaler::Verdict verdict = m_scaler->update(m_backend.allFinite(m_gradSpans));
    if (verdict == LossScaler::Verdict::Stop) {
        step.outcome = StepOutcome::Diverged;
        step.updateSkipped = true;
        step.message = m_scaler->stopReason() + " \u2014 try FP32 math or a lower learning rate";
    } else if (verdict == LossScaler::Verdict::Skip) {
        step.outcome = StepOutcome::SkippedByLossScaling;
        step.updateSkipped = true;
    } else {
        // Exact: the scale is a power of two. Before the optimizer adds its L1/L2 terms and
        // weight decay to the gradients.
        for (const auto& p : m_trainable)
            if (updatedByOptimizer(*p.param))
                m_backend.scale(1.0f / step.lossScale, p.param->grad.data(), p.param->grad.size());
    }
    return step;
}

std::string Trainer::nonFiniteParameter()
{
    // One check of all values (a device waits once); the per-parameter search for the name
    // only when one is bad.
    m_valueSpans.clear();
    for (const auto& p : m_params)
        m_valueSpans.push_back({ p.param->value.data(), p.param->value.size() });
    if (m_backend.allFinite(m_valueSpans))
        return {};
    for (const auto& p : m_params)
        if (m_backend.firstNonFinite(p.param->value.data(), p.param->value.size()) >= 0)
            return p.key();
    return {};
}

void Trainer::reportBatch(FitRun& run, EpochTotals& totals, const StepResult& step, int epoch, int64_t b, int64_t n,
    double lr, double seconds)
{
    totals.lossSum += step.loss * static_cast<double>(n);
    totals.correct += step.correct;
    totals.squaredError += step.squaredError;
    totals.values += step.values;
    totals.samples += n;
    run.samplesSeen += n;
    totals.active += seconds;
    const double rate = static_cast<double>(n) / seconds;
    run.smoothedRate = run.smoothedRate == 0.0 ? rate : 0.9 * run.smoothedRate + 0.1 * rate;
    publishThrottled(false);
    if (m_onBatch) {
        BatchEvent e;
        e.epoch = epoch;
        e.batch = b;
        e.batchesPerEpoch = run.batchesPerEpoch;
        e.globalStep = run.globalStep;
        e.totalSteps = run.totalSteps;
        e.loss = step.loss;
        e.regression = run.data.isRegression();
        e.accuracy = e.regression ? kNaN : static_cast<double>(step.correct) / static_cast<double>(n);
        if (e.regression && step.values > 0)
            e.rmse = std::sqrt(step.squaredError / static_cast<double>(step.values)) * targetUnit(run.data);
        e.learningRate = lr;
        e.samplesPerSecond = run.smoothedRate;
        e.etaSeconds = static_cast<double>(run.totalSteps - run.globalStep - 1)
            * static_cast<double>(m_config.batchSize) / run.smoothedRate;
        e.lossScale = m_scaler ? step.lossScale : 0.0;
        e.gradNorm = step.gradNorm;
        e.skipped = step.outcome == StepOutcome::SkippedByLossScaling;
        e.outcome = step.outcome;
        m_onBatch(e);
    }
    ++run.globalStep;
}

EpochEvent Trainer::validate(FitRun& run, int epoch, const EpochTotals& totals)
{
    EpochEvent ev;
    ev.epoch = epoch;
    const double samples = static_cast<double>(totals.samples);
    ev.trainLoss = totals.samples ? totals.lossSum / samples : kNaN;
    ev.trainAccuracy = totals.samples ? static_cast<double>(totals.correct) / samples : kNaN;
    ev.regression = run.data.isRegression();
    if (ev.regression) {
        ev.trainAccuracy = kNaN;
        if (totals.values > 0)
            ev.trainRmse = std::sqrt(totals.squaredError / static_cast<double>(totals.values)) * targetUnit(run.data);
    }
    ev.validationLoss = kNaN;
    ev.validationAccuracy = kNaN;
    if (run.validationLoader) {
        const double v0 = now();
        const EvalResult v = runEvaluation(run.data, *run.validationLoader, static_cast<int>(run.outputs), false);
        run.activeSeconds += now() - v0;
        ev.validationLoss = v.loss;
        ev.validationAccuracy = v.accuracy;
        ev.validationRmse = v.rmse;
        ev.validationMae = v.mae;
        ev.validationR2 = v.r2;
    }
    ev.learningRate = totals.lr;
    ev.skippedSteps = totals.skipped;
    ev.lossScale = m_scaler ? m_scaler->scale() : 0.0;
    ev.seconds = now() - totals.start - (m_pausedSeconds - totals.pausedAtStart);
    ev.samplesPerSecond = totals.active > 0.0 ? samples / totals.active : 0.0;
    return ev;
}

bool Trainer::concludeEpoch(FitRun& run, const Dataset& data, EpochEvent& ev)
{
    TrainResult& result = run.result;
    const int epoch = ev.epoch;
    const double monitored = run.validationLoader ? ev.validationLoss : ev.trainLoss;
    ev.improved = std::isfinite(monitored) && monitored < run.best;
    if (ev.improved) {
        run.best = monitored;
        result.bestValidationLoss = monitored;
        result.bestEpoch = epoch;
        run.epochsWithoutImprovement = 0;
        if (run.keepBest)
            saveParameters(m_best);
    } else {
        ++run.epochsWithoutImprovement;
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

    const int waited = run.epochsWithoutImprovement;
    if (!run.keepBest || waited < m_config.earlyStoppingPatience || epoch + 1 >= m_config.epochs)
        return false;
    result.earlyStopped = true;
    restoreParameters(m_best);
    result.message = "early stopping after epoch " + std::to_string(epoch + 1) + ": the "
        + std::string(run.validationLoader ? "validation" : "training") + " loss did not improve for "
        + std::to_string(waited) + " epoch" + (waited == 1 ? "" : "s") + "; restored the best weights (epoch "
        + std::to_string(result.bestEpoch + 1) + ", loss " + formatNumber(run.best) + ")";
    return true;
}

void Trainer::finishFit(FitRun& run, const Dataset& data)
{
    TrainResult& result = run.result;
    if (result.stopped && !m_config.checkpointDir.empty())
        writeCheckpoint("last.safetensors", data); // the stopped run's weights are not lost
    publishThrottled(true);
    result.seconds = now() - run.start - m_pausedSeconds; // paused time excluded
    result.samplesPerSecond = run.activeSeconds > 0.0 ? static_cast<double>(run.samplesSeen) / run.activeSeconds : 0.0;
    if (result.bestEpoch < 0)
        result.bestValidationLoss = kNaN;
    result.lossScale = m_scaler ? m_scaler->scale() : 0.0;
    result.hostOps = m_backend.fallbackNote();
}

void Trainer::publishThrottled(bool force)
{
    const double t = now();
    if (force || m_lastPublish < 0.0 || t - m_lastPublish >= kSnapshotInterval) {
        publishSnapshot();
        m_lastPublish = t;
    }
}

} // namespace netcanvas
