#pragma once
// Network: a ModelGraph compiled for a Backend — one Layer per node, in topological order,
// with activations and gradients kept between steps (buffers are reused: after the first
// batch of a given size, a step allocates nothing).
//
// Requires: a graph that validates. Ensures: forward() returns the output node's tensor
// (N × outputShape); backward() fills every trainable parameter's grad.
//
// Memory: activations, gradients and (after construction) every parameter's value and grad
// live on the backend's device — allocated with backend.allocator(). Layers build and
// initialize their parameters on the host; the constructor then moves them to the device
// (on the CPU backend the host allocator IS the device's, so nothing is copied). Tensors
// this class returns (forward(), activation(), gradient(), parameter values) are therefore
// device tensors on a device backend: read them on the host through hostCopy(). Inputs and
// gradients handed in may be host tensors or tensors of this network's device; host ones
// are uploaded.
#include "engine/backend/Backend.h"
#include "engine/core/Rng.h"
#include "engine/graph/ModelGraph.h"
#include "engine/layers/Layer.h"

#include <functional>
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
    const Shape& inputShape() const { return m_analysis.inputShape; } // per sample
    const Shape& outputShape() const { return m_analysis.outputShape; } // per sample
    Backend& backend() { return m_backend; }

    // Runs the graph on a batch (N × inputShape; a host tensor, uploaded when the backend is a
    // device, or a tensor of this network's device). Returns the output node's activation.
    // training=true: dropout active, batch norm on batch statistics (and updates running stats).
    const Tensor& forward(const Tensor& input, bool training);
    // Back-propagates dL/d(output) (same shape as forward's result) through the graph.
    // Parameter grads are overwritten.
    void backward(const Tensor& gradOutput);
    // Back-propagates dL/d(activation of `nodeId`) (same shape as that activation in the last
    // forward) through the nodes that feed it; nodes after it take no part. For inspection:
    // e.g. the gradient of a logit under a final Softmax. Parameter grads of the nodes
    // reached are overwritten, the others keep their previous values. Throws GraphError for
    // an unknown node, ShapeError when the gradient's shape differs from the activation's.
    void backwardFrom(const std::string& nodeId, const Tensor& gradNode);

    // dL/d(activation of `nodeId`) from the last backward() / backwardFrom() (N × its output
    // shape). Requires hasGradient(nodeId); otherwise throws GraphError naming the node.
    const Tensor& gradient(const std::string& nodeId) const;
    // Whether the last backward reached `nodeId`: it feeds the node the backward started
    // from (and, for the Input node, keepInputGradient() was on).
    bool hasGradient(const std::string& nodeId) const;
    // When on, backward passes also compute dL/d(input), read with gradient(inputNode) —
    // for saliency maps. Off by default: training needs no input gradient and skips it.
    void setKeepInputGradient(bool on) { m_keepInputGradient = on; }
    bool keepInputGradient() const { return m_keepInputGradient; }

    // The activation of a node from the last forward() (N × its output shape).
    const Tensor& activation(const std::string& nodeId) const;
    // Node ids in execution order.
    const std::vector<std::string>& order() const { return m_order; }
    // A node's layer type ("Conv2D") and its input node ids in port order. Throw GraphError
    // for an unknown node.
    const std::string& nodeType(const std::string& nodeId) const;
    std::vector<std::string> nodeInputs(const std::string& nodeId) const;
    Layer& layer(const std::string& nodeId);
    // The first node (in execution order) whose last activation has a NaN/Inf; empty if none.
    std::string firstNonFiniteNode() const;

    // A host copy of a tensor of this network (an activation, a gradient, a parameter): a
    // download on a device backend, a plain copy on the CPU.
    Tensor hostCopy(const Tensor& t) const;
    // dst = src, resizing dst; each may be a host tensor or one of this network's device
    // (upload, download or copy as needed). A device dst keeps its allocator; a host dst
    // stays on the host.
    void assign(Tensor& dst, const Tensor& src) const;

    // Every parameter, trainable and not, in execution order.
    std::vector<NamedParameter> parameters();
    // The parameters an optimizer updates: trainable ones (not running statistics) of nodes
    // that are not frozen.
    std::vector<NamedParameter> trainableParameters();

    // Freezes these nodes (GraphNode::trainable = false; the Trainer passes the graph's): their
    // forward runs as in inference even in training (batch norm on its running statistics,
    // which stay unchanged; dropout off), trainableParameters() leaves their parameters out,
    // and backward() skips every node with no trainable parameter at or before it — a frozen
    // prefix (the convolutions of a fine-tune) computes no weight or input gradients at all.
    // Nodes whose gradient the pass must still carry (a frozen node between trainable ones)
    // run their backward as usual; their parameter gradients are computed but never applied.
    // Not while keepInputGradient() is on (saliency needs every gradient). Throws GraphError
    // naming an id that is not a node of the network.
    void setFrozenNodes(const std::vector<std::string>& ids);
    bool isFrozen(const std::string& nodeId) const;
    // Copies parameter values from another network of the same graph (for snapshots); the two
    // may run on different devices (downloaded from one, uploaded to the other).
    void copyWeightsFrom(const Network& other);
    // Called right after each node's backward in backward()/backwardFrom() with the node's id:
    // that node's parameter gradients are final from then on (data-parallel training starts
    // their all-reduce there, GradientSync.h). Empty: none.
    void setBackwardObserver(std::function<void(const std::string&)> fn) { m_backwardObserver = std::move(fn); }
    // Reseeds the generator used by dropout masks.
    void reseed(uint64_t seed) { m_rng.reseed(seed); }
    // The generator of dropout masks (a resumed run restores its state).
    Rng& rng() { return m_rng; }

private:
    struct Step;
    int indexOf(const std::string& id) const;
    void backwardFromIndex(int start, const Tensor& grad);

    // Moves every parameter value and grad to the backend's device (no-op on the host).
    void moveParametersToDevice();
    bool onHost() const { return &m_backend.allocator() == &hostAllocator(); }

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
    std::vector<char> m_hasGrad; // per step: reached by the last backward
    bool m_keepInputGradient = false;
    bool m_pruneBackward = false; // setFrozenNodes() made some steps need no backward
    std::function<void(const std::string&)> m_backwardObserver;
};

} // namespace netcanvas
