// Inspection of a trained network: see Inspect.h for the contract.
//
// Class scores for explanations: the output node's value when the model outputs logits;
// when it ends in a Softmax over a flat output (as the Trainer detects it), the Softmax
// node's input — the logit — through Network::backwardFrom(), so the Softmax takes no part
// and a saturated probability does not wash the gradient out (Selvaraju et al. use y^c
// before the softmax too).
#include "engine/inspect/Inspect.h"

#include "engine/backend/kernels/ActivationTable.h"
#include "engine/core/Error.h"
#include "engine/data/DataLoader.h"
#include "engine/data/SequenceData.h"
#include "engine/train/Loss.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace netcanvas::inspect {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

bool outputIsProbabilities(const Network& net)
{
    const GraphAnalysis& a = net.analysis();
    return netcanvas::outputIsProbabilities(net.nodeType(a.outputNode), a);
}

int classCount(const Network& net)
{
    return static_cast<int>(net.outputShape().numel());
}

// `input` as the network takes it: the same values reshaped to N × inputShape when only the
// layout differs (e.g. CSV features stored n×1×1 for an Input of 1×1×n).
const Tensor& fitInput(const Network& net, const Tensor& input, Tensor& scratch, const std::string& what, bool single)
{
    const Shape& in = net.inputShape();
    if (input.shape().rank() < 1 || input.shape()[0] < 1 || input.sampleSize() != in.numel())
        throw ShapeError(what + ": the network's input node '" + net.analysis().inputNode + "' takes N\u00d7"
            + in.toString() + " inputs, got " + input.shape().toString());
    if (single && input.shape()[0] != 1)
        throw ShapeError(what + ": expects one sample (1\u00d7" + in.toString() + "), got " + input.shape().toString());
    if (input.shape().perSample() == in)
        return input;
    scratch.copyFrom(input);
    scratch.reshape(in.batched(input.shape()[0]));
    return scratch;
}

const Tensor& forwardInput(Network& net, const Tensor& input, const std::string& what, bool single = true)
{
    Tensor scratch;
    return net.forward(fitInput(net, input, scratch, what, single), false);
}

void checkClass(const Network& net, int cls, const std::string& what)
{
    const int k = classCount(net);
    if (cls < 0 || cls >= k)
        throw DataError(what + ": class " + std::to_string(cls) + " is out of range [0, " + std::to_string(k) + ")");
}

// Softmax of k scores (or a copy when they already are probabilities), in double for
// stability, into out[0..k).
void rowProbabilities(const float* z, int64_t k, bool areProbabilities, float* out)
{
    if (areProbabilities) {
        std::copy(z, z + k, out);
        return;
    }
    float m = z[0];
    for (int64_t j = 1; j < k; ++j)
        m = std::max(m, z[j]);
    double sum = 0.0;
    for (int64_t j = 0; j < k; ++j)
        sum += std::exp(static_cast<double>(z[j]) - static_cast<double>(m));
    for (int64_t j = 0; j < k; ++j)
        out[j] = static_cast<float>(std::exp(static_cast<double>(z[j]) - static_cast<double>(m)) / sum);
}

// The node whose value for class `cls` is the class score (see the top of this file).
std::string scoreNode(const Network& net)
{
    const std::string& out = net.analysis().outputNode;
    if (outputIsProbabilities(net)) {
        const auto inputs = net.nodeInputs(out);
        if (inputs.size() == 1)
            return inputs[0];
    }
    return out;
}

// After a forward pass of one sample: back-propagates d score_cls / d (score node).
void backwardClassScore(Network& net, int cls)
{
    const std::string node = scoreNode(net);
    const Tensor& act = net.activation(node);
    Tensor g(act.shape());
    g[cls] = 1.0f;
    net.backwardFrom(node, g);
}

// Restores Network::keepInputGradient on scope exit.
struct KeepInputGradient {
    Network& net;
    bool before;
    explicit KeepInputGradient(Network& n)
        : net(n)
        , before(n.keepInputGradient())
    {
        net.setKeepInputGradient(true);
    }
    ~KeepInputGradient() { net.setKeepInputGradient(before); }
    KeepInputGradient(const KeepInputGradient&) = delete;
    KeepInputGradient& operator=(const KeepInputGradient&) = delete;
};

FeatureMaps toMaps(const std::string& node, const Tensor& act)
{
    const Shape s = act.shape().perSample();
    FeatureMaps m;
    m.node = node;
    if (s.rank() == 3) {
        m.channels = static_cast<int>(s[0]);
        m.height = static_cast<int>(s[1]);
        m.width = static_cast<int>(s[2]);
    } else if (s.rank() == 2) {
        m.channels = 1;
        m.height = static_cast<int>(s[0]);
        m.width = static_cast<int>(s[1]);
    } else if (s.rank() == 1) {
        m.channels = 1;
        m.height = 1;
        m.width = static_cast<int>(s[0]);
    } else {
        throw GraphError("node '" + node + "': its output " + s.toString() + " cannot be shown as maps");
    }
    const int64_t plane = static_cast<int64_t>(m.height) * m.width;
    const float* v = act.data(); // sample 0
    m.values.assign(v, v + plane * m.channels);
    m.channelMin.resize(static_cast<size_t>(m.channels));
    m.channelMax.resize(static_cast<size_t>(m.channels));
    m.channelMean.resize(static_cast<size_t>(m.channels));
    for (int c = 0; c < m.channels; ++c) {
        const float* p = v + c * plane;
        float lo = p[0], hi = p[0];
        double sum = 0.0;
        for (int64_t i = 0; i < plane; ++i) {
            lo = std::min(lo, p[i]);
            hi = std::max(hi, p[i]);
            sum += p[i];
        }
        m.channelMin[static_cast<size_t>(c)] = lo;
        m.channelMax[static_cast<size_t>(c)] = hi;
        m.channelMean[static_cast<size_t>(c)] = static_cast<float>(sum / static_cast<double>(plane));
    }
    return m;
}

// Bilinear resampling of an h×w map to H×W with pixel centres aligned (as cv::resize's
// INTER_LINEAR), then scaled to [0, 1] by its maximum (all zero when the maximum is not > 0).
Heatmap upsampleAndScale(const std::vector<float>& src, int h, int w, int H, int W)
{
    Heatmap out;
    out.height = H;
    out.width = W;
    out.values.assign(static_cast<size_t>(H) * static_cast<size_t>(W), 0.0f);
    auto coord = [](int i, int from, int to, int& i0, int& i1, float& f) {
        float s = (static_cast<float>(i) + 0.5f) * static_cast<float>(from) / static_cast<float>(to) - 0.5f;
        s = std::clamp(s, 0.0f, static_cast<float>(from - 1));
        i0 = static_cast<int>(std::floor(s));
        i1 = std::min(i0 + 1, from - 1);
        f = s - static_cast<float>(i0);
    };
    float peak = 0.0f;
    for (int y = 0; y < H; ++y) {
        int y0, y1;
        float fy;
        coord(y, h, H, y0, y1, fy);
        for (int x = 0; x < W; ++x) {
            int x0, x1;
            float fx;
            coord(x, w, W, x0, x1, fx);
            auto at = [&](int yy, int xx) {
                return src[static_cast<size_t>(yy) * static_cast<size_t>(w) + static_cast<size_t>(xx)];
            };
            const float top = at(y0, x0) * (1.0f - fx) + at(y0, x1) * fx;
            const float bottom = at(y1, x0) * (1.0f - fx) + at(y1, x1) * fx;
            const float v = top * (1.0f - fy) + bottom * fy;
            out.values[static_cast<size_t>(y) * static_cast<size_t>(W) + static_cast<size_t>(x)] = v;
            peak = std::max(peak, v);
        }
    }
    if (peak > 0.0f && std::isfinite(peak))
        for (float& v : out.values)
            v = std::max(0.0f, v / peak);
    else
        std::fill(out.values.begin(), out.values.end(), 0.0f);
    return out;
}

// Equal-width bins over the finite values' [min, max]; non-finite values are left out.
Histogram histogramOf(const float* v, int64_t n, int bins)
{
    Histogram h;
    h.counts.assign(static_cast<size_t>(std::max(1, bins)), 0);
    float lo = std::numeric_limits<float>::infinity(), hi = -lo;
    double sum = 0.0, sumSq = 0.0;
    int64_t finite = 0;
    for (int64_t i = 0; i < n; ++i) {
        if (!std::isfinite(v[i]))
            continue;
        lo = std::min(lo, v[i]);
        hi = std::max(hi, v[i]);
        sum += v[i];
        sumSq += static_cast<double>(v[i]) * v[i];
        ++finite;
    }
    if (finite == 0)
        return h;
    h.min = lo;
    h.max = hi;
    h.mean = sum / static_cast<double>(finite);
    h.stddev = std::sqrt(std::max(0.0, sumSq / static_cast<double>(finite) - h.mean * h.mean));
    const int64_t nb = static_cast<int64_t>(h.counts.size());
    const double width = static_cast<double>(hi) - static_cast<double>(lo);
    for (int64_t i = 0; i < n; ++i) {
        if (!std::isfinite(v[i]))
            continue;
        int64_t b = width > 0.0
            ? static_cast<int64_t>((static_cast<double>(v[i]) - lo) / width * static_cast<double>(nb))
            : 0;
        ++h.counts[static_cast<size_t>(std::clamp<int64_t>(b, 0, nb - 1))];
    }
    return h;
}

std::string sourceOf(const Dataset& data, int64_t index)
{
    if (index >= 0 && index < static_cast<int64_t>(data.sources.size()))
        return data.sources[static_cast<size_t>(index)];
    return data.root + "#" + std::to_string(index);
}

std::vector<SamplePrediction> mostConfidentFirst(std::vector<SamplePrediction> v)
{
    std::stable_sort(v.begin(), v.end(),
        [](const SamplePrediction& a, const SamplePrediction& b) { return a.confidence > b.confidence; });
    return v;
}

} // namespace

Tensor sampleTensor(const Dataset& data, int64_t index, const Normalization& norm)
{
    Tensor t(data.sampleShape().batched(1));
    prepareSample(data, index, norm, t.data());
    return t;
}

Tensor batchTensor(const Dataset& data, const std::vector<int64_t>& indices, const Normalization& norm)
{
    Tensor t(data.sampleShape().batched(static_cast<int64_t>(indices.size())));
    const int64_t per = data.sampleSize();
    for (size_t i = 0; i < indices.size(); ++i)
        prepareSample(data, indices[i], norm, t.data() + static_cast<int64_t>(i) * per);
    return t;
}

FeatureMaps featureMaps(Network& network, const Tensor& input, const std::string& nodeId)
{
    return featureMaps(network, input, std::vector<std::string> { nodeId }).front();
}

std::vector<FeatureMaps> featureMaps(Network& network, const Tensor& input, const std::vector<std::string>& nodeIds)
{
    for (const auto& id : nodeIds)
        (void)network.nodeType(id); // unknown node: GraphError before any work
    forwardInput(network, input, "feature maps");
    std::vector<FeatureMaps> maps;
    maps.reserve(nodeIds.size());
    for (const auto& id : nodeIds)
        maps.push_back(toMaps(id, network.activation(id)));
    return maps;
}

std::vector<std::string> spatialNodes(const Network& network)
{
    std::vector<std::string> ids;
    for (const auto& id : network.order()) {
        const Shape& s = network.analysis().nodes.at(id).outputShape;
        if (s.rank() == 3 && s[1] * s[2] > 1)
            ids.push_back(id);
    }
    return ids;
}

std::string lastConvolution(const Network& network)
{
    std::string last;
    for (const auto& id : network.order())
        if (network.nodeType(id) == "Conv2D")
            last = id;
    return last;
}

Filters convolutionFilters(Network& network, const std::string& nodeId)
{
    const std::string& type = network.nodeType(nodeId);
    if (type != "Conv2D")
        throw GraphError("node '" + nodeId + "' is a " + type + ", not a Conv2D: it has no filters");
    const Parameter* w = network.layer(nodeId).parameter("weight");
    if (!w || w->value.shape().rank() != 4)
        throw GraphError("node '" + nodeId + "' (Conv2D) has no 4-d weight");
    const Shape& s = w->value.shape();
    Filters f;
    f.node = nodeId;
    f.filters = static_cast<int>(s[0]);
    f.channels = static_cast<int>(s[1]);
    f.height = static_cast<int>(s[2]);
    f.width = static_cast<int>(s[3]);
    f.values.assign(w->value.data(), w->value.data() + w->value.size());
    return f;
}

std::vector<float> probabilities(const Network& network, const Tensor& output, int64_t row)
{
    if (output.shape().rank() < 1 || row < 0 || row >= output.shape()[0])
        throw DataError("probabilities: row " + std::to_string(row) + " is out of range for an output of "
            + output.shape().toString());
    const int64_t k = output.sampleSize();
    std::vector<float> p(static_cast<size_t>(k));
    rowProbabilities(output.data() + row * k, k, outputIsProbabilities(network), p.data());
    return p;
}

std::vector<ClassScore> classify(Network& network, const Tensor& input, int k)
{
    const Tensor& out = forwardInput(network, input, "classify");
    const std::vector<float> p = probabilities(network, out, 0);
    std::vector<int> order(p.size());
    std::iota(order.begin(), order.end(), 0);
    // Most probable first; ties keep the lower class first (as argmax does).
    std::stable_sort(order.begin(), order.end(),
        [&](int a, int b) { return p[static_cast<size_t>(a)] > p[static_cast<size_t>(b)]; });
    const size_t n = static_cast<size_t>(std::clamp<int64_t>(k, 0, static_cast<int64_t>(p.size())));
    std::vector<ClassScore> top(n);
    for (size_t i = 0; i < n; ++i)
        top[i] = { order[i], p[static_cast<size_t>(order[i])] };
    return top;
}

Heatmap saliency(Network& network, const Tensor& input, int cls)
{
    checkClass(network, cls, "saliency");
    KeepInputGradient keep(network);
    forwardInput(network, input, "saliency");
    backwardClassScore(network, cls);
    const Tensor& g = network.gradient(network.analysis().inputNode);
    const Shape& in = network.inputShape(); // C×H×W
    const int c = static_cast<int>(in[0]), h = static_cast<int>(in[1]), w = static_cast<int>(in[2]);
    const int64_t plane = static_cast<int64_t>(h) * w;
    std::vector<float> heat(static_cast<size_t>(plane), 0.0f);
    for (int ch = 0; ch < c; ++ch)
        for (int64_t i = 0; i < plane; ++i)
            heat[static_cast<size_t>(i)] = std::max(heat[static_cast<size_t>(i)], std::abs(g[ch * plane + i]));
    return upsampleAndScale(heat, h, w, h, w);
}

Heatmap gradCam(Network& network, const Tensor& input, int cls, const std::string& nodeId)
{
    checkClass(network, cls, "Grad-CAM");
    const std::string node = nodeId.empty() ? lastConvolution(network) : nodeId;
    if (node.empty())
        throw GraphError("Grad-CAM: the network has no Conv2D node; name a node with spatial maps");
    (void)network.nodeType(node); // unknown node: GraphError naming it
    const Shape s = network.analysis().nodes.at(node).outputShape;
    if (s.rank() != 3)
        throw GraphError(
            "Grad-CAM: node '" + node + "' gives " + s.toString() + ", not channel maps (C\u00d7H\u00d7W)");
    forwardInput(network, input, "Grad-CAM");
    backwardClassScore(network, cls);
    const Tensor& a = network.activation(node);
    const Tensor& g = network.gradient(node);
    const int c = static_cast<int>(s[0]), h = static_cast<int>(s[1]), w = static_cast<int>(s[2]);
    const int64_t plane = static_cast<int64_t>(h) * w;
    std::vector<float> cam(static_cast<size_t>(plane), 0.0f);
    for (int ch = 0; ch < c; ++ch) {
        double alpha = 0.0; // global-average-pooled gradient: the channel's importance
        for (int64_t i = 0; i < plane; ++i)
            alpha += g[ch * plane + i];
        alpha /= static_cast<double>(plane);
        for (int64_t i = 0; i < plane; ++i)
            cam[static_cast<size_t>(i)] += static_cast<float>(alpha) * a[ch * plane + i];
    }
    for (float& v : cam)
        v = std::max(0.0f, v);
    const Shape& in = network.inputShape();
    return upsampleAndScale(cam, h, w, static_cast<int>(in[1]), static_cast<int>(in[2]));
}

std::vector<std::string> recurrentNodes(const Network& network)
{
    std::vector<std::string> nodes;
    for (const auto& id : network.order()) {
        const std::string t = network.nodeType(id);
        if (t == "SimpleRNN" || t == "LSTM" || t == "GRU")
            nodes.push_back(id);
    }
    return nodes;
}

RecurrentGates recurrentGates(Network& network, const Tensor& input, const std::string& nodeId, int cls, int direction)
{
    std::string node = nodeId;
    if (node.empty()) {
        const std::vector<std::string> nodes = recurrentNodes(network);
        if (nodes.empty())
            throw GraphError("recurrent gates: the network has no SimpleRNN, LSTM or GRU node");
        node = nodes.front();
    }
    auto* layer = dynamic_cast<RecurrentLayer*>(&network.layer(node)); // unknown node: GraphError
    if (!layer)
        throw GraphError("recurrent gates: node '" + node + "' is a " + network.nodeType(node)
            + ", not a recurrent layer (SimpleRNN, LSTM, GRU)");
    if (direction < 0 || direction >= layer->directions())
        throw DataError("recurrent gates: node '" + node + "' has no direction " + std::to_string(direction)
            + (layer->directions() == 1 ? " (it is not bidirectional)" : ""));
    const Tensor& out = forwardInput(network, input, "recurrent gates");
    if (cls < 0) {
        const std::vector<float> p = probabilities(network, out, 0);
        cls = static_cast<int>(std::max_element(p.begin(), p.end()) - p.begin());
    }
    checkClass(network, cls, "recurrent gates");
    backwardClassScore(network, cls);
    RecurrentGates g;
    g.node = node;
    g.type = network.nodeType(node);
    g.direction = direction;
    g.cls = cls;
    g.trace = layer->trace(network.backend(), direction, 0);
    return g;
}

int64_t Histogram::total() const
{
    return std::accumulate(counts.begin(), counts.end(), int64_t { 0 });
}

std::vector<LayerStats> layerStatistics(
    Network& network, const Tensor& batch, const std::vector<int32_t>& labels, int bins)
{
    Tensor scratch;
    const Tensor& x = fitInput(network, batch, scratch, "layer statistics", false);
    const int64_t n = x.shape()[0];
    if (static_cast<int64_t>(labels.size()) != n)
        throw DataError(
            "layer statistics: " + std::to_string(labels.size()) + " labels for a batch of " + std::to_string(n));
    const int k = classCount(network);
    for (int32_t y : labels)
        if (y < 0 || y >= k)
            throw DataError(
                "layer statistics: label " + std::to_string(y) + " is out of range [0, " + std::to_string(k) + ")");
    const Tensor& out = network.forward(x, false);
    Tensor grad;
    computeLoss(LossKind::CrossEntropy, out, labels, grad, outputIsProbabilities(network));
    network.backward(grad);

    std::vector<LayerStats> stats;
    for (const auto& id : network.order()) {
        LayerStats st;
        st.node = id;
        st.type = network.nodeType(id);
        const Tensor& act = network.activation(id);
        st.activations = histogramOf(act.data(), act.size(), bins);
        Parameter* param = nullptr;
        for (auto& p : network.layer(id).parameters())
            if (p.trainable && (!param || p.name == "weight"))
                param = &p;
        if (param) {
            st.weights = histogramOf(param->value.data(), param->value.size(), bins);
            if (network.hasGradient(id) && param->grad.size() == param->value.size())
                st.gradients = histogramOf(param->grad.data(), param->grad.size(), bins);
        }
        const ActivationInfo* kind = findActivation(st.type.c_str());
        const ActivationStatistic statistic = kind ? kind->statistic : ActivationStatistic::None;
        if (statistic == ActivationStatistic::DeadUnits) {
            const int64_t per = act.sampleSize();
            int64_t dead = 0;
            for (int64_t j = 0; j < per; ++j) {
                bool alive = false;
                for (int64_t s = 0; s < n && !alive; ++s)
                    alive = act[s * per + j] > 0.0f;
                dead += alive ? 0 : 1;
            }
            st.deadFraction = per > 0 ? static_cast<double>(dead) / static_cast<double>(per) : kNaN;
        } else if (statistic == ActivationStatistic::Saturation) {
            const float low = kind->saturationLow, high = kind->saturationHigh;
            int64_t saturated = 0;
            for (int64_t i = 0; i < act.size(); ++i) {
                const float y = act[i];
                saturated += (y < low || y > high) ? 1 : 0;
            }
            st.saturatedFraction
                = act.size() > 0 ? static_cast<double>(saturated) / static_cast<double>(act.size()) : kNaN;
        }
        stats.push_back(std::move(st));
    }
    return stats;
}

std::vector<SamplePrediction> Evaluation::mistakes() const
{
    std::vector<SamplePrediction> wrong;
    for (const auto& s : samples)
        if (s.truth != s.predicted)
            wrong.push_back(s);
    return mostConfidentFirst(std::move(wrong));
}

std::vector<SamplePrediction> Evaluation::cell(int t, int p) const
{
    std::vector<SamplePrediction> in;
    for (const auto& s : samples)
        if (s.truth == t && s.predicted == p)
            in.push_back(s);
    return mostConfidentFirst(std::move(in));
}

Evaluation evaluateRegression(Network& network, const Dataset& data, const std::vector<int64_t>& indices,
    const Normalization& norm, const Normalization& targetNorm, int64_t batchSize,
    const std::function<bool(int64_t, int64_t)>& progress)
{
    if (!data.isRegression())
        throw DataError("evaluate: dataset '" + data.root + "' has class labels, not real-valued targets");
    if (data.sampleSize() != network.inputShape().numel())
        throw ShapeError("evaluate: the network's input node '" + network.analysis().inputNode + "' takes "
            + network.inputShape().toString() + " samples, the dataset '" + data.root + "' has "
            + data.sampleShape().toString());
    const int64_t k = data.targetSize();
    if (network.outputShape().numel() != k)
        throw ShapeError("evaluate: the network's output node '" + network.analysis().outputNode + "' gives "
            + network.outputShape().toString() + " values, the targets are " + data.targetShape.toString());
    Evaluation ev;
    ev.regression = true;
    ev.topK = 0;
    ev.accuracy = kNaN;
    ev.topKAccuracy = kNaN;
    if (batchSize <= 0)
        batchSize = 256;
    const float mean = targetNorm.empty() ? 0.0f : targetNorm.mean[0];
    const float sd = targetNorm.empty() ? 1.0f : targetNorm.stddev[0];
    auto unit = [&](float v) { return v * data.targetScale + data.targetOffset; };
    const int64_t total = static_cast<int64_t>(indices.size());
    const int64_t per = data.sampleSize();
    Tensor batch;
    RegressionMetrics metrics;
    std::vector<float> predicted(static_cast<size_t>(k)), actual(static_cast<size_t>(k));
    for (int64_t begin = 0; begin < total; begin += batchSize) {
        const int64_t n = std::min(batchSize, total - begin);
        batch.resize(network.inputShape().batched(n));
        for (int64_t i = 0; i < n; ++i)
            prepareSample(data, indices[static_cast<size_t>(begin + i)], norm, batch.data() + i * per);
        const Tensor& out = network.forward(batch, false);
        for (int64_t i = 0; i < n; ++i) {
            const int64_t index = indices[static_cast<size_t>(begin + i)];
            for (int64_t j = 0; j < k; ++j) {
                // Stored units (what the dataset keeps), then the data's.
                predicted[static_cast<size_t>(j)] = out.data()[i * k + j] * sd + mean;
                actual[static_cast<size_t>(j)] = data.targets[static_cast<size_t>(index * k + j)];
                ev.predicted.push_back(unit(predicted[static_cast<size_t>(j)]));
                ev.actual.push_back(unit(actual[static_cast<size_t>(j)]));
            }
            metrics.add(predicted.data(), actual.data(), k);
            ev.indices.push_back(index);
        }
        if (progress && !progress(begin + n, total))
            throw DataError("evaluation of '" + data.root + "' cancelled");
    }
    ev.rmse = metrics.rmse(data.targetScale);
    ev.mae = metrics.mae(data.targetScale);
    ev.r2 = metrics.r2();
    if (data.seriesTargetFeature >= 0 && total > 0)
        ev.naiveRmse = naiveLastValueForecast(data, indices).rmse;
    return ev;
}

Evaluation evaluate(Network& network, const Dataset& data, const std::vector<int64_t>& indices,
    const Normalization& norm, int topK, int64_t batchSize, const std::function<bool(int64_t, int64_t)>& progress)
{
    const int k = classCount(network);
    if (data.sampleSize() != network.inputShape().numel())
        throw ShapeError("evaluate: the network's input node '" + network.analysis().inputNode + "' takes "
            + network.inputShape().toString() + " samples, the dataset '" + data.root + "' has "
            + data.sampleShape().toString());
    Evaluation ev;
    ev.confusion.reset(k);
    ev.topK = std::clamp(topK, 1, std::max(1, k));
    ev.samples.reserve(indices.size());
    if (batchSize <= 0)
        batchSize = 256;
    const bool areProbabilities = outputIsProbabilities(network);
    const int64_t total = static_cast<int64_t>(indices.size());
    const int64_t per = data.sampleSize();
    Tensor batch;
    std::vector<float> p(static_cast<size_t>(k));
    int64_t correct = 0, inTopK = 0;
    for (int64_t begin = 0; begin < total; begin += batchSize) {
        const int64_t n = std::min(batchSize, total - begin);
        batch.resize(network.inputShape().batched(n));
        for (int64_t i = 0; i < n; ++i) {
            const int64_t index = indices[static_cast<size_t>(begin + i)];
            prepareSample(data, index, norm, batch.data() + i * per); // DataError when out of range
            const int32_t y = data.labels[static_cast<size_t>(index)];
            if (y < 0 || y >= k)
                throw DataError("sample '" + sourceOf(data, index) + "': label " + std::to_string(y)
                    + " is out of range [0, " + std::to_string(k) + ") for a model with " + std::to_string(k)
                    + " outputs");
        }
        const Tensor& out = network.forward(batch, false);
        for (int64_t i = 0; i < n; ++i) {
            SamplePrediction s;
            s.index = indices[static_cast<size_t>(begin + i)];
            s.truth = data.labels[static_cast<size_t>(s.index)];
            s.predicted = argmaxRow(out, i);
            rowProbabilities(out.data() + i * k, k, areProbabilities, p.data());
            s.confidence = p[static_cast<size_t>(s.predicted)];
            s.truthProbability = p[static_cast<size_t>(s.truth)];
            // Rank of the truth: classes more probable, and equally probable lower ones
            // (the order classify() and argmax use).
            int rank = 0;
            for (int c = 0; c < k; ++c)
                rank += (p[static_cast<size_t>(c)] > s.truthProbability
                            || (c < s.truth && p[static_cast<size_t>(c)] == s.truthProbability))
                    ? 1
                    : 0;
            inTopK += rank < ev.topK ? 1 : 0;
            correct += s.predicted == s.truth ? 1 : 0;
            ev.confusion.add(s.truth, s.predicted);
            ev.samples.push_back(s);
        }
        if (progress && !progress(begin + n, total))
            throw DataError("evaluation of '" + data.root + "' cancelled");
    }
    ev.accuracy = total ? static_cast<double>(correct) / static_cast<double>(total) : kNaN;
    ev.topKAccuracy = total ? static_cast<double>(inTopK) / static_cast<double>(total) : kNaN;
    return ev;
}

} // namespace netcanvas::inspect
