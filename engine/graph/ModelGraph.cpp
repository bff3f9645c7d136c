#include "engine/graph/ModelGraph.h"

#include "engine/core/Error.h"
#include "engine/core/Limits.h"

#include <algorithm>
#include <cctype>
#include <queue>
#include <set>
#include <unordered_map>
#include <unordered_set>

namespace netcanvas {

const GraphNode* ModelGraph::node(const std::string& id) const
{
    // The index is authoritative: ids change only through removeNode/addNode (a rename
    // rebuilds the graph, GraphModel::renameNode), never through the node() pointer.
    auto it = m_index.find(id);
    if (it == m_index.end() || it->second >= m_nodes.size() || m_nodes[it->second].id != id)
        return nullptr;
    return &m_nodes[it->second];
}

GraphNode* ModelGraph::node(const std::string& id)
{
    return const_cast<GraphNode*>(static_cast<const ModelGraph*>(this)->node(id));
}

void ModelGraph::reindex()
{
    m_index.clear();
    m_index.reserve(m_nodes.size());
    for (size_t i = 0; i < m_nodes.size(); ++i)
        m_index.emplace(m_nodes[i].id, i);
}

void ModelGraph::addNode(GraphNode n)
{
    if (n.id.empty())
        throw GraphError("a node of type '" + n.type + "' has an empty id");
    if (contains(n.id))
        throw GraphError("node id '" + n.id + "' is used twice");
    if (!n.params.is_object())
        n.params = nlohmann::json::object();
    if (!n.ui.is_object())
        n.ui = nlohmann::json::object();
    m_index[n.id] = m_nodes.size();
    m_nodes.push_back(std::move(n));
}

void ModelGraph::removeNode(const std::string& id)
{
    m_nodes.erase(
        std::remove_if(m_nodes.begin(), m_nodes.end(), [&](const GraphNode& n) { return n.id == id; }), m_nodes.end());
    for (auto& n : m_nodes)
        n.inputs.erase(std::remove(n.inputs.begin(), n.inputs.end(), id), n.inputs.end());
    if (m_output == id)
        m_output.clear();
    reindex();
}

void ModelGraph::connect(const std::string& from, const std::string& to, int port)
{
    if (!contains(from))
        throw GraphError("cannot connect: no node '" + from + "'");
    GraphNode* t = node(to);
    if (!t)
        throw GraphError("cannot connect: no node '" + to + "'");
    if (from == to)
        throw GraphError("cannot connect node '" + to + "' to itself");
    if (port < 0 || port >= static_cast<int>(t->inputs.size()))
        t->inputs.push_back(from);
    else
        t->inputs.insert(t->inputs.begin() + port, from);
}

bool ModelGraph::disconnect(const std::string& from, const std::string& to)
{
    GraphNode* t = node(to);
    if (!t)
        return false;
    auto it = std::find(t->inputs.begin(), t->inputs.end(), from);
    if (it == t->inputs.end())
        return false;
    t->inputs.erase(it);
    return true;
}

std::string ModelGraph::uniqueId(const std::string& type) const
{
    std::string base;
    for (char c : type)
        base += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (int i = 1;; ++i) {
        std::string id = base + std::to_string(i);
        if (!contains(id))
            return id;
    }
}

std::vector<std::string> ModelGraph::frozenNodes() const
{
    std::vector<std::string> ids;
    for (const auto& n : m_nodes)
        if (!n.trainable)
            ids.push_back(n.id);
    return ids;
}

std::vector<std::string> ModelGraph::consumers(const std::string& id) const
{
    std::vector<std::string> out;
    for (const auto& n : m_nodes)
        if (std::find(n.inputs.begin(), n.inputs.end(), id) != n.inputs.end())
            out.push_back(n.id);
    return out;
}

std::vector<std::string> ModelGraph::topologicalOrder() const
{
    // Kahn's algorithm in O((V + E) log V), giving the order of the original definition:
    // passes over the file, each taking in file order every node whose inputs are done by the
    // time the pass reaches it. A node freed while the pass is at position p joins this pass
    // when it comes after p, else the next one: the heap orders by (pass, position).
    const size_t n = m_nodes.size();
    std::unordered_map<std::string, size_t> position;
    position.reserve(n);
    for (size_t i = 0; i < n; ++i)
        position.emplace(m_nodes[i].id, i);
    std::vector<int> pending(n, 0);
    std::vector<std::vector<size_t>> consumersOf(n);
    for (size_t i = 0; i < n; ++i)
        for (const auto& in : m_nodes[i].inputs)
            if (auto it = position.find(in); it != position.end()) {
                ++pending[i];
                consumersOf[it->second].push_back(i);
            }
    using Key = std::pair<size_t, size_t>; // (pass, position)
    std::priority_queue<Key, std::vector<Key>, std::greater<Key>> ready;
    for (size_t i = 0; i < n; ++i)
        if (pending[i] == 0)
            ready.push({ 0, i });
    std::vector<std::string> order;
    order.reserve(n);
    std::vector<bool> done(n, false);
    while (!ready.empty()) {
        const auto [pass, i] = ready.top();
        ready.pop();
        order.push_back(m_nodes[i].id);
        done[i] = true;
        for (size_t c : consumersOf[i])
            if (--pending[c] == 0)
                ready.push({ c > i ? pass : pass + 1, c });
    }
    if (order.size() < n) {
        for (size_t i = 0; i < n; ++i)
            if (!done[i])
                throw GraphError("the graph has a cycle through node '" + m_nodes[i].id + "'");
    }
    return order;
}

namespace {

// A per-sample tensor within limits::kMaxTensorElements (ShapeError otherwise).
void checkTensorSize(const Shape& s)
{
    int64_t n = 1;
    for (int64_t d : s.dims()) {
        const auto m = limits::checkedMul(n, d);
        if (!m || *m > limits::kMaxTensorElements)
            throw ShapeError("output " + s.toString() + " has more than " + std::to_string(limits::kMaxTensorElements)
                + " (2^31 - 1) values per sample, the largest tensor NetCanvas accepts");
        n = *m;
    }
}

} // namespace

GraphAnalysis ModelGraph::analyze(const LayerRegistry& registry) const
{
    GraphAnalysis a;
    auto fail = [&](const std::string& msg) {
        if (a.error.empty())
            a.error = msg;
    };
    if (m_nodes.empty()) {
        a.error = "the graph is empty: add an Input node";
        return a;
    }
    try {
        a.order = topologicalOrder();
    } catch (const Error& e) {
        a.error = e.what();
        for (const auto& n : m_nodes)
            a.nodes[n.id].error = e.what();
        return a;
    }

    // Input and output nodes.
    for (const auto& n : m_nodes) {
        if (n.type == "Input") {
            if (!a.inputNode.empty())
                fail("the graph has two Input nodes ('" + a.inputNode + "' and '" + n.id
                    + "'); exactly one is supported");
            else
                a.inputNode = n.id;
        }
    }
    if (a.inputNode.empty())
        fail("the graph has no Input node");
    if (!m_output.empty()) {
        if (!contains(m_output))
            fail("the output node '" + m_output + "' does not exist");
        a.outputNode = m_output;
    } else {
        std::unordered_set<std::string> consumed;
        for (const auto& n : m_nodes)
            consumed.insert(n.inputs.begin(), n.inputs.end());
        std::vector<std::string> sinks;
        for (const auto& n : m_nodes)
            if (!consumed.count(n.id))
                sinks.push_back(n.id);
        if (sinks.size() == 1)
            a.outputNode = sinks.front();
        else if (sinks.size() > 1) {
            std::string list;
            for (const auto& s : sinks)
                list += (list.empty() ? "'" : ", '") + s + "'";
            fail("the graph has " + std::to_string(sinks.size()) + " unconnected outputs (" + list
                + "); connect them or choose the output node");
        }
    }

    for (const auto& id : a.order) {
        const GraphNode& n = *node(id);
        NodeAnalysis& na = a.nodes[id];
        const LayerInfo* info = registry.find(n.type);
        if (!info) {
            na.error = "node '" + id + "': unknown layer type '" + n.type + "'";
            fail(na.error);
            continue;
        }
        // Inputs: exist, analyzed OK, arity.
        bool inputsOk = true;
        for (const auto& in : n.inputs) {
            if (!contains(in)) {
                na.error = "node '" + id + "' (" + n.type + "): its input '" + in + "' does not exist";
                inputsOk = false;
                break;
            }
            const NodeAnalysis& src = a.nodes[in];
            if (!src.ok) {
                na.error = "node '" + id + "' (" + n.type + "): its input '" + in + "' has a problem";
                inputsOk = false;
                break;
            }
            na.inputShapes.push_back(src.outputShape);
        }
        const int k = static_cast<int>(n.inputs.size());
        if (inputsOk && (k < info->minInputs || (info->maxInputs >= 0 && k > info->maxInputs))) {
            std::string want = info->maxInputs < 0 ? "at least " + std::to_string(info->minInputs)
                : info->minInputs == info->maxInputs
                ? std::to_string(info->minInputs)
                : std::to_string(info->minInputs) + " to " + std::to_string(info->maxInputs);
            na.error = "node '" + id + "' (" + n.type + ") takes " + want + " input" + (want == "1" ? "" : "s")
                + ", but " + std::to_string(k) + (k == 1 ? " is" : " are") + " connected";
            inputsOk = false;
        }
        if (!inputsOk) {
            fail(na.error);
            continue;
        }
        try {
            auto layer = registry.create(n.type, id, n.params);
            na.outputShape = layer->outputShape(na.inputShapes);
            checkTensorSize(na.outputShape);
            na.params = layer->paramCount(na.inputShapes);
            na.flops = layer->flops(na.inputShapes);
            const auto params = limits::checkedAdd(a.totalParams, na.params);
            const auto flops = limits::checkedAdd(a.totalFlops, na.flops);
            if (!params || *params > limits::kMaxParameters)
                throw ShapeError("the model's parameters exceed the limit of " + std::to_string(limits::kMaxParameters)
                    + " (2^34) at this node");
            if (!flops || *flops > limits::kMaxFlops)
                throw ShapeError("the model's FLOPs per sample exceed the limit of 2^53 at this node");
            na.ok = true;
            a.totalParams = *params;
            if (!n.trainable)
                a.frozenParams += na.params;
            a.totalFlops = *flops;
        } catch (const Error& e) {
            // Layers prefix their messages "id (Type): "; registry errors say "node 'id' (Type): ".
            std::string msg = e.what();
            const std::string layerPrefix = id + " (" + n.type + "): ";
            if (msg.rfind(layerPrefix, 0) == 0)
                msg = msg.substr(layerPrefix.size());
            if (msg.rfind("node '", 0) != 0)
                msg = "node '" + id + "' (" + n.type + "): " + msg;
            na.error = msg;
            fail(msg);
        }
    }
    if (!a.inputNode.empty() && a.nodes[a.inputNode].ok)
        a.inputShape = a.nodes[a.inputNode].outputShape;
    if (!a.outputNode.empty() && a.nodes.count(a.outputNode) && a.nodes[a.outputNode].ok)
        a.outputShape = a.nodes[a.outputNode].outputShape;
    a.ok = a.error.empty();
    return a;
}

GraphAnalysis ModelGraph::validate(const LayerRegistry& registry) const
{
    GraphAnalysis a = analyze(registry);
    if (!a.ok)
        throw GraphError(a.error);
    return a;
}

bool outputIsProbabilities(const std::string& outputNodeType, const GraphAnalysis& analysis)
{
    return outputNodeType == "Softmax" && analysis.outputShape.rank() == 1;
}

bool outputIsProbabilities(const ModelGraph& graph, const GraphAnalysis& analysis)
{
    const GraphNode* out = graph.node(analysis.outputNode);
    return out && outputIsProbabilities(out->type, analysis);
}

std::string outputDenseLayer(const ModelGraph& graph, const GraphAnalysis& analysis)
{
    std::string id = analysis.outputNode;
    for (size_t guard = 0; guard <= graph.nodes().size() && !id.empty(); ++guard) {
        const GraphNode* node = graph.node(id);
        if (!node)
            break;
        if (node->type == "Dense")
            return id;
        if (node->inputs.size() != 1)
            break;
        id = node->inputs.front();
    }
    return {};
}

std::string fitOutputToClasses(ModelGraph& graph, int64_t classes)
{
    const GraphAnalysis a = graph.analyze();
    const std::string head = outputDenseLayer(graph, a);
    if (head.empty())
        throw GraphError("cannot fit the output to " + std::to_string(classes) + " classes: the output node '"
            + a.outputNode + "' is not set by a Dense layer");
    graph.node(head)->params["units"] = classes;
    return head;
}

} // namespace netcanvas
