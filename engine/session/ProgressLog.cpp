#include "engine/session/ProgressLog.h"

#include <cmath>
#include <limits>

namespace netcanvas {

namespace {

nlohmann::json number(double v)
{
    return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
}

double numberOr(const nlohmann::json& j, const char* key, double fallback)
{
    auto it = j.find(key);
    return it != j.end() && it->is_number() ? it->get<double>() : fallback;
}

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

} // namespace

nlohmann::json progressStartLine(int ranks, const std::string& host, int epochs, double time)
{
    return { { "type", "start" }, { "ranks", ranks }, { "host", host }, { "epochs", epochs }, { "time", time } };
}

nlohmann::json progressBatchLine(const BatchEvent& e, double time)
{
    return { { "type", "batch" }, { "epoch", e.epoch }, { "batch", e.batch },
        { "batches_per_epoch", e.batchesPerEpoch }, { "step", e.globalStep }, { "total_steps", e.totalSteps },
        { "loss", number(e.loss) }, { "accuracy", number(e.accuracy) }, { "learning_rate", e.learningRate },
        { "samples_per_second", e.samplesPerSecond }, { "eta_seconds", e.etaSeconds }, { "time", time } };
}

nlohmann::json progressEpochLine(const EpochEvent& e, double time)
{
    return { { "type", "epoch" }, { "epoch", e.epoch }, { "train_loss", number(e.trainLoss) },
        { "train_accuracy", number(e.trainAccuracy) }, { "validation_loss", number(e.validationLoss) },
        { "validation_accuracy", number(e.validationAccuracy) }, { "learning_rate", e.learningRate },
        { "seconds", e.seconds }, { "samples_per_second", e.samplesPerSecond }, { "improved", e.improved },
        { "time", time } };
}

nlohmann::json progressEndLine(const nlohmann::json& metrics, const nlohmann::json& distributed, double time)
{
    return { { "type", "end" }, { "metrics", metrics }, { "distributed", distributed }, { "time", time } };
}

void readProgressLog(const std::string& text, ProgressLogState& s)
{
    while (s.consumed < text.size()) {
        const size_t newline = text.find('\n', s.consumed);
        if (newline == std::string::npos)
            return; // the writer is mid-line
        const std::string line = text.substr(s.consumed, newline - s.consumed);
        s.consumed = newline + 1;
        const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
        if (!j.is_object())
            continue;
        const std::string type = j.value("type", std::string());
        s.lastTime = numberOr(j, "time", s.lastTime);
        if (type == "start") {
            s.started = true;
            s.ranks = static_cast<int>(numberOr(j, "ranks", 0));
            s.epochs = static_cast<int>(numberOr(j, "epochs", 0));
            s.host = j.value("host", std::string());
        } else if (type == "batch") {
            BatchEvent e;
            e.epoch = static_cast<int>(numberOr(j, "epoch", 0));
            e.batch = static_cast<int64_t>(numberOr(j, "batch", 0));
            e.batchesPerEpoch = static_cast<int64_t>(numberOr(j, "batches_per_epoch", 0));
            e.globalStep = static_cast<int64_t>(numberOr(j, "step", 0));
            e.totalSteps = static_cast<int64_t>(numberOr(j, "total_steps", 0));
            e.loss = numberOr(j, "loss", kNaN);
            e.accuracy = numberOr(j, "accuracy", kNaN);
            e.learningRate = numberOr(j, "learning_rate", 0.0);
            e.samplesPerSecond = numberOr(j, "samples_per_second", 0.0);
            e.etaSeconds = numberOr(j, "eta_seconds", 0.0);
            s.newBatches.push_back(e);
        } else if (type == "epoch") {
            EpochEvent e;
            e.epoch = static_cast<int>(numberOr(j, "epoch", 0));
            e.trainLoss = numberOr(j, "train_loss", kNaN);
            e.trainAccuracy = numberOr(j, "train_accuracy", kNaN);
            e.validationLoss = numberOr(j, "validation_loss", kNaN);
            e.validationAccuracy = numberOr(j, "validation_accuracy", kNaN);
            e.learningRate = numberOr(j, "learning_rate", 0.0);
            e.seconds = numberOr(j, "seconds", 0.0);
            e.samplesPerSecond = numberOr(j, "samples_per_second", 0.0);
            e.improved = j.value("improved", false);
            s.newEpochs.push_back(e);
        } else if (type == "end") {
            s.ended = true;
            const nlohmann::json m = j.value("metrics", nlohmann::json::object());
            RunSummary& r = s.summary;
            r.epochsCompleted = static_cast<int>(numberOr(m, "epochs", 0));
            r.stopped = m.value("stopped", false);
            r.diverged = m.value("diverged", false);
            r.message = m.value("message", std::string());
            r.seconds = numberOr(m, "seconds", 0.0);
            r.samplesPerSecond = numberOr(m, "samples_per_second", 0.0);
            r.bestEpoch = static_cast<int>(numberOr(m, "best_epoch", 0)) - 1;
            r.testAccuracy = numberOr(m, "test_accuracy", kNaN);
            r.testLoss = numberOr(m, "test_loss", kNaN);
            s.distributed = j.value("distributed", nlohmann::json::object());
        }
    }
}

} // namespace netcanvas
