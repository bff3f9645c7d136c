#include "engine/interop/OnnxExport.h"

#include "engine/core/Error.h"
#include "engine/graph/ModelJson.h"
#include "engine/io/AtomicFile.h"
#include "engine/layers/LayerSupport.h"
#include "engine/layers/SequenceSupport.h"

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <onnx.pb.h>

namespace netcanvas {

namespace {

constexpr const char* kProducer = "NetCanvas";
constexpr const char* kProducerVersion = "0.1.0";

// What an entry of the export table sees of one node, and how it adds ONNX to the graph.
class ExportContext {
public:
    ExportContext(onnx::GraphProto& graph, const ModelWeights& model, const GraphAnalysis& analysis)
        : m_graph(graph)
        , m_analysis(analysis)
    {
        for (const auto& [key, value] : model.values)
            m_values.emplace(key, &value);
    }

    void setNode(const GraphNode& node)
    {
        m_node = &node;
        m_info = &m_analysis.nodes.at(node.id);
    }
    const GraphNode& node() const { return *m_node; }
    const std::string& id() const { return m_node->id; }
    // The ONNX value of input port i: its source node's id.
    const std::string& input(size_t i) const { return m_node->inputs.at(i); }
    size_t inputCount() const { return m_node->inputs.size(); }
    const Shape& inputShape(size_t i) const { return m_info->inputShapes.at(i); } // per sample
    const Shape& outputShape() const { return m_info->outputShape; } // per sample
    // The node's output value: named after the node id.
    const std::string& output() const { return m_node->id; }
    // A resolved parameter of the node (defaults filled in).
    const nlohmann::json& param(const std::string& name) const { return m_params.at(name); }
    void setResolvedParams(nlohmann::json p) { m_params = std::move(p); }

    // Adds a node named `suffix.empty() ? id : id/suffix`.
    onnx::NodeProto& add(const std::string& opType, const std::vector<std::string>& inputs,
        const std::vector<std::string>& outputs, const std::string& suffix = {})
    {
        onnx::NodeProto* n = m_graph.add_node();
        n->set_op_type(opType);
        n->set_name(suffix.empty() ? id() : id() + "/" + suffix);
        for (const std::string& in : inputs)
            n->add_input(in);
        for (const std::string& out : outputs)
            n->add_output(out);
        return *n;
    }
    // The weights' tensor "node.param" as an initializer of that name (its name returned).
    std::string weight(const std::string& param)
    {
        const std::string key = id() + "." + param;
        const auto it = m_values.find(key);
        if (it == m_values.end())
            throw FormatError(
                "layer " + id() + " (kind " + m_node->type + "): parameter '" + key + "' is not in the weights");
        addFloatInitializer(key, it->second->shape(), it->second->data());
        return key;
    }
    bool hasWeight(const std::string& param) const { return m_values.count(id() + "." + param) > 0; }
    std::string int64Initializer(const std::string& suffix, const std::vector<int64_t>& values)
    {
        onnx::TensorProto* t = m_graph.add_initializer();
        t->set_name(id() + "/" + suffix);
        t->set_data_type(onnx::TensorProto::INT64);
        t->add_dims(static_cast<int64_t>(values.size()));
        for (int64_t v : values)
            t->add_int64_data(v);
        return t->name();
    }
    std::string floatScalarInitializer(const std::string& suffix, float value)
    {
        addFloatInitializer(id() + "/" + suffix, Shape {}, &value);
        return id() + "/" + suffix;
    }
    // A float initializer "id/suffix" of the given dimensions (rearranged weights).
    std::string floatInitializer(const std::string& suffix, const Shape& shape, const std::vector<float>& values)
    {
        addFloatInitializer(id() + "/" + suffix, shape, values.data());
        return id() + "/" + suffix;
    }
    // The weights' tensor "node.param" itself (rearranged by the caller).
    const Tensor& weightTensor(const std::string& param) const
    {
        const auto it = m_values.find(id() + "." + param);
        if (it == m_values.end())
            fail("parameter '" + id() + "." + param + "' is not in the weights");
        return *it->second;
    }
    [[noreturn]] void fail(const std::string& why) const
    {
        throw FormatError("layer " + id() + " (kind " + m_node->type + "): " + why);
    }

private:
    void addFloatInitializer(const std::string& name, const Shape& shape, const float* data)
    {
        onnx::TensorProto* t = m_graph.add_initializer();
        t->set_name(name);
        t->set_data_type(onnx::TensorProto::FLOAT);
        for (int d = 0; d < shape.rank(); ++d)
            t->add_dims(shape[d]);
        t->set_raw_data(
            std::string(reinterpret_cast<const char*>(data), static_cast<size_t>(shape.numel()) * sizeof(float)));
    }

    onnx::GraphProto& m_graph;
    const GraphAnalysis& m_analysis;
    std::map<std::string, const Tensor*> m_values;
    const GraphNode* m_node = nullptr;
    const NodeAnalysis* m_info = nullptr;
    nlohmann::json m_params;
};

void setInt(onnx::NodeProto& n, const std::string& name, int64_t v)
{
    onnx::AttributeProto* a = n.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
}
void setFloat(onnx::NodeProto& n, const std::string& name, float v)
{
    onnx::AttributeProto* a = n.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::FLOAT);
    a->set_f(v);
}
void setInts(onnx::NodeProto& n, const std::string& name, const std::vector<int64_t>& v)
{
    onnx::AttributeProto* a = n.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (int64_t x : v)
        a->add_ints(x);
}

// Kernel, strides and pads [top, left, bottom, right] of a square window over a C×H×W input
// (the same Window2D the layer computes).
void setWindow(
    ExportContext& c, onnx::NodeProto& n, int64_t kernel, int64_t stride, const std::string& padding, int64_t pad)
{
    const Shape& in = c.inputShape(0);
    Window2D w;
    const std::string why = computeWindow2D(in[1], in[2], kernel, stride, padding, pad, in.toString(), w);
    if (!why.empty())
        c.fail(why);
    setInts(n, "kernel_shape", { kernel, kernel });
    setInts(n, "strides", { stride, stride });
    setInts(n, "pads", { w.padTop, w.padLeft, w.padBottom, w.padRight });
}

// ---- The export table: one function per layer kind. ----

void exportInput(ExportContext&)
{
    // The graph input itself (added by exportOnnxBytes): no node.
}

// Dense: Gemm(x, W, b) with transB = 1 (W is units × inputs); an input of rank > 1 per sample
// is flattened first, as the layer does.
void exportDense(ExportContext& c)
{
    std::string x = c.input(0);
    if (c.inputShape(0).rank() > 1) {
        const std::string flat = c.id() + "/flatten";
        setInt(c.add("Flatten", { x }, { flat }, "flatten"), "axis", 1);
        x = flat;
    }
    std::vector<std::string> inputs { x, c.weight("weight") };
    if (c.hasWeight("bias"))
        inputs.push_back(c.weight("bias"));
    setInt(c.add("Gemm", inputs, { c.output() }), "transB", 1);
}

void exportConv2D(ExportContext& c)
{
    std::vector<std::string> inputs { c.input(0), c.weight("weight") };
    if (c.hasWeight("bias"))
        inputs.push_back(c.weight("bias"));
    onnx::NodeProto& n = c.add("Conv", inputs, { c.output() });
    setWindow(c, n, c.param("kernel").get<int64_t>(), c.param("stride").get<int64_t>(),
        c.param("padding").get<std::string>(), c.param("pad").get<int64_t>());
    setInts(n, "dilations", { 1, 1 });
    setInt(n, "group", 1);
}

void exportPool(ExportContext& c, const std::string& op)
{
    const int64_t pool = c.param("pool").get<int64_t>();
    const int64_t stride = c.param("stride").get<int64_t>() == 0 ? pool : c.param("stride").get<int64_t>();
    onnx::NodeProto& n = c.add(op, { c.input(0) }, { c.output() });
    setWindow(c, n, pool, stride, c.param("padding").get<std::string>(), 0);
    if (op == "AveragePool")
        setInt(n, "count_include_pad", 0); // the engine's average excludes padded cells
}
void exportMaxPool2D(ExportContext& c)
{
    exportPool(c, "MaxPool");
}
void exportAvgPool2D(ExportContext& c)
{
    exportPool(c, "AveragePool");
}

// GlobalAveragePool gives N×C×1×1; the layer gives N×C: a Flatten follows.
void exportGlobalAvgPool2D(ExportContext& c)
{
    const std::string pooled = c.id() + "/pool";
    c.add("GlobalAveragePool", { c.input(0) }, { pooled }, "pool");
    setInt(c.add("Flatten", { pooled }, { c.output() }), "axis", 1);
}

void exportFlatten(ExportContext& c)
{
    setInt(c.add("Flatten", { c.input(0) }, { c.output() }), "axis", 1);
}

void exportReshape(ExportContext& c)
{
    std::vector<int64_t> dims { -1 };
    const Shape& out = c.outputShape();
    for (int d = 0; d < out.rank(); ++d)
        dims.push_back(out[d]);
    c.add("Reshape", { c.input(0), c.int64Initializer("shape", dims) }, { c.output() });
}

void exportActivation(ExportContext& c, const std::string& op, const char* alpha = nullptr)
{
    onnx::NodeProto& n = c.add(op, { c.input(0) }, { c.output() });
    if (alpha)
        setFloat(n, "alpha", c.param(alpha).get<float>());
}
void exportRelu(ExportContext& c)
{
    exportActivation(c, "Relu");
}
void exportLeakyRelu(ExportContext& c)
{
    exportActivation(c, "LeakyRelu", "alpha");
}
void exportElu(ExportContext& c)
{
    exportActivation(c, "Elu", "alpha");
}
void exportTanh(ExportContext& c)
{
    exportActivation(c, "Tanh");
}
void exportSigmoid(ExportContext& c)
{
    exportActivation(c, "Sigmoid");
}

// Softmax over dimension 1 of N×K (the classes) or N×C×H×W (the channels at each pixel), as the
// layer normalizes; opset 13's axis is a single axis.
void exportSoftmax(ExportContext& c)
{
    setInt(c.add("Softmax", { c.input(0) }, { c.output() }), "axis", 1);
}

// Dropout in inference is the identity; the rate travels as the ratio input.
void exportDropout(ExportContext& c)
{
    c.add("Dropout", { c.input(0), c.floatScalarInitializer("ratio", c.param("rate").get<float>()) }, { c.output() });
}

void exportBatchNorm(ExportContext& c)
{
    onnx::NodeProto& n = c.add("BatchNormalization",
        { c.input(0), c.weight("gamma"), c.weight("beta"), c.weight("running_mean"), c.weight("running_var") },
        { c.output() });
    setFloat(n, "epsilon", c.param("epsilon").get<float>());
    // ONNX: running = running · momentum + batch · (1 − momentum); the engine's is the other way round.
    setFloat(n, "momentum", 1.0f - c.param("momentum").get<float>());
}

// Two inputs: Add; more: Sum (ONNX's Add is binary).
void exportAdd(ExportContext& c)
{
    std::vector<std::string> inputs;
    for (size_t i = 0; i < c.inputCount(); ++i)
        inputs.push_back(c.input(i));
    c.add(inputs.size() == 2 ? "Add" : "Sum", inputs, { c.output() });
}

void exportConcat(ExportContext& c)
{
    std::vector<std::string> inputs;
    for (size_t i = 0; i < c.inputCount(); ++i)
        inputs.push_back(c.input(i));
    setInt(c.add("Concat", inputs, { c.output() }), "axis", 1);
}

// ---- the sequence kinds (T×F per sample, batch first; engine/layers/SequenceSupport.h) ----

// The input as an N×T×F value: a 1×T×F input (an Input node with one channel) is reshaped.
std::string sequenceInput(ExportContext& c, SequenceDims& d)
{
    if (!sequenceDims(c.inputShape(0), d))
        c.fail("needs a T\u00d7F sequence, got " + c.inputShape(0).toString());
    if (c.inputShape(0).rank() == 2)
        return c.input(0);
    const std::string seq = c.id() + "/seq";
    c.add("Reshape", { c.input(0), c.int64Initializer("seq_shape", { -1, d.steps, d.features }) }, { seq }, "seq");
    return seq;
}

// Embedding: the ids (floats, rounded to the nearest id as the layer does) → Round, Cast to
// int64, Gather of the weight's rows. A 1×…×T input is reshaped to N×T first.
void exportEmbedding(ExportContext& c)
{
    const Shape& in = c.inputShape(0);
    std::string ids = c.input(0);
    if (in.rank() > 1) {
        ids = c.id() + "/ids";
        c.add("Reshape", { c.input(0), c.int64Initializer("ids_shape", { -1, in[in.rank() - 1] }) }, { ids }, "ids");
    }
    const std::string rounded = c.id() + "/round", cast = c.id() + "/cast";
    c.add("Round", { ids }, { rounded }, "round");
    setInt(c.add("Cast", { rounded }, { cast }, "cast"), "to", onnx::TensorProto::INT64);
    setInt(c.add("Gather", { c.weight("weight"), cast }, { c.output() }), "axis", 0);
}

// SimpleRNN, LSTM, GRU → ONNX RNN, LSTM, GRU (layout 0: X is T×N×F, so Transposes around it).
// PyTorch's gate blocks are reordered to ONNX's: LSTM i,f,g,o → i,o,f,c; GRU r,z,n → z,r,h
// (linear_before_reset = 1 is PyTorch's n gate). W = [D, G·H, F], R = [D, G·H, H],
// B = [D, 2·G·H] = [bias_ih, bias_hh] per direction (forward, then backward).
void exportRecurrent(ExportContext& c, const std::string& op, const std::vector<int>& onnxFromOurs)
{
    SequenceDims d;
    const std::string x = sequenceInput(c, d);
    const int64_t H = c.param("units").get<int64_t>();
    const bool bi = c.param("bidirectional").get<bool>(), seq = c.param("return_sequences").get<bool>();
    const int64_t D = bi ? 2 : 1, G = static_cast<int64_t>(onnxFromOurs.size());
    std::vector<float> W, R, B;
    auto appendBlocks = [&](std::vector<float>& out, const Tensor& t, int64_t cols) {
        for (int g : onnxFromOurs) // ONNX block k is our block onnxFromOurs[k]
            out.insert(out.end(), t.data() + g * H * cols, t.data() + (g + 1) * H * cols);
    };
    for (int dir = 0; dir < D; ++dir) {
        const std::string sfx = dir == 1 ? "_reverse" : "";
        appendBlocks(W, c.weightTensor("weight_ih" + sfx), d.features);
        appendBlocks(R, c.weightTensor("weight_hh" + sfx), H);
        appendBlocks(B, c.weightTensor("bias_ih" + sfx), 1);
        appendBlocks(B, c.weightTensor("bias_hh" + sfx), 1);
    }
    const std::string xt = c.id() + "/x_tnf";
    setInts(c.add("Transpose", { x }, { xt }, "x_tnf"), "perm", { 1, 0, 2 });
    const std::string y = c.id() + "/Y", yh = c.id() + "/Y_h";
    onnx::NodeProto& n = c.add(op,
        { xt, c.floatInitializer("W", Shape { D, G * H, d.features }, W),
            c.floatInitializer("R", Shape { D, G * H, H }, R), c.floatInitializer("B", Shape { D, 2 * G * H }, B) },
        seq ? std::vector<std::string> { y } : std::vector<std::string> { "", yh });
    setInt(n, "hidden_size", H);
    onnx::AttributeProto* dirAttr = n.add_attribute();
    dirAttr->set_name("direction");
    dirAttr->set_type(onnx::AttributeProto::STRING);
    dirAttr->set_s(bi ? "bidirectional" : "forward");
    if (op == "RNN") {
        onnx::AttributeProto* a = n.add_attribute();
        a->set_name("activations");
        a->set_type(onnx::AttributeProto::STRINGS);
        for (int dir = 0; dir < D; ++dir)
            a->add_strings("Tanh");
    }
    if (op == "GRU")
        setInt(n, "linear_before_reset", 1);
    if (seq) { // Y: T×D×N×H → N×T×D×H → N×T×(D·H), forward then backward per step
        const std::string yt = c.id() + "/Y_ntdh";
        setInts(c.add("Transpose", { y }, { yt }, "Y_ntdh"), "perm", { 2, 0, 1, 3 });
        c.add("Reshape", { yt, c.int64Initializer("out_shape", { -1, d.steps, D * H }) }, { c.output() }, "out");
    } else { // Y_h: D×N×H (the backward direction's state after reading step 0) → N×(D·H)
        const std::string ht = c.id() + "/Y_h_ndh";
        setInts(c.add("Transpose", { yh }, { ht }, "Y_h_ndh"), "perm", { 1, 0, 2 });
        c.add("Reshape", { ht, c.int64Initializer("out_shape", { -1, D * H }) }, { c.output() }, "out");
    }
}
void exportSimpleRNN(ExportContext& c)
{
    exportRecurrent(c, "RNN", { 0 });
}
void exportLSTM(ExportContext& c)
{
    exportRecurrent(c, "LSTM", { 0, 3, 1, 2 }); // ONNX i, o, f, c from our i, f, g, o
}
void exportGRU(ExportContext& c)
{
    exportRecurrent(c, "GRU", { 1, 0, 2 }); // ONNX z, r, h from our r, z, n
}

// Conv1D, MaxPool1D: N×T×F → Transpose → N×F×T → the 1-D op → Transpose back to N×T'×F'.
void exportWindow1D(ExportContext& c, const std::string& op, int64_t kernel, int64_t stride)
{
    SequenceDims d;
    const std::string x = sequenceInput(c, d);
    Window1D w;
    if (const std::string why = computeWindow1D(d.steps, kernel, stride, c.param("padding").get<std::string>(), w);
        !why.empty())
        c.fail(why);
    const std::string xt = c.id() + "/x_nft", yt = c.id() + "/y_nft";
    setInts(c.add("Transpose", { x }, { xt }, "x_nft"), "perm", { 0, 2, 1 });
    std::vector<std::string> inputs { xt };
    if (op == "Conv") {
        inputs.push_back(c.weight("weight"));
        if (c.hasWeight("bias"))
            inputs.push_back(c.weight("bias"));
    }
    onnx::NodeProto& n = c.add(op, inputs, { yt }); // named after the node: import gives its id back
    setInts(n, "kernel_shape", { kernel });
    setInts(n, "strides", { stride });
    setInts(n, "pads", { w.padFront, w.padBack });
    if (op == "Conv") {
        setInts(n, "dilations", { 1 });
        setInt(n, "group", 1);
    }
    setInts(c.add("Transpose", { yt }, { c.output() }, "out"), "perm", { 0, 2, 1 });
}
void exportConv1D(ExportContext& c)
{
    exportWindow1D(c, "Conv", c.param("kernel").get<int64_t>(), c.param("stride").get<int64_t>());
}
void exportMaxPool1D(ExportContext& c)
{
    const int64_t pool = c.param("pool").get<int64_t>(), stride = c.param("stride").get<int64_t>();
    exportWindow1D(c, "MaxPool", pool, stride == 0 ? pool : stride);
}

// GlobalAvg/MaxPool1D: ReduceMean / ReduceMax over the steps (axis 1), keepdims 0 → N×F.
void exportGlobalPool1D(ExportContext& c, const std::string& op)
{
    SequenceDims d;
    onnx::NodeProto& n = c.add(op, { sequenceInput(c, d) }, { c.output() });
    setInts(n, "axes", { 1 });
    setInt(n, "keepdims", 0);
}
void exportGlobalAvgPool1D(ExportContext& c)
{
    exportGlobalPool1D(c, "ReduceMean");
}
void exportGlobalMaxPool1D(ExportContext& c)
{
    exportGlobalPool1D(c, "ReduceMax");
}

// TimeDistributedDense: MatMul of N×T×F with the weight transposed (F×units, "id/weight_t"),
// then Add of the bias.
void exportTimeDistributedDense(ExportContext& c)
{
    SequenceDims d;
    const std::string x = sequenceInput(c, d);
    const Tensor& w = c.weightTensor("weight");
    const int64_t units = w.shape()[0];
    std::vector<float> wt(static_cast<size_t>(w.size()));
    for (int64_t u = 0; u < units; ++u)
        for (int64_t f = 0; f < d.features; ++f)
            wt[static_cast<size_t>(f * units + u)] = w.data()[u * d.features + f];
    const std::string weightT = c.floatInitializer("weight_t", Shape { d.features, units }, wt);
    if (!c.hasWeight("bias")) {
        c.add("MatMul", { x, weightT }, { c.output() });
        return;
    }
    const std::string mm = c.id() + "/matmul";
    c.add("MatMul", { x, weightT }, { mm });
    c.add("Add", { mm, c.weight("bias") }, { c.output() }, "bias");
}

using ExportFn = void (*)(ExportContext&);

// Layer kind → its ONNX export. Adding a kind: a function above and one line here.
const std::map<std::string, ExportFn>& exportTable()
{
    static const std::map<std::string, ExportFn> table {
        { "Input", exportInput },
        { "Dense", exportDense },
        { "Flatten", exportFlatten },
        { "Reshape", exportReshape },
        { "Conv2D", exportConv2D },
        { "MaxPool2D", exportMaxPool2D },
        { "AvgPool2D", exportAvgPool2D },
        { "GlobalAvgPool2D", exportGlobalAvgPool2D },
        { "ReLU", exportRelu },
        { "LeakyReLU", exportLeakyRelu },
        { "ELU", exportElu },
        { "Tanh", exportTanh },
        { "Sigmoid", exportSigmoid },
        { "Softmax", exportSoftmax },
        { "Dropout", exportDropout },
        { "BatchNorm", exportBatchNorm },
        { "Add", exportAdd },
        { "Concat", exportConcat },
        { "Embedding", exportEmbedding },
        { "SimpleRNN", exportSimpleRNN },
        { "LSTM", exportLSTM },
        { "GRU", exportGRU },
        { "Conv1D", exportConv1D },
        { "MaxPool1D", exportMaxPool1D },
        { "GlobalAvgPool1D", exportGlobalAvgPool1D },
        { "GlobalMaxPool1D", exportGlobalMaxPool1D },
        { "TimeDistributedDense", exportTimeDistributedDense },
    };
    return table;
}

void setShape(onnx::ValueInfoProto& v, const Shape& perSample)
{
    onnx::TypeProto_Tensor* t = v.mutable_type()->mutable_tensor_type();
    t->set_elem_type(onnx::TensorProto::FLOAT);
    onnx::TensorShapeProto* s = t->mutable_shape();
    s->add_dim()->set_dim_param("N");
    for (int d = 0; d < perSample.rank(); ++d)
        s->add_dim()->set_dim_value(perSample[d]);
}

void addMetadata(onnx::ModelProto& m, const std::string& key, const std::string& value)
{
    onnx::StringStringEntryProto* e = m.add_metadata_props();
    e->set_key(key);
    e->set_value(value);
}

} // namespace

std::string onnxExportGaps(const ModelGraph& graph)
{
    std::string missing;
    for (const GraphNode& n : graph.nodes())
        if (!hasOnnxExport(n.type))
            missing += (missing.empty() ? "" : "; ") + ("layer " + n.id + " (kind " + n.type + ") has no ONNX export");
    return missing;
}

std::vector<std::string> onnxExportKinds()
{
    std::vector<std::string> kinds;
    for (const auto& [kind, fn] : exportTable())
        kinds.push_back(kind);
    return kinds;
}

bool hasOnnxExport(const std::string& kind)
{
    return exportTable().count(kind) > 0;
}

std::string exportOnnxBytes(const ModelWeights& model, const OnnxExportOptions& options)
{
    if (options.opset < 13 || options.opset > 17)
        throw FormatError("ONNX export: opset " + std::to_string(options.opset)
            + " is not supported (13 to 17: the nodes written are the same in each)");
    const ModelGraph& graph = model.graph;
    // Every kind is checked before anything is built: one message for all of them.
    if (const std::string missing = onnxExportGaps(graph); !missing.empty())
        throw FormatError(missing);
    const GraphAnalysis analysis = graph.validate();

    onnx::ModelProto m;
    m.set_ir_version(7);
    m.set_producer_name(kProducer);
    m.set_producer_version(kProducerVersion);
    m.set_domain("org.netcanvas");
    m.set_model_version(1);
    m.set_doc_string(graph.description);
    onnx::OperatorSetIdProto* opset = m.add_opset_import();
    opset->set_domain("");
    opset->set_version(options.opset);

    onnx::GraphProto& g = *m.mutable_graph();
    g.set_name(graph.name.empty() ? "netcanvas" : graph.name);
    onnx::ValueInfoProto* in = g.add_input();
    in->set_name(analysis.inputNode);
    setShape(*in, analysis.inputShape);
    onnx::ValueInfoProto* out = g.add_output();
    out->set_name(analysis.outputNode);
    setShape(*out, analysis.outputShape);

    ExportContext context(g, model, analysis);
    const LayerRegistry& registry = LayerRegistry::builtin();
    for (const std::string& id : analysis.order) {
        const GraphNode& n = *graph.node(id);
        context.setNode(n);
        context.setResolvedParams(registry.resolveParams(n.type, n.params, n.id));
        exportTable().at(n.type)(context);
    }

    nlohmann::json norm = nlohmann::json::object();
    if (!model.normalization.empty())
        norm = { { "mean", model.normalization.mean }, { "std", model.normalization.stddev } };
    addMetadata(m, "netcanvas.normalization", norm.dump());
    addMetadata(m, "netcanvas.input",
        model.normalization.empty() ? "pixel / 255"
                                    : "(pixel / 255 - mean[c]) / std[c] per channel c (netcanvas.normalization)");
    addMetadata(m, "netcanvas.classes", nlohmann::json(model.classNames).dump());
    addMetadata(m, "netcanvas.output", outputIsProbabilities(graph, analysis) ? "probabilities" : "logits");
    addMetadata(m, "netcanvas.model", serializeModel(graph));

    std::string bytes;
    if (!m.SerializeToString(&bytes))
        throw FormatError("ONNX export of " + g.name() + ": the model could not be serialized (over 2 GB?)");
    return bytes;
}

void exportOnnx(const ModelWeights& model, const std::string& path, const OnnxExportOptions& options)
{
    writeFileAtomic(path, exportOnnxBytes(model, options));
}

} // namespace netcanvas
