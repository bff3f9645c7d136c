#include "engine/train/TrainState.h"

#include "engine/core/Error.h"

#include <cmath>
#include <filesystem>

namespace netcanvas {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

nlohmann::json num(double v)
{
    return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
}

// A number of a progress object, or NaN for null; FormatError for anything else.
double readNumber(const nlohmann::json& j, const char* key, const std::string& where, bool nullable = true)
{
    if (!j.contains(key))
        throw FormatError(where + ": missing key '" + key + "'");
    const auto& v = j.at(key);
    if (v.is_null() && nullable)
        return kNaN;
    if (!v.is_number())
        throw FormatError(where + "." + key + ": must be a number, not " + v.dump());
    return v.get<double>();
}

int64_t readInt(const nlohmann::json& j, const char* key, const std::string& where)
{
    const double d = readNumber(j, key, where, false);
    if (d != std::floor(d) || d < 0)
        throw FormatError(where + "." + key + ": must be a non-negative integer, not " + j.at(key).dump());
    return static_cast<int64_t>(d);
}

} // namespace

nlohmann::json epochToJson(const EpochEvent& e)
{
    return { { "epoch", e.epoch }, { "train_loss", num(e.trainLoss) }, { "train_accuracy", num(e.trainAccuracy) },
        { "validation_loss", num(e.validationLoss) }, { "validation_accuracy", num(e.validationAccuracy) },
        { "learning_rate", num(e.learningRate) }, { "seconds", num(e.seconds) },
        { "samples_per_second", num(e.samplesPerSecond) }, { "improved", e.improved },
        { "skipped_steps", e.skippedSteps }, { "loss_scale", num(e.lossScale) }, { "regression", e.regression },
        { "train_rmse", num(e.trainRmse) }, { "validation_rmse", num(e.validationRmse) },
        { "validation_mae", num(e.validationMae) }, { "validation_r2", num(e.validationR2) } };
}

EpochEvent epochFromJson(const nlohmann::json& j)
{
    const std::string where = "history";
    if (!j.is_object())
        throw FormatError(where + ": an epoch must be an object, not " + j.dump());
    EpochEvent e;
    e.epoch = static_cast<int>(readInt(j, "epoch", where));
    e.trainLoss = readNumber(j, "train_loss", where);
    e.trainAccuracy = readNumber(j, "train_accuracy", where);
    e.validationLoss = readNumber(j, "validation_loss", where);
    e.validationAccuracy = readNumber(j, "validation_accuracy", where);
    e.learningRate = readNumber(j, "learning_rate", where);
    e.seconds = readNumber(j, "seconds", where);
    e.samplesPerSecond = readNumber(j, "samples_per_second", where);
    e.improved = j.value("improved", false);
    e.skippedSteps = readInt(j, "skipped_steps", where);
    e.lossScale = readNumber(j, "loss_scale", where);
    if (std::isnan(e.lossScale))
        e.lossScale = 0.0;
    e.regression = j.value("regression", false);
    if (e.regression) {
        e.trainRmse = readNumber(j, "train_rmse", where);
        e.validationRmse = readNumber(j, "validation_rmse", where);
        e.validationMae = readNumber(j, "validation_mae", where);
        e.validationR2 = readNumber(j, "validation_r2", where);
    }
    return e;
}

nlohmann::json progressToJson(const TrainProgress& p)
{
    nlohmann::json history = nlohmann::json::array();
    for (const EpochEvent& e : p.history)
        history.push_back(epochToJson(e));
    nlohmann::json changes = nlohmann::json::array();
    for (const ChangeEvent& c : p.changes)
        changes.push_back(changeToJson(c));
    return { { "epoch", p.epoch }, { "batch_in_epoch", p.batchInEpoch }, { "global_step", p.globalStep },
        { "sums",
            { { "loss_sum", p.sums.lossSum }, { "correct", p.sums.correct }, { "samples", p.sums.samples },
                { "skipped", p.sums.skipped }, { "squared_error", p.sums.squaredError }, { "values", p.sums.values },
                { "active_seconds", p.sums.activeSeconds } } },
        { "best_score", num(p.bestScore) }, { "best_loss", num(p.bestLoss) }, { "best_epoch", p.bestEpoch },
        { "epochs_without_improvement", p.epochsWithoutImprovement }, { "has_best_weights", p.hasBestWeights },
        { "active_seconds", p.activeSeconds }, { "seconds", p.seconds }, { "samples_seen", p.samplesSeen },
        { "skipped_steps", p.skippedSteps }, { "history", std::move(history) }, { "changes", std::move(changes) },
        { "epochs", p.epochs }, { "base_learning_rate", p.baseLearningRate },
        { "augment",
            { { "flip", p.augmentation.flipHorizontal }, { "shift", p.augmentation.maxShift },
                { "rotate", static_cast<double>(p.augmentation.maxRotation) } } } };
}

TrainProgress progressFromJson(const nlohmann::json& j)
{
    const std::string where = "progress";
    if (!j.is_object())
        throw FormatError(where + ": must be an object");
    TrainProgress p;
    p.epoch = static_cast<int>(readInt(j, "epoch", where));
    p.batchInEpoch = readInt(j, "batch_in_epoch", where);
    p.globalStep = readInt(j, "global_step", where);
    if (!j.contains("sums") || !j.at("sums").is_object())
        throw FormatError(where + ".sums: missing or not an object");
    const auto& s = j.at("sums");
    p.sums.lossSum = readNumber(s, "loss_sum", where + ".sums", false);
    p.sums.correct = readInt(s, "correct", where + ".sums");
    p.sums.samples = readInt(s, "samples", where + ".sums");
    p.sums.skipped = readInt(s, "skipped", where + ".sums");
    p.sums.activeSeconds = readNumber(s, "active_seconds", where + ".sums", false);
    if (s.contains("squared_error")) { // regression runs (older checkpoints: classification only)
        p.sums.squaredError = readNumber(s, "squared_error", where + ".sums", false);
        p.sums.values = readInt(s, "values", where + ".sums");
    }
    p.bestScore = readNumber(j, "best_score", where);
    if (std::isnan(p.bestScore))
        p.bestScore = std::numeric_limits<double>::infinity();
    p.bestLoss = readNumber(j, "best_loss", where);
    const double bestEpoch = readNumber(j, "best_epoch", where, false);
    p.bestEpoch = static_cast<int>(bestEpoch);
    p.epochsWithoutImprovement = static_cast<int>(readInt(j, "epochs_without_improvement", where));
    p.hasBestWeights = j.value("has_best_weights", false);
    p.activeSeconds = readNumber(j, "active_seconds", where, false);
    p.seconds = readNumber(j, "seconds", where, false);
    p.samplesSeen = readInt(j, "samples_seen", where);
    p.skippedSteps = readInt(j, "skipped_steps", where);
    if (!j.contains("history") || !j.at("history").is_array())
        throw FormatError(where + ".history: missing or not an array");
    for (const auto& e : j.at("history"))
        p.history.push_back(epochFromJson(e));
    if (j.contains("changes")) {
        if (!j.at("changes").is_array())
            throw FormatError(where + ".changes: must be an array");
        for (const auto& c : j.at("changes"))
            p.changes.push_back(changeFromJson(c));
    }
    p.epochs = static_cast<int>(readInt(j, "epochs", where));
    p.baseLearningRate = readNumber(j, "base_learning_rate", where, false);
    if (!(p.baseLearningRate > 0.0))
        throw FormatError(where + ".base_learning_rate: must be positive, not " + j.at("base_learning_rate").dump());
    if (j.contains("augment") && j.at("augment").is_object()) {
        const auto& a = j.at("augment");
        p.augmentation.flipHorizontal = a.value("flip", false);
        p.augmentation.maxShift = a.value("shift", 0);
        p.augmentation.maxRotation = static_cast<float>(a.value("rotate", 0.0));
    }
    if (p.history.size() != static_cast<size_t>(p.epoch))
        throw FormatError(where + ": " + std::to_string(p.history.size()) + " epochs in the history, but epoch "
            + std::to_string(p.epoch + 1) + " in progress");
    return p;
}

std::string resumeFileOf(const std::string& runDir)
{
    return (std::filesystem::path(runDir) / "checkpoints" / kResumeFile).string();
}

} // namespace netcanvas
