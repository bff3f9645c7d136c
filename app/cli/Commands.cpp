#include "Commands.h"
#include "Devices.h"
#include "DistributedTrain.h"

#include "Inspect.h"
#include "Interrupt.h"
#include "LiveControl.h"
#include "Progress.h"

#include "engine/backend/Backend.h"
#include "engine/backend/DeviceManager.h"
#include "engine/core/Error.h"
#include "engine/data/DataLoader.h"
#include "engine/data/Dataset.h"
#include "engine/data/Split.h"
#include "engine/graph/ModelJson.h"
#include "engine/inspect/Inspect.h"
#include "engine/io/AtomicFile.h"
#include "engine/io/Csv.h"
#include "engine/io/ProjectFile.h"
#include "engine/io/Safetensors.h"
#include "engine/labels/ImageScan.h"
#include "engine/layers/LayerRegistry.h"
#include "engine/session/ModelWeights.h"
#include "engine/session/RunRecord.h"
#include "engine/session/RunResume.h"
#include "engine/session/TrainedModel.h"
#include "engine/session/TrainingSession.h"
#include "engine/train/Loss.h"
#include "engine/train/Metrics.h"
#include "engine/train/Network.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <numeric>
#include <sstream>

namespace netcanvas::cli {

namespace {

std::string fmt(const char* f, double v)
{
    char buf[64];
    std::snprintf(buf, sizeof buf, f, v);
    return buf;
}

std::string formatFlops(double f)
{
    if (f >= 1e9)
        return fmt("%.2f G", f / 1e9);
    if (f >= 1e6)
        return fmt("%.2f M", f / 1e6);
    if (f >= 1e3)
        return fmt("%.1f k", f / 1e3);
    return fmt("%.0f ", f);
}

std::string pad(std::string s, size_t w, bool right = false)
{
    // Width in characters, counting UTF-8 code points (shapes use ×).
    size_t n = 0;
    for (unsigned char c : s)
        if ((c & 0xC0) != 0x80)
            ++n;
    if (n >= w)
        return s;
    return right ? std::string(w - n, ' ') + s : s + std::string(w - n, ' ');
}

Dataset openFor(const std::string& path, const GraphAnalysis& a, const std::string& resize, Progress& progress,
    const DatasetOptions* sequence = nullptr)
{
    DatasetOptions o = datasetOptionsFor(a, resize);
    if (sequence) {
        o.task = sequence->task;
        o.target = sequence->target;
        o.columns = sequence->columns;
        o.window = sequence->window;
        o.horizon = sequence->horizon;
        o.differences = sequence->differences;
        o.tokens = sequence->tokens;
        o.sequenceLength = sequence->sequenceLength;
        o.maxVocabulary = sequence->maxVocabulary;
        o.validationFraction = sequence->validationFraction;
        o.testFraction = sequence->testFraction;
        o.seed = sequence->seed;
    }
    int64_t lastShown = -1;
    o.progress = [&](int64_t done, int64_t total) {
        if (total > 2000 && done * 10 / total != lastShown) {
            lastShown = done * 10 / total;
            progress.batch(0, 1, done, total, 0, 0, 0, -1);
        }
        return !interrupted();
    };
    Dataset d = openDataset(path, o);
    progress.epoch("dataset: " + path + " (" + d.format + "): " + Progress::formatCount(d.size()) + " samples, "
        + (d.isRegression() ? "targets " + d.targetShape.toString() : std::to_string(d.numClasses()) + " classes")
        + ", " + std::to_string(d.channels) + "\u00d7" + std::to_string(d.height) + "\u00d7" + std::to_string(d.width));
    for (const std::string& note : d.notes)
        progress.message("  " + note);
    if (!d.skipped.empty()) {
        progress.message("skipped " + std::to_string(d.skipped.size()) + " unreadable file(s):");
        for (size_t i = 0; i < d.skipped.size() && i < 10; ++i)
            progress.message("  " + d.skipped[i].path + ": " + d.skipped[i].reason);
        if (d.skipped.size() > 10)
            progress.message("  ... and " + std::to_string(d.skipped.size() - 10) + " more");
    }
    return d;
}

std::string confusionCsv(const ConfusionMatrix& cm, const std::vector<std::string>& names)
{
    std::ostringstream s;
    s << "true\\predicted";
    for (const auto& n : names)
        s << "," << csvQuoted(n);
    s << "\n";
    for (int t = 0; t < cm.classes(); ++t) {
        s << csvQuoted(names[static_cast<size_t>(t)]);
        for (int p = 0; p < cm.classes(); ++p)
            s << "," << cm.at(t, p);
        s << "\n";
    }
    return s.str();
}

} // namespace

int runInfo(const InfoOptions& o)
{
    const ModelGraph g = loadModelFile(o.model);
    const GraphAnalysis a = g.analyze();
    if (o.json) {
        nlohmann::json j;
        j["name"] = g.name;
        j["valid"] = a.ok;
        if (!a.ok)
            j["error"] = a.error;
        j["total_params"] = a.totalParams;
        j["trainable_params"] = a.totalParams - a.frozenParams;
        j["frozen_params"] = a.frozenParams;
        j["flops_per_sample"] = a.totalFlops;
        j["nodes"] = nlohmann::json::array();
        for (const auto& id : a.order) {
            const auto& na = a.nodes.at(id);
            j["nodes"].push_back({ { "id", id }, { "type", g.node(id)->type }, { "inputs", g.node(id)->inputs },
                { "output_shape", na.outputShape.dims() }, { "params", na.params }, { "flops", na.flops },
                { "trainable", g.node(id)->trainable }, { "ok", na.ok }, { "error", na.error } });
        }
        std::cout << j.dump() << "\n";
        return a.ok ? 0 : 1;
    }
    std::cout << "model: " << (g.name.empty() ? o.model : g.name) << "\n";
    if (!g.description.empty())
        std::cout << g.description << "\n";
    std::cout << "\n"
              << pad("node", 12) << pad("type", 16) << pad("output", 14) << pad("params", 12, true)
              << pad("FLOPs", 13, true) << "\n";
    for (const auto& id : a.order) {
        const auto& na = a.nodes.at(id);
        std::cout << pad(g.node(id)->trainable ? id : id + " *", 12) << pad(g.node(id)->type, 16)
                  << pad(na.ok ? na.outputShape.toString() : "?", 14) << pad(Progress::formatCount(na.params), 12, true)
                  << pad(formatFlops(static_cast<double>(na.flops)), 13, true) << "\n";
        if (!na.ok && !na.error.empty())
            std::cout << "    ! " << na.error << "\n";
    }
    std::cout << "\ntotal parameters: " << Progress::formatCount(a.totalParams)
              << "   forward FLOPs per sample: " << formatFlops(static_cast<double>(a.totalFlops)) << "\n"
              << "trainable: " << Progress::formatCount(a.totalParams - a.frozenParams)
              << "   frozen: " << Progress::formatCount(a.frozenParams)
              << (a.frozenParams > 0 ? "   (* frozen nodes)" : "") << "\n";
    if (!a.ok) {
        std::cout << "INVALID: " << a.error << "\n";
        return 1;
    }
    std::cout << "input " << a.inputShape.toString() << " \u2192 output " << a.outputShape.toString() << "\n";
    return 0;
}

int runLayers(bool json)
{
    const auto& reg = LayerRegistry::builtin();
    if (json) {
        nlohmann::json j = nlohmann::json::array();
        for (const auto& info : reg.all()) {
            nlohmann::json params = nlohmann::json::array();
            for (const auto& p : info.params) {
                nlohmann::json jp { { "name", p.name }, { "type", toString(p.type) }, { "default", p.defaultValue },
                    { "doc", p.doc } };
                if (p.type == ParamType::Int || p.type == ParamType::Float) {
                    if (p.min > -1e299)
                        jp["min"] = p.min;
                    if (p.max < 1e299)
                        jp["max"] = p.max;
                }
                if (!p.choices.empty())
                    jp["choices"] = p.choices;
                params.push_back(jp);
            }
            j.push_back({ { "type", info.type }, { "category", info.category }, { "doc", info.doc },
                { "min_inputs", info.minInputs }, { "max_inputs", info.maxInputs }, { "params", params } });
        }
        std::cout << j.dump(2) << "\n";
        return 0;
    }
    for (const auto& cat : reg.categories()) {
        std::cout << cat << "\n";
        for (const auto& info : reg.all()) {
            if (info.category != cat)
                continue;
            std::cout << "  " << pad(info.type, 16) << info.doc << "\n";
            for (const auto& p : info.params) {
                std::string d = p.defaultValue.dump();
                std::string extra;
                if (!p.choices.empty()) {
                    for (const auto& c : p.choices)
                        extra += (extra.empty() ? "" : "|") + c;
                }
                std::cout << "      " << pad(p.name, 12) << pad(toString(p.type), 7) << pad("= " + d, 18) << " "
                          << p.doc << (extra.empty() ? "" : " (" + extra + ")") << "\n";
            }
        }
    }
    return 0;
}

namespace {

TrainConfig withMachineSettings(TrainConfig cfg, const TrainOptions& o);

TrainConfig trainConfigFor(const ModelGraph& graph, const TrainOptions& o)
{
    TrainConfig cfg = trainConfigFromJson(graph.training);
    if (o.epochs)
        cfg.epochs = *o.epochs;
    if (o.batch)
        cfg.batchSize = *o.batch;
    if (o.lr)
        cfg.optimizer.learningRate = *o.lr;
    if (o.optimizer)
        cfg.optimizer.kind = *o.optimizer;
    if (o.schedule)
        cfg.schedule.kind = *o.schedule;
    if (o.seed)
        cfg.seed = *o.seed;
    if (o.validationFraction)
        cfg.validationFraction = *o.validationFraction;
    if (o.patience)
        cfg.earlyStoppingPatience = *o.patience;
    if (o.minDelta)
        cfg.earlyStoppingMinDelta = *o.minDelta;
    if (o.monitor)
        cfg.monitor = *o.monitor;
    if (o.keepWeights)
        cfg.resultWeights = *o.keepWeights;
    if (o.clipNorm)
        cfg.clipNorm = *o.clipNorm;
    if (o.testFraction)
        cfg.testFraction = *o.testFraction;
    if (o.loss)
        cfg.loss = lossKindFromString(*o.loss);
    if (o.flip)
        cfg.augmentation.flipHorizontal = true;
    if (o.shift)
        cfg.augmentation.maxShift = o.shift;
    if (o.rotate > 0)
        cfg.augmentation.maxRotation = o.rotate;
    return withMachineSettings(cfg, o);
}

// The settings of the machine, which a resumed run takes from its command line too.
TrainConfig withMachineSettings(TrainConfig cfg, const TrainOptions& o)
{
    cfg.layerStatsEvery = o.layerStats;
    cfg.device = o.device;
    cfg.threads = o.threads;
    cfg.precision = precisionOption(o.precision);
    cfg.lossScaling = parseLossScaling(o.lossScaling, "--loss-scaling");
    if (o.warmupEpochs && !o.distributed) // --distributed: applyLearningRateRule sets it
        cfg.schedule.warmupEpochs = *o.warmupEpochs;
    return cfg;
}

// The progress hooks of `train`: a progress line per batch, a line per epoch.
// Live changes (control.json) are polled here; the planned epochs follow them.
SessionHooks progressHooks(TrainingSession& session, Progress& progress, int& epochs, ControlWatcher& control)
{
    SessionHooks hooks;
    hooks.onBatch = [&session, &progress, &epochs, &control](const BatchEvent& e) {
        if (interrupted())
            session.requestStop();
        control.poll(session);
        if (e.batchesPerEpoch > 0)
            epochs = static_cast<int>(e.totalSteps / e.batchesPerEpoch);
        progress.batch(e.epoch, epochs, e.batch, e.batchesPerEpoch, e.loss, e.regression ? -1.0 : e.accuracy,
            e.samplesPerSecond, e.etaSeconds);
    };
    hooks.onChange = [&progress](const ChangeEvent& c) {
        progress.message("change at epoch " + std::to_string(c.epoch + 1) + ", batch " + std::to_string(c.batch + 1)
            + ": " + c.label());
    };
    hooks.onEpoch = [&progress, &epochs](const EpochEvent& e) {
        std::string line = "epoch " + std::to_string(e.epoch + 1) + "/" + std::to_string(epochs) + "  train loss "
            + fmt("%.4f", e.trainLoss)
            + (e.regression ? " rmse " + fmt("%.4g", e.trainRmse) : " acc " + fmt("%.2f%%", 100 * e.trainAccuracy));
        if (!std::isnan(e.validationLoss))
            line += "  val loss " + fmt("%.4f", e.validationLoss)
                + (e.regression ? " rmse " + fmt("%.4g", e.validationRmse) + " R\u00b2 " + fmt("%.3f", e.validationR2)
                                : " acc " + fmt("%.2f%%", 100 * e.validationAccuracy));
        line += "  " + fmt("%.1fs", e.seconds) + "  " + Progress::formatRate(e.samplesPerSecond) + " samples/s";
        if (e.skippedSteps > 0)
            line += "  " + std::to_string(e.skippedSteps) + " skipped (loss scale "
                + formatLossScale(static_cast<float>(e.lossScale)) + ")";
        line += e.improved ? "  *" : "";
        progress.epoch(line);
    };
    return hooks;
}

// The session's device note on stderr, by backendForDevice's rule (Devices.h).
void printDeviceNote(const TrainingSession& s, const std::string& device)
{
    if (!s.deviceNote().empty()
        && (device != "auto" || s.gpuPresent() || s.settings().config.precision != Precision::Fp32)) {
        std::fprintf(stderr, "netcanvas-cli: note: %s\n", s.deviceNote().c_str());
        std::fflush(stderr);
    }
}

// The device note, then "training <model> on <backend> (...): <settings>".
void announceTraining(TrainingSession& s, const TrainOptions& o, Progress& progress)
{
    const TrainConfig& cfg = s.settings().config;
    printDeviceNote(s, o.device);
    const Backend& backend = s.backend();
    const ModelGraph& graph = s.graph();
    progress.message("training " + (graph.name.empty() ? o.model : graph.name) + " on " + backend.name() + " ("
        + (backend.device() == Device::Cpu ? std::to_string(backend.threads()) + " threads" : backend.description())
        + "): " + std::to_string(cfg.epochs) + " epochs, batch " + std::to_string(cfg.batchSize) + ", "
        + cfg.optimizer.kind + " lr " + fmt("%g", cfg.optimizer.learningRate) + ", " + cfg.schedule.kind
        + " schedule, seed " + std::to_string(cfg.seed));
    if (!o.initWeights.empty())
        progress.message("fine-tuning from " + o.initWeights);
    if (!o.initFrom.empty())
        progress.message("starting from " + o.initFrom + " (tensors loaded by name):");
    if (const WeightsLoadReport* report = s.weightsLoadReport())
        for (const std::string& line : report->lines())
            progress.message("  " + line);
    const std::vector<std::string> frozen = s.graph().frozenNodes();
    if (!frozen.empty()) {
        std::string ids;
        for (const std::string& id : frozen)
            ids += (ids.empty() ? "" : ", ") + id;
        const GraphAnalysis a = s.graph().analyze();
        progress.message("frozen: " + ids + " (" + Progress::formatCount(a.frozenParams) + " of "
            + Progress::formatCount(a.totalParams) + " parameters)");
    }
}

// --freeze a,b: the nodes given are made not trainable; an id the model lacks is an error
// naming it and the model's nodes.
// The node ids of a comma-separated `list` (an option's value), each checked to be a node of
// `graph`: GraphError naming the option, the id and the model's nodes otherwise.
std::vector<std::string> nodeList(
    const ModelGraph& graph, const std::string& list, const std::string& option, const std::string& modelPath)
{
    std::vector<std::string> ids;
    std::string rest = list;
    while (!rest.empty()) {
        const size_t comma = rest.find(',');
        std::string id = rest.substr(0, comma);
        rest = comma == std::string::npos ? std::string() : rest.substr(comma + 1);
        while (!id.empty() && id.front() == ' ')
            id.erase(id.begin());
        while (!id.empty() && id.back() == ' ')
            id.pop_back();
        if (id.empty())
            continue;
        if (!graph.node(id)) {
            std::string known;
            for (const GraphNode& n : graph.nodes())
                known += (known.empty() ? "" : ", ") + n.id;
            throw GraphError(option + ": no node '" + id + "' in " + modelPath + " (its nodes: " + known + ")");
        }
        ids.push_back(id);
    }
    return ids;
}

void freezeNodes(ModelGraph& graph, const std::string& list, const std::string& modelPath)
{
    for (const std::string& id : nodeList(graph, list, "--freeze", modelPath))
        graph.node(id)->trainable = false;
}

} // namespace

namespace {

int trainOnThisProcess(const TrainOptions& o, DistributedRun* dist);

} // namespace

int runTrain(const TrainOptions& o)
{
    std::unique_ptr<DistributedRun> dist = joinDistributed(o);
    if (!dist)
        return trainOnThisProcess(o, nullptr);
    try {
        const int code = trainOnThisProcess(o, dist.get());
        dist->finish();
        return code;
    } catch (const std::exception& e) { // end every rank now, naming this one
        dist->abort("rank " + std::to_string(dist->rank()) + " (host " + dist->host(dist->rank()) + "): " + e.what());
    }
}

namespace {

// What `train` trains: a fresh run of a model file, or the resumed run of a run folder.
struct TrainSetup {
    ModelGraph graph;
    GraphAnalysis analysis;
    SessionSettings settings;
    std::string dataPath;
    std::string resize;
    TrainOptions data; // how the dataset is opened (--task, --target, --window, ...): the run's own
    std::optional<ResumeInfo> resume;
};

// The options that say how a dataset is read as sequences or numbers, kept in the run's resume
// checkpoint so that a resume opens the data as the run did.
nlohmann::json dataOptionsJson(const TrainOptions& o)
{
    nlohmann::json j { { "task", o.task }, { "target", o.target }, { "columns", o.columns }, { "tokens", o.tokens },
        { "differences", o.differences } };
    const auto opt = [&j](const char* key, const auto& v) {
        if (v)
            j[key] = *v;
    };
    opt("window", o.window);
    opt("horizon", o.horizon);
    opt("seq_len", o.sequenceLength);
    opt("vocab", o.vocabulary);
    opt("test_fraction", o.testFraction);
    return j;
}

void readDataOptions(const nlohmann::json& run, TrainOptions& o)
{
    if (!run.is_object() || !run.contains("dataset_options") || !run.at("dataset_options").is_object())
        return; // a run of images, IDX or a classification CSV: nothing to say
    const nlohmann::json& j = run.at("dataset_options");
    o.task = j.value("task", o.task);
    o.target = j.value("target", o.target);
    o.columns = j.value("columns", o.columns);
    o.tokens = j.value("tokens", o.tokens);
    o.differences = j.value("differences", o.differences);
    const auto opt = [&j](const char* key, auto& v) {
        if (j.contains(key) && j.at(key).is_number())
            v = j.at(key).get<typename std::remove_reference_t<decltype(v)>::value_type>();
    };
    opt("window", o.window);
    opt("horizon", o.horizon);
    opt("seq_len", o.sequenceLength);
    opt("vocab", o.vocabulary);
    opt("test_fraction", o.testFraction);
}

TrainSetup freshSetup(const TrainOptions& o)
{
    if (o.model.empty() || o.data.empty())
        throw GraphError("train: give a model file and --data (or --resume RUN_DIR to continue a run)");
    TrainSetup t;
    t.graph = loadModelFile(o.model);
    freezeNodes(t.graph, o.freeze, o.model);
    if (!o.initWeights.empty() && !o.initFrom.empty())
        throw GraphError("--weights and --init-from both give starting weights: use one (--weights: the same "
                         "model, every tensor; --init-from: by name, into another graph)");
    t.analysis = t.graph.validate();
    t.settings.config = trainConfigFor(t.graph, o);
    t.settings.initialWeightsFile = o.initWeights.empty() ? o.initFrom : o.initWeights;
    if (!o.initFrom.empty())
        t.settings.weightsLoading = WeightsLoading::ByName;
    if (!o.reinit.empty() && o.initFrom.empty())
        throw GraphError("--reinit keeps nodes freshly initialized when weights are loaded by name: it needs "
                         "--init-from");
    t.settings.freshNodes = nodeList(t.graph, o.reinit, "--reinit", o.model);
    t.settings.outputDir
        = o.out.empty() ? "runs/" + (t.graph.name.empty() ? std::string("model") : t.graph.name) : o.out;
    t.dataPath = o.data;
    t.resize = o.resize;
    t.data = o;
    std::error_code ec;
    const std::string absolute = std::filesystem::absolute(o.data, ec).string();
    t.settings.runInfo
        = { { "data", ec ? o.data : absolute }, { "resize", o.resize }, { "dataset_options", dataOptionsJson(o) } };
    return t;
}

// --resume RUN_DIR: the run's own model, recipe and dataset; --epochs and --lr change it (as
// live changes at the resume point), the machine's settings are this command line's.
TrainSetup resumeSetup(const TrainOptions& o)
{
    if (!o.model.empty() || o.batch || o.optimizer || o.schedule || o.seed || o.validationFraction || o.patience
        || o.minDelta || o.monitor || o.keepWeights || o.clipNorm || o.flip || o.shift || o.rotate > 0
        || !o.initWeights.empty() || !o.initFrom.empty() || !o.freeze.empty() || !o.reinit.empty() || o.fitOutput
        || !o.out.empty() || !o.task.empty() || !o.target.empty() || !o.columns.empty() || o.window || o.horizon
        || o.sequenceLength || o.vocabulary || o.testFraction || o.loss)
        throw GraphError("--resume continues a run with its own model, recipe, data options and run folder: only "
                         "--epochs, --lr, --data and the machine's settings (--device, --threads, --precision, "
                         "--layer-stats) can be given");
    TrainSetup t;
    t.resume = readResumeInfo(o.resume);
    const ResumeInfo& info = *t.resume;
    const int done = static_cast<int>(info.progress.history.size());
    const bool midEpoch = info.progress.batchInEpoch > 0;
    if (o.epochs && *o.epochs < done + (midEpoch ? 1 : 0))
        throw GraphError("--epochs " + std::to_string(*o.epochs) + ": the run in " + o.resume + " has done "
            + std::to_string(done) + " epochs" + (midEpoch ? " and part of the next" : "")
            + ": give more to extend it");
    if (info.progress.finished() && (!o.epochs || *o.epochs <= done))
        throw GraphError("the run in " + o.resume + " finished its " + std::to_string(done)
            + " epochs: give --epochs N (more than " + std::to_string(done) + ") to extend it");
    t.graph = info.graph;
    t.analysis = t.graph.validate();
    t.settings.config = withMachineSettings(info.recipe, o);
    t.settings.resumeFrom = info.checkpoint;
    t.settings.runInfo = info.run;
    std::filesystem::path folder = std::filesystem::path(info.checkpoint).parent_path();
    if (folder.filename() == "checkpoints")
        folder = folder.parent_path();
    t.settings.outputDir = folder.string();
    t.dataPath = !o.data.empty() ? o.data : info.run.is_object() ? info.run.value("data", std::string()) : "";
    if (t.dataPath.empty())
        throw GraphError(info.checkpoint + " does not say which dataset the run trained on: give --data");
    t.resize = info.run.is_object() ? info.run.value("resize", o.resize) : o.resize;
    t.data = o;
    readDataOptions(info.run, t.data);
    return t;
}

// How `train` reads its dataset as sequences or numbers (docs/datasets.md).
DatasetOptions datasetOptionsFor(const TrainOptions& o, TrainConfig& config)
{
    DatasetOptions sequence;
    sequence.task = o.task;
    sequence.target = o.target;
    for (size_t start = 0; start < o.columns.size();) {
        const size_t comma = std::min(o.columns.find(',', start), o.columns.size());
        if (comma > start)
            sequence.columns.push_back(o.columns.substr(start, comma - start));
        start = comma + 1;
    }
    sequence.tokens = o.tokens;
    sequence.differences = o.differences;
    sequence.window = o.window.value_or(sequence.window);
    sequence.horizon = o.horizon.value_or(sequence.horizon);
    sequence.sequenceLength = o.sequenceLength.value_or(sequence.sequenceLength);
    sequence.maxVocabulary = o.vocabulary.value_or(sequence.maxVocabulary);
    sequence.validationFraction = config.validationFraction;
    sequence.testFraction = o.testFraction.value_or(o.task == "series" ? 0.2 : config.testFraction);
    if (o.task == "series")
        config.testFraction = sequence.testFraction;
    sequence.seed = config.seed;
    return sequence;
}

// The train command on this process: alone, or as one rank of a data-parallel job (`dist`; rank
// 0 validates, tests, writes the run folder and prints; the other ranks only train, quietly).
int trainOnThisProcess(const TrainOptions& o, DistributedRun* dist)
{
    const bool lead = !dist || dist->rank() == 0;
    Progress progress(o.quiet || !lead);
    TrainSetup setup = o.resume.empty() ? freshSetup(o) : resumeSetup(o);
    ModelGraph& graph = setup.graph;
    GraphAnalysis& a = setup.analysis;
    SessionSettings& settings = setup.settings;
    TrainingSession::checkOutputFolder(settings.outputDir); // before the data is read, not after an epoch
    const std::string outputDir = settings.outputDir;
    if (!lead)
        settings.outputDir.clear(); // rank 0 writes the run folder and the checkpoints
    if (dist)
        configureDistributed(*dist, o, settings, progress);
    int epochs = setup.resume ? (o.epochs ? *o.epochs : setup.resume->progress.epochs) : settings.config.epochs;
    const int64_t batchSize = settings.config.batchSize;
    // SIGINT/SIGTERM stop the run at the next batch with its weights kept; a second signal, or
    // a run still going after the grace period, ends the process (Interrupt.h). The other
    // commands keep the default: a signal ends them at once — as do the ranks of a distributed
    // run, which must stop together (mpirun ends them all; the last checkpoint stays).
    if (!dist)
        installInterruptHandlers();

    const TrainOptions& dataOptions = setup.data;
    DatasetOptions sequence = datasetOptionsFor(dataOptions, settings.config);
    fitSequenceOptions(graph, a, sequence,
        { dataOptions.window.has_value(), dataOptions.horizon.has_value(), dataOptions.sequenceLength.has_value(),
            dataOptions.vocabulary.has_value() });
    auto data = std::make_shared<const Dataset>(openFor(setup.dataPath, a, setup.resize, progress, &sequence));
    if (data->isRegression() && !o.loss && !isRegressionLoss(settings.config.loss)) {
        settings.config.loss = LossKind::MeanSquaredError;
        progress.message("loss: mse (the data has real-valued targets; --loss mae or huber to choose another)");
    }
    if (o.fitOutput && data->isRegression()) {
        throw ShapeError(
            "--fit-output sets a classifier's head; for real-valued targets set the output Dense's units to "
            + std::to_string(data->targetSize()));
    } else if (data->isRegression()) {
        // checkOutputMatchesClasses below names the misfit.
    } else if (o.fitOutput) {
        // A new head for the dataset's classes: its units set, and (when starting from
        // weights) initialized afresh even where the weights have a tensor of its shape.
        const int64_t before = a.outputShape.numel();
        const std::string head = fitOutputToClasses(graph, data->numClasses());
        a = graph.validate();
        if (std::find(settings.freshNodes.begin(), settings.freshNodes.end(), head) == settings.freshNodes.end())
            settings.freshNodes.push_back(head);
        progress.message("--fit-output: new output layer '" + head + "' with " + std::to_string(data->numClasses())
            + " units (was " + std::to_string(before) + "), freshly initialized");
    } else if (a.outputShape.numel() != data->numClasses()) {
        throw ShapeError("the model's output node '" + a.outputNode + "' gives " + a.outputShape.toString()
            + " values per sample, but " + setup.dataPath + " has " + std::to_string(data->numClasses())
            + " classes: pass --fit-output to give it a new output layer of " + std::to_string(data->numClasses())
            + " classes");
    }
    checkOutputMatchesClasses(a, *data);
    const bool resuming = setup.resume.has_value();
    TrainingSession session(std::move(graph), data, std::move(settings));
    const DataSplit& split = session.prepareSplit();
    progress.message("split: " + Progress::formatCount(static_cast<int64_t>(split.train.size())) + " train, "
        + Progress::formatCount(static_cast<int64_t>(split.validation.size())) + " validation, "
        + Progress::formatCount(static_cast<int64_t>(split.test.size())) + " test"
        + (data->officialTestBegin >= 0 ? " (official test split)" : ""));
    if (!lead)
        session.setSplit(trainingOnly(split));
    if (resuming) {
        const TrainProgress& p = setup.resume->progress;
        if (o.epochs)
            session.requestChange({ RunChangeKind::Epochs, static_cast<double>(*o.epochs) });
        if (o.lr)
            session.requestChange({ RunChangeKind::LearningRate, *o.lr });
        progress.message("resuming " + outputDir + " at epoch " + std::to_string(p.epoch + 1)
            + (p.batchInEpoch > 0 ? ", batch " + std::to_string(p.batchInEpoch + 1) : std::string()) + " of "
            + std::to_string(epochs) + " (" + std::to_string(p.history.size()) + " epochs done)");
    }
    session.prepare();
    announceTraining(session, o, progress);
    // Live changes (control.json) reach a process alone: the ranks of a distributed run would
    // each see them at a different step.
    ControlWatcher control(dist ? std::string() : outputDir);
    std::optional<LayerStatsLog> statsLog;
    SessionHooks hooks = progressHooks(session, progress, epochs, control);
    if (lead && session.settings().config.layerStatsEvery > 0) {
        statsLog.emplace(outputDir, resuming);
        hooks.onLayerStats = [&statsLog](const LayerStatsEvent& e) { statsLog->write(e); };
    }
    if (dist && lead)
        hooks = distributedHooks(*dist, std::move(hooks), outputDir, epochs);

    const SessionResult result = [&] {
        try {
            return session.run(hooks);
        } catch (const BackendError& e) { // a GPU out of memory: say which batch size and what to try
            throw BackendError(withOutOfMemoryAdvice(e.what(), batchSize, "--device cpu"));
        }
    }();
    const TrainResult& r = result.train;
    if (!lead)
        return r.diverged ? 1 : 0;
    if (!result.keptEarlierRun.empty())
        progress.message(
            "the earlier run in " + session.settings().outputDir + " was kept in " + result.keptEarlierRun);
    if (!r.message.empty())
        progress.message(r.message);
    if (!r.hostOps.empty()) // ops this backend does not have yet ran correctly, on the host
        progress.message("note: " + session.backend().name() + ": " + r.hostOps);
    if (r.skippedSteps > 0)
        progress.message("loss scaling: " + std::to_string(r.skippedSteps) + " step" + (r.skippedSteps == 1 ? "" : "s")
            + " skipped (the scaled gradients overflowed); final loss scale "
            + formatLossScale(static_cast<float>(r.lossScale)));

    // Keep what was learned, whatever happened: the run's weights are the last good ones.
    nlohmann::json metrics = session.saveRunFolder(result);
    if (dist)
        reportDistributed(*dist, outputDir, metrics, progress);
    if (result.tested && result.test.regression) {
        progress.epoch("");
        std::cout << "test: rmse " << fmt("%.4g", result.test.rmse) << ", mae " << fmt("%.4g", result.test.mae)
                  << ", R\u00b2 " << fmt("%.4f", result.test.r2) << ", loss " << fmt("%.4f", result.test.loss) << " on "
                  << Progress::formatCount(result.test.samples) << " samples\n";
        if (metrics.contains("naive_test_rmse"))
            std::cout << "naive last-value forecast on the same test windows: rmse "
                      << fmt("%.4g", metrics["naive_test_rmse"].get<double>()) << ", mae "
                      << fmt("%.4g", metrics["naive_test_mae"].get<double>()) << "\n";
    } else if (result.tested) {
        progress.epoch("");
        std::cout << "test: accuracy " << fmt("%.2f%%", 100 * result.test.accuracy) << ", loss "
                  << fmt("%.4f", result.test.loss) << " on " << Progress::formatCount(result.test.samples)
                  << " samples\n\n"
                  << result.test.confusion.toText(data->classNames);
    }
    const std::string weightsPath
        = (std::filesystem::path(session.settings().outputDir) / "weights.safetensors").string();
    std::cout << "\nsaved " << weightsPath << " (" << r.epochsCompleted << " epochs, "
              << Progress::formatDuration(r.seconds) << ", " << Progress::formatRate(r.samplesPerSecond)
              << " samples/s)\n";
    if (o.json) {
        metrics.erase("confusion");
        std::cout << metrics.dump() << "\n";
    }
    if (r.diverged)
        return 1;
    return interrupted() ? 130 : 0;
}

} // namespace

EvalSplitChoice chooseEvalSplit(const std::string& asked, const std::string& trainedOn, const std::string& data)
{
    if (asked != "auto")
        return { asked, "--split " + asked };
    if (trainedOn.empty())
        return { "test",
            "the test split (the weights do not name the dataset they were trained on; --split all "
            "evaluates every sample)" };
    namespace fs = std::filesystem;
    std::error_code e1, e2;
    const fs::path a = fs::weakly_canonical(fs::path(trainedOn), e1);
    const fs::path b = fs::weakly_canonical(fs::path(data), e2);
    const bool same = !e1 && !e2 ? a == b : trainedOn == data;
    if (same)
        return { "test",
            "the test split of the dataset the model was trained on (its other samples were trained or "
            "validated on)" };
    return { "all", "the whole dataset: it is not the one the model was trained on (" + trainedOn + ")" };
}

int runEval(const EvalOptions& o)
{
    checkMetricsPath(o.metricsOut); // before the work, not after
    Progress progress(o.json);
    // The session's own network receives the weights: one network, one read.
    const TrainedFiles files = resolveTrainedFiles(o.model, o.weights);
    ModelGraph graph = graphForWeights(files.model, files.weights);
    const GraphAnalysis a = graph.validate();
    auto data = std::make_shared<const Dataset>(openFor(o.data, a, "stretch", progress));
    checkOutputMatchesClasses(a, *data);
    SessionSettings settings;
    settings.config = trainConfigFromJson(graph.training);
    settings.config.device = o.device;
    settings.config.threads = o.threads;
    settings.config.precision = precisionOption(o.precision);
    TrainingSession evaluator(std::move(graph), data, std::move(settings));
    evaluator.prepare();
    printDeviceNote(evaluator, o.device);
    const WeightsMeta meta = evaluator.loadWeightsFile(files.weights);
    if (!meta.classNames.empty() && meta.classNames != data->classNames)
        progress.message("note: the dataset's class names differ from the ones the model was trained on");
    const EvalSplitChoice choice = chooseEvalSplit(o.split, meta.dataset, o.data);
    std::vector<int64_t> indices;
    if (choice.split == "all") {
        indices.resize(static_cast<size_t>(data->size()));
        std::iota(indices.begin(), indices.end(), 0);
    } else {
        const DataSplit split = evaluator.split();
        indices = choice.split == "test" ? split.test : choice.split == "validation" ? split.validation : split.train;
    }
    if (indices.empty())
        throw DataError(o.data + ": the " + choice.split + " split is empty");
    // How many samples, and why those: the rule is part of the result.
    progress.message("evaluating " + Progress::formatCount(static_cast<int64_t>(indices.size())) + " of "
        + Progress::formatCount(data->size()) + " samples: " + choice.reason);

    const EvalResult r = evaluator.evaluate(indices);
    // Top-k accuracy (and the per-sample predictions behind it): a second, inference-only
    // pass through engine/inspect; the first gives the loss exactly as training reports it.
    const inspect::Evaluation detail
        = inspect::evaluate(evaluator.network(), *data, indices, normalizationOf(meta), o.topK);

    const auto& names = data->classNames;
    const std::string topK = "top-" + std::to_string(detail.topK);
    if (!o.json) {
        std::cout << choice.split << " split: accuracy " << fmt("%.2f%%", 100 * r.accuracy) << ", " << topK
                  << " accuracy " << fmt("%.2f%%", 100 * detail.topKAccuracy) << ", loss " << fmt("%.4f", r.loss)
                  << " on " << Progress::formatCount(r.samples) << " samples\n\n"
                  << r.confusion.toText(names);
    }
    nlohmann::json j { { "split", choice.split }, { "split_reason", choice.reason },
        { "dataset_samples", data->size() }, { "accuracy", r.accuracy }, { "loss", r.loss }, { "samples", r.samples },
        { "top_k", detail.topK }, { "top_k_accuracy", detail.topKAccuracy } };
    j["confusion"] = confusionJson(r.confusion, names);
    if (!o.csvOut.empty())
        writeFileAtomic(o.csvOut, confusionCsv(r.confusion, names));
    if (!o.jsonOut.empty())
        writeFileAtomic(o.jsonOut, j.dump(2) + "\n");
    if (!o.metricsOut.empty())
        writeMetricsFile(o.metricsOut, j, detail, names);
    if (o.json) {
        nlohmann::json line { { "split", choice.split }, { "split_reason", choice.reason },
            { "dataset_samples", data->size() }, { "test_accuracy", r.accuracy }, { "test_loss", r.loss },
            { "samples", r.samples }, { "top_k", detail.topK }, { "top_k_accuracy", detail.topKAccuracy } };
        std::cout << line.dump() << "\n";
    }
    return 0;
}

namespace {

// A CSV field, quoted when it holds a comma, a quote, a line break or edge spaces.
// The images to predict: files as given; a folder stands for every image under it (sorted,
// recursively: the images a LabelStore of that folder lists).
std::vector<std::string> expandImageArguments(const std::vector<std::string>& args)
{
    namespace fs = std::filesystem;
    std::vector<std::string> images;
    for (const auto& arg : args) {
        std::error_code ec;
        if (!fs::is_directory(arg, ec)) {
            images.push_back(arg);
            continue;
        }
        const ImageScan scan = scanImageFolder(arg);
        for (const auto& note : scan.notes)
            std::fprintf(stderr, "netcanvas-cli: %s\n", note.c_str());
        if (scan.ids.empty())
            std::fprintf(
                stderr, "netcanvas-cli: %s: no image files (png, jpg, jpeg, bmp, tif, tiff, webp)\n", arg.c_str());
        for (const auto& id : scan.ids)
            images.push_back((fs::path(arg) / id).string());
    }
    return images;
}

} // namespace

int runPredict(const PredictOptions& o)
{
    namespace fs = std::filesystem;
    if (!o.out.empty() && fs::is_directory(o.out))
        throw IoError(o.out + ": is a folder; --out takes the CSV file to write");
    const std::vector<std::string> images = expandImageArguments(o.images);
    if (images.empty())
        throw DataError("no image to predict in " + o.images.front() + (o.images.size() > 1 ? " and the others" : ""));
    LoadedModel m = loadTrained(
        resolveTrainedFiles(o.model, o.weights), backendForDevice(o.device, o.threads, precisionOption(o.precision)));
    const GraphAnalysis& a = m.network->analysis();
    const DatasetOptions geo = datasetOptionsFor(a, "stretch");
    const Normalization norm = normalizationOf(m.meta);
    const int64_t k = a.outputShape.numel();
    const int top = static_cast<int>(std::min<int64_t>(o.top, k));
    int failures = 0;
    Tensor input(a.inputShape.batched(1));
    std::string csv = "path,class,confidence";
    for (int i = 2; i <= top; ++i)
        csv += ",class_" + std::to_string(i) + ",confidence_" + std::to_string(i);
    csv += "\n";
    for (const auto& path : images) {
        std::vector<uint8_t> pixels;
        try {
            pixels = loadImageSample(path, geo.channels, geo.height, geo.width, geo.resize);
        } catch (const Error& e) {
            std::fprintf(stderr, "netcanvas-cli: skipped %s\n", e.what());
            ++failures;
            continue;
        }
        prepareImage(pixels.data(), geo.channels, geo.height, geo.width, norm, input.data());
        const std::vector<float> probs = inspect::probabilities(*m.network, m.network->forward(input, false), 0);
        std::vector<int> order(static_cast<size_t>(k));
        std::iota(order.begin(), order.end(), 0);
        std::partial_sort(order.begin(), order.begin() + top, order.end(),
            [&](int x, int y) { return probs[static_cast<size_t>(x)] > probs[static_cast<size_t>(y)]; });
        auto name = [&](int c) { return m.className(c); };
        if (!o.out.empty()) {
            csv += csvField(path);
            for (int i = 0; i < top; ++i) {
                csv += ',';
                csv += csvField(name(order[static_cast<size_t>(i)]));
                csv += ',';
                csv += fmt("%.6g", probs[static_cast<size_t>(order[static_cast<size_t>(i)])]);
            }
            csv += "\n";
        }
        if (o.json) {
            nlohmann::json j { { "image", path }, { "top", nlohmann::json::array() } };
            for (int i = 0; i < top; ++i)
                j["top"].push_back(
                    { { "class", name(order[static_cast<size_t>(i)]) }, { "index", order[static_cast<size_t>(i)] },
                        { "probability", probs[static_cast<size_t>(order[static_cast<size_t>(i)])] } });
            std::cout << j.dump() << "\n";
        } else if (o.out.empty()) {
            std::cout << path << "\n";
            for (int i = 0; i < top; ++i)
                std::cout << "  "
                          << pad(fmt("%.1f%%", 100.0 * probs[static_cast<size_t>(order[static_cast<size_t>(i)])]), 7,
                                 true)
                          << "  " << name(order[static_cast<size_t>(i)]) << "\n";
        }
    }
    if (failures == static_cast<int>(images.size()))
        throw DataError("none of the images could be read");
    if (!o.out.empty()) {
        writeFileAtomic(o.out, csv);
        if (!o.json)
            std::cout << "wrote " << images.size() - static_cast<size_t>(failures) << " predictions to " << o.out
                      << (failures ? " (" + std::to_string(failures) + " unreadable images skipped)" : std::string())
                      << "\n";
    }
    return failures ? 2 : 0;
}

namespace {

std::string percent(double v)
{
    return std::isfinite(v) ? fmt("%.2f%%", 100 * v) : std::string("-");
}

nlohmann::json numberOrNull(double v)
{
    return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
}

nlohmann::json runJson(const RunRecord& r)
{
    return { { "id", r.id }, { "label", r.label }, { "model", r.modelName }, { "dataset", r.datasetName },
        { "settings", runSettingsSummary(r.config) }, { "epochs", r.summary.epochsCompleted },
        { "best_validation_accuracy", numberOrNull(bestValidationAccuracy(r)) },
        { "last_validation_accuracy", numberOrNull(lastValidationAccuracy(r)) },
        { "test_accuracy", numberOrNull(r.summary.testAccuracy) }, { "state", runState(r) },
        { "message", r.summary.message } };
}

// Copies the project's saved weights (tensors and metadata, byte for byte) to `out`.
void exportProjectWeights(const std::string& projectPath, const std::string& out)
{
    const TrainedFiles files = resolveTrainedFiles(projectPath, {});
    loadSafetensors(files.weights); // a readable weights file, not just any bytes
    writeFileAtomic(out, readFile(files.weights));
}

} // namespace

int runRuns(const RunsOptions& o)
{
    const ProjectData project = loadProjectFile(o.project);
    if (!o.exportWeights.empty()) {
        exportProjectWeights(o.project, o.exportWeights);
        if (!o.json)
            std::cout << "wrote " << o.exportWeights << " (the weights of run " << project.weightsRun << ")\n";
    }
    if (o.json) {
        nlohmann::json runs = nlohmann::json::array();
        for (const RunRecord& r : project.runs)
            runs.push_back(runJson(r));
        nlohmann::json j { { "project", o.project }, { "runs", runs }, { "weights_run", project.weightsRun } };
        if (!o.exportWeights.empty())
            j["exported"] = o.exportWeights;
        std::cout << j.dump() << "\n";
        return 0;
    }
    if (project.runs.empty()) {
        std::cout << o.project << ": no training runs\n";
        return 0;
    }
    std::cout << pad("run", 5) << pad("label", 18) << pad("settings", 40) << pad("epochs", 7, true)
              << pad("best val", 10, true) << pad("last val", 10, true) << pad("test", 10, true) << "  state\n";
    for (const RunRecord& r : project.runs)
        std::cout << pad(std::to_string(r.id), 5) << pad(r.label.empty() ? "-" : r.label, 18)
                  << pad(runSettingsSummary(r.config), 40) << pad(std::to_string(r.summary.epochsCompleted), 7, true)
                  << pad(percent(bestValidationAccuracy(r)), 10, true)
                  << pad(percent(lastValidationAccuracy(r)), 10, true) << pad(percent(r.summary.testAccuracy), 10, true)
                  << "  " << runState(r)
                  << (r.id == project.weightsRun && !project.weightsPath.empty() ? " (weights)" : "") << "\n";
    return 0;
}

} // namespace netcanvas::cli
