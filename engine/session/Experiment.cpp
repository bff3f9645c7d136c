#include "engine/session/Experiment.h"

#include "engine/backend/kernels/ActivationTable.h"
#include "engine/core/Error.h"
#include "engine/graph/GraphLayout.h"
#include "engine/layers/Initializers.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <set>

namespace netcanvas {

namespace {

std::string lower(std::string s)
{
    for (char& c : s)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

[[noreturn]] void badValue(const VariationInfo& info, const std::string& value, const std::string& why)
{
    throw FormatError("experiment: " + std::string(info.name) + " cannot take the value '" + value + "': " + why);
}

double number(const VariationInfo& info, const std::string& value)
{
    size_t used = 0;
    double v = 0.0;
    try {
        v = std::stod(value, &used);
    } catch (const std::exception&) {
        badValue(info, value, "not a number");
    }
    if (used != value.size() || !std::isfinite(v))
        badValue(info, value, "not a number");
    return v;
}

int64_t integer(const VariationInfo& info, const std::string& value, int64_t lo, int64_t hi)
{
    const double v = number(info, value);
    if (v != std::floor(v) || v < static_cast<double>(lo) || v > static_cast<double>(hi))
        badValue(info, value, "must be a whole number in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    return static_cast<int64_t>(v);
}

bool isActivation(const GraphNode& n)
{
    return findActivation(n.type.c_str()) != nullptr;
}
bool isLinear(const GraphNode& n)
{
    return n.type == "Dense" || n.type == "Conv2D";
}

// Nodes reachable from `from` (itself included).
std::set<std::string> downstream(const ModelGraph& g, const std::string& from)
{
    std::set<std::string> seen;
    std::vector<std::string> todo { from };
    while (!todo.empty()) {
        const std::string id = todo.back();
        todo.pop_back();
        if (id.empty() || !seen.insert(id).second)
            continue;
        for (const std::string& c : g.consumers(id))
            todo.push_back(c);
    }
    return seen;
}

// The classifier's head and everything after it: left alone by dropout, batch norm, depth
// and width.
std::set<std::string> headPart(const ModelGraph& g)
{
    const GraphAnalysis a = g.analyze();
    const std::string head = outputDenseLayer(g, a);
    if (!head.empty())
        return downstream(g, head);
    return downstream(g, a.outputNode);
}

// Inserts a node of `type` right after `after`: every consumer of `after` takes it instead.
std::string insertAfter(ModelGraph& g, const std::string& after, const std::string& type, nlohmann::json params)
{
    const std::vector<std::string> consumers = g.consumers(after);
    GraphNode n;
    n.id = g.uniqueId(type);
    n.type = type;
    n.params = std::move(params);
    n.inputs = { after };
    const std::string id = n.id;
    g.addNode(std::move(n));
    for (const std::string& c : consumers)
        for (std::string& in : g.node(c)->inputs)
            if (in == after)
                in = id;
    if (g.outputOverride() == after)
        g.setOutput(id);
    return id;
}

// Removes a single-input node, its consumers taking its input instead (at the same port).
void bypass(ModelGraph& g, const std::string& id)
{
    const GraphNode* n = g.node(id);
    if (n->inputs.size() != 1)
        throw GraphError("experiment: node '" + id + "' has " + std::to_string(n->inputs.size())
            + " inputs; only a node with one input can be removed from the chain");
    const std::string source = n->inputs[0];
    for (const std::string& c : g.consumers(id))
        for (std::string& in : g.node(c)->inputs)
            if (in == id)
                in = source;
    const bool wasOutput = g.outputOverride() == id;
    g.removeNode(id);
    if (wasOutput)
        g.setOutput(source);
}

// A hidden Dense block: the Dense and the single-consumer chain of BatchNorm, activation and
// Dropout nodes after it.
std::vector<std::string> blockFrom(const ModelGraph& g, const std::string& dense)
{
    std::vector<std::string> block { dense };
    for (;;) {
        const std::vector<std::string> next = g.consumers(block.back());
        if (next.size() != 1)
            break;
        const GraphNode* n = g.node(next[0]);
        if (n->inputs.size() != 1 || !(isActivation(*n) || n->type == "BatchNorm" || n->type == "Dropout"))
            break;
        block.push_back(next[0]);
    }
    return block;
}

std::vector<std::string> hiddenDense(const ModelGraph& g)
{
    const std::set<std::string> head = headPart(g);
    std::vector<std::string> out;
    for (const std::string& id : g.topologicalOrder())
        if (g.node(id)->type == "Dense" && !head.count(id))
            out.push_back(id);
    return out;
}

void setActivation(ModelGraph& g, const VariationInfo& info, const std::string& value)
{
    const ActivationInfo* target = nullptr;
    for (const ActivationInfo& a : kActivations)
        if (lower(a.type) == lower(value))
            target = &a;
    if (!target) {
        std::string names;
        for (const ActivationInfo& a : kActivations)
            names += (names.empty() ? "" : ", ") + std::string(a.type);
        badValue(info, value, "the activations are " + names);
    }
    int changed = 0;
    for (const GraphNode& n : g.nodes())
        if (isActivation(n)) {
            GraphNode* m = g.node(n.id);
            m->type = target->type;
            m->params = nlohmann::json::object(); // alpha: the new kind's default
            ++changed;
        }
    if (changed == 0)
        throw GraphError("experiment: the model has no activation node for the activation to change");
}

void setInitializer(ModelGraph& g, const VariationInfo& info, const std::string& value)
{
    std::string kind = value;
    double stddev = -1.0;
    if (const auto colon = value.find(':'); colon != std::string::npos) {
        kind = value.substr(0, colon);
        stddev = number(info, value.substr(colon + 1));
        if (kind != "normal" || stddev <= 0.0 || stddev > 100.0)
            badValue(info, value, "only normal takes a standard deviation, in (0, 100]: normal:0.01");
    }
    const auto& names = initializerNames();
    if (std::find(names.begin(), names.end(), kind) == names.end()) {
        std::string list;
        for (const std::string& n : names)
            list += (list.empty() ? "" : ", ") + n;
        badValue(info, value, "the initializers are " + list + " (normal:STD sets its deviation)");
    }
    int changed = 0;
    for (const GraphNode& n : g.nodes())
        if (isLinear(n)) {
            GraphNode* m = g.node(n.id);
            m->params["init"] = kind;
            if (stddev > 0.0)
                m->params["init_std"] = stddev;
            ++changed;
        }
    if (changed == 0)
        throw GraphError("experiment: the model has no Dense or Conv2D node for the initializer to change");
}

void setDropout(ModelGraph& g, const VariationInfo& info, const std::string& value)
{
    const double rate = number(info, value);
    if (rate < 0.0 || rate > 0.9)
        badValue(info, value, "a dropout rate is in [0, 0.9]");
    bool had = false;
    for (const GraphNode& n : g.nodes())
        if (n.type == "Dropout") {
            g.node(n.id)->params["rate"] = rate;
            had = true;
        }
    if (had || rate == 0.0)
        return;
    const std::set<std::string> head = headPart(g);
    std::vector<std::string> targets;
    for (const std::string& id : g.topologicalOrder())
        if (isActivation(*g.node(id)) && !head.count(id) && !g.consumers(id).empty())
            targets.push_back(id);
    if (targets.empty())
        throw GraphError("experiment: the model has no hidden activation to put a Dropout after");
    for (const std::string& id : targets)
        insertAfter(g, id, "Dropout", { { "rate", rate } });
    applyLayeredLayout(g, 90);
}

void setBatchNorm(ModelGraph& g, const VariationInfo& info, const std::string& value)
{
    const std::string v = lower(value);
    if (v == "off" || v == "false" || v == "0") {
        std::vector<std::string> bns;
        for (const GraphNode& n : g.nodes())
            if (n.type == "BatchNorm")
                bns.push_back(n.id);
        for (const std::string& id : bns)
            bypass(g, id);
        if (!bns.empty())
            applyLayeredLayout(g, 90);
        return;
    }
    if (v != "on" && v != "true" && v != "1")
        badValue(info, value, "batch norm is on or off");
    const std::set<std::string> head = headPart(g);
    std::vector<std::string> targets;
    for (const std::string& id : g.topologicalOrder()) {
        if (!isLinear(*g.node(id)) || head.count(id))
            continue;
        const std::vector<std::string> next = g.consumers(id);
        if (next.size() == 1 && g.node(next[0])->type == "BatchNorm")
            continue; // already normalized
        targets.push_back(id);
    }
    bool any = false;
    for (const GraphNode& n : g.nodes())
        any = any || n.type == "BatchNorm";
    if (targets.empty() && !any)
        throw GraphError("experiment: the model has no hidden Dense or Conv2D layer to normalize");
    for (const std::string& id : targets)
        insertAfter(g, id, "BatchNorm", nlohmann::json::object());
    if (!targets.empty())
        applyLayeredLayout(g, 90);
}

void setDepth(ModelGraph& g, const VariationInfo& info, const std::string& value)
{
    const int64_t depth = integer(info, value, 0, 32);
    std::vector<std::string> dense = hiddenDense(g);
    if (dense.empty())
        throw GraphError("experiment: depth repeats the model's hidden Dense block, and it has none");
    std::vector<std::vector<std::string>> blocks;
    for (const std::string& d : dense)
        blocks.push_back(blockFrom(g, d));
    for (const auto& b : blocks)
        for (const std::string& id : b)
            if (g.node(id)->inputs.size() != 1 || (id != b.back() && g.consumers(id).size() != 1))
                throw GraphError("experiment: depth needs a chain of hidden Dense blocks; node '" + id + "' branches");
    while (static_cast<int64_t>(blocks.size()) > depth) {
        for (auto it = blocks.back().rbegin(); it != blocks.back().rend(); ++it)
            bypass(g, *it);
        blocks.pop_back();
    }
    const std::vector<std::string> pattern = blocks.empty() ? std::vector<std::string> {} : blocks.back();
    while (static_cast<int64_t>(blocks.size()) < depth) {
        std::string after = blocks.back().back();
        std::vector<std::string> copy;
        for (const std::string& id : pattern) {
            const GraphNode& src = *g.node(id);
            after = insertAfter(g, after, src.type, src.params);
            copy.push_back(after);
        }
        blocks.push_back(copy);
    }
    applyLayeredLayout(g, 90);
}

void setWidth(ModelGraph& g, const VariationInfo& info, const std::string& value)
{
    const std::vector<std::string> dense = hiddenDense(g);
    if (!value.empty() && (value[0] == 'x' || value[0] == 'X')) {
        const double f = number(info, value.substr(1));
        if (f <= 0.0 || f > 64.0)
            badValue(info, value, "a factor xF has F in (0, 64]");
        const std::set<std::string> head = headPart(g);
        int changed = 0;
        for (const GraphNode& n : g.nodes()) {
            const char* key = n.type == "Dense" ? "units" : n.type == "Conv2D" ? "filters" : nullptr;
            if (!key || head.count(n.id))
                continue;
            const int64_t now = n.params.contains(key) ? n.params[key].get<int64_t>() : (n.type == "Dense" ? 10 : 32);
            g.node(n.id)->params[key] = std::max<int64_t>(1, std::llround(static_cast<double>(now) * f));
            ++changed;
        }
        if (changed == 0)
            throw GraphError("experiment: the model has no hidden Dense or Conv2D layer to widen");
        return;
    }
    const int64_t units = integer(info, value, 1, 1 << 16);
    if (dense.empty())
        throw GraphError("experiment: width sets the hidden Dense layers' units, and the model has none");
    for (const std::string& id : dense)
        g.node(id)->params["units"] = units;
}

void setOptimizer(TrainConfig& c, const VariationInfo& info, const std::string& value)
{
    std::string kind = lower(value);
    if (const auto colon = kind.find(':'); colon != std::string::npos) {
        c.optimizer.learningRate = number(info, kind.substr(colon + 1));
        kind = kind.substr(0, colon);
    }
    if (kind != "sgd" && kind != "adam" && kind != "adamw" && kind != "rmsprop")
        badValue(info, value, "the optimizers are sgd, adam, adamw and rmsprop (adam:0.001 sets its learning rate)");
    c.optimizer.kind = kind;
}

void apply(ModelGraph& g, TrainConfig& c, const VariationInfo& info, const std::string& value)
{
    switch (info.kind) {
    case VariationKind::Activation:
        return setActivation(g, info, value);
    case VariationKind::Initializer:
        return setInitializer(g, info, value);
    case VariationKind::Dropout:
        return setDropout(g, info, value);
    case VariationKind::BatchNorm:
        return setBatchNorm(g, info, value);
    case VariationKind::Depth:
        return setDepth(g, info, value);
    case VariationKind::Width:
        return setWidth(g, info, value);
    case VariationKind::Optimizer:
        return setOptimizer(c, info, value);
    case VariationKind::LearningRate:
        c.optimizer.learningRate = number(info, value);
        return;
    case VariationKind::BatchSize:
        c.batchSize = integer(info, value, 1, 1 << 20);
        return;
    case VariationKind::WeightDecay:
        c.optimizer.weightDecay = number(info, value);
        return;
    case VariationKind::L1:
        c.optimizer.l1 = number(info, value);
        return;
    case VariationKind::L2:
        c.optimizer.l2 = number(info, value);
        return;
    }
}

} // namespace

const std::vector<VariationInfo>& variationKinds()
{
    static const std::vector<VariationInfo> kinds = {
        { VariationKind::Activation, "activation", "Activation",
            "Every activation node becomes this kind (ReLU, Tanh, Sigmoid, ELU, LeakyReLU)", true, true,
            { "ReLU", "Tanh", "Sigmoid", "ELU" } },
        { VariationKind::Initializer, "initializer", "Initializer",
            "Every Dense and Conv2D starts from this initializer (normal:STD: constant variance)", false, true,
            { "he_normal", "glorot_uniform", "normal:0.01" } },
        { VariationKind::Dropout, "dropout", "Dropout rate",
            "The rate of every Dropout node; a model without any gets one after each hidden activation", false, true,
            { "0", "0.3", "0.5" } },
        { VariationKind::BatchNorm, "batch_norm", "Batch norm",
            "on: a BatchNorm between each hidden Dense/Conv2D and its activation; off: every BatchNorm removed", false,
            true, { "off", "on" } },
        { VariationKind::Optimizer, "optimizer", "Optimizer",
            "sgd, adam, adamw or rmsprop; adam:0.001 also sets its learning rate", true, true,
            { "sgd", "adam:0.001", "rmsprop:0.001" } },
        { VariationKind::LearningRate, "learning_rate", "Learning rate", "The optimizer's learning rate", true, true,
            { "0.001", "0.01", "0.1" } },
        { VariationKind::BatchSize, "batch_size", "Batch size", "Samples per step", true, false,
            { "16", "64", "256" } },
        { VariationKind::WeightDecay, "weight_decay", "Weight decay", "The optimizer's weight decay", true, true,
            { "0", "0.0005", "0.005" } },
        { VariationKind::L1, "l1", "L1 penalty", "loss += l1 · Σ|w| over the weights", true, true,
            { "0", "0.0001", "0.001" } },
        { VariationKind::L2, "l2", "L2 penalty", "loss += l2/2 · Σw² over the weights", true, true,
            { "0", "0.001", "0.01" } },
        { VariationKind::Depth, "depth", "Depth",
            "The number of hidden Dense blocks (the last one repeated or removed)", false, true, { "1", "2", "4" } },
        { VariationKind::Width, "width", "Width",
            "Units of every hidden Dense layer; x2 doubles hidden Dense units and Conv2D filters", false, true,
            { "32", "128", "512" } },
    };
    return kinds;
}

const VariationInfo& variationInfo(VariationKind kind)
{
    for (const VariationInfo& v : variationKinds())
        if (v.kind == kind)
            return v;
    return variationKinds().front();
}

VariationKind variationKindFromName(const std::string& name)
{
    const std::string n = lower(name);
    std::string names;
    for (const VariationInfo& v : variationKinds()) {
        if (n == v.name || n == lower(v.label))
            return v.kind;
        names += (names.empty() ? "" : ", ") + std::string(v.name);
    }
    throw FormatError("unknown experiment variable '" + name + "': the variables are " + names);
}

std::vector<Variant> makeVariants(const ModelGraph& base, const TrainConfig& config, const Variation& variation)
{
    const VariationInfo& info = variationInfo(variation.kind);
    if (variation.values.empty())
        throw FormatError(std::string("experiment: no values given for ") + info.name);
    base.validate();
    std::vector<Variant> out;
    std::set<std::string> seen;
    for (const std::string& value : variation.values) {
        if (!seen.insert(value).second)
            throw FormatError(std::string("experiment: the value '") + value + "' of " + info.name + " is given twice");
        Variant v;
        v.value = value;
        v.label = std::string(info.name) + " = " + value;
        v.graph = base;
        v.config = config;
        apply(v.graph, v.config, info, value);
        try {
            checkTrainConfig(v.config);
        } catch (const Error& e) {
            badValue(info, value, e.what());
        }
        try {
            v.graph.validate();
        } catch (const Error& e) {
            throw GraphError(std::string("experiment: ") + info.name + " = " + value
                + " makes a model that does not work: " + e.what());
        }
        out.push_back(std::move(v));
    }
    return out;
}

bool sameInitialWeights(const std::vector<Variant>& variants)
{
    if (variants.size() < 2)
        return true;
    auto signature = [](const Variant& v) {
        std::vector<std::string> s;
        const GraphAnalysis a = v.graph.analyze();
        for (const std::string& id : a.order) {
            const GraphNode& n = *v.graph.node(id);
            const auto it = a.nodes.find(id);
            const int64_t params = it == a.nodes.end() ? 0 : it->second.params;
            s.push_back(id + "|" + std::to_string(params) + "|" + n.params.value("init", std::string()) + "|"
                + (n.params.contains("init_std") ? n.params["init_std"].dump() : std::string()));
        }
        return s;
    };
    const auto first = signature(variants.front());
    for (const Variant& v : variants)
        if (signature(v) != first || v.config.seed != variants.front().config.seed)
            return false;
    return true;
}

bool sameDataOrder(const std::vector<Variant>& variants)
{
    for (const Variant& v : variants)
        if (v.config.batchSize != variants.front().config.batchSize || v.config.seed != variants.front().config.seed)
            return false;
    return true;
}

std::string controlledFor(const std::vector<Variant>& variants)
{
    const bool init = sameInitialWeights(variants);
    const bool order = sameDataOrder(variants);
    std::string s = "Same seed, split and data";
    if (order && init)
        return s + ", the same batches in the same order and the same initial weights: only the variable differs.";
    if (order)
        return s
            + " and the same batches in the same order; the initial weights differ where the variable changes "
              "the layers.";
    if (init)
        return s + " and the same initial weights; the batch size groups the shuffled samples differently.";
    return s + "; the batches and the initial weights differ with the variable.";
}

ParallelPlan planParallelism(int cores, int variants, int maxParallel)
{
    ParallelPlan p;
    cores = std::max(1, cores);
    p.parallel = std::max(1, std::min({ std::max(1, maxParallel), std::max(1, variants), cores }));
    p.threadsEach = std::max(1, cores / p.parallel);
    return p;
}

} // namespace netcanvas
