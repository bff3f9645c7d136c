#pragma once
// TrainConfig: every setting of a training run. A model's JSON may carry a recipe
// ("training" object, docs/model-format.md) that fills it; the CLI and GUI override fields.
#include "engine/backend/Precision.h"
#include "engine/data/DataLoader.h"
#include "engine/train/Loss.h"
#include "engine/train/LossScaler.h"
#include "engine/train/Optimizer.h"
#include "engine/train/Schedule.h"

#include <nlohmann/json.hpp>
#include <string>

namespace netcanvas {

struct TrainConfig {
    int epochs = 5;
    int64_t batchSize = 64;
    OptimizerConfig optimizer;
    ScheduleConfig schedule;
    LossKind loss = LossKind::CrossEntropy;
    uint64_t seed = 1;
    int threads = 0; // 0 = all cores
    std::string device = "auto"; // auto | cpu | cuda | cuda:N (backend/DeviceManager.h)
    // GEMM/convolution math on a GPU: fp32 | tf32 | fp16 (backend/Precision.h). Like device, a
    // setting of the machine; passed to the backend through BackendOptions.
    Precision precision = Precision::Fp32;
    // Dynamic loss scaling (LossScaler.h). Auto: on when the backend runs FP16 math; On: also on
    // an FP32 backend (exact there: power-of-two scales), as the tests use it; Off: never.
    LossScaling lossScaling = LossScaling::Auto;
    LossScalerOptions lossScaler; // initial scale 2^16, growth after 2000 good steps, ...
    double validationFraction = 0.1; // of the non-test data
    double testFraction = 0.1; // when the dataset has no official test split
    bool normalize = true; // per-channel mean/std computed on the training split
    Augmentation augmentation;
    int earlyStoppingPatience = 0; // epochs without improvement of `monitor`; 0 = off
    // Early stopping and checkpoint selection watch this metric: val_loss | val_accuracy |
    // train_loss | train_accuracy (a val_ metric falls back to its train_ one without a
    // validation set). Losses improve downwards, accuracies upwards.
    std::string monitor = "val_loss";
    // An epoch improves on the best only when it beats it by more than this (absolute).
    double earlyStoppingMinDelta = 0.0;
    // The run's result weights (checkpoint selection): "best" (the best epoch of `monitor`),
    // "last" (the weights of the last step), or "auto" (best when early stopping is on, else last).
    std::string resultWeights = "auto";
    // Gradient clipping by global norm (GradientClipping.h) before each update; 0 = off.
    double clipNorm = 0.0;
    std::string checkpointDir; // when set: last.safetensors and best.safetensors each epoch
    // Per-layer update:parameter ratio and gradient norm (LayerStats.h) every this many steps;
    // 0 = off. A setting of the machine, like threads: not part of the recipe.
    int layerStatsEvery = 0;
};

// Reads a recipe object; unknown keys and wrong types throw FormatError naming "training.<key>".
// Keys: epochs, batch_size, optimizer, learning_rate, momentum, nesterov, weight_decay,
// beta1, beta2, epsilon, rms_alpha, l1, l2, schedule {kind, step_epochs, gamma,
// min_learning_rate, warmup_epochs}, loss, seed, validation_fraction, test_fraction,
// normalize, augment {flip, shift, rotate}, early_stopping_patience, early_stopping_min_delta,
// monitor, result_weights, clip_norm. Values are range
// checked too ("training.momentum: must be in [0, 1), not 1.5"). Keys absent from the
// recipe keep their value from `base`. threads, device, precision, lossScaling, lossScaler and
// checkpointDir, layerStatsEvery are settings of a run on a machine, not of the recipe: neither read nor written here.
// Ensures: trainConfigFromJson(trainConfigToJson(c)) reproduces every recipe field of c.
TrainConfig trainConfigFromJson(const nlohmann::json& recipe, TrainConfig base = {});
nlohmann::json trainConfigToJson(const TrainConfig& config);
// Throws FormatError "training.<key>: …" when a hyper-parameter is out of its range or not
// finite (a learning rate of NaN), as the recipe's reader would.
void checkTrainConfig(const TrainConfig& config);
// Whether `monitor` improves downwards (a loss) or upwards (an accuracy).
bool monitorIsLoss(const std::string& monitor);
// Whether the run ends with its best weights (resultWeights, "auto" resolved).
bool keepsBestWeights(const TrainConfig& config);

} // namespace netcanvas
