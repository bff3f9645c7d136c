#pragma once
// TrainState: what a run has done so far — everything fit() needs, besides the tensors, to
// continue it exactly where it was (resume after a stop, a crash or a closed app, or extend a
// finished run). The Trainer keeps one TrainProgress per fit() and writes it, with the weights,
// the optimizer's state, the best weights, the dropout generator and the loss scaler, into
// <checkpointDir>/resume.safetensors (one file, written atomically: never a mix of two epochs)
// after every epoch and when stopped. Trainer::restoreState() reads it back.
//
// Data order needs no state: the loader's shuffle and augmentation are pure functions of
// (seed, epoch, batch), so a run resumed at batch b of epoch e sees the batches it would have.
#include "engine/data/DataLoader.h"
#include "engine/train/RunControl.h"
#include "engine/train/Trainer.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace netcanvas {

// The sums of the epoch in progress (its mean loss and accuracy at its end).
struct EpochSums {
    double lossSum = 0.0;
    int64_t correct = 0, samples = 0, skipped = 0;
    double squaredError = 0.0; // regression: Σ (output − target)² in normalized units
    int64_t values = 0; // regression: target values summed into squaredError
    double activeSeconds = 0.0; // seconds spent in steps
};

struct TrainProgress {
    int epoch = 0; // the epoch in progress (0-based); at an epoch boundary, the next one
    int64_t batchInEpoch = 0; // batches of `epoch` done (0 at an epoch boundary)
    int64_t globalStep = 0; // steps done over the whole run
    EpochSums sums; // of `epoch` so far
    // Best-epoch bookkeeping (early stopping, checkpoint selection): the monitored metric as a
    // score where lower is better (a loss, or minus an accuracy).
    double bestScore = std::numeric_limits<double>::infinity();
    double bestLoss = std::numeric_limits<double>::quiet_NaN(); // the loss reported of the best epoch
    int bestEpoch = -1;
    int epochsWithoutImprovement = 0;
    bool hasBestWeights = false;
    double activeSeconds = 0.0; // training time of the whole run (pauses and stops excluded)
    double seconds = 0.0; // wall time of the earlier sessions of the run (pauses excluded)
    int64_t samplesSeen = 0;
    int64_t skippedSteps = 0;
    std::vector<EpochEvent> history; // every completed epoch of the run
    std::vector<ChangeEvent> changes; // every live change of the run
    // The live settings (a change overrides the recipe's value).
    int epochs = 0;
    double baseLearningRate = 0.0;
    Augmentation augmentation;
    bool finished() const { return batchInEpoch == 0 && epoch >= epochs; }
};

nlohmann::json epochToJson(const EpochEvent& e); // NaN as null
EpochEvent epochFromJson(const nlohmann::json& j);
nlohmann::json progressToJson(const TrainProgress& p);
// Throws FormatError naming the key at fault.
TrainProgress progressFromJson(const nlohmann::json& j);

// The resume checkpoint's file name in a checkpoint folder.
constexpr const char* kResumeFile = "resume.safetensors";
// The checkpoint folder of a run folder (<runDir>/checkpoints) and its resume file.
std::string resumeFileOf(const std::string& runDir);

} // namespace netcanvas
