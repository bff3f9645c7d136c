#include "Experiment.h"

#include "Progress.h"

#include "engine/core/Error.h"
#include "engine/graph/ModelJson.h"
#include "engine/io/AtomicFile.h"
#include "engine/session/ExperimentReport.h"
#include "engine/session/ExperimentRunner.h"
#include "engine/session/Lesson.h"

#include <CLI/CLI.hpp>

#include <filesystem>
#include <iostream>
#include <mutex>

namespace netcanvas::cli {

namespace fs = std::filesystem;

CLI::App* addExperimentCommand(CLI::App& app, ExperimentCliOptions& o)
{
    auto* cmd = app.add_subcommand("experiment",
        "Train one variant of a model per value of a variable (a lesson, or VARIABLE=V1,V2) and rank them");
    cmd->add_option("spec", o.spec,
           "A lesson file (resources/lessons/*.json), a lesson's name (01-saturation), or VARIABLE=V1,V2,... "
           "with VARIABLE one of activation, initializer, dropout, batch_norm, optimizer, learning_rate, "
           "batch_size, weight_decay, l1, l2, depth, width")
        ->required();
    cmd->add_option("--model", o.model, "Model JSON (instead of the lesson's)")->check(CLI::ExistingFile);
    cmd->add_option("--data", o.data, "Dataset (instead of the lesson's)")->check(CLI::ExistingPath);
    cmd->add_option("--out", o.out, "Output folder: experiment.json and a run folder per variant")->required();
    cmd->add_option("--report", o.report, "Also write a self-contained HTML report here");
    cmd->add_option("--epochs", o.epochs, "Epochs of every variant")->check(CLI::Range(1, 100000));
    cmd->add_option("--samples-per-class", o.samplesPerClass, "Use only the first N samples of each class")
        ->check(CLI::Range(int64_t(1), int64_t(1) << 40));
    cmd->add_option("--seed", o.seed, "Seed of every variant (weights, split, data order)");
    cmd->add_option("--parallel", o.parallel, "Runs at once (each gets cores/parallel threads)")
        ->check(CLI::Range(1, 64));
    cmd->add_option("--threads", o.threads, "Cores for all runs together (0: all)")->check(CLI::Range(0, 1024));
    cmd->add_flag("--json", o.json, "Print experiment.json's ranking as one JSON line at the end");
    cmd->add_flag("--quiet", o.quiet, "No progress lines");
    return cmd;
}

std::string findLessonFile(const std::string& spec)
{
    std::error_code ec;
    if (fs::is_regular_file(spec, ec))
        return spec;
    if (spec.find('=') != std::string::npos)
        return {};
    std::vector<std::string> dirs = { "resources/lessons" };
#ifdef NETCANVAS_SOURCE_DIR
    dirs.push_back(std::string(NETCANVAS_SOURCE_DIR) + "/resources/lessons");
#endif
#ifdef NETCANVAS_SHARE_DIR
    dirs.push_back(std::string(NETCANVAS_SHARE_DIR) + "/resources/lessons");
#endif
    for (const std::string& d : dirs) {
        const fs::path p = fs::path(d) / (spec + ".json");
        if (fs::is_regular_file(p, ec))
            return p.string();
    }
    return {};
}

int runExperiment(const ExperimentCliOptions& o)
{
    Progress progress(o.quiet);
    const std::string file = findLessonFile(o.spec);
    Lesson lesson = file.empty() ? inlineExperiment(o.spec) : loadLesson(file);
    ModelGraph graph = lesson.graph;
    if (!o.model.empty())
        graph = loadModelFile(o.model);
    else if (!lesson.hasModel)
        throw GraphError("experiment " + o.spec + ": no model (the spec has none): give --model");
    TrainConfig config = lesson.hasModel && o.model.empty() ? lesson.config : trainConfigFromJson(graph.training);
    if (!file.empty() && !o.model.empty()) // the lesson's recipe over the given model's
        config = lesson.config;
    if (o.epochs)
        config.epochs = *o.epochs;
    if (o.seed)
        config.seed = *o.seed;
    const std::string dataPath = o.data.empty() ? lesson.dataset : o.data;
    const int64_t perClass = o.samplesPerClass ? *o.samplesPerClass : lesson.samplesPerClass;
    TrainingSession::checkOutputFolder(o.out);

    auto data = openExperimentData(dataPath, graph, perClass);
    if (graph.validate().outputShape.numel() != data->numClasses()) {
        const std::string head = fitOutputToClasses(graph, data->numClasses());
        progress.message("the output layer '" + head + "' now has " + std::to_string(data->numClasses())
            + " units, one per class of " + dataPath);
    }
    std::vector<Variant> variants = makeVariants(graph, config, lesson.variation);
    netcanvas::ExperimentOptions options;
    options.cores = o.threads;
    options.maxParallel = o.parallel ? *o.parallel : lesson.parallel;
    options.outputDir = o.out;
    options.keepWeights = !o.report.empty();
    ExperimentRunner runner(variants, data, options);
    const std::string controlled = controlledFor(variants);
    progress.message(lesson.title + ": " + std::to_string(variants.size()) + " variants of "
        + variationInfo(lesson.variation.kind).name + " on " + dataPath + " (" + Progress::formatCount(data->size())
        + " samples: " + Progress::formatCount(static_cast<int64_t>(runner.split().train.size())) + " train, "
        + Progress::formatCount(static_cast<int64_t>(runner.split().validation.size())) + " validation), "
        + std::to_string(runner.plan().parallel) + " at a time with " + std::to_string(runner.plan().threadsEach)
        + " thread(s) each");
    progress.message(controlled);

    std::mutex printLock;
    ExperimentHooks hooks;
    hooks.onEpoch = [&](int i, const EpochEvent& e) {
        std::lock_guard lock(printLock);
        char line[256];
        std::snprintf(line, sizeof line,
            "%-28s epoch %d/%d: train loss %.4f acc %.2f%%, validation loss %.4f acc %.2f%%",
            variants[static_cast<size_t>(i)].label.c_str(), e.epoch + 1, variants[static_cast<size_t>(i)].config.epochs,
            e.trainLoss, 100 * e.trainAccuracy, e.validationLoss, 100 * e.validationAccuracy);
        progress.message(line);
    };
    hooks.onFinish = [&](int i, const VariantOutcome& out) {
        if (out.state == VariantOutcome::State::Failed || out.state == VariantOutcome::State::Diverged) {
            std::lock_guard lock(printLock);
            progress.message(variants[static_cast<size_t>(i)].label + ": " + stateName(out.state) + ": " + out.message);
        }
    };
    ExperimentReport report;
    report.outcomes = runner.run(hooks);
    report.title = lesson.title;
    report.text = lesson.text;
    report.lookAt = lesson.lookAt;
    report.variable = variationInfo(lesson.variation.kind).label;
    report.controlled = controlled;
    report.dataset = dataPath + (perClass > 0 ? " (" + std::to_string(perClass) + " per class)" : "");
    report.graph = graph;
    report.classNames = data->classNames;
    report.plan = runner.plan();

    fs::create_directories(o.out);
    const nlohmann::json j = experimentJson(report);
    writeFileAtomic((fs::path(o.out) / "experiment.json").string(), j.dump(2) + "\n");
    std::cout << "\n" << rankingText(report);
    if (!o.report.empty()) {
        const std::vector<int> order = rankOutcomes(report.outcomes);
        const VariantOutcome& best = report.outcomes[static_cast<size_t>(order.front())];
        if (best.weights && !runner.split().validation.empty()) {
            ReportImage maps = featureMapPicture(*best.weights, *data, runner.split().validation.front());
            if (!maps.png.empty()) {
                maps.title += " — " + best.label;
                report.images.push_back(std::move(maps));
            }
        }
        writeFileAtomic(o.report, experimentHtml(report));
        std::cout << "report: " << o.report << "\n";
    }
    std::cout << "saved " << (fs::path(o.out) / "experiment.json").string() << "\n";
    if (o.json)
        std::cout << j["ranking"].dump() << "\n";
    for (const VariantOutcome& v : report.outcomes)
        if (v.state == VariantOutcome::State::Failed)
            return 1;
    return 0;
}

} // namespace netcanvas::cli
