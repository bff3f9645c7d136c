#include "engine/interop/PyTorchExport.h"

#include "engine/core/Error.h"
#include "engine/io/AtomicFile.h"
#include "engine/layers/LayerSupport.h"
#include "engine/layers/SequenceSupport.h"

#include <functional>
#include <map>
#include <set>
#include <sstream>

namespace netcanvas {

namespace {

// What an entry of the table sees of one node, and the lines it writes.
struct PyContext {
    const GraphNode* node = nullptr;
    const NodeAnalysis* info = nullptr;
    nlohmann::json params;
    std::string attr; // the submodule / variable name (a Python identifier)
    std::vector<std::string> in; // Python variables of the inputs
    std::vector<std::string> init; // lines of __init__ (without indentation)
    std::string expr; // the forward expression of the output
    std::map<std::string, std::string> keys; // NetCanvas parameter → state_dict key suffix
    bool hasWeight(const std::string& p) const { return weights->count(node->id + "." + p) > 0; }
    const std::set<std::string>* weights = nullptr;

    int64_t i(const char* name) const { return params.at(name).get<int64_t>(); }
    double f(const char* name) const { return params.at(name).get<double>(); }
    std::string s(const char* name) const { return params.at(name).get<std::string>(); }
};

std::string num(double v)
{
    std::ostringstream o;
    o.precision(9);
    o << v;
    std::string s = o.str();
    if (s.find_first_of(".eE") == std::string::npos && s.find("inf") == std::string::npos)
        s += ".0";
    return s;
}

std::string pyString(const std::string& s)
{
    return nlohmann::json(s).dump(); // a JSON string is a valid Python string literal
}

// Padding of a square window over the node's input, as F.pad's (left, right, top, bottom), or
// empty when it is the same on every side (then `symmetric` holds it).
Window2D windowOf(const PyContext& c, int64_t kernel, int64_t stride, const std::string& padding, int64_t pad)
{
    const Shape& in = c.info->inputShapes.at(0);
    Window2D w;
    const std::string why = computeWindow2D(in[1], in[2], kernel, stride, padding, pad, in.toString(), w);
    if (!why.empty())
        throw FormatError("layer " + c.node->id + " (kind " + c.node->type + "): " + why);
    return w;
}
bool symmetric(const Window2D& w)
{
    return w.padTop == w.padBottom && w.padLeft == w.padRight && w.padTop == w.padLeft;
}
std::string padArgs(const Window2D& w)
{
    return "(" + std::to_string(w.padLeft) + ", " + std::to_string(w.padRight) + ", " + std::to_string(w.padTop) + ", "
        + std::to_string(w.padBottom) + ")";
}

void pyInput(PyContext& c)
{
    c.expr = "x";
}

void pyDense(PyContext& c)
{
    const int64_t inputs = c.info->inputShapes.at(0).numel();
    c.init.push_back("nn.Linear(" + std::to_string(inputs) + ", " + std::to_string(c.i("units"))
        + ", bias=" + (c.hasWeight("bias") ? "True" : "False") + ")");
    const std::string x = c.info->inputShapes.at(0).rank() > 1 ? "torch.flatten(" + c.in[0] + ", 1)" : c.in[0];
    c.expr = "self." + c.attr + "(" + x + ")";
    c.keys = { { "weight", "weight" }, { "bias", "bias" } };
}

void pyConv2D(PyContext& c)
{
    const int64_t k = c.i("kernel"), stride = c.i("stride");
    const Window2D w = windowOf(c, k, stride, c.s("padding"), c.i("pad"));
    const bool sym = symmetric(w);
    c.init.push_back("nn.Conv2d(" + std::to_string(c.info->inputShapes.at(0)[0]) + ", " + std::to_string(c.i("filters"))
        + ", kernel_size=" + std::to_string(k) + ", stride=" + std::to_string(stride) + ", padding="
        + std::to_string(sym ? w.padTop : 0) + ", bias=" + (c.hasWeight("bias") ? "True" : "False") + ")");
    c.expr = "self." + c.attr + "(" + (sym ? c.in[0] : "F.pad(" + c.in[0] + ", " + padArgs(w) + ")") + ")";
    c.keys = { { "weight", "weight" }, { "bias", "bias" } };
}

int64_t poolStride(const PyContext& c)
{
    return c.i("stride") == 0 ? c.i("pool") : c.i("stride");
}

void pyMaxPool2D(PyContext& c)
{
    const int64_t k = c.i("pool"), stride = poolStride(c);
    const Window2D w = windowOf(c, k, stride, c.s("padding"), 0);
    const bool none = w.padTop + w.padBottom + w.padLeft + w.padRight == 0;
    c.init.push_back("nn.MaxPool2d(" + std::to_string(k) + ", stride=" + std::to_string(stride) + ")");
    c.expr = "self." + c.attr + "("
        + (none ? c.in[0] : "F.pad(" + c.in[0] + ", " + padArgs(w) + ", value=float(\"-inf\"))") + ")";
}

// Average over the cells inside the input (padded cells are not counted), as the engine does.
void pyAvgPool2D(PyContext& c)
{
    const int64_t k = c.i("pool"), stride = poolStride(c);
    const Window2D w = windowOf(c, k, stride, c.s("padding"), 0);
    const bool none = w.padTop + w.padBottom + w.padLeft + w.padRight == 0;
    c.init.push_back("nn.AvgPool2d(" + std::to_string(k) + ", stride=" + std::to_string(stride) + ")");
    if (none) {
        c.expr = "self." + c.attr + "(" + c.in[0] + ")";
    } else {
        const std::string pad = padArgs(w);
        c.expr = "self." + c.attr + "(F.pad(" + c.in[0] + ", " + pad + ")) / self." + c.attr + "(F.pad(torch.ones_like("
            + c.in[0] + "[:1, :1]), " + pad + "))";
    }
}

void pyGlobalAvgPool2D(PyContext& c)
{
    c.expr = c.in[0] + ".mean(dim=(2, 3))";
}

void pyFlatten(PyContext& c)
{
    c.expr = "torch.flatten(" + c.in[0] + ", 1)";
}

void pyReshape(PyContext& c)
{
    std::string dims;
    const Shape& out = c.info->outputShape;
    for (int d = 0; d < out.rank(); ++d)
        dims += ", " + std::to_string(out[d]);
    c.expr = c.in[0] + ".reshape(" + c.in[0] + ".shape[0]" + dims + ")";
}

void pyRelu(PyContext& c)
{
    c.expr = "F.relu(" + c.in[0] + ")";
}
void pyLeakyRelu(PyContext& c)
{
    c.expr = "F.leaky_relu(" + c.in[0] + ", " + num(c.f("alpha")) + ")";
}
void pyElu(PyContext& c)
{
    c.expr = "F.elu(" + c.in[0] + ", " + num(c.f("alpha")) + ")";
}
void pyTanh(PyContext& c)
{
    c.expr = "torch.tanh(" + c.in[0] + ")";
}
void pySigmoid(PyContext& c)
{
    c.expr = "torch.sigmoid(" + c.in[0] + ")";
}
void pySoftmax(PyContext& c)
{
    c.expr = "torch.softmax(" + c.in[0] + ", dim=1)";
}
void pyDropout(PyContext& c)
{
    c.init.push_back("nn.Dropout(" + num(c.f("rate")) + ")");
    c.expr = "self." + c.attr + "(" + c.in[0] + ")";
}

void pyBatchNorm(PyContext& c)
{
    const Shape& in = c.info->inputShapes.at(0);
    const std::string kind = in.rank() == 3 ? "nn.BatchNorm2d" : "nn.BatchNorm1d";
    c.init.push_back(kind + "(" + std::to_string(in[0]) + ", eps=" + num(c.f("epsilon"))
        + ", momentum=" + num(c.f("momentum")) + ")");
    c.expr = "self." + c.attr + "(" + c.in[0] + ")";
    c.keys = { { "gamma", "weight" }, { "beta", "bias" }, { "running_mean", "running_mean" },
        { "running_var", "running_var" } };
}

void pyAdd(PyContext& c)
{
    std::string e;
    for (const std::string& v : c.in)
        e += (e.empty() ? "" : " + ") + v;
    c.expr = e;
}

void pyConcat(PyContext& c)
{
    std::string e;
    for (const std::string& v : c.in)
        e += (e.empty() ? "" : ", ") + v;
    c.expr = "torch.cat([" + e + "], dim=1)";
}

// ---- the sequence kinds: N×T×F tensors (batch_first) ----

// The input as N×T×F (a 1×T×F input is reshaped); its dimensions in `d`.
std::string sequenceInput(const PyContext& c, SequenceDims& d)
{
    const Shape& in = c.info->inputShapes.at(0);
    if (!sequenceDims(in, d))
        throw FormatError("layer " + c.node->id + " (kind " + c.node->type + "): needs a T\u00d7F sequence");
    if (in.rank() == 2)
        return c.in[0];
    return c.in[0] + ".reshape(" + c.in[0] + ".shape[0], " + std::to_string(d.steps) + ", " + std::to_string(d.features)
        + ")";
}

// The ids are floats rounded to the nearest id, as the layer does.
void pyEmbedding(PyContext& c)
{
    c.init.push_back("nn.Embedding(" + std::to_string(c.i("vocab")) + ", " + std::to_string(c.i("dim")) + ")");
    c.expr = "self." + c.attr + "(torch.floor(" + c.in[0] + ".reshape(" + c.in[0] + ".shape[0], -1) + 0.5).long())";
    c.keys = { { "weight", "weight" } };
}

// nn.RNN / nn.LSTM / nn.GRU with batch_first: the sequence output, or h_n (each direction's
// final state, forward then backward) as N×(D·H).
void pyRecurrent(PyContext& c, const std::string& module)
{
    SequenceDims d;
    const std::string x = sequenceInput(c, d);
    const bool bi = c.params.at("bidirectional").get<bool>();
    c.init.push_back(module + "(" + std::to_string(d.features) + ", " + std::to_string(c.i("units"))
        + ", batch_first=True, bidirectional=" + (bi ? "True" : "False") + ")");
    const std::string call = "self." + c.attr + "(" + x + ")";
    if (c.params.at("return_sequences").get<bool>()) {
        c.expr = call + "[0]";
    } else {
        const std::string hn = call + "[1]" + (module == "nn.LSTM" ? "[0]" : "");
        c.expr = hn + ".transpose(0, 1).reshape(-1, " + std::to_string((bi ? 2 : 1) * c.i("units")) + ")";
    }
    for (const char* p : { "weight_ih", "weight_hh", "bias_ih", "bias_hh" }) {
        c.keys[p] = std::string(p) + "_l0";
        c.keys[std::string(p) + "_reverse"] = std::string(p) + "_l0_reverse";
    }
}
void pySimpleRNN(PyContext& c)
{
    pyRecurrent(c, "nn.RNN");
}
void pyLSTM(PyContext& c)
{
    pyRecurrent(c, "nn.LSTM");
}
void pyGRU(PyContext& c)
{
    pyRecurrent(c, "nn.GRU");
}

// Conv1D and MaxPool1D work on N×F×T: transposed in and out; "same" padding as F.pad.
Window1D window1D(const PyContext& c, const SequenceDims& d, int64_t kernel, int64_t stride)
{
    Window1D w;
    if (const std::string why = computeWindow1D(d.steps, kernel, stride, c.s("padding"), w); !why.empty())
        throw FormatError("layer " + c.node->id + " (kind " + c.node->type + "): " + why);
    return w;
}
void pyConv1D(PyContext& c)
{
    SequenceDims d;
    const std::string x = sequenceInput(c, d);
    const int64_t k = c.i("kernel"), stride = c.i("stride");
    const Window1D w = window1D(c, d, k, stride);
    const bool sym = w.padFront == w.padBack;
    c.init.push_back("nn.Conv1d(" + std::to_string(d.features) + ", " + std::to_string(c.i("filters"))
        + ", kernel_size=" + std::to_string(k) + ", stride=" + std::to_string(stride) + ", padding="
        + std::to_string(sym ? w.padFront : 0) + ", bias=" + (c.hasWeight("bias") ? "True" : "False") + ")");
    const std::string xt = x + ".transpose(1, 2)";
    c.expr = "self." + c.attr + "("
        + (sym ? xt : "F.pad(" + xt + ", (" + std::to_string(w.padFront) + ", " + std::to_string(w.padBack) + "))")
        + ").transpose(1, 2)";
    c.keys = { { "weight", "weight" }, { "bias", "bias" } };
}
void pyMaxPool1D(PyContext& c)
{
    SequenceDims d;
    const std::string x = sequenceInput(c, d);
    const int64_t k = c.i("pool"), stride = poolStride(c);
    const Window1D w = window1D(c, d, k, stride);
    c.init.push_back("nn.MaxPool1d(" + std::to_string(k) + ", stride=" + std::to_string(stride) + ")");
    const std::string xt = x + ".transpose(1, 2)";
    c.expr = "self." + c.attr + "("
        + (w.padFront + w.padBack == 0 ? xt
                                       : "F.pad(" + xt + ", (" + std::to_string(w.padFront) + ", "
                    + std::to_string(w.padBack) + "), value=float(\"-inf\"))")
        + ").transpose(1, 2)";
}
void pyGlobalAvgPool1D(PyContext& c)
{
    SequenceDims d;
    c.expr = sequenceInput(c, d) + ".mean(dim=1)";
}
void pyGlobalMaxPool1D(PyContext& c)
{
    SequenceDims d;
    c.expr = sequenceInput(c, d) + ".amax(dim=1)";
}
// nn.Linear applies to the last dimension: the same Dense on every step.
void pyTimeDistributedDense(PyContext& c)
{
    SequenceDims d;
    const std::string x = sequenceInput(c, d);
    c.init.push_back("nn.Linear(" + std::to_string(d.features) + ", " + std::to_string(c.i("units"))
        + ", bias=" + (c.hasWeight("bias") ? "True" : "False") + ")");
    c.expr = "self." + c.attr + "(" + x + ")";
    c.keys = { { "weight", "weight" }, { "bias", "bias" } };
}

using PyFn = void (*)(PyContext&);

// Layer kind → its PyTorch code. Adding a kind: a function above and one line here.
const std::map<std::string, PyFn>& pyTable()
{
    static const std::map<std::string, PyFn> table {
        { "Input", pyInput },
        { "Dense", pyDense },
        { "Flatten", pyFlatten },
        { "Reshape", pyReshape },
        { "Conv2D", pyConv2D },
        { "MaxPool2D", pyMaxPool2D },
        { "AvgPool2D", pyAvgPool2D },
        { "GlobalAvgPool2D", pyGlobalAvgPool2D },
        { "ReLU", pyRelu },
        { "LeakyReLU", pyLeakyRelu },
        { "ELU", pyElu },
        { "Tanh", pyTanh },
        { "Sigmoid", pySigmoid },
        { "Softmax", pySoftmax },
        { "Dropout", pyDropout },
        { "BatchNorm", pyBatchNorm },
        { "Add", pyAdd },
        { "Concat", pyConcat },
        { "Embedding", pyEmbedding },
        { "SimpleRNN", pySimpleRNN },
        { "LSTM", pyLSTM },
        { "GRU", pyGRU },
        { "Conv1D", pyConv1D },
        { "MaxPool1D", pyMaxPool1D },
        { "GlobalAvgPool1D", pyGlobalAvgPool1D },
        { "GlobalMaxPool1D", pyGlobalMaxPool1D },
        { "TimeDistributedDense", pyTimeDistributedDense },
    };
    return table;
}

// A Python identifier for a node id, unique among `taken`.
std::string identifier(const std::string& id, std::set<std::string>& taken)
{
    static const std::set<std::string> reserved { "False", "None", "True", "and", "as", "assert", "async", "await",
        "break", "class", "continue", "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if",
        "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while", "with",
        "yield", "x", "self", "F", "nn", "torch", "training" };
    std::string s;
    for (char ch : id)
        s += ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_') ? ch : '_';
    if (s.empty() || (s[0] >= '0' && s[0] <= '9'))
        s = "n_" + s;
    if (reserved.count(s))
        s += "_";
    std::string unique = s;
    for (int k = 2; taken.count(unique); ++k)
        unique = s + "_" + std::to_string(k);
    taken.insert(unique);
    return unique;
}

std::string className(const std::string& name)
{
    std::string out;
    bool up = true;
    for (char ch : name) {
        const bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
        if (!alnum) {
            up = true;
            continue;
        }
        out += up && ch >= 'a' && ch <= 'z' ? static_cast<char>(ch - 'a' + 'A') : ch;
        up = false;
    }
    if (out.empty() || (out[0] >= '0' && out[0] <= '9'))
        out = "Model" + out;
    return out;
}

const char* kLoader = R"PY(
def read_safetensors(path):
    """The tensors of a safetensors file (float32, float64, float16) as numpy arrays."""
    with open(path, "rb") as f:
        data = f.read()
    (header_len,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + header_len])
    kinds = {"F32": np.float32, "F64": np.float64, "F16": np.float16}
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        raw = data[8 + header_len + begin:8 + header_len + end]
        tensors[name] = np.frombuffer(raw, dtype=kinds[info["dtype"]]).reshape(info["shape"]).astype(np.float32)
    return tensors


def load_weights(model, path):
    """Loads NetCanvas weights (safetensors, keys "node.param") into the model."""
    tensors = read_safetensors(path)
    state = model.state_dict()
    for key, target in WEIGHT_KEYS.items():
        if key not in tensors:
            raise KeyError(f"{path}: no tensor '{key}'")
        value = torch.from_numpy(tensors[key].copy())
        if tuple(value.shape) != tuple(state[target].shape):
            raise ValueError(f"{path}: '{key}' is {tuple(value.shape)}, the module's '{target}' is {tuple(state[target].shape)}")
        state[target] = value
    model.load_state_dict(state)
    return model
)PY";

} // namespace

std::vector<std::string> pyTorchExportKinds()
{
    std::vector<std::string> kinds;
    for (const auto& [kind, fn] : pyTable())
        kinds.push_back(kind);
    return kinds;
}

std::string pyTorchExportGaps(const ModelGraph& graph)
{
    std::string missing;
    for (const GraphNode& n : graph.nodes())
        if (!pyTable().count(n.type))
            missing
                += (missing.empty() ? "" : "; ") + ("layer " + n.id + " (kind " + n.type + ") has no PyTorch export");
    return missing;
}

std::string exportPyTorchCode(const ModelWeights& model)
{
    const ModelGraph& graph = model.graph;
    if (const std::string missing = pyTorchExportGaps(graph); !missing.empty())
        throw FormatError(missing);
    const GraphAnalysis a = graph.validate();

    std::set<std::string> weightKeys;
    for (const auto& [key, value] : model.values)
        weightKeys.insert(key);
    std::set<std::string> taken;
    std::map<std::string, std::string> var; // node id → Python name
    std::vector<std::string> initLines, forwardLines;
    std::vector<std::pair<std::string, std::string>> keyLines;
    const LayerRegistry& registry = LayerRegistry::builtin();
    for (const std::string& id : a.order) {
        const GraphNode& n = *graph.node(id);
        PyContext c;
        c.node = &n;
        c.info = &a.nodes.at(id);
        c.params = registry.resolveParams(n.type, n.params, n.id);
        c.weights = &weightKeys;
        c.attr = identifier(id, taken);
        for (const std::string& i : n.inputs)
            c.in.push_back(var.at(i));
        pyTable().at(n.type)(c);
        var[id] = n.type == "Input" ? "x" : c.attr;
        const std::string comment = c.attr == id ? "" : "  # node \"" + id + "\"";
        for (const std::string& line : c.init)
            initLines.push_back("self." + c.attr + " = " + line + comment);
        if (n.type != "Input")
            forwardLines.push_back(c.attr + " = " + c.expr + comment);
        for (const auto& [param, key] : c.keys)
            if (weightKeys.count(id + "." + param))
                keyLines.emplace_back(id + "." + param, c.attr + "." + key);
    }

    std::ostringstream py;
    const std::string cls = className(graph.name.empty() ? "Model" : graph.name);
    py << "# " << (graph.name.empty() ? "model" : graph.name) << ": PyTorch code exported by NetCanvas.\n";
    if (!graph.description.empty())
        py << "# " << graph.description << "\n";
    py << "#\n# Input: float32 N x " << a.inputShape.toString() << ", made from pixels as ";
    if (model.normalization.empty())
        py << "pixel / 255.\n";
    else
        py << "(pixel / 255 - MEAN[c]) / STD[c] per channel c.\n";
    py << "# Output: N x " << a.outputShape.toString() << " "
       << (outputIsProbabilities(graph, a) ? "class probabilities (the model ends in Softmax)." : "values (logits).")
       << "\n# Usage: model = load_weights(" << cls << "(), \"weights.safetensors\").eval(); y = model(x)\n\n"
       << "import json\nimport struct\nimport sys\n\nimport numpy as np\nimport torch\nfrom torch import nn\n"
          "import torch.nn.functional as F\n\n";
    nlohmann::json classes = model.classNames;
    py << "CLASSES = " << classes.dump() << "\n";
    py << "MEAN = " << nlohmann::json(model.normalization.mean).dump() << "\n";
    py << "STD = " << nlohmann::json(model.normalization.stddev).dump() << "\n";
    py << "INPUT_SHAPE = (";
    for (int d = 0; d < a.inputShape.rank(); ++d)
        py << a.inputShape[d] << (a.inputShape.rank() == 1 || d + 1 < a.inputShape.rank() ? ", " : "");
    py << ")\n\n# NetCanvas weight name -> state_dict key\nWEIGHT_KEYS = {\n";
    for (const auto& [from, to] : keyLines)
        py << "    " << pyString(from) << ": " << pyString(to) << ",\n";
    py << "}\n\n\nclass " << cls << "(nn.Module):\n    def __init__(self):\n        super().__init__()\n";
    for (const std::string& line : initLines)
        py << "        " << line << "\n";
    if (initLines.empty())
        py << "        pass\n";
    py << "\n    def forward(self, x):\n";
    for (const std::string& line : forwardLines)
        py << "        " << line << "\n";
    py << "        return " << var.at(a.outputNode) << "\n\n" << kLoader;
    py << "\n\nif __name__ == \"__main__\":\n"
          "    model = "
       << cls
       << "()\n"
          "    if len(sys.argv) > 1:\n"
          "        load_weights(model, sys.argv[1])\n"
          "    model.eval()\n"
          "    with torch.no_grad():\n"
          "        print(model(torch.zeros(1, *INPUT_SHAPE)))\n";
    return py.str();
}

void exportPyTorch(const ModelWeights& model, const std::string& path)
{
    writeFileAtomic(path, exportPyTorchCode(model));
}

} // namespace netcanvas
