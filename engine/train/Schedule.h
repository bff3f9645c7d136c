#pragma once
// Learning-rate schedules: constant, step, cosine — each with an optional linear warm-up.
#include <cstdint>
#include <string>

namespace netcanvas {

struct ScheduleConfig {
    std::string kind = "constant"; // "constant" | "step" | "cosine"
    int stepEpochs = 10; // step: multiply by gamma every stepEpochs epochs
    double gamma = 0.1; // step
    double minLearningRate = 0.0; // cosine: the value reached at the end
    int warmupEpochs = 0; // linear warm-up from ~0 over this many epochs (in steps)
};

// Learning rate at global step `step` (0-based) of a run of `totalSteps` steps with
// `stepsPerEpoch` steps per epoch. Throws FormatError for an unknown kind.
// Warm-up: W = warmupEpochs·stepsPerEpoch steps at base·(step+1)/W, then the schedule.
// step: base·gamma^floor(epoch / stepEpochs), counted from the run's first epoch.
// cosine: base right after warm-up, falling to minLearningRate at step == totalSteps
// (PyTorch's CosineAnnealingLR with T_max = totalSteps - W).
double learningRateAt(
    const ScheduleConfig& config, double baseLearningRate, int64_t step, int64_t totalSteps, int64_t stepsPerEpoch);

} // namespace netcanvas
