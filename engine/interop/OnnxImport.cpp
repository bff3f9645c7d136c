#include "engine/interop/OnnxImport.h"

#include "engine/backend/Backend.h"
#include "engine/graph/GraphLayout.h"
#include "engine/graph/ModelJson.h"
#include "engine/interop/Interchange.h"
#include "engine/io/AtomicFile.h"
#include "engine/io/Safetensors.h"
#include "engine/layers/LayerSupport.h"
#include "engine/layers/SequenceSupport.h"
#include "engine/train/Network.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <limits>
#include <onnx.pb.h>
#include <set>

namespace netcanvas {

namespace {

// Why a node cannot be imported (collected, never shown alone).
struct Unsupported {
    std::string reason;
};

// An activation: the NetCanvas node computing it, its per-sample shape in ONNX and in the
// node (they may differ by a reshape of the same values, e.g. GlobalAveragePool's C×1×1 is the
// layer's C; materialize() inserts the reshape when a consumer needs the ONNX layout).
struct Activation {
    std::string node;
    Shape onnx, ours;
    // Empty: the node's values are in ONNX's order. Else a transposed tensor (Keras' NHWC
    // flatten): value i of a sample in ONNX's order is value order[i] of the node's — only a
    // Flatten/Reshape to one dimension and a Dense (whose weight columns are permuted) take it.
    std::vector<int64_t> order;
    // Where the batch is in the ONNX tensor: 0, or the time-major tensors around RNN/LSTM/GRU
    // (1 for T×N×F, 2 for their Y, T×D×N×H); `onnx` and `order` leave the batch axis out.
    int batchAxis = 0;
    // Token ids on their way to a Gather: 1 after Round, 2 after a Cast to integers.
    int ids = 0;
    // Whether the tensor is laid out as every NetCanvas layer reads it (batch first, the node's order).
    bool plain() const { return order.empty() && batchAxis == 0 && ids == 0; }
};

// A folded constant: float (weights) or int64 (shapes; an entry may be the symbolic batch).
struct Constant {
    std::vector<int64_t> dims;
    bool isFloat = true;
    std::vector<float> f;
    std::vector<int64_t> i;
    std::vector<bool> batch; // per int entry: it is the batch size N (unknown until run time)
    int64_t numel() const { return isFloat ? static_cast<int64_t>(f.size()) : static_cast<int64_t>(i.size()); }
};

struct Value {
    bool isConst = false;
    Activation act;
    Constant c;
};

std::string dimsText(const std::vector<int64_t>& dims)
{
    std::string s;
    for (int64_t d : dims)
        s += (s.empty() ? "" : "\u00d7") + std::to_string(d);
    return s.empty() ? "scalar" : s;
}

// numel of dims, or -1 when negative or beyond 2^40 values.
int64_t safeNumel(const std::vector<int64_t>& dims)
{
    int64_t n = 1;
    for (int64_t d : dims) {
        if (d < 0 || (d > 0 && n > (int64_t(1) << 40) / d))
            return -1;
        n *= d;
    }
    return n;
}

// A TensorProto's values, with every size checked against the bytes present before allocating.
Constant tensorConstant(const onnx::TensorProto& t, const std::string& where)
{
    Constant c;
    c.dims.assign(t.dims().begin(), t.dims().end());
    const int64_t n = safeNumel(c.dims);
    const std::string what = where + ": tensor '" + t.name() + "' (" + dimsText(c.dims) + ")";
    if (n < 0)
        throw FormatError(what + ": invalid dimensions");
    if (t.data_location() == onnx::TensorProto::EXTERNAL)
        throw FormatError(what + ": its data is in an external file, which NetCanvas does not read");
    const size_t count = static_cast<size_t>(n);
    auto checkRaw = [&](size_t elem) {
        if (t.raw_data().size() != count * elem)
            throw FormatError(what + ": " + std::to_string(t.raw_data().size()) + " bytes of data for "
                + std::to_string(n) + " values of " + std::to_string(elem) + " bytes (truncated or corrupt)");
    };
    auto checkCount = [&](int have) {
        if (static_cast<size_t>(have) != count)
            throw FormatError(what + ": " + std::to_string(have) + " values for " + std::to_string(n));
    };
    switch (t.data_type()) {
    case onnx::TensorProto::FLOAT:
        if (t.has_raw_data()) {
            checkRaw(4);
            c.f.resize(count);
            if (count > 0) // an empty tensor: data() may be null
                std::memcpy(c.f.data(), t.raw_data().data(), count * 4);
        } else {
            checkCount(t.float_data_size());
            c.f.assign(t.float_data().begin(), t.float_data().end());
        }
        return c;
    case onnx::TensorProto::DOUBLE:
        if (t.has_raw_data()) {
            checkRaw(8);
            std::vector<double> d(count);
            if (count > 0)
                std::memcpy(d.data(), t.raw_data().data(), count * 8);
            c.f.assign(d.begin(), d.end());
        } else {
            checkCount(t.double_data_size());
            c.f.assign(t.double_data().begin(), t.double_data().end());
        }
        return c;
    case onnx::TensorProto::INT64:
        c.isFloat = false;
        if (t.has_raw_data()) {
            checkRaw(8);
            c.i.resize(count);
            if (count > 0)
                std::memcpy(c.i.data(), t.raw_data().data(), count * 8);
        } else {
            checkCount(t.int64_data_size());
            c.i.assign(t.int64_data().begin(), t.int64_data().end());
        }
        c.batch.assign(count, false);
        return c;
    case onnx::TensorProto::INT32:
    case onnx::TensorProto::BOOL:
        c.isFloat = false;
        if (t.has_raw_data()) {
            const size_t elem = t.data_type() == onnx::TensorProto::BOOL ? 1 : 4;
            checkRaw(elem);
            c.i.resize(count);
            for (size_t k = 0; k < count; ++k) {
                int32_t v = 0;
                std::memcpy(&v, t.raw_data().data() + k * elem, elem);
                c.i[k] = elem == 1 ? (v & 0xff) : v;
            }
        } else {
            checkCount(t.int32_data_size());
            c.i.assign(t.int32_data().begin(), t.int32_data().end());
        }
        c.batch.assign(count, false);
        return c;
    default:
        throw FormatError(what + ": element type " + std::to_string(t.data_type())
            + " is not supported (float, double, int64, int32, bool)");
    }
}

std::string sanitize(const std::string& name)
{
    std::string s;
    for (char ch : name) {
        const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_'
            || ch == '-';
        s += ok ? ch : '_';
    }
    while (!s.empty() && (s.front() == '_' || s.front() == '-'))
        s.erase(s.begin());
    while (!s.empty() && s.back() == '_')
        s.pop_back();
    return s;
}

class ImportContext {
public:
    explicit ImportContext(const onnx::ModelProto& model)
    {
        for (const auto& o : model.opset_import())
            if (o.domain().empty() || o.domain() == "ai.onnx")
                m_opset = o.version();
        for (const auto& n : model.graph().node())
            for (const auto& in : n.input()) {
                ++m_consumers[in];
                m_consumerOps[in].insert(n.op_type());
            }
        for (const auto& out : model.graph().output()) {
            ++m_consumers[out.name()];
            m_consumerOps[out.name()].insert("(graph output)");
        }
    }

    // ---- what a table entry sees ----
    const onnx::NodeProto& node() const { return *m_node; }
    int64_t opset() const { return m_opset; }
    // Whether input i is given (optional inputs may be absent or "").
    bool has(int i) const { return i < m_node->input_size() && !m_node->input(i).empty(); }
    const Value& in(int i) const
    {
        if (!has(i))
            throw Unsupported { "input " + std::to_string(i) + " is missing" };
        return m_values.at(m_node->input(i));
    }
    bool isConst(int i) const { return has(i) && in(i).isConst; }
    const Constant& constant(int i, const char* what) const
    {
        const Value& v = in(i);
        if (!v.isConst)
            throw Unsupported { std::string(what) + " must be a constant (an initializer), not computed" };
        return v.c;
    }
    const Activation& act(int i) const
    {
        const Value& v = in(i);
        if (v.isConst)
            throw Unsupported { "input " + std::to_string(i)
                + " is a constant; NetCanvas layers take tensors computed from the model's input" };
        return v.act;
    }
    void setOutput(int k, Value v)
    {
        if (k < m_node->output_size() && !m_node->output(k).empty())
            m_values[m_node->output(k)] = std::move(v);
    }
    void setOutput(Activation a)
    {
        Value v;
        v.act = std::move(a);
        setOutput(0, std::move(v));
    }
    void setConst(Constant c)
    {
        Value v;
        v.isConst = true;
        v.c = std::move(c);
        setOutput(0, std::move(v));
    }
    // Whether output k is consumed by a node or is a graph output.
    bool outputUsed(int k) const
    {
        return k < m_node->output_size() && !m_node->output(k).empty() && m_consumers.count(m_node->output(k));
    }
    // Whether every consumer of output 0 is an `op` node.
    bool onlyConsumedBy(const std::string& op) const
    {
        const auto it = m_consumerOps.find(m_node->output(0));
        return it != m_consumerOps.end() && it->second == std::set<std::string> { op };
    }
    int consumers(const std::string& value) const
    {
        const auto it = m_consumers.find(value);
        return it == m_consumers.end() ? 0 : it->second;
    }

    const onnx::AttributeProto* attr(const std::string& name) const
    {
        for (const auto& a : m_node->attribute())
            if (a.name() == name)
                return &a;
        return nullptr;
    }
    int64_t attrInt(const std::string& name, int64_t def) const
    {
        const auto* a = attr(name);
        return a ? a->i() : def;
    }
    float attrFloat(const std::string& name, float def) const
    {
        const auto* a = attr(name);
        return a ? a->f() : def;
    }
    std::string attrString(const std::string& name, const std::string& def) const
    {
        const auto* a = attr(name);
        return a ? a->s() : def;
    }
    std::vector<int64_t> attrInts(const std::string& name, std::vector<int64_t> def = {}) const
    {
        const auto* a = attr(name);
        return a ? std::vector<int64_t>(a->ints().begin(), a->ints().end()) : def;
    }

    // Adds a NetCanvas node (id from the ONNX node's name, plus `suffix`) and returns its id;
    // its shape must work (else the node is unsupported, with the layer's reason).
    std::string addLayer(const std::string& type, nlohmann::json params, const std::vector<std::string>& inputs,
        const std::string& suffix = {})
    {
        // PyTorch scopes its names: "/conv1/Conv" is the module conv1's Conv → "conv1".
        std::string name = m_node->name();
        const std::string opSuffix = "/" + m_node->op_type();
        if (const size_t at = name.rfind(opSuffix); at != std::string::npos && at > 0
            && name.find_first_not_of("_0123456789", at + opSuffix.size()) == std::string::npos)
            name = name.substr(0, at);
        std::string base = sanitize(name);
        if (base.empty())
            base = sanitize(m_node->output_size() ? m_node->output(0) : "");
        if (base.empty()) {
            base = m_node->op_type();
            std::transform(base.begin(), base.end(), base.begin(), ::tolower);
        }
        return addNamedLayer(suffix.empty() ? base : base + "_" + suffix, type, std::move(params), inputs);
    }
    std::string addNamedLayer(const std::string& wanted, const std::string& type, nlohmann::json params,
        const std::vector<std::string>& inputs)
    {
        std::string id = wanted;
        for (int k = 2; m_ids.count(id); ++k)
            id = wanted + "_" + std::to_string(k);
        GraphNode n;
        n.id = id;
        n.type = type;
        n.params = std::move(params);
        n.inputs = inputs;
        std::vector<Shape> shapes;
        for (const std::string& i : inputs)
            shapes.push_back(m_shapes.at(i));
        try {
            m_shapes[id] = LayerRegistry::builtin().create(type, id, n.params)->outputShape(shapes);
        } catch (const Error& e) {
            throw Unsupported { e.what() };
        }
        m_ids.insert(id);
        m_graph.addNode(std::move(n));
        return id;
    }
    const Shape& shapeOf(const std::string& id) const { return m_shapes.at(id); }
    void addWeight(const std::string& node, const std::string& param, const Shape& shape, std::vector<float> values)
    {
        m_weights[node + "." + param] = Tensor(shape, std::move(values));
    }
    GraphNode* graphNode(const std::string& id) { return m_graph.node(id); }

    // The id of a node whose output has `a`'s ONNX layout (adds a Flatten or Reshape when the
    // node's own shape differs).
    std::string materialize(const Activation& a, const std::string& valueName)
    {
        if (!a.order.empty() || a.batchAxis != 0)
            throw Unsupported { "'" + valueName
                + "' is a transposed tensor; only Flatten, Reshape to N×K and MatMul/Gemm take one (and the "
                  "sequence patterns of docs/onnx.md)" };
        if (a.ids != 0)
            throw Unsupported { "'" + valueName + "' holds token ids; only a Gather of an initializer takes them" };
        if (a.onnx == a.ours)
            return a.node;
        const auto key = std::make_pair(a.node, a.onnx.toString());
        if (const auto it = m_reshaped.find(key); it != m_reshaped.end())
            return it->second;
        std::string id;
        const std::string name = sanitize(valueName).empty() ? a.node : sanitize(valueName);
        if (a.onnx.rank() == 1) {
            id = addNamedLayer(name + "_flat", "Flatten", nlohmann::json::object(), { a.node });
        } else {
            std::string text;
            for (int d = 0; d < a.onnx.rank(); ++d)
                text += (d ? "x" : "") + std::to_string(a.onnx[d]);
            id = addNamedLayer(name + "_reshape", "Reshape", { { "shape", text } }, { a.node });
        }
        m_reshaped[key] = id;
        return id;
    }
    // materialize() of input i.
    std::string inputNode(int i) { return materialize(act(i), m_node->input(i)); }

    // ---- driving the import ----
    ModelGraph& graph() { return m_graph; }
    std::map<std::string, Tensor>& weights() { return m_weights; }
    std::map<std::string, Value>& values() { return m_values; }
    void setNode(const onnx::NodeProto& n) { m_node = &n; }
    // The Input node takes C×H×W instead (an NHWC input transposed to NCHW right away).
    void redeclareInput(const std::string& id, const Shape& chw)
    {
        m_graph.node(id)->params = { { "channels", chw[0] }, { "height", chw[1] }, { "width", chw[2] } };
        m_shapes[id] = chw;
    }
    void addInput(const std::string& valueName, const Shape& onnxPerSample)
    {
        Shape ours = onnxPerSample;
        if (ours.rank() == 1)
            ours = Shape { 1, 1, ours[0] };
        else if (ours.rank() == 2)
            ours = Shape { 1, ours[0], ours[1] };
        GraphNode n;
        n.id = sanitize(valueName).empty() ? "input" : sanitize(valueName);
        n.type = "Input";
        n.params = { { "channels", ours[0] }, { "height", ours[1] }, { "width", ours[2] } };
        m_ids.insert(n.id);
        m_shapes[n.id] = ours;
        Value v;
        v.act = Activation { n.id, onnxPerSample, ours };
        m_values[valueName] = v;
        m_graph.addNode(std::move(n));
    }

private:
    int64_t m_opset = 1;
    const onnx::NodeProto* m_node = nullptr;
    std::map<std::string, int> m_consumers;
    std::map<std::string, std::set<std::string>> m_consumerOps;
    std::map<std::string, Value> m_values;
    std::map<std::string, Shape> m_shapes;
    std::set<std::string> m_ids;
    std::map<std::pair<std::string, std::string>, std::string> m_reshaped;
    ModelGraph m_graph;
    std::map<std::string, Tensor> m_weights;
};

Shape toShape(const std::vector<int64_t>& dims)
{
    return Shape(dims);
}

// The axis `axis` of a rank-`rank` tensor, made non-negative (Unsupported when out of range).
int64_t normalizeAxis(int64_t axis, int64_t rank)
{
    const int64_t a = axis < 0 ? axis + rank : axis;
    if (a < 0 || a >= rank)
        throw Unsupported { "axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank) };
    return a;
}

// ---- window geometry shared by Conv and the pools ----

struct WindowChoice {
    int64_t kernel = 1, stride = 1;
    std::string padding = "valid";
    int64_t pad = 0;
};

WindowChoice windowOf(ImportContext& c, const Shape& in, const std::vector<int64_t>& kernelShape, bool allowExplicit)
{
    if (in.rank() != 3)
        throw Unsupported { "needs an N\u00d7C\u00d7H\u00d7W input, got N\u00d7" + in.toString() };
    if (kernelShape.size() != 2)
        throw Unsupported { "only 2-D windows are supported (kernel_shape has " + std::to_string(kernelShape.size())
            + " dimensions)" };
    if (kernelShape[0] != kernelShape[1])
        throw Unsupported { "only square kernels are supported (" + dimsText(kernelShape) + ")" };
    const std::vector<int64_t> strides = c.attrInts("strides", { 1, 1 });
    if (strides.size() != 2 || strides[0] != strides[1])
        throw Unsupported { "only equal strides are supported (" + dimsText(strides) + ")" };
    const std::vector<int64_t> dil = c.attrInts("dilations", { 1, 1 });
    for (int64_t d : dil)
        if (d != 1)
            throw Unsupported { "dilation " + dimsText(dil) + " is not supported" };
    if (c.attrInt("ceil_mode", 0) != 0)
        throw Unsupported { "ceil_mode 1 is not supported" };
    WindowChoice w;
    w.kernel = kernelShape[0];
    w.stride = strides[0];
    const std::string autoPad = c.attrString("auto_pad", "NOTSET");
    if (autoPad == "VALID")
        return w;
    if (autoPad == "SAME_UPPER") {
        w.padding = "same";
        return w;
    }
    if (autoPad != "NOTSET")
        throw Unsupported { "auto_pad " + autoPad + " is not supported" };
    const std::vector<int64_t> pads = c.attrInts("pads", { 0, 0, 0, 0 });
    if (pads.size() != 4)
        throw Unsupported { "pads must have 4 values" };
    if (std::all_of(pads.begin(), pads.end(), [](int64_t p) { return p == 0; }))
        return w;
    Window2D same;
    if (computeWindow2D(in[1], in[2], w.kernel, w.stride, "same", 0, in.toString(), same).empty()
        && pads == std::vector<int64_t> { same.padTop, same.padLeft, same.padBottom, same.padRight }) {
        w.padding = "same";
        return w;
    }
    if (allowExplicit && std::all_of(pads.begin(), pads.end(), [&](int64_t p) { return p == pads[0]; })) {
        w.padding = "explicit";
        w.pad = pads[0];
        return w;
    }
    throw Unsupported { "padding " + dimsText(pads) + " is neither none, 'same' nor equal on every side" };
}

// ---- the import table: one function per ONNX op type ----

void importWindow1D(ImportContext& c, const std::string& type); // the sequence patterns, below
void importEmbeddingGather(ImportContext& c);

void importConv(ImportContext& c)
{
    const Activation& x = c.act(0);
    const Constant& w = c.constant(1, "the weight");
    if (w.dims.size() == 3) {
        importWindow1D(c, "Conv1D");
        return;
    }
    if (c.attrInt("group", 1) != 1)
        throw Unsupported { "grouped convolution (group " + std::to_string(c.attrInt("group", 1)) + ")" };
    if (w.dims.size() != 4 || !w.isFloat)
        throw Unsupported { "the weight must be a float F\u00d7C\u00d7k\u00d7k tensor, got " + dimsText(w.dims) };
    const WindowChoice win = windowOf(c, x.onnx, c.attrInts("kernel_shape", { w.dims[2], w.dims[3] }), true);
    if (w.dims[1] != x.onnx[0])
        throw Unsupported { "the weight has " + std::to_string(w.dims[1]) + " input channels, the input "
            + std::to_string(x.onnx[0]) };
    const bool bias = c.has(2);
    if (bias && c.constant(2, "the bias").numel() != w.dims[0])
        throw Unsupported { "the bias has " + std::to_string(c.constant(2, "the bias").numel()) + " values for "
            + std::to_string(w.dims[0]) + " filters" };
    const std::string id = c.addLayer("Conv2D",
        { { "filters", w.dims[0] }, { "kernel", win.kernel }, { "stride", win.stride }, { "padding", win.padding },
            { "pad", win.pad }, { "bias", bias } },
        { c.inputNode(0) });
    c.addWeight(id, "weight", toShape(w.dims), w.f);
    if (bias)
        c.addWeight(id, "bias", Shape { w.dims[0] }, c.constant(2, "the bias").f);
    c.setOutput({ id, c.shapeOf(id), c.shapeOf(id) });
}

// Dense from a weight in units × inputs order (row-major) and an optional bias.
void addDense(
    ImportContext& c, const Activation& x, int64_t units, std::vector<float> weight, const std::vector<float>* bias)
{
    const int64_t inputs = x.ours.numel();
    if (x.batchAxis != 0 || x.ids != 0)
        throw Unsupported { "the input is time-major or token ids" };
    if (static_cast<int64_t>(weight.size()) != units * inputs)
        throw Unsupported { "the weight does not fit " + std::to_string(inputs) + " input features" };
    if (!x.order.empty()) { // the input arrives in the node's order: permute the columns to match
        std::vector<float> w(weight.size());
        for (int64_t u = 0; u < units; ++u)
            for (int64_t i = 0; i < inputs; ++i)
                w[static_cast<size_t>(u * inputs + x.order[static_cast<size_t>(i)])]
                    = weight[static_cast<size_t>(u * inputs + i)];
        weight = std::move(w);
    }
    const std::string id
        = c.addLayer("Dense", { { "units", units }, { "bias", bias != nullptr } }, { x.node }); // Dense flattens
    c.addWeight(id, "weight", Shape { units, inputs }, std::move(weight));
    if (bias)
        c.addWeight(id, "bias", Shape { units }, *bias);
    c.setOutput({ id, c.shapeOf(id), c.shapeOf(id) });
}

std::vector<float> transposed(const std::vector<float>& m, int64_t rows, int64_t cols)
{
    std::vector<float> t(m.size());
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t k = 0; k < cols; ++k)
            t[static_cast<size_t>(k * rows + r)] = m[static_cast<size_t>(r * cols + k)];
    return t;
}

void importGemm(ImportContext& c)
{
    const Activation& x = c.act(0);
    const Constant& b = c.constant(1, "B (the weight)");
    if (c.attrInt("transA", 0) != 0)
        throw Unsupported { "transA 1 is not supported" };
    if (x.onnx.rank() != 1)
        throw Unsupported { "A must be N\u00d7K" };
    if (b.dims.size() != 2 || !b.isFloat)
        throw Unsupported { "B must be a float matrix, got " + dimsText(b.dims) };
    const bool transB = c.attrInt("transB", 0) != 0;
    const int64_t units = transB ? b.dims[0] : b.dims[1];
    std::vector<float> w = transB ? b.f : transposed(b.f, b.dims[0], b.dims[1]);
    const float alpha = c.attrFloat("alpha", 1.0f), beta = c.attrFloat("beta", 1.0f);
    if (alpha != 1.0f)
        for (float& v : w)
            v *= alpha;
    std::vector<float> bias;
    if (c.has(2)) {
        const Constant& bc = c.constant(2, "C (the bias)");
        if (!bc.isFloat || (bc.numel() != units && bc.numel() != 1))
            throw Unsupported { "C must have " + std::to_string(units) + " values (or 1), got " + dimsText(bc.dims) };
        bias.assign(static_cast<size_t>(units), bc.f[0]);
        if (bc.numel() == units)
            bias = bc.f;
        for (float& v : bias)
            v *= beta;
    }
    addDense(c, x, units, std::move(w), c.has(2) ? &bias : nullptr);
}

void importMatMul(ImportContext& c)
{
    const Activation& x = c.act(0);
    const Constant& b = c.constant(1, "the second operand");
    if (x.onnx.rank() == 2 && x.plain() && b.dims.size() == 2 && b.isFloat) { // N×T×F: per step
        if (x.onnx[1] != b.dims[0])
            throw Unsupported { "the matrix has " + std::to_string(b.dims[0]) + " rows for " + std::to_string(x.onnx[1])
                + " features" };
        const std::string id = c.addLayer("TimeDistributedDense", { { "units", b.dims[1] }, { "bias", false } },
            { x.node }); // it reads T×F and 1×T×F alike
        c.addWeight(id, "weight", Shape { b.dims[1], b.dims[0] }, transposed(b.f, b.dims[0], b.dims[1]));
        c.setOutput({ id, c.shapeOf(id), c.shapeOf(id) });
        return;
    }
    if (x.onnx.rank() != 1 || b.dims.size() != 2 || !b.isFloat)
        throw Unsupported { "only N\u00d7K times a constant K\u00d7M matrix is supported" };
    addDense(c, x, b.dims[1], transposed(b.f, b.dims[0], b.dims[1]), nullptr);
}

// Add: two computed tensors of one shape → Add; a computed tensor + a constant → the bias of
// the bias-less Dense or Conv2D that computed the tensor (PyTorch's MatMul + Add).
void importAdd(ImportContext& c)
{
    if (c.isConst(0) || c.isConst(1)) {
        const int ci = c.isConst(0) ? 0 : 1;
        const Activation& x = c.act(1 - ci);
        const Constant& k = c.constant(ci, "the bias");
        GraphNode* producer = c.graphNode(x.node);
        const bool direct = x.onnx == x.ours && c.consumers(c.node().input(1 - ci)) == 1;
        if (!producer || !direct
            || !(producer->type == "Dense" || producer->type == "Conv2D" || producer->type == "TimeDistributedDense")
            || producer->params.value("bias", true))
            throw Unsupported { "adding a constant is supported only as the bias of a MatMul, Gemm or Conv" };
        const int64_t units = producer->type == "Conv2D" ? producer->params["filters"].get<int64_t>()
                                                         : producer->params["units"].get<int64_t>();
        if (!k.isFloat || k.numel() != units)
            throw Unsupported { "the bias has " + std::to_string(k.numel()) + " values for " + std::to_string(units)
                + " outputs" };
        producer->params["bias"] = true;
        c.addWeight(producer->id, "bias", Shape { units }, k.f);
        c.setOutput(x);
        return;
    }
    if (c.act(0).onnx != c.act(1).onnx)
        throw Unsupported { "broadcasting (" + c.act(0).onnx.toString() + " + " + c.act(1).onnx.toString()
            + ") is not supported" };
    const std::string id = c.addLayer("Add", nlohmann::json::object(), { c.inputNode(0), c.inputNode(1) });
    c.setOutput({ id, c.shapeOf(id), c.shapeOf(id) });
}

void importSum(ImportContext& c)
{
    std::vector<std::string> inputs;
    for (int i = 0; i < c.node().input_size(); ++i) {
        if (c.act(i).onnx != c.act(0).onnx)
            throw Unsupported { "broadcasting is not supported" };
        inputs.push_back(c.inputNode(i));
    }
    if (inputs.size() == 1) {
        c.setOutput(c.act(0));
        return;
    }
    const std::string id = c.addLayer("Add", nlohmann::json::object(), inputs);
    c.setOutput({ id, c.shapeOf(id), c.shapeOf(id) });
}

// An element-wise activation keeps its input's layout.
void addElementwise(ImportContext& c, const std::string& type, nlohmann::json params = nlohmann::json::object())
{
    const Activation& x = c.act(0);
    if (x.ids != 0)
        throw Unsupported { "an activation of token ids" };
    const std::string id = c.addLayer(type, std::move(params), { x.node });
    c.setOutput({ id, x.onnx, c.shapeOf(id), x.order, x.batchAxis });
}
void importRelu(ImportContext& c)
{
    addElementwise(c, "ReLU");
}
void importLeakyRelu(ImportContext& c)
{
    addElementwise(c, "LeakyReLU", { { "alpha", c.attrFloat("alpha", 0.01f) } });
}
void importElu(ImportContext& c)
{
    addElementwise(c, "ELU", { { "alpha", c.attrFloat("alpha", 1.0f) } });
}
void importSigmoid(ImportContext& c)
{
    addElementwise(c, "Sigmoid");
}
void importTanh(ImportContext& c)
{
    addElementwise(c, "Tanh");
}

void importSoftmax(ImportContext& c)
{
    const Activation& x = c.act(0);
    const int64_t rank = x.onnx.rank() + 1;
    const int64_t axis = normalizeAxis(c.attrInt("axis", c.opset() >= 13 ? -1 : 1), rank);
    if (x.onnx.rank() == 1 && axis == 1) {
        const std::string id = c.addLayer("Softmax", nlohmann::json::object(), { c.inputNode(0) });
        c.setOutput({ id, x.onnx, c.shapeOf(id) });
    } else if (c.opset() >= 13 && axis == 1) { // over the channels at each position
        const std::string id = c.addLayer("Softmax", nlohmann::json::object(), { c.inputNode(0) });
        c.setOutput({ id, x.onnx, c.shapeOf(id) });
    } else if (c.opset() < 13 && axis == 1 && x.order.empty()) { // over all of a sample's values
        const std::string flat = c.addLayer("Flatten", nlohmann::json::object(), { x.node }, "flatten");
        const std::string id = c.addLayer("Softmax", nlohmann::json::object(), { flat });
        c.setOutput({ id, x.onnx, c.shapeOf(id) });
    } else {
        throw Unsupported { "softmax over axis " + std::to_string(axis) + " of a rank-" + std::to_string(rank)
            + " tensor (NetCanvas normalizes axis 1)" };
    }
}

void importPool(ImportContext& c, const std::string& type)
{
    const Activation& x = c.act(0);
    if (c.outputUsed(1))
        throw Unsupported { "the Indices output is not supported" };
    if (c.attrInt("storage_order", 0) != 0)
        throw Unsupported { "storage_order 1 is not supported" };
    if (c.attrInts("kernel_shape").size() == 1) {
        if (type != "MaxPool2D")
            throw Unsupported { "1-D average pooling (NetCanvas has MaxPool1D only)" };
        importWindow1D(c, "MaxPool1D");
        return;
    }
    const WindowChoice w = windowOf(c, x.onnx, c.attrInts("kernel_shape"), false);
    if (type == "AvgPool2D" && w.padding != "valid" && c.attrInt("count_include_pad", 0) != 0)
        throw Unsupported { "count_include_pad 1 with padding is not supported (padded cells are not counted)" };
    const std::string id = c.addLayer(
        type, { { "pool", w.kernel }, { "stride", w.stride }, { "padding", w.padding } }, { c.inputNode(0) });
    c.setOutput({ id, c.shapeOf(id), c.shapeOf(id) });
}
void importMaxPool(ImportContext& c)
{
    importPool(c, "MaxPool2D");
}
void importAveragePool(ImportContext& c)
{
    importPool(c, "AvgPool2D");
}

void importGlobalAveragePool(ImportContext& c)
{
    const Activation& x = c.act(0);
    if (x.onnx.rank() != 3)
        throw Unsupported { "needs an N\u00d7C\u00d7H\u00d7W input" };
    const std::string id = c.addLayer("GlobalAvgPool2D", nlohmann::json::object(), { c.inputNode(0) });
    c.setOutput({ id, Shape { x.onnx[0], 1, 1 }, c.shapeOf(id) });
}

void importBatchNormalization(ImportContext& c)
{
    const Activation& x = c.act(0);
    if (c.attrInt("training_mode", 0) != 0 || c.outputUsed(1) || c.outputUsed(2))
        throw Unsupported { "training mode (running statistics as outputs) is not supported" };
    const int64_t channels = x.onnx[0];
    const char* names[] = { "gamma", "beta", "running_mean", "running_var" };
    std::vector<std::vector<float>> p;
    for (int i = 1; i <= 4; ++i) {
        const Constant& k = c.constant(i, names[i - 1]);
        if (!k.isFloat || k.numel() != channels)
            throw Unsupported { std::string(names[i - 1]) + " has " + std::to_string(k.numel()) + " values for "
                + std::to_string(channels) + " channels" };
        p.push_back(k.f);
    }
    const double epsilon = std::clamp<double>(c.attrFloat("epsilon", 1e-5f), 1e-12, 1.0);
    const double momentum = std::clamp<double>(1.0 - c.attrFloat("momentum", 0.9f), 0.0, 1.0);
    const std::string id
        = c.addLayer("BatchNorm", { { "epsilon", epsilon }, { "momentum", momentum } }, { c.inputNode(0) });
    for (int i = 0; i < 4; ++i)
        c.addWeight(id, names[i], Shape { channels }, p[static_cast<size_t>(i)]);
    c.setOutput({ id, x.onnx, c.shapeOf(id) });
}

void importDropout(ImportContext& c)
{
    const Activation& x = c.act(0);
    if (c.outputUsed(1))
        throw Unsupported { "the mask output is not supported" };
    float rate = c.attrFloat("ratio", 0.5f);
    if (c.has(1)) {
        const Constant& r = c.constant(1, "the ratio");
        rate = r.isFloat ? r.f.at(0) : static_cast<float>(r.i.at(0));
    }
    if (c.has(2) && c.constant(2, "training_mode").i.at(0) != 0)
        throw Unsupported { "training_mode true is not supported" };
    if (x.ids != 0)
        throw Unsupported { "dropout of token ids" };
    const std::string id = c.addLayer("Dropout", { { "rate", std::clamp<double>(rate, 0.0, 0.999) } }, { x.node });
    c.setOutput({ id, x.onnx, c.shapeOf(id), x.order, x.batchAxis });
}

void importIdentity(ImportContext& c)
{
    c.setOutput(0, c.in(0));
}

// Flattening a batch to N × (the rest).
void flattenTo2D(ImportContext& c, const Activation& x)
{
    if (x.batchAxis != 0 || x.ids != 0)
        throw Unsupported { "flattening a time-major tensor or token ids" };
    const std::string id = c.addLayer("Flatten", nlohmann::json::object(), { x.node });
    c.setOutput({ id, c.shapeOf(id), c.shapeOf(id), x.order }); // the order survives flattening
}

void importFlatten(ImportContext& c)
{
    if (c.isConst(0)) {
        Constant k = c.in(0).c;
        const int64_t axis = normalizeAxis(c.attrInt("axis", 1), static_cast<int64_t>(k.dims.size()) + 1);
        int64_t outer = 1;
        for (int64_t d = 0; d < axis; ++d)
            outer *= k.dims[static_cast<size_t>(d)];
        k.dims = { outer, outer ? k.numel() / outer : 0 };
        c.setConst(std::move(k));
        return;
    }
    if (normalizeAxis(c.attrInt("axis", 1), c.act(0).onnx.rank() + 1) != 1)
        throw Unsupported { "only axis 1 (keep the batch) is supported" };
    flattenTo2D(c, c.act(0));
}

// known × d over a target shape's known dimensions: Unsupported when d is negative or the
// product passes 2^40 values (a fuzzed shape overflowed int64).
int64_t timesDim(int64_t known, int64_t d, const std::vector<int64_t>& shape)
{
    if (d < 0 || (d > 0 && known > (int64_t(1) << 40) / d))
        throw Unsupported { "shape " + dimsText(shape) + " is not a valid size" };
    return known * d;
}

// Reshape with a folded target: the batch stays first, the rest becomes Flatten (one
// dimension) or Reshape (more).
void importReshape(ImportContext& c)
{
    const Constant& s = c.constant(1, "the shape");
    if (s.isFloat)
        throw Unsupported { "the shape must be integers" };
    if (c.isConst(0)) {
        Constant k = c.in(0).c;
        std::vector<int64_t> dims = s.i;
        int64_t known = 1, unknown = -1;
        for (size_t d = 0; d < dims.size(); ++d) {
            if (s.batch[d])
                throw Unsupported { "reshaping a constant to the batch size" };
            if (dims[d] == 0 && d < k.dims.size())
                dims[d] = k.dims[d];
            if (dims[d] == -1)
                unknown = static_cast<int64_t>(d);
            else
                known = timesDim(known, dims[d], s.i);
        }
        if (unknown >= 0 && known > 0)
            dims[static_cast<size_t>(unknown)] = k.numel() / known;
        if (safeNumel(dims) != k.numel())
            throw Unsupported { "shape " + dimsText(dims) + " does not fit " + std::to_string(k.numel()) + " values" };
        k.dims = dims;
        c.setConst(std::move(k));
        return;
    }
    const Activation& x = c.act(0);
    if (x.batchAxis != 0 || x.ids != 0)
        throw Unsupported { "reshaping a time-major tensor or token ids" };
    const size_t r = s.i.size();
    if (r < 2)
        throw Unsupported { "the result must keep the batch as its first dimension" };
    const bool batchFirst = s.batch[0] || s.i[0] == 0 || s.i[0] == -1;
    if (!batchFirst)
        throw Unsupported { "the result must keep the batch as its first dimension (shape " + dimsText(s.i) + ")" };
    std::vector<int64_t> dims;
    int64_t known = 1, unknown = -1;
    for (size_t d = 1; d < r; ++d) {
        int64_t v = s.i[d];
        if (s.batch[d])
            throw Unsupported { "the batch size may only be the first dimension" };
        if (v == 0) {
            if (static_cast<int>(d) - 1 >= x.onnx.rank())
                throw Unsupported { "a 0 in the shape has no input dimension to copy" };
            v = x.onnx[static_cast<int>(d) - 1];
        }
        if (v == -1) {
            if (unknown >= 0 || s.i[0] == -1)
                throw Unsupported { "more than one unknown (-1) dimension" };
            unknown = static_cast<int64_t>(dims.size());
        } else {
            known = timesDim(known, v, s.i);
        }
        dims.push_back(v);
    }
    const int64_t n = x.onnx.numel();
    if (unknown >= 0) {
        if (known <= 0 || n % known != 0)
            throw Unsupported { "shape " + dimsText(s.i) + " does not fit " + std::to_string(n)
                + " values per sample" };
        dims[static_cast<size_t>(unknown)] = n / known;
    } else if (known != n) {
        throw Unsupported { "shape " + dimsText(s.i) + " changes the batch size (" + std::to_string(n)
            + " values per sample)" };
    }
    // The node's own layout (or it without leading 1s, which the sequence layers read alike):
    // no node; materialize() adds one where a consumer needs the ONNX shape.
    const Shape target(dims);
    bool sameValues = x.order.empty() && x.ours.rank() >= target.rank();
    for (int d = 0; sameValues && d < x.ours.rank(); ++d) {
        const int t = d - (x.ours.rank() - target.rank());
        sameValues = t < 0 ? x.ours[d] == 1 : x.ours[d] == target[t];
    }
    if (sameValues) {
        c.setOutput({ x.node, target, x.ours });
        return;
    }
    if (dims.size() == 1) {
        flattenTo2D(c, x);
        return;
    }
    if (dims.size() > 3)
        throw Unsupported { "more than 3 dimensions per sample" };
    if (!x.order.empty())
        throw Unsupported { "reshaping a transposed tensor to more than N\u00d7K" };
    std::string text;
    for (size_t d = 0; d < dims.size(); ++d)
        text += (d ? "x" : "") + std::to_string(dims[d]);
    const std::string id = c.addLayer("Reshape", { { "shape", text } }, { x.node });
    c.setOutput({ id, c.shapeOf(id), c.shapeOf(id) });
}

void importConcat(ImportContext& c)
{
    const int n = c.node().input_size();
    bool allConst = true, anyConst = false;
    for (int i = 0; i < n; ++i) {
        allConst = allConst && c.isConst(i);
        anyConst = anyConst || c.isConst(i);
    }
    if (allConst) { // shape arithmetic: rank-1 integer vectors
        Constant out;
        out.isFloat = false;
        for (int i = 0; i < n; ++i) {
            const Constant& k = c.in(i).c;
            if (k.isFloat || k.dims.size() != 1)
                throw Unsupported { "only 1-D integer constants are concatenated at import" };
            out.i.insert(out.i.end(), k.i.begin(), k.i.end());
            out.batch.insert(out.batch.end(), k.batch.begin(), k.batch.end());
        }
        out.dims = { static_cast<int64_t>(out.i.size()) };
        c.setConst(std::move(out));
        return;
    }
    if (anyConst)
        throw Unsupported { "concatenating constants with computed tensors" };
    const int64_t axis = normalizeAxis(c.attrInt("axis", 1), c.act(0).onnx.rank() + 1);
    if (axis != 1)
        throw Unsupported { "only axis 1 (channels or features) is supported" };
    std::vector<std::string> inputs;
    for (int i = 0; i < n; ++i)
        inputs.push_back(c.inputNode(i));
    if (inputs.size() == 1) {
        c.setOutput(c.act(0));
        return;
    }
    const std::string id = c.addLayer("Concat", nlohmann::json::object(), inputs);
    c.setOutput({ id, c.shapeOf(id), c.shapeOf(id) });
}

// ---- constant folding of shape arithmetic ----

void importShape(ImportContext& c)
{
    Constant k;
    k.isFloat = false;
    if (c.isConst(0)) {
        k.i = c.in(0).c.dims;
        k.batch.assign(k.i.size(), false);
    } else {
        const Activation& x = c.act(0);
        k.i.push_back(0);
        k.batch.push_back(true);
        for (int d = 0; d < x.onnx.rank(); ++d) {
            k.i.push_back(x.onnx[d]);
            k.batch.push_back(false);
        }
    }
    const int64_t r = static_cast<int64_t>(k.i.size());
    int64_t start = c.attrInt("start", 0), end = c.attrInt("end", r);
    start = std::clamp<int64_t>(start < 0 ? start + r : start, 0, r);
    end = std::clamp<int64_t>(end < 0 ? end + r : end, 0, r);
    Constant out;
    out.isFloat = false;
    for (int64_t d = start; d < end; ++d) {
        out.i.push_back(k.i[static_cast<size_t>(d)]);
        out.batch.push_back(k.batch[static_cast<size_t>(d)]);
    }
    out.dims = { static_cast<int64_t>(out.i.size()) };
    c.setConst(std::move(out));
}

void importConstant(ImportContext& c)
{
    Constant k;
    if (const auto* a = c.attr("value")) {
        k = tensorConstant(a->t(), "Constant '" + c.node().name() + "'");
    } else if (const auto* af = c.attr("value_float")) {
        k.f = { af->f() };
    } else if (const auto* afs = c.attr("value_floats")) {
        k.f.assign(afs->floats().begin(), afs->floats().end());
        k.dims = { static_cast<int64_t>(k.f.size()) };
    } else if (const auto* ai = c.attr("value_int")) {
        k.isFloat = false;
        k.i = { ai->i() };
        k.batch = { false };
    } else if (const auto* ais = c.attr("value_ints")) {
        k.isFloat = false;
        k.i.assign(ais->ints().begin(), ais->ints().end());
        k.batch.assign(k.i.size(), false);
        k.dims = { static_cast<int64_t>(k.i.size()) };
    } else {
        throw Unsupported { "only tensor, float and int values are supported" };
    }
    c.setConst(std::move(k));
}

// Gather on a 1-D integer constant (an entry of a shape).
void importGather(ImportContext& c)
{
    if (c.isConst(0) && c.has(1) && !c.isConst(1)) {
        importEmbeddingGather(c);
        return;
    }
    if (!c.isConst(0))
        throw Unsupported { "gathering from a computed tensor" };
    const Constant& data = c.in(0).c;
    const Constant& idx = c.constant(1, "the indices");
    if (data.isFloat || data.dims.size() != 1 || c.attrInt("axis", 0) != 0 || idx.isFloat)
        throw Unsupported { "only indexing a 1-D integer constant (a shape) is folded" };
    Constant out;
    out.isFloat = false;
    out.dims = idx.dims;
    const int64_t n = data.numel();
    for (int64_t i : idx.i) {
        const int64_t j = i < 0 ? i + n : i;
        if (j < 0 || j >= n)
            throw Unsupported { "index " + std::to_string(i) + " is out of range" };
        out.i.push_back(data.i[static_cast<size_t>(j)]);
        out.batch.push_back(data.batch[static_cast<size_t>(j)]);
    }
    c.setConst(std::move(out));
}

std::vector<int64_t> axesOf(ImportContext& c)
{
    if (c.opset() >= 13 && c.has(1))
        return c.constant(1, "the axes").i;
    return c.attrInts("axes");
}

void importUnsqueeze(ImportContext& c)
{
    if (!c.isConst(0))
        throw Unsupported { "unsqueezing a computed tensor" };
    Constant k = c.in(0).c;
    const std::vector<int64_t> axes = axesOf(c);
    const int64_t rank = static_cast<int64_t>(k.dims.size() + axes.size());
    std::vector<bool> at(static_cast<size_t>(rank), false);
    for (int64_t a : axes)
        at[static_cast<size_t>(normalizeAxis(a, rank))] = true;
    std::vector<int64_t> dims;
    size_t src = 0;
    for (int64_t d = 0; d < rank; ++d)
        dims.push_back(at[static_cast<size_t>(d)] ? 1 : k.dims.at(src++));
    k.dims = dims;
    c.setConst(std::move(k));
}

void importSqueeze(ImportContext& c)
{
    if (!c.isConst(0))
        throw Unsupported { "squeezing a computed tensor" };
    Constant k = c.in(0).c;
    const std::vector<int64_t> axes = axesOf(c);
    std::vector<int64_t> dims;
    for (int64_t d = 0; d < static_cast<int64_t>(k.dims.size()); ++d) {
        bool drop = axes.empty() ? k.dims[static_cast<size_t>(d)] == 1 : false;
        for (int64_t a : axes)
            drop = drop || normalizeAxis(a, static_cast<int64_t>(k.dims.size())) == d;
        if (!drop)
            dims.push_back(k.dims[static_cast<size_t>(d)]);
    }
    k.dims = dims;
    c.setConst(std::move(k));
}

void importCast(ImportContext& c)
{
    const int64_t to = c.attrInt("to", onnx::TensorProto::FLOAT);
    if (!c.isConst(0) && (to == onnx::TensorProto::INT64 || to == onnx::TensorProto::INT32)) {
        Activation x = c.act(0);
        if (x.ids != 1 || !c.onlyConsumedBy("Gather"))
            throw Unsupported { "casting a computed tensor to integers is imported only for rounded token ids "
                                "gathered by an Embedding (Round, Cast, Gather)" };
        x.ids = 2;
        c.setOutput(std::move(x));
        return;
    }
    if (!c.isConst(0)) {
        if (to != onnx::TensorProto::FLOAT)
            throw Unsupported { "casting a computed tensor to a type other than float" };
        c.setOutput(0, c.in(0));
        return;
    }
    Constant k = c.in(0).c;
    if (to == onnx::TensorProto::FLOAT || to == onnx::TensorProto::DOUBLE) {
        if (!k.isFloat) {
            if (std::find(k.batch.begin(), k.batch.end(), true) != k.batch.end())
                throw Unsupported { "the batch size as a float" };
            k.f.assign(k.i.begin(), k.i.end());
            k.i.clear();
            k.batch.clear();
            k.isFloat = true;
        }
    } else if (to == onnx::TensorProto::INT64 || to == onnx::TensorProto::INT32) {
        if (k.isFloat) {
            for (float v : k.f)
                k.i.push_back(static_cast<int64_t>(v));
            k.batch.assign(k.i.size(), false);
            k.f.clear();
            k.isFloat = false;
        }
    } else {
        throw Unsupported { "cast to type " + std::to_string(to) };
    }
    c.setConst(std::move(k));
}

// Slice of a 1-D integer constant (opset 10+: starts, ends, axes, steps as inputs).
void importSlice(ImportContext& c)
{
    if (!c.isConst(0) || c.in(0).c.isFloat || c.in(0).c.dims.size() != 1)
        throw Unsupported { "only slices of a 1-D integer constant (a shape) are folded" };
    const Constant& k = c.in(0).c;
    std::vector<int64_t> starts, ends, steps { 1 };
    if (c.opset() >= 10) {
        starts = c.constant(1, "starts").i;
        ends = c.constant(2, "ends").i;
        if (c.has(4))
            steps = c.constant(4, "steps").i;
    } else {
        starts = c.attrInts("starts");
        ends = c.attrInts("ends");
    }
    if (starts.size() != 1 || ends.size() != 1 || steps.size() != 1 || steps[0] != 1)
        throw Unsupported { "only one axis with step 1 is folded" };
    const int64_t n = k.numel();
    int64_t s = starts[0] < 0 ? starts[0] + n : starts[0];
    int64_t e = ends[0] < 0 ? ends[0] + n : ends[0];
    s = std::clamp<int64_t>(s, 0, n);
    e = std::clamp<int64_t>(e, 0, n);
    Constant out;
    out.isFloat = false;
    for (int64_t d = s; d < e; ++d) {
        out.i.push_back(k.i[static_cast<size_t>(d)]);
        out.batch.push_back(k.batch[static_cast<size_t>(d)]);
    }
    out.dims = { static_cast<int64_t>(out.i.size()) };
    c.setConst(std::move(out));
}

// A computed tensor transposed: the same node, its values seen in another order (Activation's
// `order`, composed with any earlier one) and its batch axis moved. Layers take the result
// where they read that order: Flatten/Dense (NHWC before flattening), the 1-D convolution and
// pooling (N×F×T), the recurrent ops (T×N×F).
Activation transposeActivation(const Activation& x, const std::vector<int64_t>& perm)
{
    if (x.ids != 0)
        throw Unsupported { "transposing token ids" };
    const int64_t rank = x.onnx.rank() + 1;
    std::vector<int64_t> seen(static_cast<size_t>(rank), 0);
    for (int64_t p : perm)
        if (p < 0 || p >= rank || seen[static_cast<size_t>(p)]++)
            throw Unsupported { "perm " + dimsText(perm) + " is not a permutation of " + std::to_string(rank)
                + " axes" };
    if (static_cast<int64_t>(perm.size()) != rank)
        throw Unsupported { "perm " + dimsText(perm) + " is not a permutation of " + std::to_string(rank) + " axes" };
    Activation t { x.node, Shape {}, x.ours, {} };
    std::vector<int64_t> from; // per-sample axis k of the result is per-sample axis from[k] of x
    for (int64_t j = 0; j < rank; ++j) {
        const int64_t a = perm[static_cast<size_t>(j)];
        if (a == x.batchAxis)
            t.batchAxis = static_cast<int>(j);
        else
            from.push_back(a < x.batchAxis ? a : a - 1);
    }
    std::vector<int64_t> dims, inStride(static_cast<size_t>(x.onnx.rank()), 1);
    for (int d = x.onnx.rank() - 2; d >= 0; --d)
        inStride[static_cast<size_t>(d)] = inStride[static_cast<size_t>(d) + 1] * x.onnx[d + 1];
    for (int64_t f : from)
        dims.push_back(x.onnx[static_cast<int>(f)]);
    t.onnx = Shape(dims);
    const int64_t n = x.onnx.numel();
    std::vector<int64_t> order(static_cast<size_t>(n));
    bool identity = true;
    std::vector<int64_t> idx(dims.size(), 0);
    for (int64_t i = 0; i < n; ++i) {
        int64_t src = 0;
        for (size_t k = 0; k < dims.size(); ++k)
            src += idx[k] * inStride[static_cast<size_t>(from[k])];
        const int64_t node = x.order.empty() ? src : x.order[static_cast<size_t>(src)];
        order[static_cast<size_t>(i)] = node;
        identity = identity && node == i;
        for (size_t k = dims.size(); k-- > 0;) { // next index, row-major
            if (++idx[k] < dims[k])
                break;
            idx[k] = 0;
        }
    }
    if (!identity)
        t.order = std::move(order);
    return t;
}

// Transpose of a constant matrix (PyTorch writes Transpose + MatMul for a bias-less Linear).
void importTranspose(ImportContext& c)
{
    if (!c.isConst(0)) { // Keras (tf2onnx): NHWC in, NCHW for the convolutions, NHWC to flatten
        const Activation& x = c.act(0);
        std::vector<int64_t> perm = c.attrInts("perm");
        for (int64_t d = x.onnx.rank(); perm.empty() && d >= 0; --d) // default: reverse the axes
            perm.push_back(d);
        const bool plain = x.plain() && x.onnx == x.ours && x.onnx.rank() == 3;
        if (plain && perm == std::vector<int64_t> { 0, 3, 1, 2 } && c.graphNode(x.node)->type == "Input"
            && c.consumers(c.node().input(0)) == 1) {
            const Shape chw { x.onnx[2], x.onnx[0], x.onnx[1] }; // the model now takes N×C×H×W
            c.redeclareInput(x.node, chw);
            c.setOutput({ x.node, chw, chw });
            return;
        }
        c.setOutput(transposeActivation(x, perm));
        return;
    }
    Constant k = c.in(0).c;
    const std::vector<int64_t> perm = c.attrInts("perm", { 1, 0 });
    if (k.dims.size() != 2 || !k.isFloat || perm != std::vector<int64_t> { 1, 0 })
        throw Unsupported { "only float matrices are transposed at import" };
    k.f = transposed(k.f, k.dims[0], k.dims[1]);
    std::swap(k.dims[0], k.dims[1]);
    c.setConst(std::move(k));
}

// Pad by nothing (PyTorch writes one before an AveragePool) is the identity; real padding is not
// supported as a node of its own.
void importPad(ImportContext& c)
{
    const std::vector<int64_t> pads = c.opset() >= 11 ? c.constant(1, "the pads").i : c.attrInts("pads");
    if (!std::all_of(pads.begin(), pads.end(), [](int64_t p) { return p == 0; }))
        throw Unsupported { "padding " + dimsText(pads) + " as a separate node (only Conv and pooling pad)" };
    c.setOutput(0, c.in(0));
}

// ---- the sequence patterns (docs/onnx.md): what the export writes for the sequence kinds ----

// value i of an ONNX F×T sample is value order[i] of the node's T×F
std::vector<int64_t> stepsFeaturesTransposed(int64_t steps, int64_t features)
{
    std::vector<int64_t> order(static_cast<size_t>(steps * features));
    for (int64_t f = 0; f < features; ++f)
        for (int64_t t = 0; t < steps; ++t)
            order[static_cast<size_t>(f * steps + t)] = t * features + f;
    return order;
}

// Conv / MaxPool with a 1-D window over N×F×T that is a sequence node's T×F transposed (the
// Transpose before it): Conv1D / MaxPool1D, whose output is seen transposed the same way
// (the Transpose after it gives back the node's T'×F').
void importWindow1D(ImportContext& c, const std::string& type)
{
    const Activation& x = c.act(0);
    SequenceDims d;
    if (x.onnx.rank() != 2 || x.batchAxis != 0 || x.ids != 0 || !sequenceDims(x.ours, d) || x.onnx[0] != d.features
        || x.order != stepsFeaturesTransposed(d.steps, d.features))
        throw Unsupported { "a 1-D window is imported only over a sequence (N\u00d7T\u00d7F) transposed to "
                            "N\u00d7F\u00d7T" };
    if (type == "MaxPool1D" && (c.outputUsed(1) || c.attrInt("storage_order", 0) != 0))
        throw Unsupported { "the Indices output (storage_order) is not supported" };
    if (c.attrInt("ceil_mode", 0) != 0)
        throw Unsupported { "ceil_mode 1 is not supported" };
    if (c.attrInt("group", 1) != 1)
        throw Unsupported { "grouped convolution (group " + std::to_string(c.attrInt("group", 1)) + ")" };
    const Constant* w = type == "Conv1D" ? &c.constant(1, "the weight") : nullptr;
    if (w && (!w->isFloat || w->dims[1] != d.features))
        throw Unsupported { "the weight must be a float filters\u00d7" + std::to_string(d.features)
            + "\u00d7k tensor, got " + dimsText(w->dims) };
    const std::vector<int64_t> kernel
        = c.attrInts("kernel_shape", w ? std::vector<int64_t> { w->dims[2] } : std::vector<int64_t> {});
    const std::vector<int64_t> strides = c.attrInts("strides", { 1 }), dil = c.attrInts("dilations", { 1 });
    if (kernel.size() != 1 || strides.size() != 1 || dil != std::vector<int64_t> { 1 })
        throw Unsupported { "only a 1-D window without dilation (kernel " + dimsText(kernel) + ", dilations "
            + dimsText(dil) + ")" };
    std::string padding = "valid";
    const std::string autoPad = c.attrString("auto_pad", "NOTSET");
    const std::vector<int64_t> pads = c.attrInts("pads", { 0, 0 });
    Window1D same;
    if (autoPad == "SAME_UPPER") {
        padding = "same";
    } else if (autoPad != "NOTSET" && autoPad != "VALID") {
        throw Unsupported { "auto_pad " + autoPad + " is not supported" };
    } else if (autoPad == "NOTSET" && pads != std::vector<int64_t> { 0, 0 }) {
        if (!computeWindow1D(d.steps, kernel[0], strides[0], "same", same).empty()
            || pads != std::vector<int64_t> { same.padFront, same.padBack })
            throw Unsupported { "padding " + dimsText(pads) + " is neither none nor 'same'" };
        padding = "same";
    }
    nlohmann::json params = { { "stride", strides[0] }, { "padding", padding } };
    if (w) {
        params["filters"] = w->dims[0];
        params["kernel"] = kernel[0];
        params["bias"] = c.has(2);
    } else {
        params["pool"] = kernel[0];
    }
    const std::string id = c.addLayer(type, params, { x.node });
    if (w) {
        c.addWeight(id, "weight", toShape(w->dims), w->f);
        if (c.has(2)) {
            const Constant& b = c.constant(2, "the bias");
            if (!b.isFloat || b.numel() != w->dims[0])
                throw Unsupported { "the bias has " + std::to_string(b.numel()) + " values" };
            c.addWeight(id, "bias", Shape { w->dims[0] }, b.f);
        }
    }
    const Shape out = c.shapeOf(id); // T'×F'
    c.setOutput({ id, Shape { out[1], out[0] }, out, stepsFeaturesTransposed(out[0], out[1]) });
}

// ReduceMean / ReduceMax over the steps of N×T×F: GlobalAvgPool1D / GlobalMaxPool1D.
void importReduce(ImportContext& c, const std::string& type)
{
    const Activation& x = c.act(0);
    SequenceDims d;
    if (x.onnx.rank() != 2 || !x.plain() || !sequenceDims(x.ours, d))
        throw Unsupported { "only a reduction over the steps of an N\u00d7T\u00d7F sequence is supported" };
    std::vector<int64_t> axes = c.has(1) ? c.constant(1, "the axes").i : c.attrInts("axes");
    if (axes.size() != 1 || normalizeAxis(axes[0], 3) != 1)
        throw Unsupported { "only the reduction over axis 1 (the steps) is supported (axes " + dimsText(axes) + ")" };
    const std::string id = c.addLayer(type, nlohmann::json::object(), { x.node });
    const Shape out = c.shapeOf(id);
    c.setOutput({ id, c.attrInt("keepdims", 1) ? Shape { 1, out[0] } : out, out });
}
void importReduceMean(ImportContext& c)
{
    importReduce(c, "GlobalAvgPool1D");
}
void importReduceMax(ImportContext& c)
{
    importReduce(c, "GlobalMaxPool1D");
}

// Round of the model's input, only as the ids of an Embedding (Round → Cast → Gather).
void importRound(ImportContext& c)
{
    Activation x = c.act(0);
    if (!x.plain() || !c.onlyConsumedBy("Cast"))
        throw Unsupported { "Round is imported only on token ids before a Cast to integers (an Embedding)" };
    x.ids = 1;
    c.setOutput(std::move(x));
}

// Gather of an initializer's rows by rounded ids: Embedding (the layer rounds its float ids).
void importEmbeddingGather(ImportContext& c)
{
    const Constant& table = c.constant(0, "the table");
    const Activation& x = c.act(1);
    if (x.ids != 2 || !x.order.empty() || x.batchAxis != 0)
        throw Unsupported { "the indices must be the model's input rounded and cast to integers (Round, Cast)" };
    if (!table.isFloat || table.dims.size() != 2 || c.attrInt("axis", 0) != 0)
        throw Unsupported { "only rows (axis 0) of a float vocab\u00d7dim matrix are gathered" };
    const std::string id
        = c.addLayer("Embedding", { { "vocab", table.dims[0] }, { "dim", table.dims[1] } }, { x.node });
    c.addWeight(id, "weight", toShape(table.dims), table.f);
    std::vector<int64_t> dims;
    for (int k = 0; k < x.onnx.rank(); ++k)
        dims.push_back(x.onnx[k]);
    dims.push_back(table.dims[1]);
    c.setOutput({ id, Shape(dims), c.shapeOf(id) });
}

// RNN / LSTM / GRU over X = a sequence node's values transposed to T×N×F (layout 0), with
// PyTorch's cell (the defaults: RNN tanh; LSTM σ, tanh, tanh, no peepholes; GRU σ, tanh and
// linear_before_reset = 1), a zero initial state, forward or bidirectional. ONNX gate blocks
// go back to PyTorch's order: our block oursFromOnnx[k] is ONNX block k. Y (T×D×N×H) gives
// return_sequences, Y_h (D×N×H) the final states; the Transposes and Reshape after them give
// back the node's N×T×(D·H) or N×(D·H).
void importRecurrent(ImportContext& c, const std::string& type, const std::vector<int>& oursFromOnnx,
    const std::vector<std::string>& activations)
{
    const Activation& x = c.act(0);
    if (x.batchAxis != 1 || !x.order.empty() || x.ids != 0 || x.onnx.rank() != 2)
        throw Unsupported { "X must be an N\u00d7T\u00d7F sequence transposed to T\u00d7N\u00d7F" };
    if (c.attrInt("layout", 0) != 0)
        throw Unsupported { "layout 1 is not supported" };
    const char* optional[] = { "sequence_lens", "initial_h", "initial_c", "P (peepholes)" };
    for (int i = 4; i < c.node().input_size(); ++i)
        if (c.has(i))
            throw Unsupported { std::string(optional[i - 4]) + " is not supported (NetCanvas starts from zero)" };
    if (c.attr("clip") || c.attr("activation_alpha") || c.attr("activation_beta") || c.attrInt("input_forget", 0))
        throw Unsupported { "clip, input_forget and activation parameters are not supported" };
    if (type == "GRU" && c.attrInt("linear_before_reset", 0) != 1)
        throw Unsupported { "linear_before_reset 0 is not supported (NetCanvas' GRU is PyTorch's: 1)" };
    const std::string direction = c.attrString("direction", "forward");
    if (direction != "forward" && direction != "bidirectional")
        throw Unsupported { "direction " + direction + " is not supported" };
    const int64_t D = direction == "bidirectional" ? 2 : 1;
    if (const auto* a = c.attr("activations")) {
        std::vector<std::string> expect;
        for (int64_t k = 0; k < D; ++k)
            expect.insert(expect.end(), activations.begin(), activations.end());
        std::vector<std::string> got(a->strings().begin(), a->strings().end());
        for (std::string& g : got)
            std::transform(g.begin(), g.end(), g.begin(), ::tolower);
        for (std::string& e : expect)
            std::transform(e.begin(), e.end(), e.begin(), ::tolower);
        if (got != expect)
            throw Unsupported { "activations other than the default ones are not supported" };
    }
    const int64_t steps = x.onnx[0], F = x.onnx[1], G = static_cast<int64_t>(oursFromOnnx.size());
    const Constant& W = c.constant(1, "W");
    const Constant& R = c.constant(2, "R");
    if (!W.isFloat || !R.isFloat || W.dims.size() != 3 || R.dims.size() != 3 || W.dims[0] != D || R.dims[0] != D)
        throw Unsupported { "W and R must be float D\u00d7G\u00b7H\u00d7F and D\u00d7G\u00b7H\u00d7H tensors" };
    const int64_t H = R.dims[2];
    if (W.dims[1] != G * H || W.dims[2] != F || R.dims[1] != G * H || c.attrInt("hidden_size", H) != H)
        throw Unsupported { "W " + dimsText(W.dims) + " and R " + dimsText(R.dims) + " do not fit " + std::to_string(F)
            + " features and " + std::to_string(H) + " units" };
    std::vector<float> B(static_cast<size_t>(D * 2 * G * H), 0.0f);
    if (c.has(3)) {
        const Constant& b = c.constant(3, "B");
        if (!b.isFloat || b.numel() != D * 2 * G * H)
            throw Unsupported { "B must have D\u00b72\u00b7G\u00b7H values, got " + dimsText(b.dims) };
        B = b.f;
    }
    const bool seq = c.outputUsed(0), last = c.outputUsed(1);
    if (c.outputUsed(2))
        throw Unsupported { "the cell state output Y_c is not supported" };
    if (seq == last)
        throw Unsupported { "exactly one of Y and Y_h must be used (a layer gives one of them)" };
    const std::string id
        = c.addLayer(type, { { "units", H }, { "return_sequences", seq }, { "bidirectional", D == 2 } }, { x.node });
    // ONNX block k (rows k·H …) of direction dir becomes our block oursFromOnnx[k].
    auto blocks = [&](const std::vector<float>& src, int64_t dir, int64_t part, int64_t parts, int64_t cols) {
        std::vector<float> out(static_cast<size_t>(G * H * cols));
        const float* base = src.data() + (dir * parts + part) * G * H * cols;
        for (int64_t k = 0; k < G; ++k)
            std::copy(base + k * H * cols, base + (k + 1) * H * cols, out.begin() + oursFromOnnx[k] * H * cols);
        return out;
    };
    for (int64_t dir = 0; dir < D; ++dir) {
        const std::string sfx = dir == 1 ? "_reverse" : "";
        c.addWeight(id, "weight_ih" + sfx, Shape { G * H, F }, blocks(W.f, dir, 0, 1, F));
        c.addWeight(id, "weight_hh" + sfx, Shape { G * H, H }, blocks(R.f, dir, 0, 1, H));
        c.addWeight(id, "bias_ih" + sfx, Shape { G * H }, blocks(B, dir, 0, 2, 1));
        c.addWeight(id, "bias_hh" + sfx, Shape { G * H }, blocks(B, dir, 1, 2, 1));
    }
    Value v;
    if (seq) {
        v.act = Activation { id, Shape { steps, D, H }, c.shapeOf(id), {}, 2 };
        c.setOutput(0, std::move(v));
    } else {
        v.act = Activation { id, Shape { D, H }, c.shapeOf(id), {}, 1 };
        c.setOutput(1, std::move(v));
    }
}
void importRNN(ImportContext& c)
{
    importRecurrent(c, "SimpleRNN", { 0 }, { "Tanh" });
}
void importLSTM(ImportContext& c)
{
    importRecurrent(c, "LSTM", { 0, 3, 1, 2 }, { "Sigmoid", "Tanh", "Tanh" }); // ONNX i, o, f, c
}
void importGRU(ImportContext& c)
{
    importRecurrent(c, "GRU", { 1, 0, 2 }, { "Sigmoid", "Tanh" }); // ONNX z, r, h
}

using ImportFn = void (*)(ImportContext&);

// ONNX op type → its import. Adding an op: a function above and one line here.
const std::map<std::string, ImportFn>& importTable()
{
    static const std::map<std::string, ImportFn> table {
        { "Conv", importConv },
        { "Gemm", importGemm },
        { "MatMul", importMatMul },
        { "Add", importAdd },
        { "Sum", importSum },
        { "Relu", importRelu },
        { "LeakyRelu", importLeakyRelu },
        { "Elu", importElu },
        { "Sigmoid", importSigmoid },
        { "Tanh", importTanh },
        { "Softmax", importSoftmax },
        { "MaxPool", importMaxPool },
        { "AveragePool", importAveragePool },
        { "GlobalAveragePool", importGlobalAveragePool },
        { "BatchNormalization", importBatchNormalization },
        { "Dropout", importDropout },
        { "Flatten", importFlatten },
        { "Reshape", importReshape },
        { "Concat", importConcat },
        { "Identity", importIdentity },
        { "Pad", importPad },
        { "Transpose", importTranspose },
        { "Constant", importConstant },
        { "Shape", importShape },
        { "Gather", importGather },
        { "Unsqueeze", importUnsqueeze },
        { "Squeeze", importSqueeze },
        { "Cast", importCast },
        { "Slice", importSlice },
        { "Round", importRound },
        { "ReduceMean", importReduceMean },
        { "ReduceMax", importReduceMax },
        { "RNN", importRNN },
        { "LSTM", importLSTM },
        { "GRU", importGRU },
    };
    return table;
}

std::string nodeLabel(const onnx::NodeProto& n, int index)
{
    const std::string name = n.name().empty() ? "#" + std::to_string(index) : n.name();
    return "'" + name + "' (" + n.op_type() + ")";
}

// The per-sample shape of the model's input [N, d1, ...]; Unsupported names what is wrong.
Shape inputShapeOf(const onnx::ValueInfoProto& v)
{
    const std::string what = "input '" + v.name() + "'";
    if (!v.type().has_tensor_type())
        throw Unsupported { what + " is not a tensor" };
    const auto& t = v.type().tensor_type();
    if (t.elem_type() != onnx::TensorProto::FLOAT)
        throw Unsupported { what + " is not float32 (element type " + std::to_string(t.elem_type()) + ")" };
    if (!t.has_shape())
        throw Unsupported { what + " has no shape" };
    const int rank = t.shape().dim_size();
    if (rank < 2 || rank > 4)
        throw Unsupported { what + " must be N\u00d7F, N\u00d7H\u00d7W or N\u00d7C\u00d7H\u00d7W (rank "
            + std::to_string(rank) + ")" };
    std::vector<int64_t> dims;
    for (int d = 1; d < rank; ++d) {
        const auto& dim = t.shape().dim(d);
        if (!dim.has_dim_value() || dim.dim_value() <= 0)
            throw Unsupported { what + ": dimension " + std::to_string(d) + " must be a known size" };
        dims.push_back(dim.dim_value());
    }
    return Shape(dims);
}

std::shared_ptr<ModelWeights> buildWeights(ImportContext& c, const onnx::ModelProto& m, const std::string& source)
{
    ModelGraph& graph = c.graph();
    std::shared_ptr<ModelWeights> out = std::make_shared<ModelWeights>();
    for (const auto& p : m.metadata_props()) {
        try {
            if (p.key() == "netcanvas.normalization") {
                const nlohmann::json j = nlohmann::json::parse(p.value());
                if (j.contains("mean") && j.contains("std")) {
                    out->normalization.mean = j["mean"].get<std::vector<float>>();
                    out->normalization.stddev = j["std"].get<std::vector<float>>();
                }
            } else if (p.key() == "netcanvas.classes") {
                out->classNames = nlohmann::json::parse(p.value()).get<std::vector<std::string>>();
            } else if (p.key() == "netcanvas.model") {
                const ModelGraph original = parseModelJson(p.value(), source + " (netcanvas.model)");
                graph.name = original.name;
                graph.description = original.description;
                graph.training = original.training;
            }
        } catch (const std::exception& e) {
            throw FormatError(source + ": metadata '" + p.key() + "' is malformed: " + e.what());
        }
    }
    if (graph.name.empty())
        graph.name = m.graph().name().empty() ? std::filesystem::path(source).stem().string() : m.graph().name();
    applyLayeredLayout(graph);

    auto backend = createCpuBackend(1);
    Network net(graph, *backend);
    for (const NamedParameter& p : net.parameters()) {
        const auto it = c.weights().find(p.key());
        if (it == c.weights().end())
            throw FormatError(source + ": no value for parameter '" + p.key() + "'");
        if (it->second.shape() != p.param->value.shape())
            throw FormatError(source + ": parameter '" + p.key() + "' is " + it->second.shape().toString()
                + " in the file but " + p.param->value.shape().toString() + " in the layer");
        p.param->value.copyFrom(it->second);
    }
    std::shared_ptr<ModelWeights> captured = ModelWeights::capture(graph, net, out->normalization, out->classNames);
    return captured;
}

} // namespace

OnnxUnsupportedError::OnnxUnsupportedError(const std::string& source, std::vector<std::string> nodes)
    : FormatError([&] {
        std::string s = source + ": " + std::to_string(nodes.size()) + (nodes.size() == 1 ? " node" : " nodes")
            + " cannot be imported (nothing was imported):";
        for (const std::string& n : nodes)
            s += "\n  " + n;
        return s;
    }())
    , m_nodes(std::move(nodes))
{
}

std::vector<std::string> onnxImportOps()
{
    std::vector<std::string> ops;
    for (const auto& [op, fn] : importTable())
        ops.push_back(op);
    return ops;
}

std::shared_ptr<ModelWeights> importOnnxBytes(
    const std::string& bytes, const std::string& source, const OnnxImportOptions& options)
{
    onnx::ModelProto m;
    if (bytes.empty())
        throw FormatError(source + ": the file is empty, not an ONNX model");
    if (!m.ParseFromString(bytes))
        throw FormatError(source + ": not an ONNX model, or truncated (its protobuf data does not parse)");
    if (!m.has_graph() || m.ir_version() <= 0)
        throw FormatError(source + ": not an ONNX model (no graph or no IR version)");
    const onnx::GraphProto& g = m.graph();

    ImportContext c(m);
    std::vector<std::string> problems;
    std::set<std::string> initializerNames;
    for (const auto& t : g.initializer()) {
        Value v;
        v.isConst = true;
        v.c = tensorConstant(t, source);
        c.values()[t.name()] = std::move(v);
        initializerNames.insert(t.name());
    }
    std::vector<const onnx::ValueInfoProto*> inputs;
    for (const auto& in : g.input()) {
        if (initializerNames.count(in.name()))
            continue;
        const auto bound = options.constantInputs.find(in.name());
        if (bound != options.constantInputs.end()) {
            Value v;
            v.isConst = true;
            const Shape& s = bound->second.shape();
            for (int d = 0; d < s.rank(); ++d)
                v.c.dims.push_back(s[d]);
            v.c.f.assign(bound->second.data(), bound->second.data() + bound->second.size());
            c.values()[in.name()] = std::move(v);
            continue;
        }
        inputs.push_back(&in);
    }
    if (inputs.size() != 1)
        throw OnnxUnsupportedError(source,
            { "the graph has " + std::to_string(inputs.size())
                + " inputs besides its initializers; a NetCanvas model has exactly one" });
    try {
        c.addInput(inputs[0]->name(), inputShapeOf(*inputs[0]));
    } catch (const Unsupported& u) {
        throw OnnxUnsupportedError(source, { u.reason });
    }

    std::set<std::string> unavailable; // outputs of nodes that failed
    int index = 0;
    for (const auto& n : g.node()) {
        ++index;
        const auto entry = importTable().find(n.op_type());
        if (!n.domain().empty() && n.domain() != "ai.onnx") {
            problems.push_back(nodeLabel(n, index) + ": operator domain '" + n.domain() + "' is not supported");
        } else if (entry == importTable().end()) {
            problems.push_back(nodeLabel(n, index) + ": operator " + n.op_type() + " is not supported");
        } else {
            bool ready = true;
            for (const auto& in : n.input())
                if (!in.empty() && !c.values().count(in)) {
                    ready = false;
                    if (!unavailable.count(in))
                        problems.push_back(nodeLabel(n, index) + ": its input '" + in + "' is not defined before it");
                }
            if (ready) {
                c.setNode(n);
                try {
                    entry->second(c);
                    continue;
                } catch (const Unsupported& u) {
                    problems.push_back(nodeLabel(n, index) + ": " + u.reason);
                }
            }
        }
        for (const auto& out : n.output())
            unavailable.insert(out);
    }
    if (!problems.empty())
        throw OnnxUnsupportedError(source, problems);

    if (g.output_size() != 1)
        throw OnnxUnsupportedError(source,
            { "the graph has " + std::to_string(g.output_size()) + " outputs; a NetCanvas model has exactly one" });
    const auto it = c.values().find(g.output(0).name());
    if (it == c.values().end())
        throw FormatError(source + ": the graph output '" + g.output(0).name() + "' is not computed by any node");
    if (it->second.isConst)
        throw OnnxUnsupportedError(source, { "the graph output '" + g.output(0).name() + "' is a constant" });
    std::string outputNode;
    try {
        onnx::NodeProto last; // names the output's reshape, if one is needed
        last.set_name(g.output(0).name());
        c.setNode(last);
        outputNode = c.materialize(it->second.act, g.output(0).name());
    } catch (const Unsupported& u) {
        throw OnnxUnsupportedError(source, { "graph output '" + g.output(0).name() + "': " + u.reason });
    }
    if (c.graph().node(outputNode)->type == "Input")
        throw OnnxUnsupportedError(source, { "the graph computes nothing (its output is its input)" });
    c.graph().setOutput(outputNode);
    return buildWeights(c, m, source);
}

std::shared_ptr<ModelWeights> importOnnx(const std::string& path, const OnnxImportOptions& options)
{
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec))
        throw IoError("cannot read '" + path + "': no such file");
    return importOnnxBytes(readFile(path), path, options);
}

Tensor loadOnnxTensor(const std::string& path)
{
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec))
        throw IoError("cannot read '" + path + "': no such file");
    onnx::TensorProto t;
    if (!t.ParseFromString(readFile(path)))
        throw FormatError(path + ": not an ONNX tensor (its protobuf data does not parse)");
    const Constant k = tensorConstant(t, path);
    if (!k.isFloat)
        throw FormatError(path + ": tensor '" + t.name() + "' is not float");
    return Tensor(Shape(k.dims), k.f);
}

void saveModelWeights(const ModelWeights& model, const std::string& modelPath, const std::string& weightsPath)
{
    saveWeightsFile(model, weightsPath); // checks that the weights fit before the model is written
    saveModelFile(model.graph, modelPath);
}

} // namespace netcanvas
