#pragma once
// RunRecord: one training run as a project keeps it — its settings (the TrainConfig, the
// model's and the dataset's names, the user's label), every batch and epoch event it
// produced, and how it ended (RunSummary). Plain values with no Qt: the app's RunHistory
// holds them, engine/io/RunJson writes them into project files, `netcanvas-cli runs` lists
// them.
#include "engine/train/Metrics.h"
#include "engine/train/TrainConfig.h"
#include "engine/train/Trainer.h"

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace netcanvas {

// How a training run ended: the engine's TrainResult plus the test-split evaluation. A value
// (it crosses threads in the app's queued signals).
struct RunSummary {
    int epochsCompleted = 0;
    bool stopped = false; // requestStop(): the user pressed Stop
    bool earlyStopped = false; // patience ran out
    bool diverged = false; // NaN/Inf: `message` names the first non-finite layer
    std::string message; // the Trainer's reason when not a normal finish
    double seconds = 0.0;
    double samplesPerSecond = 0.0;
    int bestEpoch = -1;
    double bestValidationLoss = std::numeric_limits<double>::quiet_NaN();
    int64_t skippedSteps = 0; // loss scaling (FP16 math): updates skipped because the gradients overflowed
    // Test split (NaN / 0 samples when there is none, or the run diverged or was cancelled).
    double testLoss = std::numeric_limits<double>::quiet_NaN();
    double testAccuracy = std::numeric_limits<double>::quiet_NaN();
    int64_t testSamples = 0;
    ConfusionMatrix testConfusion;
    // Regression (real-valued targets): the test RMSE and MAE in the data's units and R²
    // (NaN for classification).
    double testRmse = std::numeric_limits<double>::quiet_NaN();
    double testMae = std::numeric_limits<double>::quiet_NaN();
    double testR2 = std::numeric_limits<double>::quiet_NaN();
};

// The summary of a fit() and, when `test` is given, of its test evaluation.
RunSummary summarize(const TrainResult& result, const EvalResult* test = nullptr);

struct RunRecord {
    int id = 0; // 1, 2, 3 … within a project ("Run 3")
    std::string modelName;
    TrainConfig config;
    std::string datasetName; // e.g. "fashion-mnist"
    std::string label; // the user's name for it ("dropout 0.5"); empty: none given
    std::vector<BatchEvent> batches;
    std::vector<EpochEvent> epochs;
    std::vector<ChangeEvent> changes; // live changes (RunControl.h), marked on the charts
    std::vector<LayerStatsEvent> layerStats; // per-layer stats (LayerStats.h), when measured
    bool running = true;
    bool failed = false; // an exception ended it (summary.message holds it)
    RunSummary summary;
};

// "adam lr 0.001 · bs 64 · 5 ep" (plus the schedule, L1/L2, weight decay and "aug" when set):
// the settings one compares between runs.
std::string runSettingsSummary(const TrainConfig& config);
// The state of a run in one word: "training…", "failed", "diverged", "stopped" or "done".
std::string runState(const RunRecord& run);
// The best and the last validation accuracy of its epochs; NaN when none was measured.
double bestValidationAccuracy(const RunRecord& run);
double lastValidationAccuracy(const RunRecord& run);

} // namespace netcanvas
