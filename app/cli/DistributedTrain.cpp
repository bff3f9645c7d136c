#include "DistributedTrain.h"

#include "Progress.h"

#include "engine/core/Error.h"
#include "engine/io/AtomicFile.h"
#include "engine/session/ProgressLog.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

namespace netcanvas::cli {

namespace {

double wallSeconds()
{
    using namespace std::chrono;
    return duration<double>(system_clock::now().time_since_epoch()).count();
}

// progress.jsonl: appended line by line (a reader ignores a last line without its newline).
class ProgressFile {
public:
    explicit ProgressFile(std::string path)
        : m_path(std::move(path))
    {
    }
    void write(const nlohmann::json& line)
    {
        if (!m_out.is_open()) { // opened (truncated) at the first event: after the earlier run was kept
            std::error_code ec;
            std::filesystem::create_directories(std::filesystem::path(m_path).parent_path(), ec);
            m_out.open(m_path, std::ios::out | std::ios::trunc);
            if (!m_out)
                throw IoError(m_path + ": cannot write the run's progress log");
        }
        m_out << line.dump() << '\n';
        m_out.flush();
    }

private:
    std::string m_path;
    std::ofstream m_out;
};

} // namespace

std::unique_ptr<DistributedRun> joinDistributed(const TrainOptions& o)
{
    if (!o.distributed)
        return nullptr;
    if (o.patience && *o.patience > 0)
        throw FormatError("--patience: early stopping is not available with --distributed (the ranks would decide "
                          "it apart); train a fixed number of epochs");
    DistributedOptions options;
    options.mode = o.sync;
    options.averageEvery = o.averageEvery;
    options.bucketMegabytes = o.bucketMegabytes;
    options.timeoutSeconds = o.commTimeout;
    options.lrScaling = o.lrScaling;
    return std::make_unique<DistributedRun>(options);
}

void configureDistributed(DistributedRun& run, const TrainOptions& o, SessionSettings& settings, Progress& progress)
{
    if (settings.config.earlyStoppingPatience > 0) { // from the model's recipe (--patience is refused)
        progress.message(
            "note: the recipe's early stopping is off with --distributed (the ranks would decide it apart)");
        settings.config.earlyStoppingPatience = 0;
    }
    const std::string rule = applyLearningRateRule(settings.config, run.size(), o.lrScaling, o.warmupEpochs);
    settings.gradientSync = &run.gradientSync();
    std::string hosts;
    for (int r = 0; r < run.size(); ++r)
        if (hosts.find(run.host(r)) == std::string::npos)
            hosts += (hosts.empty() ? "" : ", ") + run.host(r);
    progress.message("distributed: " + std::to_string(run.size()) + " ranks on " + hosts + ", batch "
        + std::to_string(settings.config.batchSize)
        + " per rank = " + std::to_string(settings.config.batchSize * run.size()) + " global, "
        + (o.sync == "average" ? "parameter averaging every " + std::to_string(o.averageEvery) + " steps"
                               : "gradient all-reduce (" + o.sync + ")")
        + "; " + rule);
}

DataSplit trainingOnly(const DataSplit& split)
{
    DataSplit s = split;
    s.validation.clear();
    s.test.clear();
    return s;
}

SessionHooks distributedHooks(DistributedRun& run, SessionHooks inner, const std::string& outputDir, int epochs)
{
    auto file = std::make_shared<ProgressFile>((std::filesystem::path(outputDir) / "progress.jsonl").string());
    auto lastBatchLine = std::make_shared<double>(-1.0);
    const double ranks = run.size();
    const std::string host = run.host(0);
    SessionHooks hooks;
    hooks.onBatch = [inner, file, lastBatchLine, ranks, epochs, host](const BatchEvent& e) {
        BatchEvent g = e;
        g.samplesPerSecond *= ranks; // synchronous steps: every rank trains as many samples
        if (inner.onBatch)
            inner.onBatch(g);
        const double t = wallSeconds();
        if (e.globalStep == 0)
            file->write(progressStartLine(static_cast<int>(ranks), host, epochs, t));
        if (t - *lastBatchLine < 0.25 && e.batch + 1 < e.batchesPerEpoch)
            return; // at most 4 batch lines a second, and each epoch's last
        *lastBatchLine = t;
        file->write(progressBatchLine(g, t));
    };
    hooks.onEpoch = [inner, file, ranks](const EpochEvent& e) {
        EpochEvent g = e;
        g.samplesPerSecond *= ranks;
        if (inner.onEpoch)
            inner.onEpoch(g);
        file->write(progressEpochLine(g, wallSeconds()));
    };
    return hooks;
}

void reportDistributed(
    DistributedRun& run, const std::string& outputDir, const nlohmann::json& metrics, Progress& progress)
{
    const nlohmann::json stats = run.statsJson();
    const std::filesystem::path dir(outputDir);
    writeFileAtomic((dir / "distributed.json").string(), stats.dump(2) + "\n");
    std::ofstream(dir / "progress.jsonl", std::ios::app)
        << progressEndLine(metrics, stats, wallSeconds()).dump() << '\n';
    char line[256];
    std::snprintf(line, sizeof line,
        "distributed: %d ranks, %.2f MB all-reduced per step in %d bucket(s), %.2f ms/step waiting on it "
        "(backward %.2f ms/step)",
        run.size(), stats.value("allreduce_bytes_per_step", 0.0) / 1e6, stats.value("buckets", 0),
        stats.value("wait_ms_per_step", 0.0), stats.value("backward_ms_per_step", 0.0));
    progress.message(line);
}

} // namespace netcanvas::cli
