#include "engine/train/Network.h"

#include "engine/core/Error.h"

#include <algorithm>

namespace netcanvas {

struct Network::Step {
    std::string id;
    std::string type;
    std::unique_ptr<Layer> layer;
    std::vector<int> inputs; // step indices
    std::vector<Shape> inputShapes; // per sample
    Shape outputShape; // per sample
    Tensor out; // on the backend's device, as grad and scratch
    Tensor grad; // dL/d(out), accumulated over consumers
    Tensor scratch; // gradIn buffer when this step's output fans out
    int consumers = 0;
    bool isInput = false;
    bool frozen = false; // setFrozenNodes(): inference-mode forward, parameters not trained
    bool needsGrad = true; // it or a node before it has parameters being trained
};

Network::Network(const ModelGraph& graph, Backend& backend, uint64_t seed)
    : m_backend(backend)
    , m_rng(seed)
{
    m_analysis = graph.validate();
    m_order = m_analysis.order;
    // Only nodes that feed the output matter; others are still built (they validate) but skipped.
    const auto& registry = LayerRegistry::builtin();
    Rng initRng(seed);
    for (const auto& id : m_order) {
        const GraphNode& n = *graph.node(id);
        auto s = std::make_unique<Step>();
        s->out = Tensor(backend.allocator());
        s->grad = Tensor(backend.allocator());
        s->scratch = Tensor(backend.allocator());
        s->id = id;
        s->type = n.type;
        s->layer = registry.create(n.type, id, n.params);
        const NodeAnalysis& na = m_analysis.nodes.at(id);
        s->inputShapes = na.inputShapes;
        s->outputShape = na.outputShape;
        s->isInput = n.type == "Input";
        for (const auto& in : n.inputs)
            s->inputs.push_back(indexOf(in));
        Rng layerRng = initRng.split();
        s->layer->build(s->inputShapes, layerRng);
        m_steps.push_back(std::move(s));
    }
    for (auto& s : m_steps)
        for (int i : s->inputs)
            ++m_steps[static_cast<size_t>(i)]->consumers;
    m_outputIndex = indexOf(m_analysis.outputNode);
    moveParametersToDevice();
}

void Network::moveParametersToDevice()
{
    Allocator& alloc = m_backend.allocator();
    for (auto& s : m_steps)
        for (auto& p : s->layer->parameters()) {
            if (&p.value.allocator() != &alloc) {
                Tensor v(p.value.shape(), alloc);
                m_backend.upload(v.data(), p.value.data(), p.value.size());
                p.value = std::move(v);
            }
            if (!p.grad.empty() && &p.grad.allocator() != &alloc) {
                Tensor g(p.grad.shape(), alloc);
                m_backend.fill(g.data(), g.size(), 0.0f);
                p.grad = std::move(g);
            }
        }
}

void Network::assign(Tensor& dst, const Tensor& src) const
{
    dst.resize(src.shape());
    const int64_t count = src.size();
    const bool srcHost = src.isHost(), dstHost = dst.isHost();
    if (srcHost && dstHost) {
        if (&dst != &src)
            std::copy(src.data(), src.data() + count, dst.data());
    } else if (srcHost) {
        m_backend.upload(dst.data(), src.data(), count);
    } else if (dstHost) {
        m_backend.download(dst.data(), src.data(), count);
    } else {
        m_backend.copy(dst.data(), src.data(), count);
    }
}

Tensor Network::hostCopy(const Tensor& t) const
{
    Tensor out(t.shape(), hostAllocator());
    if (t.isHost())
        std::copy(t.data(), t.data() + t.size(), out.data());
    else
        m_backend.download(out.data(), t.data(), t.size());
    return out;
}

Network::~Network() = default;

int Network::indexOf(const std::string& id) const
{
    for (size_t i = 0; i < m_order.size(); ++i)
        if (m_order[i] == id)
            return static_cast<int>(i);
    // Nodes are added in order, so a lookup during construction finds earlier steps only.
    for (size_t i = 0; i < m_steps.size(); ++i)
        if (m_steps[i]->id == id)
            return static_cast<int>(i);
    throw GraphError("no node '" + id + "' in the network");
}

const Tensor& Network::forward(const Tensor& input, bool training)
{
    if (input.shape().perSample() != inputShape())
        throw ShapeError(
            "network input: expected N\u00d7" + inputShape().toString() + ", got " + input.shape().toString());
    const int64_t n = input.shape()[0];
    RunContext ctx { m_backend, training, training ? &m_rng : nullptr };
    RunContext frozenCtx { m_backend, false, nullptr };
    std::vector<const Tensor*>& ins = m_ins;
    for (auto& s : m_steps) {
        s->out.resize(s->outputShape.batched(n));
        if (s->isInput) {
            assign(s->out, input);
            continue;
        }
        ins.clear();
        for (int i : s->inputs)
            ins.push_back(&m_steps[static_cast<size_t>(i)]->out);
        s->layer->forward(s->frozen ? frozenCtx : ctx, ins, s->out);
    }
    return m_steps[static_cast<size_t>(m_outputIndex)]->out;
}

void Network::backward(const Tensor& gradOutput)
{
    const Step& last = *m_steps[static_cast<size_t>(m_outputIndex)];
    if (gradOutput.shape() != last.out.shape())
        throw ShapeError("network backward: gradient " + gradOutput.shape().toString() + " does not match output "
            + last.out.shape().toString());
    backwardFromIndex(m_outputIndex, gradOutput);
}

void Network::backwardFrom(const std::string& nodeId, const Tensor& gradNode)
{
    const int start = indexOf(nodeId);
    const Step& s = *m_steps[static_cast<size_t>(start)];
    if (gradNode.shape() != s.out.shape())
        throw ShapeError("network backward from '" + nodeId + "': gradient " + gradNode.shape().toString()
            + " does not match its activation " + s.out.shape().toString());
    backwardFromIndex(start, gradNode);
}

void Network::backwardFromIndex(int start, const Tensor& gradStart)
{
    Step& first = *m_steps[static_cast<size_t>(start)];
    // Which steps have received a gradient so far (for accumulation over consumers).
    // All scratch vectors are members: a step allocates nothing after the first.
    std::vector<char>& hasGrad = m_hasGrad;
    hasGrad.assign(m_steps.size(), 0);
    assign(first.grad, gradStart);
    hasGrad[static_cast<size_t>(start)] = 1;
    RunContext ctx { m_backend, true, &m_rng };
    RunContext frozenCtx { m_backend, false, nullptr };
    std::vector<const Tensor*>& ins = m_ins;
    std::vector<Tensor*>& gradIns = m_gradIns;
    std::vector<std::pair<int, bool>>& targets = m_targets; // (source step, received via scratch)
    for (int si = start; si >= 0; --si) {
        Step& s = *m_steps[static_cast<size_t>(si)];
        if (!hasGrad[static_cast<size_t>(si)] || s.isInput)
            continue;
        const bool prune = m_pruneBackward && !m_keepInputGradient;
        if (prune && !s.needsGrad)
            continue; // nothing at or before this node is trained
        const RunContext& stepCtx = s.frozen ? frozenCtx : ctx;
        ins.clear();
        gradIns.clear();
        targets.clear();
        // A source that already holds a gradient (or will get several) receives into its
        // scratch buffer, which is then added; otherwise the layer writes straight into it.
        for (int i : s.inputs) {
            Step& src = *m_steps[static_cast<size_t>(i)];
            ins.push_back(&src.out);
            if ((src.isInput && !m_keepInputGradient) || (prune && !src.needsGrad)) {
                gradIns.push_back(nullptr);
                targets.emplace_back(i, false);
                continue;
            }
            const bool viaScratch = hasGrad[static_cast<size_t>(i)] != 0;
            Tensor& t = viaScratch ? src.scratch : src.grad;
            t.resize(src.out.shape());
            gradIns.push_back(&t);
            targets.emplace_back(i, viaScratch);
            hasGrad[static_cast<size_t>(i)] = 1;
        }
        // The same source twice (x + x): second slot must not alias the first.
        for (size_t a = 0; a < targets.size(); ++a)
            for (size_t b = 0; b < a; ++b)
                if (gradIns[a] && targets[a].first == targets[b].first && gradIns[a] == gradIns[b]) {
                    Step& src = *m_steps[static_cast<size_t>(targets[a].first)];
                    src.scratch.resize(src.out.shape());
                    gradIns[a] = &src.scratch;
                    targets[a].second = true;
                }
        s.layer->backward(stepCtx, ins, s.out, s.grad, gradIns);
        if (m_backwardObserver)
            m_backwardObserver(m_order[static_cast<size_t>(si)]);
        for (size_t k = 0; k < targets.size(); ++k) {
            if (!gradIns[k] || !targets[k].second)
                continue;
            Step& src = *m_steps[static_cast<size_t>(targets[k].first)];
            m_backend.add(src.grad.data(), src.scratch.data(), src.grad.data(), src.grad.size());
        }
    }
}

const Tensor& Network::activation(const std::string& nodeId) const
{
    return m_steps[static_cast<size_t>(indexOf(nodeId))]->out;
}

bool Network::hasGradient(const std::string& nodeId) const
{
    const size_t i = static_cast<size_t>(indexOf(nodeId));
    return i < m_hasGrad.size() && m_hasGrad[i] != 0;
}

const Tensor& Network::gradient(const std::string& nodeId) const
{
    if (!hasGradient(nodeId))
        throw GraphError("node '" + nodeId + "' received no gradient in the last backward pass"
            + (m_steps[static_cast<size_t>(indexOf(nodeId))]->isInput
                    ? std::string(" (the input's gradient needs setKeepInputGradient(true))")
                    : std::string(" (it does not feed the node the pass started from)")));
    return m_steps[static_cast<size_t>(indexOf(nodeId))]->grad;
}

const std::string& Network::nodeType(const std::string& nodeId) const
{
    return m_steps[static_cast<size_t>(indexOf(nodeId))]->type;
}

std::vector<std::string> Network::nodeInputs(const std::string& nodeId) const
{
    std::vector<std::string> ids;
    for (int i : m_steps[static_cast<size_t>(indexOf(nodeId))]->inputs)
        ids.push_back(m_steps[static_cast<size_t>(i)]->id);
    return ids;
}

Layer& Network::layer(const std::string& nodeId)
{
    return *m_steps[static_cast<size_t>(indexOf(nodeId))]->layer;
}

std::string Network::firstNonFiniteNode() const
{
    for (const auto& s : m_steps)
        if (m_backend.firstNonFinite(s->out.data(), s->out.size()) >= 0)
            return s->id;
    return {};
}

std::vector<NamedParameter> Network::parameters()
{
    std::vector<NamedParameter> out;
    for (auto& s : m_steps)
        for (auto& p : s->layer->parameters())
            out.push_back({ s->id, &p });
    return out;
}

std::vector<NamedParameter> Network::trainableParameters()
{
    std::vector<NamedParameter> out;
    for (auto& s : m_steps)
        for (auto& p : s->layer->parameters())
            if (p.trainable && !s->frozen)
                out.push_back({ s->id, &p });
    return out;
}

void Network::setFrozenNodes(const std::vector<std::string>& ids)
{
    for (auto& s : m_steps)
        s->frozen = false;
    for (const std::string& id : ids)
        m_steps[static_cast<size_t>(indexOf(id))]->frozen = true; // throws naming an unknown id
    // Steps are in topological order: a step needs a gradient when it trains parameters of
    // its own or one of its inputs needs one.
    m_pruneBackward = false;
    for (auto& s : m_steps) {
        bool trains = false;
        if (!s->frozen)
            for (const auto& p : s->layer->parameters())
                trains = trains || p.trainable;
        for (int i : s->inputs)
            trains = trains || m_steps[static_cast<size_t>(i)]->needsGrad;
        s->needsGrad = trains;
        m_pruneBackward = m_pruneBackward || !trains;
    }
}

bool Network::isFrozen(const std::string& nodeId) const
{
    return m_steps[static_cast<size_t>(indexOf(nodeId))]->frozen;
}

void Network::copyWeightsFrom(const Network& other)
{
    if (other.m_steps.size() != m_steps.size())
        throw GraphError("copyWeightsFrom: networks of different graphs");
    for (size_t i = 0; i < m_steps.size(); ++i) {
        auto& dst = m_steps[i]->layer->parameters();
        const auto& src = other.m_steps[i]->layer->parameters();
        if (dst.size() != src.size())
            throw GraphError("copyWeightsFrom: node '" + m_steps[i]->id + "' differs");
        for (size_t k = 0; k < dst.size(); ++k) {
            const Tensor& from = src[k].value;
            if (from.isHost() || &other.m_backend == &m_backend)
                assign(dst[k].value, from); // host → here, or within this backend
            else
                assign(dst[k].value, other.hostCopy(from)); // other device → host → here
        }
    }
}

} // namespace netcanvas
