#pragma once
// ModelGraph: a network as data — nodes (layer type + parameters) and the edges between
// them, plus the position of each node on the canvas (ignored by the engine) and an
// optional training recipe. A DAG: a node has one output tensor, which may feed several
// nodes; a node takes its inputs in the order of `inputs` (port i = inputs[i]).
//
// Ensures: analyze() never throws — it reports, per node, the output shape, parameter
// count and FLOPs, or why the node cannot work; validate() throws the first problem.
#include "engine/core/Shape.h"
#include "engine/layers/LayerRegistry.h"

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace netcanvas {

struct GraphNode {
    std::string id; // unique, shown on the canvas and in every message
    std::string type; // a LayerRegistry type name
    nlohmann::json params = nlohmann::json::object(); // as given; defaults filled on analysis
    std::vector<std::string> inputs; // source node ids, port order
    // false: frozen — training leaves every tensor of this node as it is (no update, no weight
    // decay, batch norm on its running statistics, which stay unchanged; see Trainer.h).
    bool trainable = true;
    nlohmann::json ui = nlohmann::json::object(); // canvas data (position), engine ignores it
};

struct NodeAnalysis {
    bool ok = false;
    std::string error; // why the node cannot work (empty when ok)
    std::vector<Shape> inputShapes; // per sample
    Shape outputShape; // per sample
    int64_t params = 0;
    int64_t flops = 0; // forward, per sample
};

struct GraphAnalysis {
    bool ok = false;
    std::string error; // the first problem, naming the node
    std::vector<std::string> order; // topological order (empty when there is a cycle)
    std::map<std::string, NodeAnalysis> nodes;
    std::string inputNode, outputNode;
    Shape inputShape, outputShape; // per sample
    int64_t totalParams = 0;
    int64_t frozenParams = 0; // of the nodes that are not trainable (totalParams - this: trainable)
    int64_t totalFlops = 0; // forward, per sample
};

class ModelGraph {
public:
    std::string name;
    std::string description;
    nlohmann::json training = nlohmann::json::object(); // recipe: see docs/model-format.md

    const std::vector<GraphNode>& nodes() const { return m_nodes; }
    // O(1) through an index. A node's id must not be changed through these pointers (remove
    // and add the node instead).
    const GraphNode* node(const std::string& id) const;
    GraphNode* node(const std::string& id);
    bool contains(const std::string& id) const { return node(id) != nullptr; }

    // Throws GraphError when the id is empty or taken.
    void addNode(GraphNode node);
    // Removes the node and every edge that touches it.
    void removeNode(const std::string& id);
    // Adds edge from → to at input port `port` (append when port < 0 or == size).
    void connect(const std::string& from, const std::string& to, int port = -1);
    // Removes the edge from → to (first match). Returns whether one was removed.
    bool disconnect(const std::string& from, const std::string& to);
    // A fresh id "conv2d3" for a type "Conv2D" (lowercase type + first free number).
    std::string uniqueId(const std::string& type) const;
    // Ids of the nodes that are not trainable, in file order.
    std::vector<std::string> frozenNodes() const;
    // Nodes that take `id` as an input.
    std::vector<std::string> consumers(const std::string& id) const;

    // Explicit output node; empty means "the single node nobody consumes".
    const std::string& outputOverride() const { return m_output; }
    void setOutput(const std::string& id) { m_output = id; }

    // Topological order; throws GraphError naming a node on the cycle.
    std::vector<std::string> topologicalOrder() const;
    // Shapes, counts and problems of every node, without throwing.
    GraphAnalysis analyze(const LayerRegistry& registry = LayerRegistry::builtin()) const;
    // Throws GraphError/ShapeError/FormatError with analyze()'s first problem.
    GraphAnalysis validate(const LayerRegistry& registry = LayerRegistry::builtin()) const;

private:
    void reindex();

    std::vector<GraphNode> m_nodes;
    std::unordered_map<std::string, size_t> m_index; // id → position in m_nodes
    std::string m_output;
};

// Whether a model outputs class probabilities: its output node is a Softmax over a flat
// (rank-1) output, so each sample's values sum to 1 over the classes. Cross-entropy then takes
// them as they are, and inspection and prediction show them without a second softmax. A
// Softmax over a multi-dimensional output normalizes its last axis only, not the classes: it
// does not count. The one definition of this rule (the Trainer applies the same).
bool outputIsProbabilities(const std::string& outputNodeType, const GraphAnalysis& analysis);
bool outputIsProbabilities(const ModelGraph& graph, const GraphAnalysis& analysis);

// The classifier's head: the Dense node whose units set the output width — the output node, or
// the last Dense before it through single-input nodes (Softmax, activations, Dropout). Empty
// when the output is not set by a Dense.
std::string outputDenseLayer(const ModelGraph& graph, const GraphAnalysis& analysis);
// Sets the head's units to `classes` (a model for a dataset with another number of classes).
// Returns the head's id; throws GraphError when the output is not set by a Dense.
std::string fitOutputToClasses(ModelGraph& graph, int64_t classes);

} // namespace netcanvas
