#include "engine/train/Trainer.h"

#include "engine/core/Error.h"
#include "engine/graph/ModelJson.h"
#include "engine/io/Safetensors.h"
#include "engine/train/GradientClipping.h"
#include "engine/train/Loss.h"
#include "engine/train/Schedule.h"
#include "engine/train/TrainState.h"

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
    , m_statsScratch(backend.allocator())
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
void Trainer::setOnChange(std::function<void(const ChangeEvent&)> fn)
{
    m_onChange = std::move(fn);
}
void Trainer::setOnLayerStats(std::function<void(const LayerStatsEvent&)> fn)
{
    m_onLayerStats = std::move(fn);
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

// One fit()'s state: what it was given, its loaders, the run's progress (TrainState.h: what a
// resume restores) and the result being built.
struct Trainer::FitRun {
    const Dataset& data;
    int64_t outputs = 0; // the model's output values (labels must be below)
    DataLoader trainLoader;
    std::unique_ptr<DataLoader> validationLoader; // null: no validation split
    int64_t batchesPerEpoch = 0;
    int64_t totalSteps = 0; // progress.epochs · batchesPerEpoch
    bool keepBest = false; // the best weights are kept (checkpoint selection, early stopping)
    TrainProgress progress;
    double priorSeconds = 0.0; // progress.seconds when this fit() began
    double smoothedRate = 0.0;
    double start = 0.0;
    Batch batch;
    TrainResult result;

    FitRun(const Dataset& d, const std::vector<int64_t>& train, const LoaderOptions& opt)
        : data(d)
        , trainLoader(d, train, opt)
    {
    }
    void updateTotalSteps() { totalSteps = static_cast<int64_t>(progress.epochs) * batchesPerEpoch; }
};

struct Trainer::EpochTotals {
    double start = 0.0;
    double pausedAtStart = 0.0; // Trainer::m_pausedSeconds when the epoch began
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
    TrainProgress progress;
    if (m_resume) {
        progress = std::move(*m_resume);
        m_resume.reset();
    } else {
        progress.epochs = m_config.epochs;
        progress.baseLearningRate = m_config.optimizer.learningRate;
        progress.augmentation = m_config.augmentation;
    }

    LoaderOptions trainOpt;
    trainOpt.batchSize = m_config.batchSize;
    trainOpt.shuffle = true;
    trainOpt.seed = m_config.seed;
    trainOpt.normalization = m_normalization;
    trainOpt.augmentation = progress.augmentation;
    if (m_sync) { // this rank's slice of every global batch (DataLoader.h)
        trainOpt.shardCount = m_sync->size();
        trainOpt.shardRank = m_sync->rank();
    }
    trainOpt.targetNormalization = m_targetNormalization;
    FitRun run(data, split.train, trainOpt);
    run.start = fitStart;
    run.outputs = m_network->outputShape().numel();
    run.progress = std::move(progress);
    run.priorSeconds = run.progress.seconds;
    if (run.progress.globalStep > 0 || !run.progress.history.empty()) {
        run.result.resumedAtEpoch = run.progress.epoch;
        run.result.resumedAtBatch = run.progress.batchInEpoch;
    }
    if (!split.validation.empty()) {
        LoaderOptions valOpt = trainOpt;
        valOpt.shuffle = false;
        valOpt.augmentation = Augmentation {};
        valOpt.shardCount = 1; // rank 0 validates on the whole validation split
        valOpt.shardRank = 0;
        run.validationLoader = std::make_unique<DataLoader>(data, split.validation, valOpt);
    }
    run.batchesPerEpoch = run.trainLoader.batchesPerEpoch();
    run.keepBest = keepsBestWeights(m_config);
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
    applyChanges(run, run.progress.epoch, run.progress.batchInEpoch, false); // those asked before fit()
    run.updateTotalSteps();

    while (run.progress.epoch < run.progress.epochs) {
        const int epoch = run.progress.epoch;
        EpochTotals totals;
        totals.start = now();
        totals.pausedAtStart = m_pausedSeconds;
        totals.lr = run.progress.baseLearningRate;
        const StepOutcome end = runEpoch(run, epoch, totals);
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
    run.trainLoader.startEpoch(epoch, run.progress.batchInEpoch);
    Network& net = *m_network;
    TrainResult& result = run.result;
    for (int64_t b = run.progress.batchInEpoch;; ++b) {
        // Between batches: honour pause (stop still works while paused) and stop.
        if (waitWhilePaused()) {
            result.stopped = true;
            result.lastStep = stoppedStep();
            // b batches of this epoch are done (b may equal batchesPerEpoch).
            result.message = "stopped in epoch " + std::to_string(epoch + 1) + " after batch " + std::to_string(b)
                + " of " + std::to_string(run.batchesPerEpoch);
            return StepOutcome::Stopped;
        }
        if (m_control.pending())
            applyChanges(run, epoch, b, true);
        const double t0 = now();
        if (!run.trainLoader.next(run.batch))
            return StepOutcome::Trained;
        const int64_t n = run.batch.size();
        if (n == 0)
            continue;
        checkLabels(run.data, run.batch, run.outputs);
        run.batch.images.reshape(net.inputShape().batched(n));
        totals.lr = learningRateAt(m_config.schedule, run.progress.baseLearningRate, run.progress.globalStep,
            run.totalSteps, run.batchesPerEpoch);

        if (m_sync)
            m_sync->beginStep(n, run.batch.globalSize);
        const int64_t step0 = run.progress.globalStep;
        m_statsDue = m_onLayerStats && m_config.layerStatsEvery > 0 && step0 % m_config.layerStatsEvery == 0;
        m_statsMeasured = false;
        StepResult step = trainStep(run.batch, totals.lr);
        if (step.updateSkipped) {
            ++run.progress.sums.skipped;
            ++run.progress.skippedSteps;
        }
        if (step.outcome == StepOutcome::Diverged) {
            result.diverged = true;
            result.message = "training stopped at epoch " + std::to_string(epoch + 1) + ", batch "
                + std::to_string(b + 1) + ": " + step.message;
            result.lastStep = std::move(step);
            return StepOutcome::Diverged;
        }
        if (m_statsMeasured && step.outcome == StepOutcome::Trained)
            reportLayerStats(step0, epoch, b);
        reportBatch(run, totals, step, epoch, b, n, totals.lr, std::max(now() - t0, 1e-9));
        result.lastStep = std::move(step);
    }
}

void Trainer::applyChanges(FitRun& run, int epoch, int64_t batch, bool inEpoch)
{
    for (const RunChange& change : m_control.take())
        applyChange(run, change, epoch, batch, inEpoch);
}

void Trainer::applyChange(FitRun& run, const RunChange& change, int epoch, int64_t batch, bool inEpoch)
{
    TrainProgress& p = run.progress;
    ChangeEvent ev;
    ev.kind = change.kind;
    ev.globalStep = p.globalStep;
    ev.epoch = epoch;
    ev.batch = batch;
    switch (change.kind) {
    case RunChangeKind::LearningRate:
        if (!(change.value > 0.0) || !std::isfinite(change.value))
            return; // the clients check; a bad value is ignored rather than ending the run
        ev.from = p.baseLearningRate;
        ev.to = change.value;
        p.baseLearningRate = change.value;
        break;
    case RunChangeKind::Epochs: {
        // At least the epoch in progress: a run shortened mid-epoch ends after it.
        const int floor = std::max(1, inEpoch || batch > 0 ? epoch + 1 : epoch);
        const int epochs = std::max(floor, static_cast<int>(std::lround(change.value)));
        ev.from = p.epochs;
        ev.to = epochs;
        p.epochs = epochs;
        run.updateTotalSteps();
        break;
    }
    case RunChangeKind::Augmentation: {
        const bool on = change.value != 0.0;
        ev.from = p.augmentation.any() ? 1.0 : 0.0;
        p.augmentation = on ? m_config.augmentation : Augmentation {};
        ev.to = p.augmentation.any() ? 1.0 : 0.0; // on, for a recipe without augmentation, changes nothing
        run.trainLoader.setAugmentation(p.augmentation);
        if (inEpoch)
            run.trainLoader.startEpoch(epoch, batch); // drop the batches prepared with the old setting
        break;
    }
    }
    if (ev.from == ev.to)
        return;
    p.changes.push_back(ev);
    if (m_onChange)
        m_onChange(ev);
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
    if (step.outcome == StepOutcome::Trained && m_statsDue)
        measureGradientNorms(); // layer stats: the gradients as the optimizer gets them
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
    (void)totals;
    TrainProgress& p = run.progress;
    p.sums.lossSum += step.loss * static_cast<double>(n);
    p.sums.correct += step.correct;
    p.sums.squaredError += step.squaredError;
    p.sums.values += step.values;
    p.sums.samples += n;
    p.sums.activeSeconds += seconds;
    p.samplesSeen += n;
    const double rate = static_cast<double>(n) / seconds;
    run.smoothedRate = run.smoothedRate == 0.0 ? rate : 0.9 * run.smoothedRate + 0.1 * rate;
    publishThrottled(false);
    if (m_onBatch) {
        BatchEvent e;
        e.epoch = epoch;
        e.batch = b;
        e.batchesPerEpoch = run.batchesPerEpoch;
        e.globalStep = p.globalStep;
        e.totalSteps = run.totalSteps;
        e.loss = step.loss;
        e.regression = run.data.isRegression();
        e.accuracy = e.regression ? kNaN : static_cast<double>(step.correct) / static_cast<double>(n);
        if (e.regression && step.values > 0)
            e.rmse = std::sqrt(step.squaredError / static_cast<double>(step.values)) * targetUnit(run.data);
        e.learningRate = lr;
        e.samplesPerSecond = run.smoothedRate;
        e.etaSeconds = static_cast<double>(std::max<int64_t>(0, run.totalSteps - p.globalStep - 1))
            * static_cast<double>(m_config.batchSize) / run.smoothedRate;
        e.lossScale = m_scaler ? step.lossScale : 0.0;
        e.gradNorm = step.gradNorm;
        e.skipped = step.outcome == StepOutcome::SkippedByLossScaling;
        e.outcome = step.outcome;
        m_onBatch(e);
    }
    ++p.globalStep;
    p.batchInEpoch = b + 1;
}

EpochEvent Trainer::validate(FitRun& run, int epoch, const EpochTotals& totals)
{
    const EpochSums& sums = run.progress.sums;
    EpochEvent ev;
    ev.epoch = epoch;
    const double samples = static_cast<double>(sums.samples);
    ev.trainLoss = sums.samples ? sums.lossSum / samples : kNaN;
    ev.trainAccuracy = sums.samples ? static_cast<double>(sums.correct) / samples : kNaN;
    ev.regression = run.data.isRegression();
    if (ev.regression) {
        ev.trainAccuracy = kNaN;
        if (sums.values > 0)
            ev.trainRmse = std::sqrt(sums.squaredError / static_cast<double>(sums.values)) * targetUnit(run.data);
    }
    ev.validationLoss = kNaN;
    ev.validationAccuracy = kNaN;
    double validationSeconds = 0.0;
    if (run.validationLoader) {
        const double v0 = now();
        const EvalResult v = runEvaluation(run.data, *run.validationLoader, static_cast<int>(run.outputs), false);
        validationSeconds = now() - v0;
        ev.validationLoss = v.loss;
        ev.validationAccuracy = v.accuracy;
        ev.validationRmse = v.rmse;
        ev.validationMae = v.mae;
        ev.validationR2 = v.r2;
    }
    run.progress.activeSeconds += sums.activeSeconds + validationSeconds;
    ev.learningRate = totals.lr;
    ev.skippedSteps = sums.skipped;
    ev.lossScale = m_scaler ? m_scaler->scale() : 0.0;
    ev.seconds = now() - totals.start - (m_pausedSeconds - totals.pausedAtStart);
    ev.samplesPerSecond = sums.activeSeconds > 0.0 ? samples / sums.activeSeconds : 0.0;
    return ev;
}

double Trainer::monitoredScore(const FitRun& run, const EpochEvent& ev) const
{
    const bool validation = run.validationLoader != nullptr && m_config.monitor.rfind("val_", 0) == 0;
    if (monitorIsLoss(m_config.monitor))
        return validation ? ev.validationLoss : ev.trainLoss;
    return -(validation ? ev.validationAccuracy : ev.trainAccuracy);
}

bool Trainer::concludeEpoch(FitRun& run, const Dataset& data, EpochEvent& ev)
{
    TrainResult& result = run.result;
    TrainProgress& p = run.progress;
    const int epoch = ev.epoch;
    const double score = monitoredScore(run, ev);
    ev.improved = std::isfinite(score)
        && (p.bestEpoch < 0 || !std::isfinite(p.bestScore) || score < p.bestScore - m_config.earlyStoppingMinDelta);
    if (ev.improved) {
        p.bestScore = score;
        p.bestLoss = run.validationLoader ? ev.validationLoss : ev.trainLoss;
        p.bestEpoch = epoch;
        p.epochsWithoutImprovement = 0;
        if (run.keepBest) {
            saveParameters(m_best);
            p.hasBestWeights = true;
        }
    } else {
        ++p.epochsWithoutImprovement;
    }
    p.history.push_back(ev);
    p.epoch = epoch + 1;
    p.batchInEpoch = 0;
    p.sums = EpochSums {};
    writeCheckpoints(run, data, ev.improved);
    publishThrottled(true);
    if (m_onEpoch)
        m_onEpoch(ev);

    const int waited = p.epochsWithoutImprovement;
    const int patience = m_config.earlyStoppingPatience;
    if (patience <= 0 || waited < patience || p.epoch >= p.epochs)
        return false;
    result.earlyStopped = true;
    result.message = "early stopping after epoch " + std::to_string(epoch + 1) + ": " + m_config.monitor
        + (run.validationLoader || m_config.monitor.rfind("train_", 0) == 0 ? "" : " (of the training set)")
        + " did not improve for " + std::to_string(waited) + " epoch" + (waited == 1 ? "" : "s");
    return true;
}

void Trainer::writeCheckpoints(FitRun& run, const Dataset& data, bool best)
{
    if (m_config.checkpointDir.empty())
        return;
    writeCheckpoint("last.safetensors", data);
    if (best)
        writeCheckpoint("best.safetensors", data);
    writeResumeCheckpoint(run, data);
}

void Trainer::finishFit(FitRun& run, const Dataset& data)
{
    TrainResult& result = run.result;
    TrainProgress& p = run.progress;
    const double elapsed = now() - run.start - m_pausedSeconds; // paused time excluded
    if (result.stopped) {
        p.activeSeconds += p.sums.activeSeconds; // the partial epoch's steps
        p.sums.activeSeconds = 0.0;
        writeCheckpoints(run, data, false); // the stopped run's weights and position are not lost
    }
    // Checkpoint selection: after the checkpoints, which keep the last weights for a resume.
    if (!result.diverged && run.keepBest && p.hasBestWeights && p.bestEpoch >= 0
        && p.bestEpoch + 1 != static_cast<int>(p.history.size())) {
        restoreParameters(m_best);
        result.weightsEpoch = p.bestEpoch;
        const std::string kept = "kept the best weights (epoch " + std::to_string(p.bestEpoch + 1) + ", "
            + m_config.monitor + " " + formatNumber(std::abs(p.bestScore)) + ")";
        result.message = result.message.empty() ? kept : result.message + "; " + kept;
    } else if (run.keepBest && p.bestEpoch >= 0 && p.bestEpoch + 1 == static_cast<int>(p.history.size())
        && !result.stopped && !result.diverged) {
        result.weightsEpoch = p.bestEpoch; // the last epoch was the best
    }
    publishThrottled(true);
    result.history = p.history;
    result.changes = p.changes;
    result.epochsCompleted = static_cast<int>(p.history.size());
    result.epochsPlanned = p.epochs;
    result.bestEpoch = p.bestEpoch;
    result.bestValidationLoss = p.bestEpoch >= 0 ? p.bestLoss : kNaN;
    result.skippedSteps = p.skippedSteps;
    result.seconds = run.priorSeconds + elapsed;
    result.samplesPerSecond = p.activeSeconds > 0.0 ? static_cast<double>(p.samplesSeen) / p.activeSeconds : 0.0;
    result.lossScale = m_scaler ? m_scaler->scale() : 0.0;
    result.hostOps = m_backend.fallbackNote();
}

// ---- resume checkpoints ---------------------------------------------------------------------

namespace {

constexpr int kResumeFormat = 1;

std::string hex(uint64_t v)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
    return buf;
}

} // namespace

void Trainer::writeResumeCheckpoint(FitRun& run, const Dataset& data)
{
    TrainProgress& p = run.progress;
    p.seconds = run.priorSeconds + (now() - run.start - m_pausedSeconds);
    TensorFile file;
    for (size_t i = 0; i < m_params.size(); ++i) {
        Tensor host;
        m_network->assign(host, m_params[i].param->value);
        file.tensors.emplace("param/" + m_params[i].key(), std::move(host));
        if (p.hasBestWeights && i < m_best.size()) {
            Tensor best;
            m_network->assign(best, m_best[i]);
            file.tensors.emplace("best/" + m_params[i].key(), std::move(best));
        }
    }
    nlohmann::json steps = nlohmann::json::object();
    for (const auto& np : m_trainable) {
        const Optimizer::SlotView view = m_optimizer->stateOf(*np.param, false);
        if (!view.steps)
            continue;
        steps[np.key()] = *view.steps;
        for (auto [tensor, prefix] : { std::pair { view.first, "opt1/" }, std::pair { view.second, "opt2/" } }) {
            if (!tensor)
                continue;
            Tensor host;
            m_network->assign(host, *tensor);
            file.tensors.emplace(prefix + np.key(), std::move(host));
        }
    }
    const Rng::State rng = m_network->rng().state();
    nlohmann::json words = nlohmann::json::array();
    for (uint64_t w : rng.words)
        words.push_back(hex(w));
    nlohmann::json state { { "format", kResumeFormat }, { "progress", progressToJson(p) },
        { "optimizer", { { "kind", m_config.optimizer.kind }, { "steps", std::move(steps) } } },
        { "rng", { { "words", std::move(words) }, { "has_spare", rng.hasSpare }, { "spare", rng.spare } } },
        { "normalization", { { "mean", m_normalization.mean }, { "std", m_normalization.stddev } } },
        { "seed", m_config.seed }, { "batch_size", m_config.batchSize } };
    if (m_scaler)
        state["loss_scaler"] = { { "scale", m_scaler->scale() }, { "good_steps", m_scaler->goodStepsInARow() } };
    file.metadata["netcanvas.resume"] = state.dump();
    file.metadata["netcanvas.model"] = m_checkpointModelJson;
    file.metadata["netcanvas.classes"] = nlohmann::json(data.classNames).dump();
    if (!m_checkpointInfo.is_null())
        file.metadata["netcanvas.run"] = m_checkpointInfo.dump();
    saveSafetensors((std::filesystem::path(m_config.checkpointDir) / kResumeFile).string(), file);
}

const TrainProgress& Trainer::restoreState(const std::string& path)
{
    TensorFile file = loadSafetensors(path);
    auto fail = [&](const std::string& why) -> FormatError { return FormatError(path + ": " + why); };
    const auto meta = file.metadata.find("netcanvas.resume");
    if (meta == file.metadata.end())
        throw fail("not a resume checkpoint (no \"netcanvas.resume\" metadata)");
    nlohmann::json state;
    try {
        state = nlohmann::json::parse(meta->second);
    } catch (const nlohmann::json::exception& e) {
        throw fail(std::string("netcanvas.resume: ") + e.what());
    }
    if (!state.is_object() || state.value("format", 0) != kResumeFormat)
        throw fail("netcanvas.resume: unknown format (expected " + std::to_string(kResumeFormat) + ")");
    auto progress = std::make_unique<TrainProgress>();
    try {
        *progress = progressFromJson(state.at("progress"));
    } catch (const FormatError& e) {
        throw fail(e.what());
    } catch (const nlohmann::json::exception& e) {
        throw fail(std::string("netcanvas.resume: ") + e.what());
    }
    if (state.value("batch_size", m_config.batchSize) != m_config.batchSize)
        throw fail("the run was trained with batch size " + state.at("batch_size").dump() + ", not "
            + std::to_string(m_config.batchSize) + ": resume with its recipe");
    if (state.contains("optimizer")
        && state["optimizer"].value("kind", m_config.optimizer.kind) != m_config.optimizer.kind)
        throw fail("the run's optimizer is " + state["optimizer"]["kind"].dump() + ", not " + m_config.optimizer.kind);
    auto tensor = [&](const std::string& key, const Tensor& like) -> const Tensor& {
        const auto it = file.tensors.find(key);
        if (it == file.tensors.end())
            throw fail("tensor '" + key + "' is missing (the model changed since the run was saved?)");
        if (it->second.shape() != like.shape())
            throw fail("tensor '" + key + "' is " + it->second.shape().toString() + ", the model's is "
                + like.shape().toString());
        for (int64_t i = 0; i < it->second.size(); ++i)
            if (!std::isfinite(it->second.data()[i]))
                throw fail("tensor '" + key + "' holds a non-finite value");
        return it->second;
    };
    // Every parameter tensor is checked before any is loaded. An error after that (a malformed
    // optimizer or generator entry) leaves this Trainer half restored: its owner discards it.
    for (const auto& np : m_params)
        tensor("param/" + np.key(), np.param->value);
    for (const auto& np : m_params)
        m_network->assign(np.param->value, file.tensors.at("param/" + np.key()));
    if (progress->hasBestWeights) {
        saveParameters(m_best);
        for (size_t i = 0; i < m_params.size(); ++i)
            m_network->assign(m_best[i], tensor("best/" + m_params[i].key(), m_params[i].param->value));
    }
    try {
        const nlohmann::json steps = state.contains("optimizer")
            ? state["optimizer"].value("steps", nlohmann::json::object())
            : nlohmann::json::object();
        for (const auto& np : m_trainable) {
            if (!steps.contains(np.key()))
                continue;
            const Optimizer::SlotView view = m_optimizer->stateOf(*np.param, true);
            if (!view.steps)
                continue;
            *view.steps = steps[np.key()].get<int64_t>();
            if (view.first)
                m_network->assign(*view.first, tensor("opt1/" + np.key(), np.param->value));
            if (view.second)
                m_network->assign(*view.second, tensor("opt2/" + np.key(), np.param->value));
        }
        if (state.contains("rng")) {
            Rng::State rng;
            const auto& words = state["rng"].at("words");
            for (size_t i = 0; i < 4 && i < words.size(); ++i)
                rng.words[i] = std::stoull(words[i].get<std::string>(), nullptr, 16);
            rng.hasSpare = state["rng"].value("has_spare", false);
            rng.spare = state["rng"].value("spare", 0.0f);
            m_network->rng().setState(rng);
        }
        if (m_scaler && state.contains("loss_scaler"))
            m_scaler->restore(
                state["loss_scaler"].value("scale", m_scaler->scale()), state["loss_scaler"].value("good_steps", 0));
        if (state.contains("normalization")) {
            Normalization n;
            n.mean = state["normalization"].value("mean", std::vector<float> {});
            n.stddev = state["normalization"].value("std", std::vector<float> {});
            if (!n.mean.empty())
                setNormalization(std::move(n));
        }
    } catch (const nlohmann::json::exception& e) {
        throw fail(std::string("netcanvas.resume: ") + e.what());
    } catch (const std::invalid_argument& e) {
        throw fail(std::string("netcanvas.resume: a malformed number: ") + e.what());
    } catch (const std::out_of_range& e) {
        throw fail(std::string("netcanvas.resume: a number out of range: ") + e.what());
    }
    publishSnapshot();
    m_resume = std::move(progress);
    return *m_resume;
}

// ---- layer stats ----------------------------------------------------------------------------

void Trainer::prepareLayerStats()
{
    if (!m_statsGroups.empty())
        return;
    for (const auto& np : m_trainable) {
        size_t index = m_params.size();
        for (size_t i = 0; i < m_params.size(); ++i)
            if (m_params[i].param == np.param)
                index = i;
        if (index == m_params.size())
            continue;
        if (m_statsGroups.empty() || m_statsGroups.back().node != np.node)
            m_statsGroups.push_back({ np.node, {}, 0.0 });
        m_statsGroups.back().params.push_back(index);
    }
}

void Trainer::measureGradientNorms()
{
    prepareLayerStats();
    for (StatsGroup& g : m_statsGroups) {
        g.gradSquares = 0.0;
        for (size_t i : g.params) {
            const Parameter& p = *m_params[i].param;
            if (updatedByOptimizer(p))
                g.gradSquares += m_backend.sumSquares(p.grad.data(), p.grad.size());
        }
    }
    m_statsMeasured = true;
}

void Trainer::reportLayerStats(int64_t globalStep, int epoch, int64_t batch)
{
    LayerStatsEvent e;
    e.globalStep = globalStep;
    e.epoch = epoch;
    e.batch = batch;
    for (const StatsGroup& g : m_statsGroups) {
        LayerStat s;
        s.node = g.node;
        double paramSq = 0.0, updateSq = 0.0;
        for (size_t i : g.params) {
            const Parameter& p = *m_params[i].param;
            if (!updatedByOptimizer(p) || i >= m_lastGood.size())
                continue;
            paramSq += m_backend.sumSquares(p.value.data(), p.value.size());
            m_statsScratch.resize(p.value.shape());
            m_backend.copy(m_statsScratch.data(), p.value.data(), p.value.size());
            m_backend.axpy(-1.0f, m_lastGood[i].data(), m_statsScratch.data(), p.value.size());
            updateSq += m_backend.sumSquares(m_statsScratch.data(), p.value.size());
        }
        s.paramNorm = std::sqrt(paramSq);
        s.updateNorm = std::sqrt(updateSq);
        s.gradNorm = std::sqrt(g.gradSquares);
        e.layers.push_back(std::move(s));
    }
    m_onLayerStats(e);
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
