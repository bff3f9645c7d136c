#pragma once
// Network: a ModelGraph compiled for a Backend — one Layer per node, in topological order,
// with activations and gradients kept between steps (buffers are reused: after the first
// batch of a given size, a step allocates nothing).
//
// Requires: a graph that validates. Ensures: forward() returns the output node's tensor
// (N × outputShape); backward() fills every trainable parameter's grad.
#include "engine/backend/Backend.h"
#include "engine/core/Rng.h"
#include "engine/graph/ModelGraph.h"
#include "engine/layers/Layer.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace netcanvas {

// A parameter together with the node it belongs to; key() is "node.name" (safetensors key).
struct NamedParameter {
    std::string node;
    Parameter* param = nullptr;
    std::string key() const { return node + "." + param->name; }
};

class Network {
public:
    // Builds and initializes every layer (weights drawn from Rng(seed)). Throws on an
    // invalid graph with the analysis' first problem.
    Network(const ModelGraph& graph, Backend& backend, uint64_t seed = 1);
    ~Network();

    const GraphAnalysis& analysis() const { return m_analysis; }
    const Shape& inputShape() const { return m_analysis.inputShape; }   // per sample
    const Shape& outputShape() const { return m_analysis.outputShape; } // per sample
    Backend& backend() { return m_backend; }

    // Runs the graph on a batch (N × inputShape). Returns the output node's activation.
    // training=true: dropout active, batch norm on batch statistics (and updates running stats).
    const Tensor& forward(const Tensor& input, bool training);
    // Back-propagates dL/d(output) (same shape as forward's result) through the graph.
    // Parameter grads are overwritten.
    void backward(const Tensor& gradOutput);

    // The activation of a node from the last forward() (N × its output shape).
    const Tensor& activation(const std::string& nodeId) const;
    // Node ids in execution order.
    const std::vector<std::string>& order() const { return m_order; }
    Layer& layer(const std::string& nodeId);
    // The first node (in execution order) whose last activation has a NaN/Inf; empty if none.
    std::string firstNonFiniteNode() const;

    // Every parameter, trainable and not, in execution order.
    std::vector<NamedParameter> parameters();
    std::vector<NamedParameter> trainableParameters();
    // Copies parameter values from another network of the same graph (for snapshots).
    void copyWeightsFrom(const Network& other);
    // Reseeds the generator used by dropout masks.
    void reseed(uint64_t seed) { m_rng.reseed(seed); }

private:
    struct Step;
    int indexOf(const std::string& id) const;

    Backend& m_backend;
    GraphAnalysis m_analysis;
    std::vector<std::string> m_order;
    std::vector<std::unique_ptr<Step>> m_steps;
    int m_outputIndex = -1;
    Rng m_rng;
    // Per-step scratch, kept so that forward/backward allocate nothing after the first step.
    std::vector<const Tensor*> m_ins;
    std::vector<Tensor*> m_gradIns;
    std::vector<std::pair<int, bool>> m_targets;
    std::vector<char> m_hasGrad;
};

} // namespace netcanvas
