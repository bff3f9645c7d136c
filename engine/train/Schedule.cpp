#include "engine/train/Schedule.h"

#include "engine/core/Error.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace netcanvas {

double learningRateAt(
    const ScheduleConfig& config, double baseLearningRate, int64_t step, int64_t totalSteps, int64_t stepsPerEpoch)
{
    if (config.kind != "constant" && config.kind != "step" && config.kind != "cosine")
        throw FormatError("unknown learning-rate schedule '" + config.kind + "' (known: constant, step, cosine)");
    stepsPerEpoch = std::max<int64_t>(1, stepsPerEpoch);
    step = std::max<int64_t>(0, step);
    const int64_t warmup = std::max(0, config.warmupEpochs) * stepsPerEpoch;
    // Linear warm-up: base·1/W, base·2/W, ..., base at step W-1; the schedule proper after.
    if (step < warmup)
        return baseLearningRate * static_cast<double>(step + 1) / static_cast<double>(warmup);

    if (config.kind == "constant")
        return baseLearningRate;
    if (config.kind == "step") {
        const int64_t epoch = step / stepsPerEpoch;
        const int every = std::max(1, config.stepEpochs);
        return baseLearningRate * std::pow(config.gamma, static_cast<double>(epoch / every));
    }
    // Cosine from base (first step after warm-up) down to minLearningRate at step
    // totalSteps (i.e. just after the last update), as PyTorch's CosineAnnealingLR with
    // T_max = the number of steps after warm-up.
    const int64_t span = totalSteps - warmup;
    if (span <= 0)
        return config.minLearningRate;
    const double t = std::clamp(static_cast<double>(step - warmup) / static_cast<double>(span), 0.0, 1.0);
    return config.minLearningRate
        + (baseLearningRate - config.minLearningRate) * 0.5 * (1.0 + std::cos(std::numbers::pi * t));
}

} // namespace netcanvas
