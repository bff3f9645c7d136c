#pragma once
// ExperimentRunner: the queue of an experiment's variants (engine/session/Experiment.h). Each
// variant trains through a TrainingSession of its own on the same dataset and the same split;
// the queue runs plan().parallel of them at once, each with plan().threadsEach threads, so the
// runs together use the cores given and never oversubscribe them. A variant that fails (bad
// data for its model, divergence) is reported in its outcome; the others still run.
//
// Threads. run() is called by one owner thread and blocks until every variant has ended or
// been stopped. The hooks are called from the runs' threads (several at once when
// parallel > 1): they must be thread-safe. requestStop() is safe from any thread.
//
// Ensures: run() returns one outcome per variant, in the variants' order; an outcome's
// overfitting flag and gap follow overfitGap() below; after a finished variant its layer
// summaries come from one forward and backward pass over up to 256 validation samples.
#include "engine/session/Experiment.h"
#include "engine/session/TrainingSession.h"

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace netcanvas {

// One layer after training, on validation samples: what the lessons point at.
struct LayerSummary {
    std::string node, type;
    double saturatedFraction = -1.0; // tanh/sigmoid: outputs in the flat tails; -1 n/a
    double deadFraction = -1.0; // ReLU-like: units never positive; -1 n/a
    double activationStd = 0.0; // spread of the node's output
    double gradientStd = 0.0; // spread of d loss / d weight (0 for a node without weights)
};

struct VariantOutcome {
    std::string label, value;
    enum class State { Queued, Running, Finished, Stopped, Diverged, Failed } state = State::Queued;
    std::string message; // why it failed, diverged or stopped
    int epochs = 0;
    double bestValidationAccuracy = 0.0, bestValidationLoss = 0.0; // NaN without a validated epoch
    int bestEpoch = -1; // of the best validation accuracy
    double finalTrainAccuracy = 0.0, finalTrainLoss = 0.0;
    double finalValidationAccuracy = 0.0, finalValidationLoss = 0.0;
    double gap = 0.0; // final train accuracy − final validation accuracy
    bool overfitting = false;
    double seconds = 0.0;
    double samplesPerSecond = 0.0;
    int64_t parameters = 0;
    bool tested = false;
    double testAccuracy = 0.0, testLoss = 0.0;
    ConfusionMatrix confusion; // of the test split when tested
    std::vector<EpochEvent> history;
    std::vector<LayerSummary> layers;
    // The trained network's weights and normalization (for feature maps in reports); null
    // unless ExperimentOptions::keepWeights.
    std::shared_ptr<const ModelWeights> weights;
};
const char* stateName(VariantOutcome::State state);

// Overfitting, from a run's epochs: the final train accuracy exceeds the final validation
// accuracy by more than 0.10, or the validation loss ended 10% or more above its best while the
// training loss kept falling. Sets outcome.gap and outcome.overfitting.
void flagOverfitting(VariantOutcome& outcome);

struct ExperimentOptions {
    int cores = 0; // 0: all of the machine's
    int maxParallel = 1; // runs at once (the plan may take fewer)
    std::string device = "cpu";
    std::string outputDir; // when set: one run folder per variant, <outputDir>/variant-N
    bool keepWeights = false;
};

struct ExperimentHooks {
    std::function<void(int variant)> onStart;
    std::function<void(int variant, const BatchEvent&)> onBatch;
    std::function<void(int variant, const EpochEvent&)> onEpoch;
    std::function<void(int variant, const VariantOutcome&)> onFinish;
};

class ExperimentRunner {
public:
    // Requires: data not null, variants not empty. Computes the split once (the first variant's
    // validation and test fractions and seed) and gives it to every run.
    ExperimentRunner(
        std::vector<Variant> variants, std::shared_ptr<const Dataset> data, ExperimentOptions options = {});
    ~ExperimentRunner();

    std::vector<VariantOutcome> run(const ExperimentHooks& hooks = {});
    void requestStop(); // any thread: running variants stop at their next batch, queued ones never start

    const ParallelPlan& plan() const { return m_plan; }
    const std::vector<Variant>& variants() const { return m_variants; }
    const DataSplit& split() const { return m_split; }

private:
    VariantOutcome runOne(int index, const ExperimentHooks& hooks);

    std::vector<Variant> m_variants;
    std::shared_ptr<const Dataset> m_data;
    ExperimentOptions m_options;
    ParallelPlan m_plan;
    DataSplit m_split;
    std::atomic<bool> m_stop { false };
    std::mutex m_mutex; // guards m_running
    std::vector<TrainingSession*> m_running;
};

// The variants' order in the ranking: finished runs by best validation accuracy (then lower
// best validation loss), then stopped ones, then diverged and failed ones.
std::vector<int> rankOutcomes(const std::vector<VariantOutcome>& outcomes);

} // namespace netcanvas
