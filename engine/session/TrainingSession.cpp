#include "engine/session/TrainingSession.h"

#include "engine/backend/DeviceManager.h"
#include "engine/core/Error.h"
#include "engine/data/SequenceData.h"
#include "engine/graph/ModelJson.h"
#include "engine/io/AtomicFile.h"
#include "engine/session/ModelWeights.h"
#include "engine/session/TrainedModel.h"

#include <cmath>
#include <cstdio>
#include <filesystem>

namespace netcanvas {

namespace fs = std::filesystem;

namespace {

std::string fmt(const char* f, double v)
{
    char buf[64];
    std::snprintf(buf, sizeof buf, f, v);
    return buf;
}

std::string historyCsv(const std::vector<EpochEvent>& epochs)
{
    std::string csv = "epoch,train_loss,train_accuracy,validation_loss,validation_accuracy,learning_rate,seconds,"
                      "samples_per_second\n";
    for (const EpochEvent& e : epochs)
        csv += std::to_string(e.epoch + 1) + "," + fmt("%.6g", e.trainLoss) + "," + fmt("%.6g", e.trainAccuracy) + ","
            + fmt("%.6g", e.validationLoss) + "," + fmt("%.6g", e.validationAccuracy) + ","
            + fmt("%.6g", e.learningRate) + "," + fmt("%.3f", e.seconds) + "," + fmt("%.1f", e.samplesPerSecond) + "\n";
    return csv;
}

} // namespace

nlohmann::json confusionJson(const ConfusionMatrix& cm, const std::vector<std::string>& names)
{
    nlohmann::json j;
    j["classes"] = names;
    j["matrix"] = nlohmann::json::array();
    for (int t = 0; t < cm.classes(); ++t) {
        nlohmann::json row = nlohmann::json::array();
        for (int p = 0; p < cm.classes(); ++p)
            row.push_back(cm.at(t, p));
        j["matrix"].push_back(row);
    }
    j["per_class"] = nlohmann::json::array();
    for (int c = 0; c < cm.classes(); ++c)
        j["per_class"].push_back(
            { { "class", c < static_cast<int>(names.size()) ? names[static_cast<size_t>(c)] : std::to_string(c) },
                { "precision", cm.precision(c) }, { "recall", cm.recall(c) }, { "f1", cm.f1(c) },
                { "support", cm.support(c) } });
    return j;
}

TrainingSession::TrainingSession(ModelGraph graph, std::shared_ptr<const Dataset> data, SessionSettings settings)
    : m_graph(std::move(graph))
    , m_data(std::move(data))
    , m_settings(std::move(settings))
    , m_config(m_settings.config)
{
    if (!m_data)
        throw DataError("a training session needs a dataset");
    checkOutputFolder(m_settings.outputDir);
    checkTrainConfig(m_config);
    if (m_config.checkpointDir.empty() && !m_settings.outputDir.empty())
        m_config.checkpointDir = (fs::path(m_settings.outputDir) / "checkpoints").string();
}

TrainingSession::~TrainingSession()
{
    std::lock_guard lock(m_mutex);
    m_trainer.reset(); // before its backend
    m_backend.reset();
}

void TrainingSession::setSplit(DataSplit split)
{
    std::lock_guard lock(m_mutex);
    m_split = std::move(split);
}

const DataSplit& TrainingSession::prepareSplit()
{
    {
        std::lock_guard lock(m_mutex);
        if (m_split)
            return *m_split;
    }
    // A stratified split of a large dataset takes a while: not under the lock.
    DataSplit split = splitDataset(*m_data, m_config.validationFraction, m_config.testFraction, m_config.seed);
    std::lock_guard lock(m_mutex);
    m_split = std::move(split);
    return *m_split;
}

void TrainingSession::prepare()
{
    prepareSplit();
    if (isPrepared())
        return;
    BackendOptions options;
    options.precision = m_config.precision;
    CreatedBackend created = createBackend(m_config.device, m_config.threads, options);
    m_deviceNote = created.note;
    m_gpuPresent = created.gpuPresent;
    auto trainer = std::make_unique<Trainer>(m_graph, m_config, *created.backend);
    trainer->setGradientSync(m_settings.gradientSync);
    trainer->setCheckpointInfo(m_settings.runInfo);
    if (!m_settings.resumeFrom.empty())
        trainer->restoreState(m_settings.resumeFrom);
    else
        loadInitialWeights(*trainer); // before anyone can see the Trainer
    std::lock_guard lock(m_mutex);
    m_backend = std::move(created.backend);
    m_trainer = std::move(trainer);
    if (m_stop)
        m_trainer->requestStop();
    m_trainer->requestPause(m_pause);
    for (const RunChange& c : m_changes)
        m_trainer->requestChange(c);
    m_changes.clear();
}

void TrainingSession::loadInitialWeights(Trainer& trainer)
{
    if (!m_settings.initialWeights && m_settings.initialWeightsFile.empty())
        return;
    auto host = createCpuBackend(1);
    Network start(m_graph, *host, m_config.seed); // the Trainer's initialization for new tensors
    Normalization norm;
    const std::string source
        = m_settings.initialWeights ? std::string("the given weights") : m_settings.initialWeightsFile;
    if (m_settings.weightsLoading == WeightsLoading::ByName) {
        std::shared_ptr<const ModelWeights> weights = m_settings.initialWeights;
        if (!weights) {
            try {
                weights = ModelWeights::fromFile(m_settings.initialWeightsFile);
            } catch (const FormatError& e) {
                throw GraphError("cannot fine-tune from " + source + ": " + e.what());
            }
        }
        auto report = std::make_shared<WeightsLoadReport>(weights->loadByName(start, m_settings.freshNodes));
        if (report->loaded.empty()) {
            const std::string example = !report->skipped.empty() ? report->skipped.front().key
                : !report->fresh.empty()                         ? report->fresh.front()
                                                                 : std::string();
            std::string keptFresh;
            for (const std::string& node : m_settings.freshNodes)
                keptFresh += (keptFresh.empty() ? "" : ", ") + node;
            throw GraphError("cannot fine-tune from " + source + ": none of the model's tensors"
                + (example.empty() ? std::string() : " (e.g. '" + example + "')")
                + " has its name and shape in the weights"
                + (keptFresh.empty() ? std::string()
                                     : " or is to be loaded (kept freshly initialized: " + keptFresh
                            + " — a new output layer, --reinit)"));
        }
        m_loadReport = std::move(report);
        // The loaded features expect inputs normalized as in their training.
        if (weights->normalization.mean.size()
            == static_cast<size_t>(trainer.network().inputShape().rank() == 3 ? trainer.network().inputShape()[0] : 1))
            norm = weights->normalization;
    } else if (m_settings.initialWeights) {
        const std::string why = m_settings.initialWeights->mismatch(start);
        if (!why.empty())
            throw GraphError(
                "cannot fine-tune: the model changed since its weights were trained (" + why + "): train from scratch");
        m_settings.initialWeights->loadInto(start);
        norm = m_settings.initialWeights->normalization;
    } else {
        try {
            norm = normalizationOf(loadWeights(m_settings.initialWeightsFile, start));
        } catch (const FormatError& e) {
            throw GraphError("cannot fine-tune from " + m_settings.initialWeightsFile + ": " + e.what());
        }
    }
    trainer.network().copyWeightsFrom(start);
    if (!norm.empty() && m_config.normalize)
        trainer.setNormalization(norm);
}

void TrainingSession::checkOutputFolder(const std::string& outputDir)
{
    std::error_code ec;
    if (!outputDir.empty() && fs::exists(outputDir, ec) && !fs::is_directory(outputDir, ec))
        throw IoError(outputDir + ": exists and is not a folder (the run folder for weights, checkpoints and metrics)");
}

std::string TrainingSession::keepEarlierRun(const std::string& outputDir)
{
    std::error_code ec;
    if (outputDir.empty() || !fs::is_directory(outputDir, ec))
        return {};
    const fs::path out(outputDir);
    removePartialFiles(out.string());
    removePartialFiles((out / "checkpoints").string());
    const char* const runFiles[]
        = { "weights.safetensors", "model.json", "history.csv", "metrics.json", "checkpoints" };
    bool any = false;
    for (const char* f : runFiles)
        any = any || fs::exists(out / f, ec);
    if (!any)
        return {};
    fs::path kept;
    for (int n = 1;; ++n) {
        kept = out / ("previous-" + std::to_string(n));
        if (!fs::exists(kept, ec))
            break;
    }
    fs::create_directory(kept, ec);
    if (ec)
        throw IoError(kept.string() + ": cannot create the folder for the earlier run: " + ec.message());
    for (const char* f : runFiles) {
        if (!fs::exists(out / f, ec))
            continue;
        fs::rename(out / f, kept / f, ec); // same file system: never a partial copy
        if (ec)
            throw IoError(
                (out / f).string() + ": cannot keep the earlier run's file in " + kept.string() + ": " + ec.message());
    }
    return kept.string();
}

SessionResult TrainingSession::run(const SessionHooks& hooks)
{
    prepare();
    Trainer& t = *m_trainer; // set by prepare(), released by the destructor only
    SessionResult r;
    if (m_settings.resumeFrom.empty()) {
        r.keptEarlierRun = keepEarlierRun(m_settings.outputDir);
    } else if (!m_settings.outputDir.empty()) { // the same run goes on: only a killed run's partial files go
        removePartialFiles(m_settings.outputDir);
        removePartialFiles((fs::path(m_settings.outputDir) / "checkpoints").string());
    }
    auto setHooks = [&t](const SessionHooks& h) {
        t.setOnBatch(h.onBatch);
        t.setOnEpoch(h.onEpoch);
        t.setOnChange(h.onChange);
        t.setOnLayerStats(h.onLayerStats);
    };
    setHooks(hooks);
    try {
        r.train = t.fit(*m_data, *m_split);
    } catch (...) {
        setHooks({});
        throw;
    }
    setHooks({}); // the hooks may refer to the caller's locals
    bool cancelled = false;
    {
        std::lock_guard lock(m_mutex);
        cancelled = m_cancelled;
    }
    if (!r.train.diverged && !cancelled && !m_split->test.empty()) {
        r.test = t.evaluate(*m_data, m_split->test);
        r.tested = true;
    }
    return r;
}

void TrainingSession::requestStop()
{
    std::lock_guard lock(m_mutex);
    m_stop = true;
    if (m_trainer)
        m_trainer->requestStop(); // also ends a pause: the Trainer checks stop while paused
}

void TrainingSession::requestPause(bool paused)
{
    std::lock_guard lock(m_mutex);
    m_pause = paused;
    if (m_trainer)
        m_trainer->requestPause(paused);
}

void TrainingSession::requestChange(const RunChange& change)
{
    std::lock_guard lock(m_mutex);
    if (m_trainer)
        m_trainer->requestChange(change);
    else
        m_changes.push_back(change);
}

void TrainingSession::cancel()
{
    std::lock_guard lock(m_mutex);
    m_cancelled = true;
    m_stop = true;
    m_pause = false;
    if (m_trainer) {
        m_trainer->requestPause(false);
        m_trainer->requestStop();
    }
}

bool TrainingSession::isPrepared() const
{
    std::lock_guard lock(m_mutex);
    return m_trainer != nullptr;
}

DataSplit TrainingSession::split() const
{
    std::lock_guard lock(m_mutex);
    return m_split ? *m_split : DataSplit {};
}

bool TrainingSession::copySnapshot(Network& target, Normalization* normalization)
{
    Trainer* trainer = nullptr;
    {
        std::lock_guard lock(m_mutex);
        trainer = m_trainer.get();
    }
    // The Trainer lives as long as the session once made; copySnapshot takes its own lock.
    return trainer && trainer->copySnapshot(target, normalization);
}

Backend& TrainingSession::backend()
{
    prepare();
    return *m_backend;
}

Network& TrainingSession::network()
{
    prepare();
    return m_trainer->network();
}

bool TrainingSession::lossScaling() const
{
    return m_trainer && m_trainer->lossScaler();
}

Normalization TrainingSession::normalization() const
{
    return m_trainer ? m_trainer->normalization() : Normalization {};
}

EvalResult TrainingSession::evaluate(const std::vector<int64_t>& indices)
{
    prepare();
    return m_trainer->evaluate(*m_data, indices);
}

WeightsMeta TrainingSession::loadWeightsFile(const std::string& path)
{
    prepare();
    WeightsMeta meta = loadWeights(path, m_trainer->network());
    m_trainer->setNormalization(normalizationOf(meta));
    return meta;
}

ModelGraph TrainingSession::graphWithRecipe() const
{
    ModelGraph g = m_graph;
    g.training = trainConfigToJson(m_config);
    return g;
}

WeightsMeta TrainingSession::weightsMeta() const
{
    WeightsMeta meta = weightsMetaFor(m_graph, m_config, m_data->classNames, normalization());
    meta.dataset = m_data->root; // so that eval can tell the training dataset from another
    return meta;
}

void TrainingSession::saveWeights(const std::string& path)
{
    if (!isPrepared())
        throw GraphError("there are no trained weights yet: train the model first");
    netcanvas::saveWeights(path, m_trainer->network(), weightsMeta());
}

namespace {
nlohmann::json numberOrNull(double v)
{
    return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
}
} // namespace

nlohmann::json TrainingSession::metricsJson(const SessionResult& result) const
{
    const TrainResult& r = result.train;
    nlohmann::json metrics { { "model", m_graph.name }, { "epochs", r.epochsCompleted },
        { "samples_per_second", r.samplesPerSecond }, { "seconds", r.seconds }, { "stopped", r.stopped },
        { "early_stopped", r.earlyStopped }, { "diverged", r.diverged }, { "message", r.message },
        { "best_epoch", r.bestEpoch + 1 },
        { "precision", precisionName(m_backend ? m_backend->mathPrecision() : m_config.precision) },
        // The device that ran ("cpu", "cuda:0"), and the one asked for ("auto" may be either).
        { "device", m_backend ? m_backend->name() : std::string() }, { "device_requested", m_config.device },
        { "out", m_settings.outputDir }, { "epochs_planned", r.epochsPlanned }, { "monitor", m_config.monitor },
        // The epoch (1-based) whose weights were saved: the best when kept, else null (the last step's).
        { "weights_epoch", r.weightsEpoch >= 0 ? nlohmann::json(r.weightsEpoch + 1) : nlohmann::json(nullptr) } };
    if (r.resumedAtEpoch >= 0)
        metrics["resumed"] = { { "epoch", r.resumedAtEpoch + 1 }, { "batch", r.resumedAtBatch } };
    if (!r.changes.empty()) {
        nlohmann::json changes = nlohmann::json::array();
        for (const ChangeEvent& c : r.changes) {
            nlohmann::json j = changeToJson(c);
            j["label"] = c.label();
            changes.push_back(std::move(j));
        }
        metrics["changes"] = std::move(changes);
    }
    if (lossScaling()) {
        metrics["skipped_steps"] = r.skippedSteps;
        metrics["loss_scale"] = r.lossScale;
    }
    if (m_data->isRegression()) {
        // Regression: RMSE, MAE (the data's units) and R² instead of accuracy.
        metrics["task"] = m_data->seriesTargetFeature >= 0 ? "forecast" : "regression";
        metrics["loss"] = toString(m_config.loss);
        if (!r.history.empty() && !std::isnan(r.history.back().validationRmse)) {
            metrics["validation_loss"] = r.history.back().validationLoss;
            metrics["validation_rmse"] = r.history.back().validationRmse;
            metrics["validation_mae"] = r.history.back().validationMae;
            metrics["validation_r2"] = numberOrNull(r.history.back().validationR2);
        }
        if (result.tested) {
            metrics["test_loss"] = result.test.loss;
            metrics["test_rmse"] = result.test.rmse;
            metrics["test_mae"] = result.test.mae;
            metrics["test_r2"] = numberOrNull(result.test.r2);
            metrics["test_samples"] = result.test.samples;
            if (m_data->seriesTargetFeature >= 0 && m_split) {
                const ForecastBaseline naive = naiveLastValueForecast(*m_data, m_split->test);
                metrics["naive_test_rmse"] = naive.rmse;
                metrics["naive_test_mae"] = naive.mae;
            }
        }
        if (m_loadReport)
            metrics["init_weights"] = m_loadReport->toJson();
        const GraphAnalysis analysis = m_graph.analyze();
        metrics["trainable_parameters"] = analysis.totalParams - analysis.frozenParams;
        metrics["frozen_parameters"] = analysis.frozenParams;
        return metrics;
    }
    if (m_data->tokenInputs)
        metrics["vocabulary"] = m_data->vocabulary.size();
    if (!r.history.empty() && !std::isnan(r.history.back().validationAccuracy)) {
        metrics["validation_accuracy"] = r.history.back().validationAccuracy;
        metrics["validation_loss"] = r.history.back().validationLoss;
    }
    if (m_loadReport)
        metrics["init_weights"] = m_loadReport->toJson();
    const GraphAnalysis analysis = m_graph.analyze();
    metrics["trainable_parameters"] = analysis.totalParams - analysis.frozenParams;
    metrics["frozen_parameters"] = analysis.frozenParams;
    if (result.tested) {
        metrics["test_accuracy"] = result.test.accuracy;
        metrics["test_loss"] = result.test.loss;
        metrics["confusion"] = confusionJson(result.test.confusion, m_data->classNames);
    }
    return metrics;
}

nlohmann::json TrainingSession::saveRunFolder(const SessionResult& result)
{
    const fs::path out(m_settings.outputDir);
    if (out.empty())
        throw IoError("the training session has no output folder");
    fs::create_directories(out);
    saveWeights((out / "weights.safetensors").string());
    saveModelFile(graphWithRecipe(), (out / "model.json").string());
    writeFileAtomic((out / "history.csv").string(), historyCsv(result.train.history));
    nlohmann::json metrics = metricsJson(result);
    writeFileAtomic((out / "metrics.json").string(), metrics.dump(2) + "\n");
    return metrics;
}

} // namespace netcanvas
