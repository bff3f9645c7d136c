// ONNX export and import, PyTorch code export (engine/interop, docs/onnx.md): round trips of
// every template and of a graph with every layer kind, OpenCV's dnn reading our files, ONNX's
// checker, the PyTorch code run by PyTorch, a torch.onnx.export'ed CNN imported, ONNX's own
// conformance data (libonnx-testdata), malformed and unsupported files, and the CLI commands.
#include "common/Fixtures.h"

#include "engine/backend/Backend.h"
#include "engine/core/Error.h"
#include "engine/core/Rng.h"
#include "engine/graph/ModelJson.h"
#include "engine/interop/Interchange.h"
#include "engine/interop/OnnxExport.h"
#include "engine/interop/OnnxImport.h"
#include "engine/interop/PyTorchExport.h"
#include "engine/io/AtomicFile.h"
#include "engine/io/Safetensors.h"
#include "engine/train/Network.h"

#include <QDir>
#include <QFileInfo>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <onnx.pb.h>
#include <opencv2/dnn.hpp>
#include <set>

using namespace netcanvas;
using netcanvas::fixtures::makeNode;
namespace fs = std::filesystem;

namespace {

const char* kPython = "/usr/bin/python3"; // Debian's, with python3-torch and python3-onnx

// Kinds OpenCV 4.6's dnn (readNetFromONNX) cannot read as NetCanvas exports them; models with
// them are left out of opencvAgrees (docs/onnx.md lists them), every other kind must agree.
const std::set<std::string> kOpenCvUnreadable {
    "Embedding", // Gather with computed indices: "Blob emb/cast not found in const blobs"
    "SimpleRNN", // its importer has no RNN op ("DNN/ONNX/Attribute ... not implemented")
    "LSTM", // read, but its Y is reshaped for a batch of 1 ([6 3 4] to [6 1 1 4] fails for N = 3)
    "GRU", // its importer asserts input_size() == 6 (sequence_lens and initial_h given)
};

// Every kind registered today, each at least once: convolutions with same, explicit and no
// padding, pools with and without (asymmetric) padding, batch norm over channels and over
// features, a Dense on a rank-3 input, Add of two and of three inputs, Concat, Reshape.
ModelGraph allKindsGraph()
{
    ModelGraph g;
    g.name = "all-kinds";
    g.addNode(makeNode("input", "Input", {}, { { "channels", 3 }, { "height", 12 }, { "width", 12 } }));
    g.addNode(makeNode("c1", "Conv2D", { "input" }, { { "filters", 4 }, { "kernel", 3 }, { "padding", "same" } }));
    g.addNode(makeNode("bn1", "BatchNorm", { "c1" }));
    g.addNode(makeNode("r1", "ReLU", { "bn1" }));
    g.addNode(makeNode("p1", "MaxPool2D", { "r1" }, { { "pool", 2 } })); // 4×6×6
    g.addNode(makeNode("c2", "Conv2D", { "p1" },
        { { "filters", 4 }, { "kernel", 3 }, { "padding", "explicit" }, { "pad", 1 }, { "bias", false } }));
    g.addNode(makeNode("lr", "LeakyReLU", { "c2" }, { { "alpha", 0.1 } }));
    g.addNode(makeNode("c3", "Conv2D", { "p1" }, { { "filters", 4 }, { "kernel", 1 } }));
    g.addNode(makeNode("el", "ELU", { "c3" }, { { "alpha", 0.7 } }));
    g.addNode(makeNode("add", "Add", { "lr", "el", "p1" }));
    g.addNode(makeNode("cat", "Concat", { "add", "p1" })); // 8×6×6
    g.addNode(makeNode("ap", "AvgPool2D", { "cat" }, { { "pool", 3 }, { "stride", 2 }, { "padding", "same" } }));
    g.addNode(makeNode("th", "Tanh", { "ap" })); // 8×3×3
    g.addNode(makeNode("gap", "GlobalAvgPool2D", { "th" })); // 8
    g.addNode(makeNode("fl", "Flatten", { "th" })); // 72
    g.addNode(makeNode("d1", "Dense", { "fl" }, { { "units", 16 } }));
    g.addNode(makeNode("sg", "Sigmoid", { "d1" }));
    g.addNode(makeNode("bn2", "BatchNorm", { "sg" }));
    g.addNode(makeNode("dr", "Dropout", { "bn2" }, { { "rate", 0.3 } }));
    g.addNode(makeNode("rs", "Reshape", { "dr" }, { { "shape", "4x2x2" } }));
    g.addNode(makeNode("d2", "Dense", { "rs" }, { { "units", 8 } }));
    g.addNode(makeNode("add2", "Add", { "d2", "gap" }));
    g.addNode(makeNode("out", "Dense", { "add2" }, { { "units", 5 } }));
    g.addNode(makeNode("sm", "Softmax", { "out" }));
    return g;
}

// Every sequence kind (token ids → Embedding → recurrent, 1-D conv and pool, per-step Dense,
// global pools): LSTM bidirectional with sequences out, GRU forward with sequences, SimpleRNN
// bidirectional with the final states out (the backward one after reading step 0).
ModelGraph sequenceKindsGraph()
{
    ModelGraph g;
    g.name = "sequence-kinds";
    g.addNode(makeNode("input", "Input", {}, { { "channels", 1 }, { "height", 1 }, { "width", 8 } })); // 8 ids
    g.addNode(makeNode("emb", "Embedding", { "input" }, { { "vocab", 20 }, { "dim", 6 } })); // 8×6
    g.addNode(makeNode("lstm", "LSTM", { "emb" },
        { { "units", 5 }, { "return_sequences", true }, { "bidirectional", true } })); // 8×10
    g.addNode(makeNode("conv", "Conv1D", { "lstm" }, { { "filters", 6 }, { "kernel", 4 }, { "padding", "same" } }));
    g.addNode(makeNode("pool", "MaxPool1D", { "conv" }, { { "pool", 2 } })); // 4×6
    g.addNode(makeNode("gru", "GRU", { "pool" }, { { "units", 4 }, { "return_sequences", true } })); // 4×4
    g.addNode(makeNode("td", "TimeDistributedDense", { "gru" }, { { "units", 5 } })); // 4×5
    g.addNode(makeNode("rnn", "SimpleRNN", { "td" }, { { "units", 3 }, { "bidirectional", true } })); // 6
    g.addNode(makeNode("gavg", "GlobalAvgPool1D", { "td" })); // 5
    g.addNode(makeNode("gmax", "GlobalMaxPool1D", { "pool" })); // 6
    g.addNode(makeNode("cat", "Concat", { "rnn", "gavg", "gmax" })); // 17
    g.addNode(makeNode("out", "Dense", { "cat" }, { { "units", 4 } }));
    g.addNode(makeNode("sm", "Softmax", { "out" }));
    return g;
}

// A float sequence (1×T×F input): strided "same" Conv1D, bidirectional GRU and LSTM giving
// their final states, SimpleRNN with sequences, an overlapping padded MaxPool1D, a bias-less
// TimeDistributedDense.
ModelGraph sequenceFloatGraph()
{
    ModelGraph g;
    g.name = "sequence-float";
    g.addNode(makeNode("input", "Input", {}, { { "channels", 1 }, { "height", 7 }, { "width", 3 } })); // 7×3
    g.addNode(makeNode("conv", "Conv1D", { "input" },
        { { "filters", 4 }, { "kernel", 2 }, { "stride", 2 }, { "padding", "same" }, { "bias", false } })); // 4×4
    g.addNode(makeNode("gru", "GRU", { "conv" }, { { "units", 3 }, { "bidirectional", true } })); // 6
    g.addNode(makeNode("lstm", "LSTM", { "input" }, { { "units", 4 }, { "bidirectional", true } })); // 8
    g.addNode(makeNode("rnn", "SimpleRNN", { "input" }, { { "units", 5 }, { "return_sequences", true } })); // 7×5
    g.addNode(makeNode("pool", "MaxPool1D", { "rnn" }, { { "pool", 3 }, { "stride", 2 }, { "padding", "same" } }));
    g.addNode(makeNode("td", "TimeDistributedDense", { "pool" }, { { "units", 2 }, { "bias", false } })); // 4×2
    g.addNode(makeNode("gmax", "GlobalMaxPool1D", { "td" })); // 2
    g.addNode(makeNode("cat", "Concat", { "gru", "lstm", "gmax" })); // 16
    g.addNode(makeNode("out", "Dense", { "cat" }, { { "units", 3 } }));
    return g;
}

// One kind after a 1×T×F input, for the readers that take some kinds and not others (OpenCV).
ModelGraph oneSequenceKindGraph(const std::string& kind, nlohmann::json params, int index)
{
    ModelGraph g;
    g.name = "sequence-" + std::to_string(index) + "-" + kind; // unique: the checks name files after it
    g.addNode(makeNode("input", "Input", {}, { { "channels", 1 }, { "height", 6 }, { "width", 3 } }));
    g.addNode(makeNode("layer", kind, { "input" }, std::move(params)));
    return g;
}

// A Softmax over the channels at each pixel (a segmentation head): N×3×6×6 out.
ModelGraph pixelSoftmaxGraph()
{
    ModelGraph g;
    g.name = "pixel-softmax";
    g.addNode(makeNode("input", "Input", {}, { { "channels", 2 }, { "height", 6 }, { "width", 6 } }));
    g.addNode(makeNode("conv", "Conv2D", { "input" }, { { "filters", 3 }, { "kernel", 3 }, { "padding", "same" } }));
    g.addNode(makeNode("softmax", "Softmax", { "conv" }));
    return g;
}

// Weights as after training: the layers' initializers, then biases, batch-norm scales, shifts
// and running statistics moved away from their identity defaults.
std::shared_ptr<ModelWeights> trainedLike(const ModelGraph& graph, uint64_t seed)
{
    auto backend = createCpuBackend(1);
    Network net(graph, *backend, seed);
    Rng rng(seed + 7);
    for (const NamedParameter& p : net.parameters()) {
        Tensor& v = p.param->value;
        const std::string& name = p.param->name;
        for (int64_t i = 0; i < v.size(); ++i) {
            const float u = rng.uniform() - 0.5f;
            if (name == "running_var")
                v[i] = 0.5f + 2.0f * (u + 0.5f);
            else if (name == "gamma")
                v[i] = 1.0f + u;
            else if (name != "weight")
                v[i] = 0.6f * u;
        }
    }
    std::vector<std::string> classes;
    for (int64_t c = 0; c < net.outputShape().numel(); ++c)
        classes.push_back("class " + std::to_string(c));
    Normalization norm;
    for (int64_t c = 0; c < net.inputShape()[0]; ++c) {
        norm.mean.push_back(0.25f + 0.1f * static_cast<float>(c));
        norm.stddev.push_back(0.3f);
    }
    return ModelWeights::capture(graph, net, norm, classes);
}

Tensor randomInput(const Shape& perSample, int64_t n, uint64_t seed)
{
    std::vector<int64_t> dims { n };
    for (int d = 0; d < perSample.rank(); ++d)
        dims.push_back(perSample[d]);
    Tensor t { Shape(dims) };
    Rng rng(seed);
    for (int64_t i = 0; i < t.size(); ++i)
        t[i] = 2.0f * rng.uniform() - 1.0f;
    return t;
}

// An input for the model: token ids (integers below the vocabulary) when an Embedding reads
// the input, else uniform values in [-1, 1].
Tensor modelInput(const ModelGraph& graph, int64_t n, uint64_t seed)
{
    const GraphAnalysis a = graph.analyze();
    Tensor t = randomInput(a.inputShape, n, seed);
    for (const GraphNode& node : graph.nodes())
        if (node.type == "Embedding" && node.inputs.at(0) == a.inputNode) {
            const int64_t vocab = node.params.value("vocab", 1000);
            Rng rng(seed + 1);
            for (int64_t i = 0; i < t.size(); ++i)
                t[i] = std::floor(static_cast<float>(vocab) * rng.uniform() * 0.999f);
        }
    return t;
}

// The model's output for `input` (inference mode), on the CPU.
Tensor forwardOf(const ModelWeights& model, const Tensor& input)
{
    auto backend = createCpuBackend(1);
    Network net(model.graph, *backend);
    if (!model.loadInto(net))
        throw FormatError("weights do not fit: " + model.mismatch(net));
    return net.hostCopy(net.forward(input, false));
}

float maxAbsDiff(const float* a, const float* b, int64_t n)
{
    float m = 0.0f;
    for (int64_t i = 0; i < n; ++i)
        m = std::max(m, std::abs(a[i] - b[i]));
    return m;
}

// Row-wise softmax of an N×K output (for comparing logits-ended models on probabilities).
std::vector<float> probabilities(const float* x, int64_t n, int64_t k, bool already)
{
    std::vector<float> p(x, x + n * k);
    if (already)
        return p;
    for (int64_t r = 0; r < n; ++r) {
        float* row = p.data() + r * k;
        const float m = *std::max_element(row, row + k);
        float sum = 0.0f;
        for (int64_t j = 0; j < k; ++j)
            sum += (row[j] = std::exp(row[j] - m));
        for (int64_t j = 0; j < k; ++j)
            row[j] /= sum;
    }
    return p;
}

std::vector<std::string> templatePaths()
{
    std::vector<std::string> paths;
    for (const auto& e : fs::directory_iterator(fs::path(NETCANVAS_SOURCE_DIR) / "models"))
        if (e.path().extension() == ".json")
            paths.push_back(e.path().string());
    std::sort(paths.begin(), paths.end());
    return paths;
}

// Single-kind sequence models: every variant of a kind's ONNX pattern once.
std::vector<std::pair<std::string, nlohmann::json>> oneKindCases()
{
    return {
        { "LSTM", { { "units", 4 }, { "return_sequences", true } } },
        { "LSTM", { { "units", 4 } } },
        { "GRU", { { "units", 4 }, { "return_sequences", true }, { "bidirectional", true } } },
        { "SimpleRNN", { { "units", 4 } } },
        { "GRU", { { "units", 3 }, { "return_sequences", true } } },
        { "GRU", { { "units", 3 } } },
        { "Conv1D", { { "filters", 5 }, { "kernel", 3 }, { "padding", "same" } } },
        { "Conv1D", { { "filters", 5 }, { "kernel", 2 }, { "stride", 2 } } },
        { "MaxPool1D", { { "pool", 2 }, { "padding", "same" } } },
        { "GlobalAvgPool1D", nlohmann::json::object() },
        { "GlobalMaxPool1D", nlohmann::json::object() },
        { "TimeDistributedDense", { { "units", 4 } } },
    };
}

// The models every check runs on: each template and the all-kinds graph, trained-like.
std::vector<std::shared_ptr<ModelWeights>> modelsUnderTest()
{
    std::vector<std::shared_ptr<ModelWeights>> models;
    uint64_t seed = 11;
    for (const std::string& path : templatePaths())
        models.push_back(trainedLike(loadModelFile(path), seed++));
    models.push_back(trainedLike(allKindsGraph(), seed++));
    models.push_back(trainedLike(pixelSoftmaxGraph(), seed++));
    models.push_back(trainedLike(sequenceKindsGraph(), seed++));
    models.push_back(trainedLike(sequenceFloatGraph(), seed++));
    int index = 0;
    for (const auto& [kind, params] : oneKindCases())
        models.push_back(trainedLike(oneSequenceKindGraph(kind, params, ++index), seed++));
    return models;
}

// Whether /usr/bin/python3 can import these modules; `why` says what is missing.
bool pythonHas(const QStringList& modules, QString& why)
{
    if (!QFileInfo::exists(kPython)) {
        why = QString("%1 is not installed").arg(kPython);
        return false;
    }
    // find_spec looks for the modules without importing them (importing torch takes seconds).
    QProcess p;
    p.start(kPython,
        QStringList { "-c",
            "import importlib.util, sys\n"
            "missing = [m for m in sys.argv[1:] if importlib.util.find_spec(m) is None]\n"
            "print(' '.join(missing))\n"
            "sys.exit(1 if missing else 0)" }
            + modules);
    p.waitForFinished(60000);
    if (p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0)
        return true;
    why = QString("%1 has no module %2").arg(kPython, QString::fromUtf8(p.readAllStandardOutput()).trimmed());
    return false;
}

// Runs a command; fails the test with its output unless it exits 0.
QString runOk(const QString& program, const QStringList& args)
{
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(program, args);
    if (!p.waitForFinished(240000))
        return "TIMEOUT";
    const QString out = QString::fromUtf8(p.readAll());
    return p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0 ? QString() : "FAILED: " + out;
}

void writeFloats(const std::string& path, const Tensor& t)
{
    writeFileAtomic(path, std::string(reinterpret_cast<const char*>(t.data()), static_cast<size_t>(t.size()) * 4));
}

std::vector<float> readFloats(const std::string& path)
{
    const std::string bytes = readFile(path);
    std::vector<float> v(bytes.size() / 4);
    std::memcpy(v.data(), bytes.data(), v.size() * 4);
    return v;
}

std::string message(const std::function<void()>& f)
{
    try {
        f();
    } catch (const std::exception& e) {
        return e.what();
    }
    return "(no error)";
}

} // namespace

class TestOnnx : public QObject {
    Q_OBJECT

private slots:
    void everyKindExports();
    void roundTrip();
    void importedGraphIsLaidOutWithNodeIds();
    void opencvAgrees();
    void onnxCheckerAccepts();
    void recurrentOpsMatchOnnxReference();
    void pytorchCodeMatches();
    void torchExportedCnnImports();
    void nhwcModelImports();
    void conformanceData();
    void malformedFiles();
    void unsupportedNodesAreAllListed();
    void unsupportedSequenceNodesAreListed();
    void cliExportAndImport();

private:
    // The files of make_torch_cnn.py (which also runs make_nhwc_model.py), made once; empty
    // with `why` set when they cannot be.
    QString torchFixtures(QString& why);
    QTemporaryDir m_torchDir;
    QString m_torchFailure;
    bool m_torchMade = false;
};

QString TestOnnx::torchFixtures(QString& why)
{
    if (!pythonHas({ "torch", "numpy", "onnx" }, why))
        return {};
    if (!m_torchMade) {
        m_torchFailure = runOk(
            kPython, { QString(NETCANVAS_SOURCE_DIR) + "/tests/engine/onnx/make_torch_cnn.py", m_torchDir.path() });
        m_torchMade = true;
    }
    why = m_torchFailure;
    return m_torchFailure.isEmpty() ? m_torchDir.path() : QString();
}

// Every registered kind has an ONNX and a PyTorch export entry and is in the all-kinds graph
// (a new kind fails here until it has its entries and a node there).
void TestOnnx::everyKindExports()
{
    std::set<std::string> used;
    for (const ModelGraph& g : { allKindsGraph(), sequenceKindsGraph() }) {
        for (const GraphNode& n : g.nodes())
            used.insert(n.type);
        QCOMPARE(onnxExportGaps(g), std::string());
        QCOMPARE(pyTorchExportGaps(g), std::string());
    }
    const std::vector<std::string> py = pyTorchExportKinds();
    for (const LayerInfo& info : LayerRegistry::builtin().all()) {
        QVERIFY2(hasOnnxExport(info.type), ("no ONNX export entry for kind " + info.type).c_str());
        QVERIFY2(
            std::count(py.begin(), py.end(), info.type), ("no PyTorch export entry for kind " + info.type).c_str());
        QVERIFY2(used.count(info.type),
            ("neither allKindsGraph() nor sequenceKindsGraph() has a node of kind " + info.type).c_str());
    }
    QVERIFY(!hasOnnxExport("NoSuchKind"));
    // A kind without entries (one registered later) is named, with its node, before any work.
    ModelGraph later = allKindsGraph();
    later.addNode(makeNode("rnn1", "FancyLSTM", { "input" }));
    QCOMPARE(onnxExportGaps(later), std::string("layer rnn1 (kind FancyLSTM) has no ONNX export"));
    QCOMPARE(pyTorchExportGaps(later), std::string("layer rnn1 (kind FancyLSTM) has no PyTorch export"));
    QCOMPARE(onnxExportGaps(allKindsGraph()), std::string());
    ModelWeights weights;
    weights.graph = later;
    QVERIFY_EXCEPTION_THROWN(exportOnnxBytes(weights), FormatError);
}

// Export → import gives the same outputs (≤ 1e-5), the same metadata, and every parameter.
void TestOnnx::roundTrip()
{
    for (const auto& model : modelsUnderTest()) {
        const std::string bytes = exportOnnxBytes(*model);
        const auto back = importOnnxBytes(bytes, model->graph.name + ".onnx");
        const Tensor x = modelInput(model->graph, 3, 5);
        const Tensor a = forwardOf(*model, x), b = forwardOf(*back, x);
        QCOMPARE(a.shape(), b.shape());
        const float diff = maxAbsDiff(a.data(), b.data(), a.size());
        QVERIFY2(diff <= 1e-5f, (model->graph.name + ": max |difference| " + std::to_string(diff)).c_str());
        qInfo("round trip %s: max |difference| %g", model->graph.name.c_str(), static_cast<double>(diff));
        QCOMPARE(back->graph.name, model->graph.name);
        QCOMPARE(back->classNames, model->classNames);
        QCOMPARE(back->normalization.mean, model->normalization.mean);
        QCOMPARE(back->normalization.stddev, model->normalization.stddev);
        int64_t before = 0, after = 0;
        for (const auto& [k, v] : model->values)
            before += v.size();
        for (const auto& [k, v] : back->values)
            after += v.size();
        QCOMPARE(after, before);
    }
}

// Node ids come from the ONNX node names (the exporter's are ours); positions are layered.
void TestOnnx::importedGraphIsLaidOutWithNodeIds()
{
    for (const ModelGraph& graph : { allKindsGraph(), sequenceKindsGraph(), sequenceFloatGraph() }) {
        const auto model = trainedLike(graph, 3);
        const auto back = importOnnxBytes(exportOnnxBytes(*model), graph.name + ".onnx");
        // The sequence graphs come back node for node, the same kinds (the image graph's
        // GlobalAvgPool2D and a Dense on a rank-3 input come back with a Flatten of their own).
        const bool nodeForNode = graph.name != "all-kinds";
        for (const GraphNode& n : model->graph.nodes()) {
            QVERIFY2(back->graph.contains(n.id), ("node " + n.id + " lost its id").c_str());
            if (nodeForNode)
                QCOMPARE(back->graph.node(n.id)->type, n.type);
        }
        if (nodeForNode)
            QCOMPARE(back->graph.nodes().size(), model->graph.nodes().size());
        std::set<std::pair<int64_t, int64_t>> positions;
        for (const GraphNode& n : back->graph.nodes()) {
            QVERIFY(n.ui.contains("x") && n.ui.contains("y"));
            positions.insert({ n.ui["x"].get<int64_t>(), n.ui["y"].get<int64_t>() });
            for (const std::string& in : n.inputs) // inputs sit above their consumers
                QVERIFY(back->graph.node(in)->ui["y"].get<int64_t>() < n.ui["y"].get<int64_t>());
        }
        QCOMPARE(positions.size(), back->graph.nodes().size()); // no two nodes on one spot
    }
}

// OpenCV's dnn module reads every exported model and gives the same probabilities (≤ 1e-4).
void TestOnnx::opencvAgrees()
{
    std::set<std::string> checkedKinds;
    for (const auto& model : modelsUnderTest()) {
        bool readable = true;
        for (const GraphNode& n : model->graph.nodes())
            readable = readable && !kOpenCvUnreadable.count(n.type);
        if (!readable)
            continue; // a kind OpenCV 4.6 cannot read (kOpenCvUnreadable); every other kind is required
        for (const GraphNode& n : model->graph.nodes())
            checkedKinds.insert(n.type);
        const std::string bytes = exportOnnxBytes(*model);
        cv::dnn::Net net = cv::dnn::readNetFromONNX(bytes.data(), bytes.size());
        const GraphAnalysis a = model->graph.analyze();
        const Tensor x = modelInput(model->graph, 3, 9);
        std::vector<int> dims { 3 };
        for (int d = 0; d < a.inputShape.rank(); ++d)
            dims.push_back(static_cast<int>(a.inputShape[d]));
        cv::Mat blob(static_cast<int>(dims.size()), dims.data(), CV_32F, const_cast<float*>(x.data()));
        net.setInput(blob);
        cv::Mat out = net.forward();
        const Tensor ours = forwardOf(*model, x);
        QCOMPARE(static_cast<int64_t>(out.total()), ours.size());
        const int64_t k = a.outputShape.numel();
        const bool probs = outputIsProbabilities(model->graph, a);
        const auto p = probabilities(ours.data(), 3, k, probs);
        const auto q = probabilities(out.ptr<float>(), 3, k, probs);
        const float diff = maxAbsDiff(p.data(), q.data(), 3 * k);
        QVERIFY2(diff <= 1e-4f, (model->graph.name + ": OpenCV differs by " + std::to_string(diff)).c_str());
        const float raw = maxAbsDiff(ours.data(), out.ptr<float>(), ours.size());
        QVERIFY2(raw <= 1e-4f, (model->graph.name + ": OpenCV's outputs differ by " + std::to_string(raw)).c_str());
        qInfo("OpenCV %s: max |difference| %g", model->graph.name.c_str(), static_cast<double>(raw));
    }
    for (const LayerInfo& info : LayerRegistry::builtin().all())
        QVERIFY2(checkedKinds.count(info.type) || kOpenCvUnreadable.count(info.type),
            ("OpenCV was not checked on kind " + info.type).c_str());
}

void TestOnnx::onnxCheckerAccepts()
{
    QString why;
    if (!pythonHas({ "onnx" }, why))
        QSKIP(qPrintable("ONNX's checker not run: " + why));
    QTemporaryDir dir;
    QStringList args { QString(NETCANVAS_SOURCE_DIR) + "/tests/engine/onnx/check_onnx.py" };
    for (const auto& model : modelsUnderTest()) {
        const std::string path = dir.filePath(QString::fromStdString(model->graph.name) + ".onnx").toStdString();
        exportOnnx(*model, path);
        args << QString::fromStdString(path);
    }
    OnnxExportOptions newest;
    newest.opset = 17; // the newest opset the export offers (and python3-onnx 1.12 knows)
    exportOnnx(*trainedLike(allKindsGraph(), 1), dir.filePath("opset17.onnx").toStdString(), newest);
    args << dir.filePath("opset17.onnx");
    newest.opset = 12;
    QVERIFY_EXCEPTION_THROWN(exportOnnxBytes(*trainedLike(allKindsGraph(), 1), newest), FormatError);
    const QString failure = runOk(kPython, args);
    QVERIFY2(failure.isEmpty(), qPrintable(failure));
}

// The one-direction single-kind RNN / LSTM / GRU exports give what ONNX's own reference
// implementation of the ops (python3-onnx's backend test helpers) computes from their
// initializers: the gate reordering, linear_before_reset and the Y / Y_h layout (≤ 1e-5).
// Bidirectional ones are checked by the round trip and PyTorch only (the helpers have no
// bidirectional mode; ONNX Runtime by hand, docs/onnx.md).
void TestOnnx::recurrentOpsMatchOnnxReference()
{
    QString why;
    if (!pythonHas({ "onnx", "numpy" }, why))
        QSKIP(qPrintable("ONNX's reference not run: " + why));
    QTemporaryDir dir;
    QStringList args { QString(NETCANVAS_SOURCE_DIR) + "/tests/engine/onnx/check_recurrent.py" };
    std::set<std::string> kinds;
    for (const auto& model : modelsUnderTest()) {
        const ModelGraph& g = model->graph;
        if (g.nodes().size() != 2 || !g.contains("layer"))
            continue;
        const GraphNode& n = *g.node("layer");
        if ((n.type != "SimpleRNN" && n.type != "LSTM" && n.type != "GRU") || n.params.value("bidirectional", false))
            continue;
        kinds.insert(n.type);
        const std::string base = dir.filePath(QString::fromStdString(g.name)).toStdString();
        exportOnnx(*model, base + ".onnx");
        const Tensor x = modelInput(g, 3, 17);
        writeFloats(base + ".in", x);
        writeFloats(base + ".out", forwardOf(*model, x));
        args << QString::fromStdString(base + ".onnx," + base + ".in,3," + base + ".out");
    }
    QCOMPARE(kinds.size(), size_t(3));
    const QString failure = runOk(kPython, args);
    QVERIFY2(failure.isEmpty(), qPrintable(failure));
}

// The PyTorch code, run by PyTorch with the weights file, gives our outputs (≤ 1e-4).
void TestOnnx::pytorchCodeMatches()
{
    QString why;
    if (!pythonHas({ "torch", "numpy" }, why))
        QSKIP(qPrintable("the PyTorch code was not run: " + why));
    QTemporaryDir dir;
    QStringList args { QString(NETCANVAS_SOURCE_DIR) + "/tests/engine/onnx/run_pytorch.py" };
    struct Job {
        std::shared_ptr<ModelWeights> model;
        Tensor input;
        std::string output;
    };
    std::vector<Job> jobs;
    for (const auto& model : modelsUnderTest()) {
        const std::string base = dir.filePath(QString::fromStdString(model->graph.name)).toStdString();
        const std::string code = base + ".py", weights = base + ".safetensors", input = base + ".in";
        exportPyTorch(*model, code);
        saveModelWeights(*model, base + ".json", weights);
        Job job { model, modelInput(model->graph, 2, 21), base + ".out" };
        writeFloats(input, job.input);
        args << QString::fromStdString(code + "," + weights + "," + input + ",2," + job.output);
        jobs.push_back(std::move(job));
    }
    const QString failure = runOk(kPython, args);
    QVERIFY2(failure.isEmpty(), qPrintable(failure));
    for (const Job& job : jobs) {
        const Tensor ours = forwardOf(*job.model, job.input);
        const std::vector<float> theirs = readFloats(job.output);
        QCOMPARE(static_cast<int64_t>(theirs.size()), ours.size());
        const float diff = maxAbsDiff(ours.data(), theirs.data(), ours.size());
        QVERIFY2(diff <= 1e-4f, (job.model->graph.name + ": PyTorch differs by " + std::to_string(diff)).c_str());
        qInfo("PyTorch %s: max |difference| %g", job.model->graph.name.c_str(), static_cast<double>(diff));
    }
}

// A CNN with batch norm written by torch.onnx.export imports and predicts like PyTorch.
void TestOnnx::torchExportedCnnImports()
{
    QString why;
    const QString path = torchFixtures(why);
    if (path.isEmpty() && !pythonHas({ "torch", "numpy", "onnx" }, why))
        QSKIP(qPrintable("torch.onnx.export not run: " + why));
    QVERIFY2(!path.isEmpty(), qPrintable(why));
    const QDir dir(path);
    const auto model = importOnnx(dir.filePath("cnn.onnx").toStdString());
    std::set<std::string> kinds;
    for (const GraphNode& n : model->graph.nodes())
        kinds.insert(n.type);
    for (const char* k : { "Conv2D", "BatchNorm", "MaxPool2D", "AvgPool2D", "GlobalAvgPool2D", "Dense", "Softmax" })
        QVERIFY2(kinds.count(k), (std::string("no ") + k + " in the imported graph").c_str());
    for (const char* id : { "conv1", "bn1", "pool1", "conv2", "bn2", "gap", "fc" }) // PyTorch's module names
        QVERIFY2(model->graph.contains(id), (std::string("no node ") + id).c_str());
    const std::vector<float> x = readFloats(dir.filePath("input.bin").toStdString());
    const std::vector<float> expected = readFloats(dir.filePath("expected.bin").toStdString());
    const Tensor input(Shape { 4, 1, 12, 12 }, x);
    const Tensor ours = forwardOf(*model, input);
    QCOMPARE(ours.size(), static_cast<int64_t>(expected.size()));
    const float diff = maxAbsDiff(ours.data(), expected.data(), ours.size());
    QVERIFY2(diff <= 1e-5f, ("differs from PyTorch by " + std::to_string(diff)).c_str());
}

// A Keras/tf2onnx-style NHWC graph (Transpose in, Transpose back before the flatten) imports
// as an NCHW model whose Dense columns are permuted, and predicts like PyTorch.
void TestOnnx::nhwcModelImports()
{
    QString why;
    const QString path = torchFixtures(why);
    if (path.isEmpty() && !pythonHas({ "torch", "numpy", "onnx" }, why))
        QSKIP(qPrintable("the NHWC model was not made: " + why));
    QVERIFY2(!path.isEmpty(), qPrintable(why));
    const QDir dir(path);
    const auto model = importOnnx(dir.filePath("nhwc.onnx").toStdString());
    QCOMPARE(model->graph.analyze().inputShape, (Shape { 2, 5, 4 })); // takes N×C×H×W
    const Tensor input(Shape { 3, 2, 5, 4 }, readFloats(dir.filePath("input_nchw.bin").toStdString()));
    const std::vector<float> expected = readFloats(dir.filePath("nhwc_expected.bin").toStdString());
    const Tensor ours = forwardOf(*model, input);
    QCOMPARE(ours.size(), static_cast<int64_t>(expected.size()));
    const float diff = maxAbsDiff(ours.data(), expected.data(), ours.size());
    QVERIFY2(diff <= 1e-5f, ("differs from PyTorch by " + std::to_string(diff)).c_str());
}

// ONNX's conformance data: every node and pytorch-converted test whose ops import runs through
// import + forward and must match within the ONNX backend runner's tolerances (rtol 1e-3,
// atol 1e-7). Inputs after the first are taken as constants (the tests give weights as inputs).
void TestOnnx::conformanceData()
{
    const fs::path root = "/usr/share/libonnx-testdata/data";
    if (!fs::is_directory(root))
        QSKIP("libonnx-testdata is not installed (/usr/share/libonnx-testdata/data)");
    int total = 0, imported = 0, passed = 0;
    std::vector<std::string> failures, passing;
    for (const char* suite : { "node", "pytorch-converted" }) {
        std::vector<fs::path> cases;
        for (const auto& e : fs::directory_iterator(root / suite))
            if (fs::is_regular_file(e.path() / "model.onnx"))
                cases.push_back(e.path());
        std::sort(cases.begin(), cases.end());
        for (const fs::path& dir : cases) {
            ++total;
            const fs::path data = dir / "test_data_set_0";
            if (!fs::is_regular_file(data / "input_0.pb") || !fs::is_regular_file(data / "output_0.pb")
                || fs::exists(data / "output_1.pb"))
                continue; // NetCanvas models have one input tensor and one output
            onnx::ModelProto proto;
            if (!proto.ParseFromString(readFile((dir / "model.onnx").string())))
                continue;
            std::set<std::string> init;
            for (const auto& t : proto.graph().initializer())
                init.insert(t.name());
            std::vector<std::string> inputs;
            for (const auto& v : proto.graph().input())
                if (!init.count(v.name()))
                    inputs.push_back(v.name());
            OnnxImportOptions options;
            std::shared_ptr<ModelWeights> model;
            try {
                for (size_t k = 1; k < inputs.size(); ++k)
                    options.constantInputs[inputs[k]]
                        = loadOnnxTensor((data / ("input_" + std::to_string(k) + ".pb")).string());
                model = importOnnx((dir / "model.onnx").string(), options);
            } catch (const Error&) {
                continue; // unsupported ops, types or shapes: not run
            }
            ++imported;
            const std::string name = std::string(suite) + "/" + dir.filename().string();
            try {
                // The same values in the model's input layout (N×4×5 is N×1×4×5 to an Input node).
                Tensor x = loadOnnxTensor((data / "input_0.pb").string());
                const Shape in = model->graph.analyze().inputShape;
                std::vector<int64_t> dims { x.shape()[0] };
                for (int d = 0; d < in.rank(); ++d)
                    dims.push_back(in[d]);
                x = Tensor(Shape(dims), std::vector<float>(x.data(), x.data() + x.size()));
                const Tensor expected = loadOnnxTensor((data / "output_0.pb").string());
                const Tensor y = forwardOf(*model, x);
                bool ok = y.size() == expected.size();
                for (int64_t i = 0; ok && i < y.size(); ++i)
                    ok = std::abs(y[i] - expected[i]) <= 1e-7f + 1e-3f * std::abs(expected[i]);
                if (ok) {
                    ++passed;
                    passing.push_back(name);
                } else {
                    failures.push_back(name + ": outputs differ beyond rtol 1e-3, atol 1e-7");
                }
            } catch (const std::exception& e) {
                failures.push_back(name + ": " + e.what());
            }
        }
    }
    std::string list;
    for (const std::string& p : passing)
        list += " " + p;
    qInfo("conformance: %d tests, %d imported, %d passed:%s", total, imported, passed, list.c_str());
    std::string why;
    for (const std::string& f : failures)
        why += "\n  " + f;
    QVERIFY2(failures.empty(), ("conformance failures:" + why).c_str());
    QVERIFY2(
        passed >= 75, ("only " + std::to_string(passed) + " conformance tests ran (docs/onnx.md lists them)").c_str());
}

void TestOnnx::malformedFiles()
{
    QTemporaryDir dir;
    const auto model = trainedLike(loadModelFile(std::string(NETCANVAS_SOURCE_DIR) + "/models/lenet5.json"), 2);
    const std::string bytes = exportOnnxBytes(*model);

    const std::string missing = dir.filePath("missing.onnx").toStdString();
    QVERIFY(message([&] { importOnnx(missing); }).find("missing.onnx") != std::string::npos);

    const std::string empty = message([&] { importOnnxBytes("", "empty.onnx"); });
    QVERIFY2(empty.find("empty.onnx") != std::string::npos && empty.find("empty") != std::string::npos, empty.c_str());

    const std::string garbage = message([&] { importOnnxBytes("this is not a model\x01\x02", "garbage.onnx"); });
    QVERIFY2(garbage.find("garbage.onnx: not an ONNX model") == 0, garbage.c_str());

    // Truncated anywhere: a clear error, never a crash or a half-imported model.
    for (size_t cut : { bytes.size() / 2, bytes.size() - 3, size_t(40) }) {
        const std::string m = message([&] { importOnnxBytes(bytes.substr(0, cut), "cut.onnx"); });
        QVERIFY2(m.find("cut.onnx") == 0, m.c_str());
    }

    // A tensor whose data is shorter than its dimensions say, and one claiming 2^50 values:
    // refused, naming the tensor, before anything of that size is allocated.
    onnx::ModelProto proto;
    QVERIFY(proto.ParseFromString(bytes));
    onnx::ModelProto shorter = proto;
    auto* w = shorter.mutable_graph()->mutable_initializer(0);
    w->set_raw_data(w->raw_data().substr(0, 10));
    const std::string m1 = message([&] { importOnnxBytes(shorter.SerializeAsString(), "short.onnx"); });
    QVERIFY2(m1.find("short.onnx") == 0 && m1.find("'conv1.weight'") != std::string::npos
            && m1.find("10 bytes") != std::string::npos,
        m1.c_str());
    onnx::ModelProto huge = proto;
    auto* h = huge.mutable_graph()->mutable_initializer(0);
    h->clear_dims();
    h->add_dims(int64_t(1) << 25);
    h->add_dims(int64_t(1) << 25);
    const std::string m2 = message([&] { importOnnxBytes(huge.SerializeAsString(), "huge.onnx"); });
    QVERIFY2(m2.find("huge.onnx") == 0 && m2.find("'conv1.weight'") != std::string::npos, m2.c_str());

    // A node reading a value nothing defines.
    onnx::ModelProto dangling = proto;
    dangling.mutable_graph()->mutable_node(1)->set_input(0, "nowhere");
    const std::string m3 = message([&] { importOnnxBytes(dangling.SerializeAsString(), "dangling.onnx"); });
    QVERIFY2(m3.find("'nowhere'") != std::string::npos && m3.find("relu1") != std::string::npos, m3.c_str());

    // An error leaves no files behind for the CLI's import: nothing half-imported.
    QVERIFY_EXCEPTION_THROWN(importOnnxBytes(bytes.substr(0, bytes.size() / 2), "cut.onnx"), FormatError);
}

// One message lists every node that cannot be imported, with op type, name and why.
void TestOnnx::unsupportedNodesAreAllListed()
{
    const auto model = trainedLike(loadModelFile(std::string(NETCANVAS_SOURCE_DIR) + "/models/lenet5.json"), 2);
    onnx::ModelProto proto;
    QVERIFY(proto.ParseFromString(exportOnnxBytes(*model)));
    onnx::GraphProto* g = proto.mutable_graph();
    g->mutable_node(1)->set_op_type("Selu"); // relu1
    g->mutable_node(4)->set_op_type("HardSwish"); // relu2
    auto* pool = g->mutable_node(2); // pool1: dilated
    auto* dil = pool->add_attribute();
    dil->set_name("dilations");
    dil->set_type(onnx::AttributeProto::INTS);
    dil->add_ints(2);
    dil->add_ints(2);
    try {
        importOnnxBytes(proto.SerializeAsString(), "odd.onnx");
        QFAIL("an unsupported model was imported");
    } catch (const OnnxUnsupportedError& e) {
        const std::string m = e.what();
        QCOMPARE(e.nodes().size(), size_t(2)); // pool1 waits on relu1, which failed: not listed
        QVERIFY2(m.find("odd.onnx") == 0, m.c_str());
        QVERIFY2(m.find("'relu1' (Selu): operator Selu is not supported") != std::string::npos, m.c_str());
        QVERIFY2(m.find("'relu2' (HardSwish)") != std::string::npos, m.c_str());
        QVERIFY2(m.find("nothing was imported") != std::string::npos, m.c_str());
    }
    g->mutable_node(1)->set_op_type("Relu");
    g->mutable_node(4)->set_op_type("Relu");
    const std::string m = message([&] { importOnnxBytes(proto.SerializeAsString(), "dilated.onnx"); });
    QVERIFY2(m.find("'pool1' (MaxPool): dilation 2\u00d72 is not supported") != std::string::npos, m.c_str());
}

// Recurrent ops NetCanvas' layers cannot express (peepholes, another activation, GRU's
// linear_before_reset 0) are each listed, with why; nothing is imported.
void TestOnnx::unsupportedSequenceNodesAreListed()
{
    onnx::ModelProto proto;
    QVERIFY(proto.ParseFromString(exportOnnxBytes(*trainedLike(sequenceFloatGraph(), 2))));
    onnx::GraphProto* g = proto.mutable_graph();
    int changed = 0;
    for (onnx::NodeProto& n : *g->mutable_node()) {
        if (n.op_type() == "LSTM") { // peepholes: input 7
            while (n.input_size() < 7)
                n.add_input("");
            n.add_input("lstm/P");
            onnx::TensorProto* p = g->add_initializer();
            p->set_name("lstm/P");
            p->set_data_type(onnx::TensorProto::FLOAT);
            p->add_dims(2);
            p->add_dims(12);
            p->set_raw_data(std::string(2 * 12 * sizeof(float), '\0'));
            ++changed;
        } else if (n.op_type() == "RNN") {
            for (onnx::AttributeProto& a : *n.mutable_attribute())
                if (a.name() == "activations")
                    a.set_strings(0, "Relu");
            ++changed;
        } else if (n.op_type() == "GRU") {
            for (onnx::AttributeProto& a : *n.mutable_attribute())
                if (a.name() == "linear_before_reset")
                    a.set_i(0);
            ++changed;
        }
    }
    QCOMPARE(changed, 3);
    try {
        importOnnxBytes(proto.SerializeAsString(), "odd-rnn.onnx");
        QFAIL("an unsupported model was imported");
    } catch (const OnnxUnsupportedError& e) {
        const std::string m = e.what();
        QCOMPARE(e.nodes().size(), size_t(3));
        QVERIFY2(m.find("'lstm' (LSTM): P (peepholes) is not supported") != std::string::npos, m.c_str());
        QVERIFY2(m.find("'rnn' (RNN): activations other than the default") != std::string::npos, m.c_str());
        QVERIFY2(m.find("'gru' (GRU): linear_before_reset 0 is not supported") != std::string::npos, m.c_str());
    }
}

void TestOnnx::cliExportAndImport()
{
    QTemporaryDir dir;
    const auto model = trainedLike(loadModelFile(std::string(NETCANVAS_SOURCE_DIR) + "/models/mlp.json"), 4);
    const QString weights = dir.filePath("mlp.safetensors");
    saveModelWeights(*model, dir.filePath("mlp.json").toStdString(), weights.toStdString());
    const QString onnxPath = dir.filePath("out.onnx"), pyPath = dir.filePath("out.py");
    QString failure = runOk(NETCANVAS_CLI_PATH, { "export", weights, "--onnx", onnxPath, "--pytorch", pyPath });
    QVERIFY2(failure.isEmpty(), qPrintable(failure));
    QVERIFY(QFileInfo(pyPath).size() > 0);
    failure = runOk(NETCANVAS_CLI_PATH, { "import", onnxPath, "--out", dir.filePath("back.json") });
    QVERIFY2(failure.isEmpty(), qPrintable(failure));
    // The imported files are the project's formats: the inference commands load them.
    const auto back
        = loadModelWeights(resolveRunOrWeights(dir.filePath("back.safetensors").toStdString(), std::string()));
    const Tensor x = randomInput(model->graph.analyze().inputShape, 2, 8);
    const Tensor a = forwardOf(*model, x), b = forwardOf(*back, x);
    QVERIFY(maxAbsDiff(a.data(), b.data(), a.size()) <= 1e-5f);
    QCOMPARE(back->classNames, model->classNames);
    QVERIFY(loadModelFile(dir.filePath("back.json").toStdString()).nodes().size() == model->graph.nodes().size());

    // An unsupported file: exit code 1, the message on stderr, no model written.
    writeFileAtomic(dir.filePath("bad.onnx").toStdString(), "not onnx");
    QProcess p;
    p.start(NETCANVAS_CLI_PATH, { "import", dir.filePath("bad.onnx"), "--out", dir.filePath("bad.json") });
    QVERIFY(p.waitForFinished(60000));
    QCOMPARE(p.exitCode(), 1);
    QVERIFY(QString::fromUtf8(p.readAllStandardError()).contains("bad.onnx: not an ONNX model"));
    QVERIFY(!QFileInfo::exists(dir.filePath("bad.json")));
    // export without a target says what to give
    p.start(NETCANVAS_CLI_PATH, { "export", weights });
    QVERIFY(p.waitForFinished(60000));
    QCOMPARE(p.exitCode(), 1);
    QVERIFY(QString::fromUtf8(p.readAllStandardError()).contains("--onnx"));
}

QTEST_GUILESS_MAIN(TestOnnx)
#include "test_onnx.moc"
