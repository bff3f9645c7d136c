#include "Commands.h"
#include "Devices.h"

#include "Inspect.h"
#include "Progress.h"
#include "TrainedModel.h"

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
#include "engine/io/Safetensors.h"
#include "engine/labels/ImageScan.h"
#include "engine/layers/LayerRegistry.h"
#include "engine/train/Loss.h"
#include "engine/train/Metrics.h"
#include "engine/train/Network.h"
#include "engine/train/Trainer.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <numeric>
#include <sstream>

namespace netcanvas::cli {

namespace {

std::atomic<bool> g_interrupted { false };
extern "C" void onInterrupt(int)
{
    g_interrupted = true;
}

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

Dataset openFor(const std::string& path, const GraphAnalysis& a, const std::string& resize, Progress& progress)
{
    DatasetOptions o = datasetOptionsFor(a, resize);
    int64_t lastShown = -1;
    o.progress = [&](int64_t done, int64_t total) {
        if (total > 2000 && done * 10 / total != lastShown) {
            lastShown = done * 10 / total;
            progress.batch(0, 1, done, total, 0, 0, 0, -1);
        }
        return !g_interrupted.load();
    };
    Dataset d = openDataset(path, o);
    progress.epoch("dataset: " + path + " (" + d.format + "): " + Progress::formatCount(d.size()) + " samples, "
        + std::to_string(d.numClasses()) + " classes, " + std::to_string(d.channels) + "\u00d7"
        + std::to_string(d.height) + "\u00d7" + std::to_string(d.width));
    if (!d.skipped.empty()) {
        progress.message("skipped " + std::to_string(d.skipped.size()) + " unreadable file(s):");
        for (size_t i = 0; i < d.skipped.size() && i < 10; ++i)
            progress.message("  " + d.skipped[i].path + ": " + d.skipped[i].reason);
        if (d.skipped.size() > 10)
            progress.message("  ... and " + std::to_string(d.skipped.size() - 10) + " more");
    }
    return d;
}

void checkOutputMatchesClasses(const GraphAnalysis& a, const Dataset& d)
{
    const int64_t units = a.outputShape.numel();
    if (units != d.numClasses())
        throw ShapeError("the model's output node '" + a.outputNode + "' gives " + a.outputShape.toString()
            + " values per sample, but the dataset has " + std::to_string(d.numClasses())
            + " classes: set its units to " + std::to_string(d.numClasses()));
}

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
        j["flops_per_sample"] = a.totalFlops;
        j["nodes"] = nlohmann::json::array();
        for (const auto& id : a.order) {
            const auto& na = a.nodes.at(id);
            j["nodes"].push_back({ { "id", id }, { "type", g.node(id)->type }, { "inputs", g.node(id)->inputs },
                { "output_shape", na.outputShape.dims() }, { "params", na.params }, { "flops", na.flops },
                { "ok", na.ok }, { "error", na.error } });
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
        std::cout << pad(id, 12) << pad(g.node(id)->type, 16) << pad(na.ok ? na.outputShape.toString() : "?", 14)
                  << pad(Progress::formatCount(na.params), 12, true)
                  << pad(formatFlops(static_cast<double>(na.flops)), 13, true) << "\n";
        if (!na.ok && !na.error.empty())
            std::cout << "    ! " << na.error << "\n";
    }
    std::cout << "\ntotal parameters: " << Progress::formatCount(a.totalParams)
              << "   forward FLOPs per sample: " << formatFlops(static_cast<double>(a.totalFlops)) << "\n";
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

int runTrain(const TrainOptions& o)
{
    Progress progress(o.quiet);
    ModelGraph graph = loadModelFile(o.model);
    const GraphAnalysis a = graph.validate();

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
    if (o.flip)
        cfg.augmentation.flipHorizontal = true;
    if (o.shift)
        cfg.augmentation.maxShift = o.shift;
    if (o.rotate > 0)
        cfg.augmentation.maxRotation = o.rotate;
    cfg.threads = o.threads;
    cfg.precision = precisionOption(o.precision);
    cfg.lossScaling = parseLossScaling(o.lossScaling, "--loss-scaling");

    namespace fs = std::filesystem;
    const std::string out = o.out.empty() ? "runs/" + (graph.name.empty() ? std::string("model") : graph.name) : o.out;
    cfg.checkpointDir = (fs::path(out) / "checkpoints").string();

    std::signal(SIGINT, onInterrupt);
    std::signal(SIGTERM, onInterrupt);

    Dataset data = openFor(o.data, a, o.resize, progress);
    checkOutputMatchesClasses(a, data);
    const DataSplit split = splitDataset(data, cfg.validationFraction, cfg.testFraction, cfg.seed);
    progress.message("split: " + Progress::formatCount(static_cast<int64_t>(split.train.size())) + " train, "
        + Progress::formatCount(static_cast<int64_t>(split.validation.size())) + " validation, "
        + Progress::formatCount(static_cast<int64_t>(split.test.size())) + " test"
        + (data.officialTestBegin >= 0 ? " (official test split)" : ""));

    auto backend = backendForDevice(o.device, cfg.threads, cfg.precision);
    Trainer trainer(graph, cfg, *backend);
    progress.message("training " + (graph.name.empty() ? o.model : graph.name) + " on " + backend->name() + " ("
        + (backend->device() == Device::Cpu ? std::to_string(backend->threads()) + " threads" : backend->description())
        + "): " + std::to_string(cfg.epochs) + " epochs, batch " + std::to_string(cfg.batchSize) + ", "
        + cfg.optimizer.kind + " lr " + fmt("%g", cfg.optimizer.learningRate) + ", " + cfg.schedule.kind
        + " schedule, seed " + std::to_string(cfg.seed));
    if (!o.initWeights.empty()) {
        const WeightsMeta init = loadWeights(o.initWeights, trainer.network());
        if (!init.mean.empty()) {
            Normalization n;
            n.mean = init.mean;
            n.stddev = init.stddev;
            trainer.setNormalization(n);
        }
        progress.message("fine-tuning from " + o.initWeights);
    }

    std::string history = "epoch,train_loss,train_accuracy,validation_loss,validation_accuracy,learning_rate,seconds,"
                          "samples_per_second\n";
    trainer.setOnBatch([&](const BatchEvent& e) {
        if (g_interrupted.load())
            trainer.requestStop();
        progress.batch(
            e.epoch, cfg.epochs, e.batch, e.batchesPerEpoch, e.loss, e.accuracy, e.samplesPerSecond, e.etaSeconds);
    });
    trainer.setOnEpoch([&](const EpochEvent& e) {
        std::string line = "epoch " + std::to_string(e.epoch + 1) + "/" + std::to_string(cfg.epochs) + "  train loss "
            + fmt("%.4f", e.trainLoss) + " acc " + fmt("%.2f%%", 100 * e.trainAccuracy);
        if (!std::isnan(e.validationLoss))
            line += "  val loss " + fmt("%.4f", e.validationLoss) + " acc " + fmt("%.2f%%", 100 * e.validationAccuracy);
        line += "  " + fmt("%.1fs", e.seconds) + "  " + Progress::formatRate(e.samplesPerSecond) + " samples/s";
        if (e.skippedSteps > 0)
            line += "  " + std::to_string(e.skippedSteps) + " skipped (loss scale "
                + formatLossScale(static_cast<float>(e.lossScale)) + ")";
        line += e.improved ? "  *" : "";
        progress.epoch(line);
        history += std::to_string(e.epoch + 1) + "," + fmt("%.6g", e.trainLoss) + "," + fmt("%.6g", e.trainAccuracy)
            + "," + fmt("%.6g", e.validationLoss) + "," + fmt("%.6g", e.validationAccuracy) + ","
            + fmt("%.6g", e.learningRate) + "," + fmt("%.3f", e.seconds) + "," + fmt("%.1f", e.samplesPerSecond) + "\n";
    });

    const TrainResult r = [&] {
        try {
            return trainer.fit(data, split);
        } catch (const BackendError& e) { // a GPU out of memory: say which batch size and what to try
            throw BackendError(withOutOfMemoryAdvice(e.what(), cfg.batchSize, "--device cpu"));
        }
    }();
    if (!r.message.empty())
        progress.message(r.message);
    if (r.skippedSteps > 0)
        progress.message("loss scaling: " + std::to_string(r.skippedSteps) + " step" + (r.skippedSteps == 1 ? "" : "s")
            + " skipped (the scaled gradients overflowed); final loss scale "
            + formatLossScale(static_cast<float>(r.lossScale)));

    // Keep what was learned, whatever happened: the run's weights are the last good ones.
    graph.training = trainConfigToJson(cfg);
    fs::create_directories(out);
    WeightsMeta meta;
    meta.classNames = data.classNames;
    meta.mean = trainer.normalization().mean;
    meta.stddev = trainer.normalization().stddev;
    meta.modelJson = serializeModel(graph);
    const std::string weightsPath = (fs::path(out) / "weights.safetensors").string();
    saveWeights(weightsPath, trainer.network(), meta);
    saveModelFile(graph, (fs::path(out) / "model.json").string());
    writeFileAtomic((fs::path(out) / "history.csv").string(), history);

    EvalResult test;
    const bool haveTest = !split.test.empty() && !r.diverged;
    if (haveTest) {
        test = trainer.evaluate(data, split.test);
        progress.epoch("");
        std::cout << "test: accuracy " << fmt("%.2f%%", 100 * test.accuracy) << ", loss " << fmt("%.4f", test.loss)
                  << " on " << Progress::formatCount(test.samples) << " samples\n\n"
                  << test.confusion.toText(data.classNames);
    }
    std::cout << "\nsaved " << weightsPath << " (" << r.epochsCompleted << " epochs, "
              << Progress::formatDuration(r.seconds) << ", " << Progress::formatRate(r.samplesPerSecond)
              << " samples/s)\n";

    nlohmann::json metrics { { "model", graph.name }, { "epochs", r.epochsCompleted },
        { "samples_per_second", r.samplesPerSecond }, { "seconds", r.seconds }, { "stopped", r.stopped },
        { "early_stopped", r.earlyStopped }, { "diverged", r.diverged }, { "message", r.message },
        { "best_epoch", r.bestEpoch + 1 }, { "precision", precisionName(backend->mathPrecision()) }, { "out", out } };
    if (trainer.lossScaler()) {
        metrics["skipped_steps"] = r.skippedSteps;
        metrics["loss_scale"] = r.lossScale;
    }
    if (!r.history.empty() && !std::isnan(r.history.back().validationAccuracy)) {
        metrics["validation_accuracy"] = r.history.back().validationAccuracy;
        metrics["validation_loss"] = r.history.back().validationLoss;
    }
    if (haveTest) {
        metrics["test_accuracy"] = test.accuracy;
        metrics["test_loss"] = test.loss;
        metrics["confusion"] = confusionJson(test.confusion, data.classNames);
    }
    writeFileAtomic((fs::path(out) / "metrics.json").string(), metrics.dump(2) + "\n");
    if (o.json) {
        metrics.erase("confusion");
        std::cout << metrics.dump() << "\n";
    }
    if (r.diverged)
        return 1;
    return g_interrupted.load() ? 130 : 0;
}

int runEval(const EvalOptions& o)
{
    checkMetricsPath(o.metricsOut); // before the work, not after
    Progress progress(o.json);
    // The evaluating Trainer's own network receives the weights: one network, one read.
    const ModelGraph graph = graphForWeights(o.model, o.weights);
    const TrainConfig cfg = trainConfigFromJson(graph.training);
    auto backend = backendForDevice(o.device, o.threads, precisionOption(o.precision));
    Trainer evaluator(graph, cfg, *backend);
    const WeightsMeta meta = loadWeights(o.weights, evaluator.network());
    evaluator.setNormalization(normalizationOf(meta));
    const GraphAnalysis& a = evaluator.network().analysis();
    Dataset data = openFor(o.data, a, "stretch", progress);
    checkOutputMatchesClasses(a, data);
    if (!meta.classNames.empty() && meta.classNames != data.classNames)
        progress.message("note: the dataset's class names differ from the ones the model was trained on");
    std::vector<int64_t> indices;
    if (o.split == "all") {
        indices.resize(static_cast<size_t>(data.size()));
        std::iota(indices.begin(), indices.end(), 0);
    } else {
        const DataSplit split = splitDataset(data, cfg.validationFraction, cfg.testFraction, cfg.seed);
        indices = o.split == "test" ? split.test : o.split == "validation" ? split.validation : split.train;
    }
    if (indices.empty())
        throw DataError(o.data + ": the " + o.split + " split is empty");

    const EvalResult r = evaluator.evaluate(data, indices);
    // Top-k accuracy (and the per-sample predictions behind it): a second, inference-only
    // pass through engine/inspect; the first gives the loss exactly as training reports it.
    const inspect::Evaluation detail
        = inspect::evaluate(evaluator.network(), data, indices, normalizationOf(meta), o.topK);

    const auto& names = data.classNames;
    const std::string topK = "top-" + std::to_string(detail.topK);
    if (!o.json) {
        std::cout << o.split << " split: accuracy " << fmt("%.2f%%", 100 * r.accuracy) << ", " << topK << " accuracy "
                  << fmt("%.2f%%", 100 * detail.topKAccuracy) << ", loss " << fmt("%.4f", r.loss) << " on "
                  << Progress::formatCount(r.samples) << " samples\n\n"
                  << r.confusion.toText(names);
    }
    nlohmann::json j { { "split", o.split }, { "accuracy", r.accuracy }, { "loss", r.loss }, { "samples", r.samples },
        { "top_k", detail.topK }, { "top_k_accuracy", detail.topKAccuracy } };
    j["confusion"] = confusionJson(r.confusion, names);
    if (!o.csvOut.empty())
        writeFileAtomic(o.csvOut, confusionCsv(r.confusion, names));
    if (!o.jsonOut.empty())
        writeFileAtomic(o.jsonOut, j.dump(2) + "\n");
    if (!o.metricsOut.empty())
        writeMetricsFile(o.metricsOut, j, detail, names);
    if (o.json) {
        nlohmann::json line { { "split", o.split }, { "test_accuracy", r.accuracy }, { "test_loss", r.loss },
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
    LoadedModel m = loadTrained(o.model, o.weights, o.threads, o.device, precisionOption(o.precision));
    const GraphAnalysis& a = m.network->analysis();
    const DatasetOptions geo = datasetOptionsFor(a, "stretch");
    const Normalization norm = normalizationOf(m.meta);
    const int64_t k = a.outputShape.numel();
    const int top = static_cast<int>(std::min<int64_t>(o.top, k));
    const GraphNode* outNode = m.graph.node(a.outputNode);
    const bool outputIsSoftmax = outNode && outNode->type == "Softmax";
    int failures = 0;
    Tensor input(a.inputShape.batched(1));
    Tensor grad;
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
        const Tensor& output = m.network->forward(input, false);
        Tensor probs;
        if (outputIsSoftmax)
            probs.copyFrom(output);
        else
            softmaxCrossEntropy(output, { 0 }, grad, &probs);
        std::vector<int> order(static_cast<size_t>(k));
        std::iota(order.begin(), order.end(), 0);
        std::partial_sort(
            order.begin(), order.begin() + top, order.end(), [&](int x, int y) { return probs[x] > probs[y]; });
        auto name = [&](int c) {
            return c < static_cast<int>(m.meta.classNames.size()) ? m.meta.classNames[static_cast<size_t>(c)]
                                                                  : std::to_string(c);
        };
        if (!o.out.empty()) {
            csv += csvField(path);
            for (int i = 0; i < top; ++i) {
                csv += ',';
                csv += csvField(name(order[static_cast<size_t>(i)]));
                csv += ',';
                csv += fmt("%.6g", probs[order[static_cast<size_t>(i)]]);
            }
            csv += "\n";
        }
        if (o.json) {
            nlohmann::json j { { "image", path }, { "top", nlohmann::json::array() } };
            for (int i = 0; i < top; ++i)
                j["top"].push_back(
                    { { "class", name(order[static_cast<size_t>(i)]) }, { "index", order[static_cast<size_t>(i)] },
                        { "probability", probs[order[static_cast<size_t>(i)]] } });
            std::cout << j.dump() << "\n";
        } else if (o.out.empty()) {
            std::cout << path << "\n";
            for (int i = 0; i < top; ++i)
                std::cout << "  " << pad(fmt("%.1f%%", 100.0 * probs[order[static_cast<size_t>(i)]]), 7, true) << "  "
                          << name(order[static_cast<size_t>(i)]) << "\n";
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

} // namespace netcanvas::cli
