// Built-in layer kinds: a finite-difference gradient check over every registered type,
// value tests against hand-computed and naive references, shape inference and error
// messages, registry schema sanity, and thread-count independence.
#include "GradCheck.h"

#include "engine/backend/Backend.h"
#include "engine/backend/kernels/ElementMath.h"
#include "engine/core/Error.h"
#include "engine/graph/ModelGraph.h"
#include "engine/layers/LayerRegistry.h"
#include "engine/layers/LayerSupport.h"
#include "engine/train/Network.h"

#include <QtTest>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <set>

using namespace netcanvas;
using nlohmann::json;

namespace {

// How the test inputs of a configuration are drawn.
enum class Fill {
    Normal, // N(0, 1)
    AwayFromZero, // ±[0.2, 1.2]: no ReLU/ELU kink within ε
    Distinct, // a shuffled ramp with steps of 0.05: no MaxPool ties within ε
    TokenIds, // whole numbers 0..4 (Embedding ids; ±ε rounds back to the same id)
};

struct GradCase {
    std::string type;
    json params;
    std::vector<Shape> inputs; // per sample
    int64_t batch = 3;
    Fill fill = Fill::Normal;
    double eps = 1e-2;
};

std::vector<GradCase> gradCases()
{
    return {
        { "Dense", { { "units", 4 } }, { { 5 } } },
        { "Dense", { { "units", 3 }, { "bias", false }, { "init", "he_normal" } }, { { 2, 3, 2 } }, 2 },
        { "Flatten", json::object(), { { 2, 3, 4 } } },
        { "Reshape", { { "shape", "4x-1" } }, { { 2, 3, 4 } } },
        { "Conv2D", { { "filters", 3 }, { "kernel", 3 } }, { { 2, 5, 5 } } },
        { "Conv2D", { { "filters", 2 }, { "kernel", 3 }, { "padding", "same" } }, { { 2, 5, 6 } } },
        { "Conv2D", { { "filters", 2 }, { "kernel", 3 }, { "stride", 2 }, { "padding", "same" } }, { { 1, 7, 7 } } },
        { "Conv2D", { { "filters", 3 }, { "kernel", 2 }, { "bias", false } }, { { 3, 4, 4 } } },
        { "Conv2D", { { "filters", 2 }, { "kernel", 3 }, { "stride", 2 }, { "padding", "explicit" }, { "pad", 1 } },
            { { 2, 5, 5 } } },
        { "Conv2D", { { "filters", 2 }, { "kernel", 4 }, { "padding", "same" } }, { { 1, 5, 5 } }, 5 },
        // F·C·k·k >= 4096: one GEMM per sample; stride 1: dX as a convolution of dY.
        { "Conv2D", { { "filters", 16 }, { "kernel", 3 }, { "padding", "same" } }, { { 32, 4, 5 } }, 2 },
        { "Conv2D", { { "filters", 12 }, { "kernel", 5 } }, { { 16, 6, 7 } }, 2 },
        { "Conv2D", { { "filters", 16 }, { "kernel", 3 }, { "stride", 2 }, { "padding", "explicit" }, { "pad", 1 } },
            { { 32, 5, 5 } }, 2 },
        { "MaxPool2D", { { "pool", 2 } }, { { 2, 4, 4 } }, 3, Fill::Distinct },
        { "MaxPool2D", { { "pool", 3 }, { "stride", 2 }, { "padding", "same" } }, { { 1, 5, 6 } }, 3, Fill::Distinct },
        { "MaxPool2D", { { "pool", 2 }, { "stride", 1 } }, { { 1, 3, 3 } }, 3, Fill::Distinct },
        { "AvgPool2D", { { "pool", 2 } }, { { 2, 4, 4 } } },
        { "AvgPool2D", { { "pool", 3 }, { "stride", 2 }, { "padding", "same" } }, { { 1, 5, 6 } } },
        { "AvgPool2D", { { "pool", 2 }, { "stride", 1 } }, { { 1, 3, 3 } } },
        { "GlobalAvgPool2D", json::object(), { { 3, 2, 3 } } },
        { "ReLU", json::object(), { { 2, 3, 3 } }, 3, Fill::AwayFromZero },
        { "LeakyReLU", { { "alpha", 0.1 } }, { { 7 } }, 3, Fill::AwayFromZero },
        { "ELU", json::object(), { { 7 } }, 3, Fill::AwayFromZero },
        { "ELU", { { "alpha", 0.5 } }, { { 2, 2, 2 } }, 3, Fill::AwayFromZero },
        { "Tanh", json::object(), { { 6 } } },
        { "Sigmoid", json::object(), { { 2, 2, 2 } } },
        { "Softmax", json::object(), { { 5 } } },
        { "Softmax", json::object(), { { 3, 2, 2 } } },
        { "Dropout", { { "rate", 0.3 } }, { { 10 } } },
        { "Dropout", { { "rate", 0.5 } }, { { 2, 3, 3 } } },
        { "BatchNorm", json::object(), { { 4 } }, 5, Fill::Normal, 1e-3 },
        { "BatchNorm", { { "momentum", 0.2 } }, { { 3, 2, 2 } }, 3, Fill::Normal, 1e-3 },
        { "Add", json::object(), { { 3, 2, 2 }, { 3, 2, 2 } } },
        { "Add", json::object(), { { 4 }, { 4 }, { 4 } } },
        { "Concat", json::object(), { { 2, 3, 3 }, { 1, 3, 3 } } },
        { "Concat", json::object(), { { 2 }, { 3 }, { 1 } } },
        { "Embedding", { { "vocab", 6 }, { "dim", 3 } }, { { 5 } }, 3, Fill::TokenIds },
        { "Embedding", { { "vocab", 5 }, { "dim", 2 } }, { { 1, 1, 4 } }, 2, Fill::TokenIds },
        { "SimpleRNN", { { "units", 3 } }, { { 4, 2 } } },
        { "SimpleRNN", { { "units", 3 }, { "return_sequences", true }, { "bidirectional", true } }, { { 4, 2 } } },
        { "LSTM", { { "units", 3 } }, { { 5, 2 } } },
        { "LSTM", { { "units", 2 }, { "return_sequences", true }, { "bidirectional", true } }, { { 1, 4, 3 } } },
        { "GRU", { { "units", 3 } }, { { 5, 2 } } },
        { "GRU", { { "units", 2 }, { "return_sequences", true }, { "bidirectional", true } }, { { 4, 3 } } },
        { "Conv1D", { { "filters", 3 }, { "kernel", 3 } }, { { 6, 2 } } },
        { "Conv1D", { { "filters", 2 }, { "kernel", 4 }, { "stride", 2 }, { "padding", "same" } }, { { 7, 3 } } },
        { "Conv1D", { { "filters", 2 }, { "kernel", 2 }, { "bias", false } }, { { 1, 5, 2 } } },
        { "MaxPool1D", { { "pool", 2 } }, { { 6, 3 } }, 3, Fill::Distinct },
        { "MaxPool1D", { { "pool", 3 }, { "stride", 2 }, { "padding", "same" } }, { { 7, 2 } }, 3, Fill::Distinct },
        { "GlobalAvgPool1D", json::object(), { { 4, 3 } } },
        { "GlobalMaxPool1D", json::object(), { { 4, 3 } }, 3, Fill::Distinct },
        { "TimeDistributedDense", { { "units", 3 } }, { { 4, 5 } } },
    };
}

void fillTensor(Tensor& t, Fill fill, Rng& rng)
{
    const int64_t n = t.size();
    switch (fill) {
    case Fill::Normal:
        for (int64_t i = 0; i < n; ++i)
            t[i] = rng.normal();
        break;
    case Fill::AwayFromZero:
        for (int64_t i = 0; i < n; ++i) {
            const float m = rng.uniform(0.2f, 1.2f);
            t[i] = rng.uniform() < 0.5f ? -m : m;
        }
        break;
    case Fill::Distinct: {
        std::vector<float> v(static_cast<size_t>(n));
        for (int64_t i = 0; i < n; ++i)
            v[static_cast<size_t>(i)] = 0.05f * static_cast<float>(i) - 0.025f * static_cast<float>(n);
        for (int64_t i = n - 1; i > 0; --i)
            std::swap(v[static_cast<size_t>(i)], v[static_cast<size_t>(rng.below(static_cast<uint64_t>(i + 1)))]);
        for (int64_t i = 0; i < n; ++i)
            t[i] = v[static_cast<size_t>(i)];
        break;
    }
    case Fill::TokenIds:
        for (int64_t i = 0; i < n; ++i)
            t[i] = static_cast<float>(rng.below(5));
        break;
    }
}

std::unique_ptr<Layer> makeLayer(
    const std::string& type, const json& params = json::object(), const std::string& name = "node")
{
    return LayerRegistry::builtin().create(type, name, params);
}

std::unique_ptr<Layer> buildLayer(
    const std::string& type, const json& params, const std::vector<Shape>& inputs, uint64_t seed = 7)
{
    auto layer = makeLayer(type, params);
    Rng rng(seed);
    layer->build(inputs, rng);
    return layer;
}

Tensor forward(
    Layer& layer, Backend& backend, const std::vector<const Tensor*>& in, bool training = false, Rng* rng = nullptr)
{
    std::vector<Shape> shapes;
    for (const Tensor* t : in)
        shapes.push_back(t->shape().perSample());
    Tensor out(layer.outputShape(shapes).batched(in.at(0)->shape()[0]));
    RunContext ctx { backend, training, rng };
    layer.forward(ctx, in, out);
    return out;
}

std::string errorOf(const std::function<void()>& fn)
{
    try {
        fn();
    } catch (const std::exception& e) {
        return e.what();
    }
    return "(no exception)";
}

// Reference convolution: direct loops, explicit per-side padding.
Tensor naiveConv(const Tensor& x, const Tensor& w, const Tensor* b, int64_t stride, int64_t padTop, int64_t padLeft,
    int64_t outH, int64_t outW)
{
    const int64_t n = x.shape()[0], c = x.shape()[1], h = x.shape()[2], wd = x.shape()[3];
    const int64_t f = w.shape()[0], k = w.shape()[2];
    Tensor y(Shape { n, f, outH, outW });
    for (int64_t s = 0; s < n; ++s)
        for (int64_t o = 0; o < f; ++o)
            for (int64_t oy = 0; oy < outH; ++oy)
                for (int64_t ox = 0; ox < outW; ++ox) {
                    double acc = b ? (*b)[o] : 0.0;
                    for (int64_t ch = 0; ch < c; ++ch)
                        for (int64_t ky = 0; ky < k; ++ky)
                            for (int64_t kx = 0; kx < k; ++kx) {
                                const int64_t iy = oy * stride - padTop + ky, ix = ox * stride - padLeft + kx;
                                if (iy < 0 || iy >= h || ix < 0 || ix >= wd)
                                    continue;
                                acc += static_cast<double>(x[((s * c + ch) * h + iy) * wd + ix])
                                    * w[((o * c + ch) * k + ky) * k + kx];
                            }
                    y[((s * f + o) * outH + oy) * outW + ox] = static_cast<float>(acc);
                }
    return y;
}

double maxAbsDiff(const Tensor& a, const Tensor& b)
{
    if (a.shape() != b.shape())
        return HUGE_VAL;
    double m = 0.0;
    for (int64_t i = 0; i < a.size(); ++i)
        m = std::max(m, static_cast<double>(std::abs(a[i] - b[i])));
    return m;
}

double maxAbs(const Tensor& a)
{
    double m = 0.0;
    for (int64_t i = 0; i < a.size(); ++i)
        m = std::max(m, static_cast<double>(std::abs(a[i])));
    return m;
}

struct Stats {
    double mean = 0.0, stddev = 0.0, minV = 0.0, maxV = 0.0;
};

Stats statsOf(const Tensor& t)
{
    Stats s;
    double sum = 0.0, sq = 0.0;
    s.minV = HUGE_VAL;
    s.maxV = -HUGE_VAL;
    for (int64_t i = 0; i < t.size(); ++i) {
        sum += t[i];
        sq += static_cast<double>(t[i]) * t[i];
        s.minV = std::min(s.minV, static_cast<double>(t[i]));
        s.maxV = std::max(s.maxV, static_cast<double>(t[i]));
    }
    const double n = static_cast<double>(t.size());
    s.mean = sum / n;
    s.stddev = std::sqrt(std::max(0.0, sq / n - s.mean * s.mean));
    return s;
}

} // namespace

class TestLayers : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { m_backend = createCpuBackend(2); }

    // 1. Generic gradient check over every registered type.
    void gradientCheckEveryLayer();
    void everyTypeHasGradCase();

    // 2. Values.
    void conv2DMatchesDirectConvolution_data();
    void conv2DMatchesDirectConvolution();
    void convolutionRoutesAgree();
    void poolingHandExample();
    void samePaddingShapes();
    void softmaxSumsToOneAndIsStable();
    void batchNormStatistics();
    void dropoutBehaviour();
    void addAndConcatValues();
    void denseHandComputed();
    void initializerStatistics();
    void embeddingLooksUpRowsAndRejectsBadIds();

    // 3. Shapes, messages, schema.
    void outputShapes();
    void errorMessagesNameNodeAndShapes();
    void registrySchemaSanity();
    void paramCountsAndFlops();

    // 4. Threads, and the layers inside a Network.
    void threadCountIndependence();
    void networkRoundTrip();

private:
    std::unique_ptr<Backend> m_backend;
};

void TestLayers::gradientCheckEveryLayer()
{
    // One thread: thousands of tiny forwards, which multi-threading only slows down on a busy
    // machine. Multi-threaded paths are held to these results by threadCountIndependence().
    auto backend = createCpuBackend(1);
    std::vector<std::string> failures;
    int checked = 0;
    Rng rng(2024);
    for (const GradCase& c : gradCases()) {
        auto layer = buildLayer(c.type, c.params, c.inputs, 11 + static_cast<uint64_t>(checked));
        // paramCount() must agree with what build() allocated.
        int64_t allocated = 0;
        for (const auto& p : layer->parameters())
            allocated += p.value.size();
        const std::string label = c.type + " " + c.params.dump() + " on " + shapesToString(c.inputs);
        if (allocated != layer->paramCount(c.inputs))
            failures.push_back(label + ": paramCount " + std::to_string(layer->paramCount(c.inputs))
                + " but build allocated " + std::to_string(allocated));
        // Non-trivial parameters (biases, gamma/beta) so their gradients are exercised away from defaults.
        for (auto& p : layer->parameters())
            if (p.trainable && p.name != "weight")
                for (int64_t i = 0; i < p.value.size(); ++i)
                    p.value[i] += rng.uniform(-0.5f, 0.5f);
        std::vector<Tensor> inputs;
        for (const Shape& s : c.inputs) {
            Tensor t(s.batched(c.batch));
            fillTensor(t, c.fill, rng);
            inputs.push_back(std::move(t));
        }
        gradcheck::Options opt;
        opt.eps = c.eps;
        if (c.eps < 1e-2)
            opt.atol = 5e-3;
        const gradcheck::Report r = gradcheck::checkLayer(*layer, inputs, *backend, opt);
        if (!r.ok)
            failures.push_back(label + ": " + r.message);
        if (qEnvironmentVariableIsSet("NETCANVAS_GRADCHECK_VERBOSE"))
            qInfo("%s: %s", label.c_str(), r.message.c_str());
        ++checked;
    }
    std::string all;
    for (const auto& f : failures)
        all += "\n  " + f;
    m_backend->setThreads(m_backend->threads()); // the thread count is process-wide: restore it
    QVERIFY2(failures.empty(), ("gradient check failed:" + all).c_str());
    QVERIFY(checked > 20);
}

void TestLayers::everyTypeHasGradCase()
{
    std::set<std::string> covered;
    for (const auto& c : gradCases())
        covered.insert(c.type);
    std::string missing;
    for (const LayerInfo& info : LayerRegistry::builtin().all())
        if (info.type != "Input" && !covered.count(info.type))
            missing += " " + info.type;
    QVERIFY2(missing.empty(), ("registered layer types without a gradient-check configuration:" + missing).c_str());
    for (const auto& t : covered)
        QVERIFY2(LayerRegistry::builtin().find(t), ("gradient case for unregistered type " + t).c_str());
}

void TestLayers::conv2DMatchesDirectConvolution_data()
{
    QTest::addColumn<QString>("params");
    QTest::addColumn<int>("channels");
    QTest::addColumn<int>("height");
    QTest::addColumn<int>("width");
    QTest::addColumn<int>("padTop");
    QTest::addColumn<int>("padLeft");
    QTest::newRow("valid") << R"({"filters":4,"kernel":3})" << 1 << 8 << 7 << 0 << 0;
    QTest::newRow("same") << R"({"filters":3,"kernel":3,"padding":"same"})" << 2 << 6 << 6 << 1 << 1;
    QTest::newRow("same even kernel") << R"({"filters":2,"kernel":4,"padding":"same"})" << 2 << 6 << 5 << 1 << 1;
    QTest::newRow("stride 2 same") << R"({"filters":5,"kernel":3,"stride":2,"padding":"same"})" << 3 << 8 << 9 << 0
                                   << 1;
    QTest::newRow("stride 2 valid") << R"({"filters":2,"kernel":3,"stride":2})" << 2 << 9 << 8 << 0 << 0;
    QTest::newRow("explicit pad 2") << R"({"filters":3,"kernel":5,"padding":"explicit","pad":2})" << 4 << 7 << 7 << 2
                                    << 2;
    QTest::newRow("multi-channel no bias") << R"({"filters":6,"kernel":3,"bias":false})" << 5 << 10 << 10 << 0 << 0;
    QTest::newRow("1x1") << R"({"filters":7,"kernel":1})" << 4 << 3 << 5 << 0 << 0;
}

void TestLayers::conv2DMatchesDirectConvolution()
{
    QFETCH(QString, params);
    QFETCH(int, channels);
    QFETCH(int, height);
    QFETCH(int, width);
    QFETCH(int, padTop);
    QFETCH(int, padLeft);
    const json p = json::parse(params.toStdString());
    const Shape in { channels, height, width };
    auto layer = buildLayer("Conv2D", p, { in });
    Parameter* bias = layer->parameter("bias");
    Rng rng(3);
    if (bias)
        for (int64_t i = 0; i < bias->value.size(); ++i)
            bias->value[i] = rng.normal();
    Tensor x(in.batched(5));
    fillTensor(x, Fill::Normal, rng);
    const Tensor y = forward(*layer, *m_backend, { &x });
    const Shape outShape = layer->outputShape({ in });
    const int64_t stride = p.value("stride", 1);
    const Tensor ref = naiveConv(x, layer->parameter("weight")->value, bias ? &bias->value : nullptr, stride, padTop,
        padLeft, outShape[1], outShape[2]);
    QCOMPARE(y.shape(), ref.shape());
    QVERIFY2(maxAbsDiff(y, ref) < 1e-4 * std::max(1.0, maxAbs(ref)),
        ("max difference " + std::to_string(maxAbsDiff(y, ref))).c_str());
}

// The CPU backend computes a stride-1 convolution with a small weight matrix directly (no
// im2col, CpuConvDirect) and others by im2col + GEMM; NETCANVAS_CONV forces either. Both
// routes must give the same output, input gradient, weight and bias gradients, and the
// output must match the naive reference — across paddings, kernel sizes, filter and channel
// counts that are not multiples of the kernels' blocks, and batches that are not multiples
// of the dW sample group.
void TestLayers::convolutionRoutesAgree()
{
    struct Case {
        json params;
        Shape in;
        int64_t batch, padTop, padLeft;
    };
    const std::vector<Case> cases = {
        { { { "filters", 6 }, { "kernel", 5 }, { "padding", "same" } }, { 1, 28, 28 }, 9, 2, 2 }, // LeNet conv1
        { { { "filters", 16 }, { "kernel", 5 } }, { 6, 14, 14 }, 7, 0, 0 }, // LeNet conv2
        { { { "filters", 5 }, { "kernel", 3 }, { "padding", "same" } }, { 3, 7, 9 }, 5, 1, 1 },
        { { { "filters", 3 }, { "kernel", 4 }, { "padding", "same" }, { "bias", false } }, { 2, 6, 5 }, 3, 1, 1 },
        { { { "filters", 7 }, { "kernel", 1 } }, { 4, 3, 5 }, 2, 0, 0 },
        { { { "filters", 3 }, { "kernel", 5 }, { "padding", "explicit" }, { "pad", 2 } }, { 4, 7, 7 }, 4, 2, 2 },
        { { { "filters", 9 }, { "kernel", 3 } }, { 2, 3, 3 }, 1, 0, 0 }, // a 1×1 output
        { { { "filters", 32 }, { "kernel", 3 }, { "padding", "same" } }, { 3, 12, 10 }, 6, 1, 1 }, // a VGG first layer
        // A large weight matrix (dW by GEMM on the direct route; per-sample GEMMs and dX by
        // flipped filters on the GEMM route).
        { { { "filters", 16 }, { "kernel", 3 }, { "padding", "same" } }, { 32, 9, 8 }, 5, 1, 1 },
    };
    struct Result {
        Tensor y, dx, dw, db;
    };
    for (const Case& c : cases) {
        const std::string label = "Conv2D " + c.params.dump() + " on " + c.in.toString();
        Tensor x(c.in.batched(c.batch));
        Rng rng(29);
        fillTensor(x, Fill::Normal, rng);
        Result res[2];
        const char* routes[2] = { "gemm", "direct" };
        for (int r = 0; r < 2; ++r) {
            qputenv("NETCANVAS_CONV", routes[r]);
            auto layer = buildLayer("Conv2D", c.params, { c.in }, 5);
            Parameter* bias = layer->parameter("bias");
            if (bias)
                for (int64_t i = 0; i < bias->value.size(); ++i)
                    bias->value[i] = 0.1f * static_cast<float>(i + 1);
            res[r].y = forward(*layer, *m_backend, { &x }, true);
            if (r == 1) {
                const Tensor ref = naiveConv(x, layer->parameter("weight")->value, bias ? &bias->value : nullptr, 1,
                    c.padTop, c.padLeft, res[r].y.shape()[2], res[r].y.shape()[3]);
                QVERIFY2(maxAbsDiff(res[r].y, ref) < 1e-4 * std::max(1.0, maxAbs(ref)),
                    (label + ": direct output differs from the reference by "
                        + std::to_string(maxAbsDiff(res[r].y, ref)))
                        .c_str());
            }
            Tensor g(res[r].y.shape());
            Rng grng(31);
            fillTensor(g, Fill::Normal, grng);
            res[r].dx = Tensor(x.shape());
            RunContext ctx { *m_backend, true, nullptr };
            layer->backward(ctx, { &x }, res[r].y, g, { &res[r].dx });
            res[r].dw.copyFrom(layer->parameter("weight")->grad);
            if (bias)
                res[r].db.copyFrom(bias->grad);
            // Without an input gradient (a network's first layer) dW and db are the same.
            layer->backward(ctx, { &x }, res[r].y, g, { nullptr });
            QVERIFY2(maxAbsDiff(layer->parameter("weight")->grad, res[r].dw) == 0.0,
                (label + " (" + routes[r] + "): dW changes without dX").c_str());
        }
        qunsetenv("NETCANVAS_CONV");
        auto close = [&](const Tensor& a, const Tensor& b, const char* what) {
            const double d = maxAbsDiff(a, b);
            QVERIFY2(d <= 2e-5 * std::max(1.0, maxAbs(a)),
                (label + ": " + what + " differs between the GEMM and the direct route by " + std::to_string(d))
                    .c_str());
        };
        close(res[0].y, res[1].y, "output");
        close(res[0].dx, res[1].dx, "input gradient");
        close(res[0].dw, res[1].dw, "weight gradient");
        close(res[0].db, res[1].db, "bias gradient");
        QVERIFY2(maxAbs(res[1].dw) > 0 && maxAbs(res[1].dx) > 0, (label + ": gradients are all zero").c_str());
    }
}

void TestLayers::poolingHandExample()
{
    // 1×4×4 holding 1..16.
    Tensor x(Shape { 1, 1, 4, 4 });
    for (int i = 0; i < 16; ++i)
        x[i] = static_cast<float>(i + 1);
    auto maxPool = buildLayer("MaxPool2D", { { "pool", 2 } }, { { 1, 4, 4 } });
    auto avgPool = buildLayer("AvgPool2D", { { "pool", 2 } }, { { 1, 4, 4 } });
    const Tensor ym = forward(*maxPool, *m_backend, { &x });
    const Tensor ya = forward(*avgPool, *m_backend, { &x });
    const std::vector<float> expMax { 6, 8, 14, 16 }, expAvg { 3.5f, 5.5f, 11.5f, 13.5f };
    QCOMPARE(ym.shape(), Shape({ 1, 1, 2, 2 }));
    for (int i = 0; i < 4; ++i) {
        QCOMPARE(ym[i], expMax[static_cast<size_t>(i)]);
        QCOMPARE(ya[i], expAvg[static_cast<size_t>(i)]);
    }

    // 1×3×3 holding 1..9, pool 2, stride 2, same: total padding 1 at the bottom/right.
    Tensor z(Shape { 1, 1, 3, 3 });
    for (int i = 0; i < 9; ++i)
        z[i] = static_cast<float>(i + 1);
    auto maxSame = buildLayer("MaxPool2D", { { "pool", 2 }, { "padding", "same" } }, { { 1, 3, 3 } });
    auto avgSame = buildLayer("AvgPool2D", { { "pool", 2 }, { "padding", "same" } }, { { 1, 3, 3 } });
    const Tensor zm = forward(*maxSame, *m_backend, { &z });
    const Tensor za = forward(*avgSame, *m_backend, { &z });
    QCOMPARE(zm.shape(), Shape({ 1, 1, 2, 2 }));
    const std::vector<float> expMaxSame { 5, 6, 8, 9 };
    const std::vector<float> expAvgSame { 3.0f, 4.5f, 7.5f, 9.0f }; // padding cells not counted
    for (int i = 0; i < 4; ++i) {
        QCOMPARE(zm[i], expMaxSame[static_cast<size_t>(i)]);
        QCOMPARE(za[i], expAvgSame[static_cast<size_t>(i)]);
    }

    // Max backward routes each gradient to its argmax.
    Tensor g(zm.shape(), std::vector<float> { 1, 2, 3, 4 });
    Tensor dx(z.shape());
    RunContext ctx { *m_backend, true, nullptr };
    maxSame->backward(ctx, { &z }, zm, g, { &dx });
    const std::vector<float> expDx { 0, 0, 0, 0, 1, 2, 0, 3, 4 };
    for (int i = 0; i < 9; ++i)
        QCOMPARE(dx[i], expDx[static_cast<size_t>(i)]);
    // Avg backward shares each gradient over the real cells of its window.
    Tensor da(z.shape());
    avgSame->backward(ctx, { &z }, za, g, { &da });
    const std::vector<float> expDa { 0.25f, 0.25f, 1.0f, 0.25f, 0.25f, 1.0f, 1.5f, 1.5f, 4.0f };
    for (int i = 0; i < 9; ++i)
        QCOMPARE(da[i], expDa[static_cast<size_t>(i)]);

    // Global average pooling.
    auto gap = buildLayer("GlobalAvgPool2D", json::object(), { { 1, 4, 4 } });
    const Tensor yg = forward(*gap, *m_backend, { &x });
    QCOMPARE(yg.shape(), Shape({ 1, 1 }));
    QCOMPARE(yg[0], 8.5f);
}

void TestLayers::samePaddingShapes()
{
    auto shapeOf = [](const std::string& type, const json& p, const Shape& in) {
        return makeLayer(type, p)->outputShape({ in });
    };
    QCOMPARE(shapeOf("Conv2D", { { "padding", "same" } }, { 1, 28, 28 }), Shape({ 32, 28, 28 }));
    QCOMPARE(shapeOf("Conv2D", { { "padding", "same" }, { "stride", 2 }, { "filters", 8 } }, { 1, 28, 28 }),
        Shape({ 8, 14, 14 }));
    QCOMPARE(shapeOf("Conv2D", { { "padding", "same" }, { "stride", 2 }, { "filters", 8 } }, { 3, 7, 7 }),
        Shape({ 8, 4, 4 }));
    QCOMPARE(
        shapeOf("Conv2D", { { "padding", "same" }, { "stride", 3 }, { "kernel", 5 }, { "filters", 2 } }, { 3, 10, 11 }),
        Shape({ 2, 4, 4 }));
    QCOMPARE(shapeOf("Conv2D", { { "padding", "explicit" }, { "pad", 1 }, { "kernel", 3 }, { "filters", 4 } },
                 { 3, 10, 11 }),
        Shape({ 4, 10, 11 }));
    QCOMPARE(shapeOf("MaxPool2D", { { "padding", "same" } }, { 4, 5, 5 }), Shape({ 4, 3, 3 }));
    QCOMPARE(shapeOf("AvgPool2D", { { "padding", "same" }, { "pool", 3 }, { "stride", 2 } }, { 4, 7, 8 }),
        Shape({ 4, 4, 4 }));
    QCOMPARE(shapeOf("MaxPool2D", json::object(), { 4, 5, 5 }), Shape({ 4, 2, 2 }));
}

void TestLayers::softmaxSumsToOneAndIsStable()
{
    auto sm = buildLayer("Softmax", json::object(), { { 4 } });
    Tensor x(Shape { 3, 4 }, std::vector<float> { 1000, 1001, 1002, 999, -5, 0, 5, 1, 0, 0, 0, 0 });
    const Tensor y = forward(*sm, *m_backend, { &x });
    for (int r = 0; r < 3; ++r) {
        double sum = 0.0;
        for (int k = 0; k < 4; ++k) {
            QVERIFY(std::isfinite(y[r * 4 + k]));
            QVERIFY(y[r * 4 + k] >= 0.0f);
            sum += y[r * 4 + k];
        }
        QVERIFY(std::abs(sum - 1.0) < 1e-5);
    }
    // Shift invariance: logits 1000+[1,2,3,0] behave like [1,2,3,0].
    const double z = std::exp(1.0) + std::exp(2.0) + std::exp(3.0) + 1.0;
    QVERIFY(std::abs(y[1] - std::exp(2.0) / z) < 1e-6);
    QVERIFY(std::abs(y[2] - std::exp(3.0) / z) < 1e-6);
    QVERIFY(std::abs(y[8] - 0.25) < 1e-7);

    // Over channels at every pixel for a C×H×W input.
    auto smc = buildLayer("Softmax", json::object(), { { 3, 2, 2 } });
    Tensor xc(Shape { 2, 3, 2, 2 });
    Rng rng(5);
    fillTensor(xc, Fill::Normal, rng);
    const Tensor yc = forward(*smc, *m_backend, { &xc });
    for (int s = 0; s < 2; ++s)
        for (int pix = 0; pix < 4; ++pix) {
            double sum = 0.0;
            for (int ch = 0; ch < 3; ++ch)
                sum += yc[(s * 3 + ch) * 4 + pix];
            QVERIFY(std::abs(sum - 1.0) < 1e-5);
        }
}

void TestLayers::batchNormStatistics()
{
    // Two features, batch of 4: feature 0 = 1,2,3,4; feature 1 constant 2.
    auto bn = buildLayer("BatchNorm", json::object(), { { 2 } });
    Tensor x(Shape { 4, 2 }, std::vector<float> { 1, 2, 2, 2, 3, 2, 4, 2 });
    Rng rng(1);
    const Tensor y = forward(*bn, *m_backend, { &x }, true, &rng);
    const double var0 = 1.25; // biased
    for (int s = 0; s < 4; ++s) {
        QVERIFY(std::abs(y[s * 2] - (s + 1 - 2.5) / std::sqrt(var0 + 1e-5)) < 1e-5);
        QVERIFY(std::abs(y[s * 2 + 1]) < 1e-5);
    }
    // PyTorch: running = 0.9·running + 0.1·batch, running_var from the unbiased variance.
    const Tensor& rm = bn->parameter("running_mean")->value;
    const Tensor& rv = bn->parameter("running_var")->value;
    QVERIFY(std::abs(rm[0] - 0.25) < 1e-6);
    QVERIFY(std::abs(rm[1] - 0.2) < 1e-6);
    QVERIFY(std::abs(rv[0] - (0.9 + 0.1 * (5.0 / 3.0))) < 1e-6);
    QVERIFY(std::abs(rv[1] - 0.9) < 1e-6);
    // A second step compounds.
    forward(*bn, *m_backend, { &x }, true, &rng);
    QVERIFY(std::abs(rm[0] - (0.9 * 0.25 + 0.25)) < 1e-6);
    QVERIFY(std::abs(rv[0] - (0.9 * (0.9 + 0.1 * (5.0 / 3.0)) + 0.1 * (5.0 / 3.0))) < 1e-6);

    // Inference uses the running statistics (and leaves them alone).
    Tensor& rmw = bn->parameter("running_mean")->value;
    Tensor& rvw = bn->parameter("running_var")->value;
    rmw[0] = 1.0f;
    rmw[1] = 0.0f;
    rvw[0] = 4.0f;
    rvw[1] = 1.0f;
    bn->parameter("gamma")->value[0] = 2.0f;
    bn->parameter("beta")->value[0] = 0.5f;
    const Tensor yi = forward(*bn, *m_backend, { &x }, false);
    for (int s = 0; s < 4; ++s) {
        QVERIFY(std::abs(yi[s * 2] - (2.0 * (s + 1 - 1.0) / std::sqrt(4.0 + 1e-5) + 0.5)) < 1e-5);
        QVERIFY(std::abs(yi[s * 2 + 1] - 2.0 / std::sqrt(1.0 + 1e-5)) < 1e-5);
    }
    QCOMPARE(rmw[0], 1.0f);
    QCOMPARE(rvw[0], 4.0f);

    // Per channel for C×H×W: channel c of every sample and pixel shares one mean.
    auto bnc = buildLayer("BatchNorm", json::object(), { { 2, 2, 2 } });
    Tensor xc(Shape { 3, 2, 2, 2 });
    fillTensor(xc, Fill::Normal, rng);
    const Tensor yc = forward(*bnc, *m_backend, { &xc }, true, &rng);
    for (int ch = 0; ch < 2; ++ch) {
        double sum = 0.0, sq = 0.0;
        for (int s = 0; s < 3; ++s)
            for (int p = 0; p < 4; ++p) {
                const double v = yc[(s * 2 + ch) * 4 + p];
                sum += v;
                sq += v * v;
            }
        QVERIFY(std::abs(sum / 12.0) < 1e-5);
        QVERIFY(std::abs(sq / 12.0 - 1.0) < 1e-3);
    }
    // Parameter flags.
    QVERIFY(bnc->parameter("gamma")->trainable && !bnc->parameter("gamma")->regularize);
    QVERIFY(bnc->parameter("beta")->trainable && !bnc->parameter("beta")->regularize);
    QVERIFY(!bnc->parameter("running_mean")->trainable);
    QVERIFY(!bnc->parameter("running_var")->trainable);
}

void TestLayers::dropoutBehaviour()
{
    const int64_t n = 200000;
    auto drop = buildLayer("Dropout", { { "rate", 0.3 } }, { { n } });
    Tensor x(Shape { 1, n });
    Rng rng(9);
    for (int64_t i = 0; i < n; ++i)
        x[i] = rng.uniform(0.5f, 1.5f);
    // Inference: identity.
    const Tensor yi = forward(*drop, *m_backend, { &x }, false);
    QCOMPARE(maxAbsDiff(yi, x), 0.0);
    // Training: about 30% zeros, the rest scaled by 1/0.7; the mean is kept. The mask is
    // kernels::dropoutMask with one seed drawn from the run's generator.
    Rng next = rng;
    const uint64_t seed = next.nextU64();
    const Tensor yt = forward(*drop, *m_backend, { &x }, true, &rng);
    for (int64_t i = 0; i < n; i += 13)
        QCOMPARE(yt[i], x[i] * kernels::dropoutMask(seed, static_cast<uint64_t>(i), 0.3f));
    int64_t zeros = 0;
    double sumIn = 0.0, sumOut = 0.0;
    for (int64_t i = 0; i < n; ++i) {
        if (yt[i] == 0.0f)
            ++zeros;
        else
            QVERIFY(std::abs(yt[i] - x[i] / 0.7f) < 1e-5f * std::abs(yt[i]) + 1e-6f);
        sumIn += x[i];
        sumOut += yt[i];
    }
    const double fraction = static_cast<double>(zeros) / static_cast<double>(n);
    QVERIFY2(std::abs(fraction - 0.3) < 0.01, std::to_string(fraction).c_str());
    QVERIFY2(std::abs(sumOut / sumIn - 1.0) < 0.01, std::to_string(sumOut / sumIn).c_str());
    // Backward applies the same mask.
    Tensor g(x.shape(), 1.0f), dx(x.shape());
    RunContext ctx { *m_backend, true, &rng };
    drop->backward(ctx, { &x }, yt, g, { &dx });
    for (int64_t i = 0; i < n; i += 97)
        QCOMPARE(dx[i] == 0.0f, yt[i] == 0.0f);
    // Rate 0 is the identity even in training.
    auto none = buildLayer("Dropout", { { "rate", 0.0 } }, { { n } });
    QCOMPARE(maxAbsDiff(forward(*none, *m_backend, { &x }, true, &rng), x), 0.0);
}

void TestLayers::addAndConcatValues()
{
    Tensor a(Shape { 2, 2, 1, 2 }, std::vector<float> { 1, 2, 3, 4, 5, 6, 7, 8 });
    Tensor b(Shape { 2, 2, 1, 2 }, std::vector<float> { 10, 20, 30, 40, 50, 60, 70, 80 });
    Tensor c(Shape { 2, 1, 1, 2 }, std::vector<float> { -1, -2, -3, -4 });
    auto add = buildLayer("Add", json::object(), { { 2, 1, 2 }, { 2, 1, 2 }, { 2, 1, 2 } });
    const Tensor s = forward(*add, *m_backend, { &a, &b, &a });
    for (int i = 0; i < 8; ++i)
        QCOMPARE(s[i], 2 * a[i] + b[i]);
    auto cat = buildLayer("Concat", json::object(), { { 2, 1, 2 }, { 1, 1, 2 }, { 2, 1, 2 } });
    const Tensor y = forward(*cat, *m_backend, { &a, &c, &b });
    QCOMPARE(y.shape(), Shape({ 2, 5, 1, 2 }));
    const std::vector<float> exp { 1, 2, 3, 4, -1, -2, 10, 20, 30, 40, 5, 6, 7, 8, -3, -4, 50, 60, 70, 80 };
    for (int i = 0; i < 20; ++i)
        QCOMPARE(y[i], exp[static_cast<size_t>(i)]);
    // Concat backward splits the gradient back.
    Tensor ga(a.shape()), gc(c.shape()), gb(b.shape());
    RunContext ctx { *m_backend, true, nullptr };
    cat->backward(ctx, { &a, &c, &b }, y, y, { &ga, &gc, &gb });
    QCOMPARE(maxAbsDiff(ga, a), 0.0);
    QCOMPARE(maxAbsDiff(gc, c), 0.0);
    QCOMPARE(maxAbsDiff(gb, b), 0.0);
}

void TestLayers::denseHandComputed()
{
    auto dense = buildLayer("Dense", { { "units", 2 } }, { { 3 } });
    Tensor& w = dense->parameter("weight")->value;
    QCOMPARE(w.shape(), Shape({ 2, 3 })); // [units, in_features]
    for (int i = 0; i < 6; ++i)
        w[i] = static_cast<float>(i + 1);
    Tensor& b = dense->parameter("bias")->value;
    QCOMPARE(b.shape(), Shape({ 2 }));
    QCOMPARE(b[0], 0.0f); // biases start at 0
    b[0] = 0.5f;
    b[1] = -1.0f;
    Tensor x(Shape { 2, 3 }, std::vector<float> { 1, 0, -1, 2, 1, 0 });
    const Tensor y = forward(*dense, *m_backend, { &x });
    QCOMPARE(y[0], -1.5f);
    QCOMPARE(y[1], -3.0f);
    QCOMPARE(y[2], 4.5f);
    QCOMPARE(y[3], 12.0f);
    // Backward with dY = 1: dW = column sums of X per unit, db = N, dX = column sums of W.
    Tensor g(y.shape(), 1.0f), dx(x.shape());
    RunContext ctx { *m_backend, true, nullptr };
    dense->backward(ctx, { &x }, y, g, { &dx });
    const Tensor& dw = dense->parameter("weight")->grad;
    const std::vector<float> expDw { 3, 1, -1, 3, 1, -1 };
    for (int i = 0; i < 6; ++i)
        QCOMPARE(dw[i], expDw[static_cast<size_t>(i)]);
    QCOMPARE(dense->parameter("bias")->grad[0], 2.0f);
    const std::vector<float> expDx { 5, 7, 9, 5, 7, 9 };
    for (int i = 0; i < 6; ++i)
        QCOMPARE(dx[i], expDx[static_cast<size_t>(i)]);
}

void TestLayers::initializerStatistics()
{
    auto weights = [](const std::string& type, json p, const Shape& in) {
        auto layer = buildLayer(type, p, { in }, 99);
        Tensor w;
        w.copyFrom(layer->parameter("weight")->value);
        if (Parameter* b = layer->parameter("bias"))
            for (int64_t i = 0; i < b->value.size(); ++i)
                if (b->value[i] != 0.0f)
                    w = Tensor(); // signal: biases must start at zero
        return w;
    };
    auto near = [](double a, double b, double rel) { return std::abs(a - b) <= rel * std::abs(b); };

    // Dense 300 → 200: fan_in 300, fan_out 200.
    const Shape dIn { 300 };
    Tensor w = weights("Dense", { { "units", 200 }, { "init", "he_normal" } }, dIn);
    QVERIFY(!w.empty());
    Stats s = statsOf(w);
    QVERIFY2(near(s.stddev, std::sqrt(2.0 / 300.0), 0.03), std::to_string(s.stddev).c_str());
    QVERIFY(std::abs(s.mean) < 0.003);

    w = weights("Dense", { { "units", 200 }, { "init", "he_uniform" } }, dIn);
    s = statsOf(w);
    const double heLimit = std::sqrt(6.0 / 300.0);
    QVERIFY(s.maxV <= heLimit && s.minV >= -heLimit && s.maxV > 0.98 * heLimit && s.minV < -0.98 * heLimit);

    w = weights("Dense", { { "units", 200 }, { "init", "glorot_uniform" } }, dIn);
    s = statsOf(w);
    const double gLimit = std::sqrt(6.0 / 500.0);
    QVERIFY(s.maxV <= gLimit && s.minV >= -gLimit && s.maxV > 0.98 * gLimit && s.minV < -0.98 * gLimit);
    QVERIFY2(near(s.stddev, gLimit / std::sqrt(3.0), 0.03), std::to_string(s.stddev).c_str());

    w = weights("Dense", { { "units", 200 }, { "init", "glorot_normal" } }, dIn);
    s = statsOf(w);
    QVERIFY2(near(s.stddev, std::sqrt(2.0 / 500.0), 0.03), std::to_string(s.stddev).c_str());

    w = weights("Dense", { { "units", 200 }, { "init", "normal" }, { "init_std", 0.05 } }, dIn);
    s = statsOf(w);
    QVERIFY2(near(s.stddev, 0.05, 0.03), std::to_string(s.stddev).c_str());

    w = weights("Dense", { { "units", 200 }, { "init", "zeros" } }, dIn);
    s = statsOf(w);
    QCOMPARE(s.minV, 0.0);
    QCOMPARE(s.maxV, 0.0);

    // Default is glorot_uniform.
    w = weights("Dense", { { "units", 200 } }, dIn);
    s = statsOf(w);
    QVERIFY(s.maxV <= gLimit && s.maxV > 0.98 * gLimit);

    // Conv2D 16 → 64 channels, k = 3: fan_in 16·9, fan_out 64·9.
    const Shape cIn { 16, 8, 8 };
    w = weights("Conv2D", { { "filters", 64 }, { "init", "he_normal" } }, cIn);
    QVERIFY(!w.empty());
    s = statsOf(w);
    QVERIFY2(near(s.stddev, std::sqrt(2.0 / 144.0), 0.03), std::to_string(s.stddev).c_str());
    w = weights("Conv2D", { { "filters", 64 }, { "init", "glorot_uniform" } }, cIn);
    s = statsOf(w);
    const double cLimit = std::sqrt(6.0 / (144.0 + 576.0));
    QVERIFY(s.maxV <= cLimit && s.maxV > 0.98 * cLimit && s.minV < -0.98 * cLimit);
}

void TestLayers::embeddingLooksUpRowsAndRejectsBadIds()
{
    auto layer = buildLayer("Embedding", { { "vocab", 4 }, { "dim", 2 } }, { { 3 } });
    Tensor& table = layer->parameter("weight")->value;
    for (int64_t i = 0; i < table.size(); ++i)
        table[i] = static_cast<float>(i);
    Tensor ids(Shape { 2, 3 }, std::vector<float> { 3, 0, 1, 2, 2, 0 });
    const Tensor y = forward(*layer, *m_backend, { &ids });
    QCOMPARE(y.shape(), Shape({ 2, 3, 2 }));
    const std::vector<float> want { 6, 7, 0, 1, 2, 3, 4, 5, 4, 5, 0, 1 };
    for (int64_t i = 0; i < y.size(); ++i)
        QCOMPARE(y[i], want[size_t(i)]);
    // Backward: a repeated id sums its rows; ids get a zero gradient.
    Tensor g(y.shape(), 1.0f), dIds(ids.shape(), 5.0f);
    RunContext ctx { *m_backend, true, nullptr };
    layer->backward(ctx, { &ids }, y, g, { &dIds });
    const Tensor& dw = layer->parameter("weight")->grad;
    QCOMPARE(dw[0], 2.0f); // id 0 twice
    QCOMPARE(dw[4], 2.0f); // id 2 twice
    QCOMPARE(dw[6], 1.0f); // id 3 once
    QCOMPARE(dIds[0], 0.0f);
    Tensor bad(Shape { 2, 3 }, std::vector<float> { 0, 1, 2, 3, 4, 0 });
    const std::string msg = errorOf([&] { forward(*layer, *m_backend, { &bad }); });
    QVERIFY2(msg.rfind("node (Embedding): token id 4 (sample 1, step 1)", 0) == 0, msg.c_str());
    QVERIFY2(msg.find("0..3") != std::string::npos, msg.c_str());
}

void TestLayers::outputShapes()
{
    struct Row {
        std::string type;
        json params;
        std::vector<Shape> in;
        Shape out;
    };
    const std::vector<Row> rows = {
        { "Input", { { "channels", 3 }, { "height", 32 }, { "width", 30 } }, {}, { 3, 32, 30 } },
        { "Input", json::object(), {}, { 1, 28, 28 } },
        { "Dense", { { "units", 10 } }, { { 784 } }, { 10 } },
        { "Dense", { { "units", 7 } }, { { 3, 4, 5 } }, { 7 } },
        { "Flatten", json::object(), { { 64, 7, 7 } }, { 3136 } },
        { "Reshape", { { "shape", "16x7x7" } }, { { 784 } }, { 16, 7, 7 } },
        { "Reshape", { { "shape", "-1 × 16" } }, { { 16, 7, 7 } }, { 49, 16 } },
        { "Reshape", { { "shape", "-1" } }, { { 2, 3, 4 } }, { 24 } },
        { "Conv2D", json::object(), { { 1, 28, 28 } }, { 32, 26, 26 } },
        { "Conv2D", { { "filters", 16 }, { "kernel", 5 }, { "stride", 2 } }, { { 3, 32, 32 } }, { 16, 14, 14 } },
        { "MaxPool2D", json::object(), { { 32, 26, 26 } }, { 32, 13, 13 } },
        { "MaxPool2D", { { "pool", 3 }, { "stride", 2 } }, { { 8, 9, 9 } }, { 8, 4, 4 } },
        { "AvgPool2D", json::object(), { { 6, 7, 7 } }, { 6, 3, 3 } },
        { "GlobalAvgPool2D", json::object(), { { 64, 7, 7 } }, { 64 } },
        { "ReLU", json::object(), { { 5, 2, 2 } }, { 5, 2, 2 } },
        { "LeakyReLU", json::object(), { { 10 } }, { 10 } },
        { "ELU", json::object(), { { 10 } }, { 10 } },
        { "Tanh", json::object(), { { 10 } }, { 10 } },
        { "Sigmoid", json::object(), { { 10 } }, { 10 } },
        { "Softmax", json::object(), { { 10 } }, { 10 } },
        { "Dropout", json::object(), { { 128 } }, { 128 } },
        { "BatchNorm", json::object(), { { 16, 8, 8 } }, { 16, 8, 8 } },
        { "Add", json::object(), { { 8, 4, 4 }, { 8, 4, 4 } }, { 8, 4, 4 } },
        { "Concat", json::object(), { { 8, 4, 4 }, { 3, 4, 4 }, { 1, 4, 4 } }, { 12, 4, 4 } },
        { "Concat", json::object(), { { 5 }, { 6 } }, { 11 } },
        { "Embedding", { { "dim", 8 } }, { { 20 } }, { 20, 8 } },
        { "Embedding", { { "dim", 8 } }, { { 1, 1, 20 } }, { 20, 8 } },
        { "SimpleRNN", { { "units", 16 } }, { { 20, 4 } }, { 16 } },
        { "LSTM", { { "units", 16 } }, { { 20, 4 } }, { 16 } },
        { "LSTM", { { "units", 16 }, { "return_sequences", true } }, { { 20, 4 } }, { 20, 16 } },
        { "LSTM", { { "units", 16 }, { "bidirectional", true } }, { { 1, 20, 4 } }, { 32 } },
        { "GRU", { { "units", 8 }, { "return_sequences", true }, { "bidirectional", true } }, { { 20, 4 } },
            { 20, 16 } },
        { "Conv1D", { { "filters", 16 }, { "kernel", 5 } }, { { 20, 4 } }, { 16, 16 } },
        { "Conv1D", { { "filters", 16 }, { "kernel", 5 }, { "stride", 2 }, { "padding", "same" } }, { { 21, 4 } },
            { 11, 16 } },
        { "MaxPool1D", json::object(), { { 20, 4 } }, { 10, 4 } },
        { "GlobalAvgPool1D", json::object(), { { 20, 4 } }, { 4 } },
        { "GlobalMaxPool1D", json::object(), { { 20, 4 } }, { 4 } },
        { "TimeDistributedDense", { { "units", 3 } }, { { 20, 4 } }, { 20, 3 } },
    };
    std::set<std::string> covered;
    for (const Row& r : rows) {
        covered.insert(r.type);
        const Shape got = makeLayer(r.type, r.params)->outputShape(r.in);
        QVERIFY2(got == r.out,
            (r.type + " on " + shapesToString(r.in) + ": got " + got.toString() + ", expected " + r.out.toString())
                .c_str());
    }
    for (const LayerInfo& info : LayerRegistry::builtin().all())
        QVERIFY2(covered.count(info.type), ("no output shape test for " + info.type).c_str());
}

void TestLayers::errorMessagesNameNodeAndShapes()
{
    const auto& reg = LayerRegistry::builtin();
    auto check = [&](const std::string& type, const std::string& node, const json& params, const std::vector<Shape>& in,
                     const std::vector<std::string>& mustContain) {
        const std::string msg = errorOf([&] { reg.create(type, node, params)->outputShape(in); });
        const std::string prefix = node + " (" + type + "): ";
        QVERIFY2(msg.rfind(prefix, 0) == 0, ("message does not start with '" + prefix + "': " + msg).c_str());
        for (const auto& part : mustContain)
            QVERIFY2(msg.find(part) != std::string::npos, ("'" + part + "' missing from: " + msg).c_str());
        bool shapeError = false;
        try {
            reg.create(type, node, params)->outputShape(in);
        } catch (const ShapeError&) {
            shapeError = true;
        } catch (...) {
        }
        QVERIFY2(shapeError, ("not a ShapeError: " + msg).c_str());
    };
    check("Conv2D", "conv1", { { "kernel", 5 } }, { { 1, 3, 3 } },
        { "kernel 5 does not fit input 1×3×3 with padding valid" });
    check("Conv2D", "conv2", json::object(), { { 10 } }, { "10" });
    check("Conv2D", "conv3", { { "kernel", 9 }, { "padding", "explicit" }, { "pad", 1 } }, { { 2, 5, 5 } },
        { "2×5×5", "9" });
    check("MaxPool2D", "pool1", { { "pool", 4 } }, { { 8, 3, 3 } }, { "8×3×3", "4" });
    check("AvgPool2D", "pool2", json::object(), { { 8 } }, { "8" });
    check("GlobalAvgPool2D", "gap", json::object(), { { 8 } }, { "8" });
    check("Add", "add1", json::object(), { { 8, 4, 4 }, { 8, 2, 2 } }, { "8×4×4", "8×2×2", "same shape" });
    check("Add", "add2", json::object(), { { 8 } }, { "at least 2" });
    check("Concat", "cat1", json::object(), { { 8, 4, 4 }, { 3, 2, 2 } }, { "8×4×4", "3×2×2" });
    check("Concat", "cat2", json::object(), { { 8, 4, 4 }, { 8 } }, { "8×4×4", "8" });
    check("Dense", "fc", json::object(), { { 4 }, { 4 } }, { "1 input", "4, 4" });
    check("ReLU", "act", json::object(), {}, { "1 input" });
    check("Reshape", "r", { { "shape", "5x5" } }, { { 2, 3, 4 } }, { "2×3×4", "24 values", "5x5" });
    check("Reshape", "r", { { "shape", "5x-1" } }, { { 2, 3, 4 } }, { "do not divide" });
    check("Reshape", "r", { { "shape", "4x-1x-1" } }, { { 24 } }, { "only one size may be -1" });
    check("Reshape", "r", { { "shape", "4xa" } }, { { 24 } }, { "'4xa'", "16x7x7" });
    check("Reshape", "r", { { "shape", "0x24" } }, { { 24 } }, { "positive" });
    check("Input", "in", json::object(), { { 3 } }, { "3" });
    check("LSTM", "lstm1", json::object(), { { 3, 8, 8 } }, { "3×8×8", "steps×features" });
    check("GRU", "gru1", json::object(), { { 10 } }, { "10", "T×F" });
    check("SimpleRNN", "rnn1", json::object(), { { 4, 2 }, { 4, 2 } }, { "1 input" });
    check("Conv1D", "c1", { { "kernel", 5 } }, { { 3, 4 } }, { "3×4", "kernel 5 does not fit 3 steps" });
    check("MaxPool1D", "p1", { { "pool", 4 } }, { { 3, 2 } }, { "3×2", "kernel 4" });
    check("GlobalMaxPool1D", "g1", json::object(), { { 2, 3, 4 } }, { "2×3×4" });
    check("GlobalAvgPool1D", "g2", json::object(), { { 7 } }, { "7" });
    check("Embedding", "emb", json::object(), { { 4, 2 } }, { "4×2", "token ids" });
    check("TimeDistributedDense", "td", json::object(), { { 10 } }, { "10", "use Dense" });
}

void TestLayers::registrySchemaSanity()
{
    const auto& reg = LayerRegistry::builtin();
    const std::set<std::string> categories = { "Input", "Core", "Convolution", "Pooling", "Normalization", "Activation",
        "Regularization", "Merge", "Sequence" };
    const std::set<std::string> expected = { "Input", "Dense", "Conv2D", "MaxPool2D", "AvgPool2D", "GlobalAvgPool2D",
        "Flatten", "Reshape", "ReLU", "LeakyReLU", "ELU", "Tanh", "Sigmoid", "Softmax", "Dropout", "BatchNorm", "Add",
        "Concat", "Embedding", "SimpleRNN", "LSTM", "GRU", "Conv1D", "MaxPool1D", "GlobalAvgPool1D", "GlobalMaxPool1D",
        "TimeDistributedDense" };
    std::set<std::string> seen;
    for (const LayerInfo& info : reg.all()) {
        seen.insert(info.type);
        const std::string t = info.type;
        QVERIFY2(!info.doc.empty(), (t + ": no doc").c_str());
        QVERIFY2(info.doc.find('\n') == std::string::npos, (t + ": doc is more than one line").c_str());
        QVERIFY2(categories.count(info.category), (t + ": unknown category " + info.category).c_str());
        QVERIFY2(info.create != nullptr, (t + ": no factory").c_str());
        QVERIFY2(info.minInputs >= 0 && (info.maxInputs < 0 || info.maxInputs >= info.minInputs), t.c_str());
        for (const ParamSpec& p : info.params) {
            QVERIFY2(!p.doc.empty(), (t + "." + p.name + ": no doc").c_str());
            QVERIFY2(p.min <= p.max, (t + "." + p.name + ": empty range").c_str());
            if (p.type == ParamType::Choice) {
                QVERIFY2(!p.choices.empty(), (t + "." + p.name + ": no choices").c_str());
                QVERIFY2(p.defaultValue.is_string()
                        && std::find(p.choices.begin(), p.choices.end(), p.defaultValue.get<std::string>())
                            != p.choices.end(),
                    (t + "." + p.name + ": default not among the choices").c_str());
            }
        }
        json resolved;
        const std::string err = errorOf([&] { resolved = reg.resolveParams(t, json::object(), "x"); });
        QVERIFY2(err == "(no exception)", (t + ": defaults do not resolve: " + err).c_str());
        QCOMPARE(resolved.size(), info.params.size());
        QVERIFY2(reg.create(t, "x", json::object()) != nullptr, t.c_str());
    }
    QVERIFY(seen == expected);
    QCOMPARE(reg.find("Input")->minInputs, 0);
    QCOMPARE(reg.find("Input")->maxInputs, 0);
    QCOMPARE(reg.find("Add")->maxInputs, -1);
    QCOMPARE(reg.find("Concat")->minInputs, 2);
    QCOMPARE(reg.find("Dense")->minInputs, 1);
    QCOMPARE(reg.find("Dense")->maxInputs, 1);
    // Range checks reach the user as FormatErrors naming the node.
    const std::string bad = errorOf([&] { reg.create("Dropout", "drop1", { { "rate", 1.0 } }); });
    QVERIFY2(bad.find("drop1") != std::string::npos && bad.find("rate") != std::string::npos, bad.c_str());
    const std::string badInit = errorOf([&] { reg.create("Dense", "fc1", { { "init", "magic" } }); });
    QVERIFY2(badInit.find("he_normal") != std::string::npos, badInit.c_str());
}

void TestLayers::paramCountsAndFlops()
{
    auto count = [](const std::string& t, const json& p, const std::vector<Shape>& in) {
        return makeLayer(t, p)->paramCount(in);
    };
    auto flops
        = [](const std::string& t, const json& p, const std::vector<Shape>& in) { return makeLayer(t, p)->flops(in); };
    QCOMPARE(count("Dense", { { "units", 10 } }, { { 784 } }), int64_t(7850));
    QCOMPARE(count("Dense", { { "units", 10 }, { "bias", false } }, { { 784 } }), int64_t(7840));
    QCOMPARE(count("Conv2D", json::object(), { { 1, 28, 28 } }), int64_t(320));
    QCOMPARE(count("Conv2D", { { "filters", 64 }, { "bias", false } }, { { 32, 8, 8 } }), int64_t(64 * 32 * 9));
    QCOMPARE(count("BatchNorm", json::object(), { { 16, 8, 8 } }), int64_t(64));
    QCOMPARE(count("BatchNorm", json::object(), { { 100 } }), int64_t(400));
    QCOMPARE(count("ReLU", json::object(), { { 100 } }), int64_t(0));
    QCOMPARE(flops("Dense", { { "units", 10 }, { "bias", false } }, { { 784 } }), int64_t(2 * 7840));
    // 32 filters × 26·26 positions × 9 multiply-adds (+ bias add).
    QCOMPARE(flops("Conv2D", json::object(), { { 1, 28, 28 } }), int64_t(32 * 26 * 26 * (2 * 9 + 1)));
    QCOMPARE(flops("Conv2D", { { "bias", false } }, { { 1, 28, 28 } }), int64_t(32 * 26 * 26 * 18));
    QVERIFY(flops("MaxPool2D", json::object(), { { 32, 26, 26 } }) > 0);
    // nn.LSTM(32, 128) has 4·128·(32 + 128 + 2) = 82944 parameters; bidirectional twice that.
    QCOMPARE(count("LSTM", { { "units", 128 } }, { { 50, 32 } }), int64_t(82944));
    QCOMPARE(count("LSTM", { { "units", 128 }, { "bidirectional", true } }, { { 50, 32 } }), int64_t(2 * 82944));
    QCOMPARE(count("GRU", { { "units", 16 } }, { { 50, 8 } }), int64_t(3 * 16 * (8 + 16 + 2)));
    QCOMPARE(count("SimpleRNN", { { "units", 16 } }, { { 50, 8 } }), int64_t(16 * (8 + 16 + 2)));
    QCOMPARE(count("Conv1D", { { "filters", 16 }, { "kernel", 5 } }, { { 50, 8 } }), int64_t(16 * 8 * 5 + 16));
    QCOMPARE(count("Embedding", { { "vocab", 100 }, { "dim", 8 } }, { { 50 } }), int64_t(800));
    QCOMPARE(count("TimeDistributedDense", { { "units", 3 } }, { { 50, 8 } }), int64_t(27));
    // Per step: the input and recurrent GEMMs of 4 gates dominate.
    QVERIFY(flops("LSTM", { { "units", 128 } }, { { 50, 32 } }) > 50 * 2 * 4 * 128 * (32 + 128));
}

void TestLayers::threadCountIndependence()
{
    struct Case {
        std::string type;
        json params;
        Shape in;
        int64_t batch;
    };
    const std::vector<Case> cases = {
        { "Conv2D", { { "filters", 6 }, { "kernel", 3 }, { "padding", "same" } }, { 3, 12, 12 }, 7 },
        // One sample: the direct forward shares its tiles between the threads.
        { "Conv2D", { { "filters", 6 }, { "kernel", 5 }, { "padding", "same" } }, { 1, 28, 28 }, 1 },
        { "Conv2D", { { "filters", 4 }, { "kernel", 5 }, { "stride", 2 } }, { 2, 15, 13 }, 5 },
        { "Conv2D", { { "filters", 16 }, { "kernel", 3 }, { "padding", "same" } }, { 32, 9, 8 }, 5 },
        { "Dense", { { "units", 33 } }, { 70 }, 9 },
    };
    auto b1 = createCpuBackend(1);
    auto b2 = createCpuBackend(2);
    for (const Case& c : cases) {
        Tensor x(c.in.batched(c.batch));
        Rng rng(17);
        fillTensor(x, Fill::Normal, rng);
        struct Result {
            Tensor y, dx, dw, db;
        } res[2];
        for (int k = 0; k < 2; ++k) {
            Backend& be = k == 0 ? *b1 : *b2;
            be.setThreads(k + 1); // the thread count is process-wide (OpenMP/Eigen): set it before use
            auto layer = buildLayer(c.type, c.params, { c.in }, 5);
            res[k].y = forward(*layer, be, { &x });
            Tensor g(res[k].y.shape());
            Rng grng(21);
            fillTensor(g, Fill::Normal, grng);
            res[k].dx = Tensor(x.shape());
            RunContext ctx { be, true, nullptr };
            layer->backward(ctx, { &x }, res[k].y, g, { &res[k].dx });
            res[k].dw.copyFrom(layer->parameter("weight")->grad);
            res[k].db.copyFrom(layer->parameter("bias")->grad);
        }
        const std::string label = c.type + " " + c.params.dump();
        auto close = [&](const Tensor& a, const Tensor& b, const char* what) {
            const double d = maxAbsDiff(a, b);
            QVERIFY2(d <= 1e-5 * std::max(1.0, maxAbs(a)),
                (label + " " + what + " differs by " + std::to_string(d)).c_str());
        };
        close(res[0].y, res[1].y, "output");
        close(res[0].dx, res[1].dx, "input gradient");
        close(res[0].dw, res[1].dw, "weight gradient");
        close(res[0].db, res[1].db, "bias gradient");
    }
    m_backend->setThreads(2);
}

void TestLayers::networkRoundTrip()
{
    // The layers inside a Network: a small residual CNN with every merge and most kinds.
    ModelGraph g;
    auto node = [&](const std::string& id, const std::string& type, std::vector<std::string> inputs, json params) {
        GraphNode n;
        n.id = id;
        n.type = type;
        n.inputs = std::move(inputs);
        n.params = std::move(params);
        g.addNode(std::move(n));
    };
    node("in", "Input", {}, { { "channels", 2 }, { "height", 8 }, { "width", 8 } });
    node("conv", "Conv2D", { "in" }, { { "filters", 4 }, { "padding", "same" }, { "init", "he_normal" } });
    node("bn", "BatchNorm", { "conv" }, json::object());
    node("relu", "ReLU", { "bn" }, json::object());
    node("conv2", "Conv2D", { "relu" }, { { "filters", 4 }, { "padding", "same" } });
    node("add", "Add", { "conv2", "relu" }, json::object());
    node("cat", "Concat", { "add", "conv" }, json::object());
    node("pool", "MaxPool2D", { "cat" }, json::object());
    node("flat", "Flatten", { "pool" }, json::object());
    node("drop", "Dropout", { "flat" }, { { "rate", 0.2 } });
    node("fc", "Dense", { "drop" }, { { "units", 3 } });
    node("sm", "Softmax", { "fc" }, json::object());
    const GraphAnalysis a = g.analyze();
    QVERIFY2(a.ok, a.error.c_str());
    QCOMPARE(a.outputShape, Shape({ 3 }));
    Network net(g, *m_backend, 3);
    Tensor x(Shape { 4, 2, 8, 8 });
    Rng rng(8);
    fillTensor(x, Fill::Normal, rng);
    for (int step = 0; step < 2; ++step) {
        const Tensor& y = net.forward(x, true);
        QCOMPARE(y.shape(), Shape({ 4, 3 }));
        QVERIFY(y.allFinite());
        Tensor gy(y.shape(), 0.1f);
        net.backward(gy);
        for (const auto& p : net.trainableParameters())
            QVERIFY2(p.param->grad.allFinite(), p.key().c_str());
    }
    const Tensor& yi = net.forward(x, false);
    QVERIFY(yi.allFinite());
}

QTEST_APPLESS_MAIN(TestLayers)
#include "test_layers.moc"
