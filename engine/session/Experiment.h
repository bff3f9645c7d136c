#pragma once
// Experiments for teaching: one variable, several values, one variant of a model per value.
//
// What this represents: a Variation names a variable (activation, initializer, dropout, batch
// norm, optimizer, learning rate, batch size, weight decay, L1, L2, depth, width) and its
// values. makeVariants() turns a base model and recipe into one Variant per value — a copy of
// the graph and the TrainConfig with only that variable changed; the base is never touched.
//
// Ensures: every variant's graph validates (a value that cannot apply throws GraphError naming
// the variable and the value before anything trains); every variant keeps the base's seed, so
// the data order and — where the variable leaves the weight shapes alone — the initial weights
// are the same across variants (controlledFor() says which, for the view).
#include "engine/graph/ModelGraph.h"
#include "engine/train/TrainConfig.h"

#include <string>
#include <vector>

namespace netcanvas {

enum class VariationKind {
    Activation, // every activation node becomes ReLU | Tanh | Sigmoid | ELU | LeakyReLU
    Initializer, // every Dense/Conv2D "init": he_normal, glorot_uniform, normal:STD, zeros, ...
    Dropout, // rate of every Dropout node; without any: inserted after hidden activations (0 = none)
    BatchNorm, // on: a BatchNorm between each hidden Dense/Conv2D and its activation; off: none
    Optimizer, // sgd | adam | adamw | rmsprop, optionally with its learning rate: "adam:0.001"
    LearningRate,
    BatchSize,
    WeightDecay,
    L1,
    L2,
    Depth, // the number of hidden Dense blocks (Dense [BatchNorm] activation [Dropout]); 0 = none
    Width, // units of every hidden Dense; "x2" multiplies hidden Dense units and Conv2D filters
};

struct VariationInfo {
    VariationKind kind;
    const char* name; // as written in specs, lessons and the CLI: "activation", "learning_rate"
    const char* label; // for people: "Activation", "Learning rate"
    const char* doc;
    // What the variable usually keeps (the dialog's hint before the variants exist; the
    // variants themselves are checked by sameInitialWeights / sameDataOrder):
    bool sameInitialWeights; // every weight's shape and initializer
    bool sameDataOrder; // the batches hold the same samples in the same order
    std::vector<std::string> suggestedValues; // the dialog's defaults
};

// Every kind, in menu order.
const std::vector<VariationInfo>& variationKinds();
const VariationInfo& variationInfo(VariationKind kind);
// Throws FormatError listing the known names.
VariationKind variationKindFromName(const std::string& name);

struct Variation {
    VariationKind kind = VariationKind::Activation;
    std::vector<std::string> values; // one variant each, in this order
};

struct Variant {
    std::string value; // as given
    std::string label; // "activation = Tanh"
    ModelGraph graph; // validated
    TrainConfig config;
};

// Requires: base validates. Throws FormatError for a value the variable cannot take (naming
// both), GraphError when the graph has nothing the variable could change (no activation, no
// hidden Dense for depth), and when no values are given or a value repeats.
std::vector<Variant> makeVariants(const ModelGraph& base, const TrainConfig& config, const Variation& variation);

// Whether every variant starts from the same weights for the same seed: the same nodes in the
// same order (the Network draws each node's weights from the seed in topological order) with
// the same parameter counts and initializers.
bool sameInitialWeights(const std::vector<Variant>& variants);
// Whether every variant sees the same batches: the same seed and batch size.
bool sameDataOrder(const std::vector<Variant>& variants);
// The sentence the views and the CLI show: what holds across these variants.
std::string controlledFor(const std::vector<Variant>& variants);

// How many runs train at once and with how many threads each, so that together they use
// `cores` without oversubscribing: parallel = min(maxParallel, variants, cores) (at least 1),
// threadsEach = max(1, cores / parallel).
struct ParallelPlan {
    int parallel = 1;
    int threadsEach = 1;
};
ParallelPlan planParallelism(int cores, int variants, int maxParallel);

} // namespace netcanvas
