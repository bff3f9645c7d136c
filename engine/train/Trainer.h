#pragma once
// Trainer: runs epochs of mini-batch training of a Network on a Backend — no Qt, no
// threads of its own besides the data loader's; the caller chooses the thread.
//
// Control: requestPause()/requestStop() may be called from any thread and are honoured between
// batches (so within one batch). A paused fit() blocks on a condition variable: requestPause(false)
// and requestStop() wake it at once. Callbacks run on the training thread after every batch and
// every epoch.
// Steps: each training step ends in a StepResult — Trained, SkippedByLossScaling, Diverged (with
// the node or parameter at fault) or Stopped; TrainResult::lastStep is the one the run ended on.
// Divergence: a NaN/Inf loss stops the run with a message naming the first layer whose
// output went non-finite; the weights are restored to the last good (pre-step) values.
// Loss scaling (config.lossScaling; on by default when the backend runs FP16 math): dL/d(output)
// is multiplied by the LossScaler's scale before backward; when a scaled gradient is then
// non-finite the optimizer step is skipped and the scale halves (not a divergence; counted in
// skippedSteps), otherwise the gradients are multiplied back by 1/scale before the optimizer
// (and its L1/L2 terms and weight decay) sees them. The run stops as diverged only when the
// scaler gives up (LossScaler.h: non-finite at the smallest scale, or too many skips in a row).
// Snapshots: after every batch (at most every 100 ms) and every epoch the weights are copied
// under a lock; copySnapshot() gives them to another Network (inspection) without racing.
// An update that makes a weight non-finite is undone the same way, naming the parameter.
// Checkpoints (config.checkpointDir): last.safetensors and resume.safetensors (TrainState.h:
// weights, optimizer state, schedule position, generators, history) after every epoch and on
// stop, best.safetensors whenever config.monitor improves by more than config.earlyStoppingMinDelta
// (a val_ metric falls back to its train_ one without a validation set). Early stopping ends the
// run after config.earlyStoppingPatience epochs without improvement. Checkpoint selection
// (config.resultWeights, keepsBestWeights()): the run ends with the best epoch's weights or the last.
// Resume: restoreState() before fit() continues a run from its resume.safetensors — the same
// steps, losses and curves as a run that never stopped (the CPU backend is deterministic).
// Live changes (RunControl.h): requestChange() from any thread; applied at the next step
// boundary and reported through the onChange callback and TrainResult::changes.
// Layer stats (LayerStats.h): every config.layerStatsEvery steps, through onLayerStats.
// Frozen nodes (GraphNode::trainable = false, Network::setFrozenNodes): the optimizer never
// sees their parameters (no update, no L1/L2 or weight decay), their forward runs as in
// inference (batch norm normalizes with its running statistics and leaves them unchanged), and
// backward skips the frozen prefix of the graph — so every tensor of a frozen node stays
// bit-identical through training.
// Device: the network, its gradients, the optimizer state, the pre-step copy of the weights
// and the best weights stay on the backend's device; per batch only the images and the
// int32 labels go up and the loss and the correct count come back (evaluation also downloads
// the N×K outputs for its confusion matrix). Snapshots for copySnapshot() are host copies.
#include "engine/backend/Backend.h"
#include "engine/data/DataLoader.h"
#include "engine/data/Split.h"
#include "engine/graph/ModelGraph.h"
#include "engine/train/GradientSync.h"
#include "engine/train/LayerStats.h"
#include "engine/train/Loss.h"
#include "engine/train/LossScaler.h"
#include "engine/train/Metrics.h"
#include "engine/train/Network.h"
#include "engine/train/RunControl.h"
#include "engine/train/TrainConfig.h"

#include <atomic>
#include <condition_variable>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace netcanvas {

// How one training step ended.
enum class StepOutcome {
    Trained, // the optimizer updated the weights
    SkippedByLossScaling, // the scaled gradients overflowed: no update, the loss scale backed off
    Diverged, // non-finite loss, gradients the scaler gave up on, or weights: the run stops
    Stopped, // requestStop() before the step: nothing was computed
};

// The outcome of one training step. For Diverged: `node` is the first node whose output went
// non-finite (empty when the outputs are finite or the cause is elsewhere), `parameter` the
// parameter the update made non-finite (empty otherwise), and `message` says why (without the
// epoch/batch prefix TrainResult::message adds). The weights are then those of before the step.
struct StepResult {
    StepOutcome outcome = StepOutcome::Trained;
    std::string node;
    std::string parameter;
    std::string message;
    double loss = 0.0; // Trained / SkippedByLossScaling: this batch's loss (incl. penalty)
    int64_t correct = 0; // Trained / SkippedByLossScaling: rows whose arg-max is the label
    float lossScale = 1.0f; // the loss scale the step ran with (1 without loss scaling)
    bool updateSkipped = false; // the loss scaler skipped the update (counted in skippedSteps)
    double gradNorm = 0.0; // with clipping on: the global gradient norm before clipping; else 0
    double squaredError = 0.0; // regression: the batch's sum of squared errors (normalized units)
    int64_t values = 0; // regression: the target values summed over
};

struct BatchEvent {
    int epoch = 0; // 0-based
    int64_t batch = 0; // 0-based within the epoch
    int64_t batchesPerEpoch = 0;
    int64_t globalStep = 0; // 0-based over the run
    int64_t totalSteps = 0;
    double loss = 0.0; // this batch (incl. regularization penalty)
    double accuracy = 0.0; // this batch
    double learningRate = 0.0;
    double samplesPerSecond = 0.0; // smoothed
    double etaSeconds = 0.0; // for the whole run
    double lossScale = 0.0; // the loss scale this step ran with; 0 without loss scaling
    bool skipped = false; // loss scaling: the gradients overflowed, the update was skipped
    double gradNorm = 0.0; // with gradient clipping on: the global norm before clipping; else 0
    StepOutcome outcome = StepOutcome::Trained; // Trained or SkippedByLossScaling
    bool regression = false; // real-valued targets: accuracy is NaN, rmse is this batch's (data units)
    double rmse = 0.0;
};

struct EpochEvent {
    int epoch = 0;
    double trainLoss = 0.0, trainAccuracy = 0.0; // means over the epoch's batches
    double validationLoss = 0.0, validationAccuracy = 0.0; // NaN when there is no validation set
    double learningRate = 0.0;
    double seconds = 0.0;
    double samplesPerSecond = 0.0;
    bool improved = false; // best of config.monitor so far (best checkpoint written)
    int64_t skippedSteps = 0; // loss scaling: updates skipped in this epoch (gradient overflow)
    double lossScale = 0.0; // loss scaling: the scale at the end of the epoch; 0 without
    // Regression (accuracies are then NaN): RMSE over the epoch's batches, and the validation
    // RMSE, MAE and R², in the data's units; NaN for classification or without validation.
    bool regression = false;
    double trainRmse = std::numeric_limits<double>::quiet_NaN();
    double validationRmse = std::numeric_limits<double>::quiet_NaN();
    double validationMae = std::numeric_limits<double>::quiet_NaN();
    double validationR2 = std::numeric_limits<double>::quiet_NaN();
};

struct EvalResult {
    double loss = 0.0;
    double accuracy = 0.0; // NaN for regression
    int64_t samples = 0;
    ConfusionMatrix confusion;
    // Regression: RMSE and MAE in the data's units, R²; and (evaluate() only) each sample's
    // predicted and actual target values in the data's units, samples × targetSize, in the
    // order of `indices`.
    bool regression = false;
    double rmse = std::numeric_limits<double>::quiet_NaN();
    double mae = std::numeric_limits<double>::quiet_NaN();
    double r2 = std::numeric_limits<double>::quiet_NaN();
    std::vector<int64_t> indices;
    std::vector<float> predicted, actual;
};

struct TrainResult {
    int epochsCompleted = 0;
    bool stopped = false; // requestStop()
    bool earlyStopped = false; // patience ran out
    bool diverged = false; // NaN/Inf; see message
    std::string message; // human-readable reason when not a normal finish
    double bestValidationLoss = 0.0; // validation loss of bestEpoch (training loss when there is no validation set)
    int bestEpoch = -1; // the best epoch of config.monitor (0-based)
    // The epoch whose weights the network holds at the end: bestEpoch when the best weights were
    // kept (checkpoint selection, early stopping), -1 for the last step's weights.
    int weightsEpoch = -1;
    int epochsPlanned = 0; // the planned epochs at the end (live changes and resume included)
    int resumedAtEpoch = -1; // resumed: the epoch (0-based) it continued in; -1 for a fresh run
    int64_t resumedAtBatch = 0; // resumed: the batches of that epoch already done
    std::vector<ChangeEvent> changes; // every live change of the run (resumed ones included)
    double samplesPerSecond = 0.0; // over the whole run
    double seconds = 0.0; // the run's time, paused time excluded
    int64_t skippedSteps = 0; // loss scaling: updates skipped (gradient overflow) in this fit()
    double lossScale = 0.0; // loss scaling: the scale at the end; 0 without loss scaling
    StepResult lastStep; // the step the run ended on (Diverged: the node/parameter at fault)
    std::string hostOps; // Backend::fallbackNote() after the run: "" or "ops on the host: mul"
    std::vector<EpochEvent> history; // every epoch of the run (a resumed run's earlier ones included)
};

struct TrainProgress;

class Trainer {
public:
    // Compiles the graph on the backend (weights initialized from config.seed).
    Trainer(const ModelGraph& graph, TrainConfig config, Backend& backend);
    ~Trainer();

    // Data-parallel training (GradientSync.h; not owned, outlives fit()): fit() trains on this
    // rank's shard of every global batch and synchronizes gradients through it. Null: alone.
    void setGradientSync(GradientSync* sync) { m_sync = sync; }
    void setOnBatch(std::function<void(const BatchEvent&)> fn);
    void setOnEpoch(std::function<void(const EpochEvent&)> fn);
    void setOnChange(std::function<void(const ChangeEvent&)> fn);
    void setOnLayerStats(std::function<void(const LayerStatsEvent&)> fn);

    // Resume: reads a resume checkpoint (TrainState.h) written by a Trainer of the same graph and
    // recipe; the next fit() continues that run. Throws FormatError naming the file and the
    // tensor or key at fault (a model that changed since is named by its tensor).
    // Returns the run's progress as saved. Extra settings for the continued run (more epochs, a
    // new learning rate) go through requestChange() before fit(): they are applied and recorded
    // at its first step boundary.
    const TrainProgress& restoreState(const std::string& path);
    // The client's description of the run (dataset path, ...), stored in the resume checkpoint
    // under "netcanvas.run" so that a resume knows what to open.
    void setCheckpointInfo(nlohmann::json info) { m_checkpointInfo = std::move(info); }
    // A live change (RunControl.h). Any thread; never blocks on the training thread.
    void requestChange(const RunChange& change) { m_control.post(change); }

    // Trains on split.train, validates on split.validation each epoch. Computes the
    // normalization from the training split when config.normalize (see normalization()).
    TrainResult fit(const Dataset& data, const DataSplit& split);
    // Loss, accuracy and confusion matrix of the current weights on these samples.
    EvalResult evaluate(const Dataset& data, const std::vector<int64_t>& indices);

    // Both wake a fit() that waits while paused. Any thread.
    void requestStop();
    void requestPause(bool paused);
    bool paused() const { return m_pause; }

    Network& network() { return *m_network; }
    const TrainConfig& config() const { return m_config; }
    // The loss scaler, or null when loss scaling is off (config.lossScaling and the backend's
    // precision). It keeps its scale from one fit() to the next.
    const LossScaler* lossScaler() const { return m_scaler.get(); }
    const Normalization& normalization() const { return m_normalization; }
    // Regression: the one mean/stddev the targets are trained in (from the training split).
    const Normalization& targetNormalization() const { return m_targetNormalization; }
    // Fixes the normalization (e.g. the one a fine-tuned model was trained with): fit() then
    // uses it instead of computing one from the training split.
    void setNormalization(Normalization n)
    {
        m_normalization = std::move(n);
        m_normalizationFixed = true;
    }

    // Copies the latest published weights into `target` (same graph), and the input
    // normalization they were trained with into `normalization` when given. Returns false
    // before the first publication. Thread-safe against the training thread.
    bool copySnapshot(Network& target, Normalization* normalization = nullptr);

private:
    struct FitRun; // one fit()'s loaders, counters and result (Trainer.cpp)
    struct EpochTotals; // one epoch's sums

    // fit(), one job each (Trainer.cpp).
    void checkFitInputs(const Dataset& data, const DataSplit& split) const;
    // Trains one epoch; returns the outcome that ended it (Trained: the data ran out).
    StepOutcome runEpoch(FitRun& run, int epoch, EpochTotals& totals);
    // Blocks while paused; true when a stop was requested.
    bool waitWhilePaused();
    // One step on `batch` (already on its way to the device): forward, loss, backward, loss
    // scaling, optimizer, the post-step check. Restores the weights when it diverges.
    StepResult trainStep(const Batch& batch, double lr);
    // The loss scaler's verdict on this step's gradients; unscales them when they are kept.
    StepResult applyLossScaling(StepResult step);
    // The key of the first parameter the update made non-finite, or "".
    std::string nonFiniteParameter();
    void reportBatch(FitRun& run, EpochTotals& totals, const StepResult& step, int epoch, int64_t b, int64_t n,
        double lr, double seconds);
    EpochEvent validate(FitRun& run, int epoch, const EpochTotals& totals);
    // Best weights, checkpoints, snapshot, callback; true when early stopping ends the run.
    bool concludeEpoch(FitRun& run, const Dataset& data, EpochEvent& ev);
    void finishFit(FitRun& run, const Dataset& data);
    // Live changes taken from the channel at a step boundary (`batch` of `epoch` is next).
    // inEpoch: runEpoch() has started `epoch` (it runs to its end whatever the change).
    void applyChanges(FitRun& run, int epoch, int64_t batch, bool inEpoch);
    void applyChange(FitRun& run, const RunChange& change, int epoch, int64_t batch, bool inEpoch);
    // The monitored metric of an epoch as a score, lower is better (config.monitor).
    double monitoredScore(const FitRun& run, const EpochEvent& ev) const;
    void writeResumeCheckpoint(FitRun& run, const Dataset& data);
    void writeCheckpoints(FitRun& run, const Dataset& data, bool best);
    // Layer stats: the node groups (first use), the gradient norms before the update, the
    // update norms after it.
    void prepareLayerStats();
    void measureGradientNorms();
    void reportLayerStats(int64_t globalStep, int epoch, int64_t batch);
    void publishThrottled(bool force);
    void publishSnapshot();
    // Copies every parameter value into `dst` (on the backend's device, allocated on first
    // use) / back from it.
    void saveParameters(std::vector<Tensor>& dst);
    void restoreParameters(const std::vector<Tensor>& src);
    void writeCheckpoint(const std::string& fileName, const Dataset& data);
    // Loss, accuracy and (optionally) confusion of the current weights over one pass of `loader`;
    // for regression data RMSE, MAE, R² and (with `confusion`) the predictions.
    EvalResult runEvaluation(const Dataset& data, DataLoader& loader, int classes, bool confusion);
    // The task's loss of this batch's output: class labels (uploaded) or real-valued targets
    // (the outputs then also land in m_hostOut). `labels` receives the device labels or null.
    double batchLoss(const Batch& batch, const Tensor& out, const int32_t*& labels);
    // Regression metrics' factor to the data's units (target stddev × the dataset's scale).
    double targetUnit(const Dataset& data) const;

    TrainConfig m_config;
    Backend& m_backend;
    const ModelGraph m_graph;
    std::unique_ptr<Network> m_network;
    std::unique_ptr<Optimizer> m_optimizer;
    std::unique_ptr<LossScaler> m_scaler; // null: no loss scaling
    std::vector<FloatSpan> m_gradSpans; // the gradients the optimizer reads (scaler's check)
    std::vector<FloatSpan> m_valueSpans; // every parameter value (the post-step check)
    Normalization m_normalization;
    Normalization m_targetNormalization; // regression targets (fit() computes it)
    std::vector<float> m_hostOut, m_hostGrad; // regression: outputs and dL/d(output) on the host
    std::function<void(const BatchEvent&)> m_onBatch;
    std::function<void(const EpochEvent&)> m_onEpoch;
    std::function<void(const ChangeEvent&)> m_onChange;
    std::function<void(const LayerStatsEvent&)> m_onLayerStats;
    ControlChannel m_control;
    std::unique_ptr<TrainProgress> m_resume; // restoreState(): consumed by the next fit()
    nlohmann::json m_checkpointInfo;
    // Layer stats: a node's parameters (indices into m_params) and its gradients' Σg².
    struct StatsGroup {
        std::string node;
        std::vector<size_t> params;
        double gradSquares = 0.0;
    };
    std::vector<StatsGroup> m_statsGroups;
    bool m_statsDue = false; // this step measures (set by runEpoch, read by trainStep)
    bool m_statsMeasured = false; // measureGradientNorms() ran in this step
    std::atomic<bool> m_stop { false };
    std::atomic<bool> m_pause { false };
    std::mutex m_controlMutex; // guards the waits on m_controlChanged (m_stop / m_pause changes)
    std::condition_variable m_controlChanged;
    std::mutex m_snapshotMutex;
    std::vector<Tensor> m_snapshot; // parameter values in network().parameters() order
    bool m_hasSnapshot = false;
    Normalization m_snapshotNormalization; // m_normalization as of the last snapshot
    bool m_normalizationFixed = false; // setNormalization() was called
    bool m_outputIsProbabilities = false; // the output node is a Softmax
    std::vector<Tensor> m_lastGood; // parameter values before the current step
    std::vector<Tensor> m_best; // parameter values of the best epoch
    std::vector<NamedParameter> m_params; // network().parameters(), cached
    std::vector<NamedParameter> m_trainable; // network().trainableParameters(), cached
    std::string m_checkpointModelJson; // the model (with this run's recipe) stored in checkpoints
    Tensor m_grad; // dL/d(output), on the backend's device
    DeviceLabels m_labels; // the batch's labels, on the backend's device
    Tensor m_statsScratch; // layer stats: w − w_before, on the backend's device
    Tensor m_hostOutput; // evaluation: the outputs, downloaded for the confusion matrix
    double m_lastPublish = -1.0; // steady-clock seconds of the last snapshot
    double m_pausedSeconds = 0.0; // time fit() has waited while paused (training thread only)
    GradientSync* m_sync = nullptr; // data-parallel runs only
};

} // namespace netcanvas
