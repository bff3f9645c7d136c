// Backend conformance: every operation of Backend.h, every registered layer kind, a network
// and a short training run, checked on EVERY backend of backendsUnderTest() — written once.
//
// Each data-driven test has a `backend` column, so each backend × case is its own row; a row
// whose backend could not be created here (no device) QSKIPs with the entry's reason, so
// nothing that did not run passes. Inputs are uploaded and results downloaded through the
// backend under test, so the same code is right for a device backend.
// References: the operations against plain, obviously-correct loops written here (double
// accumulation); the layers, the network and the trainer against the CPU backend (a second,
// single-threaded instance, so thread counts are compared too) and against finite
// differences.
#include "common/BackendsUnderTest.h"
#include "common/Fixtures.h"
#include "engine/backend/Backend.h"
#include "engine/backend/kernels/ElementMath.h"
#include "engine/core/Error.h"
#include "engine/core/Rng.h"
#include "engine/data/Split.h"
#include "engine/io/Safetensors.h"
#include "engine/layers/LayerRegistry.h"
#include "engine/train/Loss.h"
#include "engine/train/Network.h"
#include "engine/train/Optimizer.h"
#include "engine/train/Trainer.h"

#include <QtTest>
#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using namespace netcanvas;
using nlohmann::json;

namespace {

using Vec = std::vector<float>;
using Ref = std::vector<double>;

// ---- device helpers --------------------------------------------------------------------

Tensor upload(Backend& b, const Vec& host, const Shape& shape)
{
    Tensor t(shape, b.allocator());
    if (static_cast<int64_t>(host.size()) != t.size())
        throw ShapeError("test upload: size mismatch");
    b.upload(t.data(), host.data(), t.size());
    return t;
}

Tensor upload(Backend& b, const Vec& host)
{
    return upload(b, host, Shape { static_cast<int64_t>(host.size()) });
}

Vec download(Backend& b, const float* p, int64_t count)
{
    Vec v(static_cast<size_t>(count));
    b.download(v.data(), p, count);
    return v;
}

Vec download(Backend& b, const Tensor& t)
{
    return download(b, t.data(), t.size());
}

Vec toVec(const Tensor& host)
{
    return Vec(host.data(), host.data() + host.size());
}

Vec randomVec(int64_t n, uint64_t seed, float lo = -1.0f, float hi = 1.0f)
{
    Rng rng(seed);
    Vec v(static_cast<size_t>(n));
    for (auto& x : v)
        x = rng.uniform(lo, hi);
    return v;
}

// ±[0.2, 1.2]: away from the kinks of ReLU-like functions.
Vec awayFromZero(int64_t n, uint64_t seed)
{
    Rng rng(seed);
    Vec v(static_cast<size_t>(n));
    for (auto& x : v) {
        const float m = rng.uniform(0.2f, 1.2f);
        x = rng.uniform() < 0.5f ? -m : m;
    }
    return v;
}

// A shuffled ramp: no two values within 0.05 (no max-pooling ties).
Vec distinct(int64_t n, uint64_t seed)
{
    Rng rng(seed);
    Vec v(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i)
        v[static_cast<size_t>(i)] = 0.05f * static_cast<float>(i) - 0.025f * static_cast<float>(n);
    for (int64_t i = n - 1; i > 0; --i)
        std::swap(v[static_cast<size_t>(i)], v[static_cast<size_t>(rng.below(static_cast<uint64_t>(i + 1)))]);
    return v;
}

// Empty when every |got − want| <= atol + rtol·|want|; otherwise names the worst element.
template <class A, class B>
std::string mismatch(const char* what, const A& got, const B& want, double atol = 1e-5, double rtol = 1e-5)
{
    if (got.size() != want.size())
        return std::string(what) + ": " + std::to_string(got.size()) + " values, expected "
            + std::to_string(want.size());
    double worst = 0.0;
    size_t at = 0;
    for (size_t i = 0; i < got.size(); ++i) {
        const double g = got[i], w = want[i];
        const double excess = std::isfinite(g) == std::isfinite(w) && (std::isfinite(g) || g == w)
            ? (std::isfinite(g) ? std::abs(g - w) / (atol + rtol * std::abs(w)) : 0.0)
            : 1e30;
        if (excess > worst) {
            worst = excess;
            at = i;
        }
    }
    if (worst <= 1.0)
        return {};
    std::ostringstream s;
    s << what << " [" << at << "]: got " << static_cast<double>(got[at]) << ", expected "
      << static_cast<double>(want[at]) << " (" << got.size() << " values)";
    return s.str();
}

#define CHECK_CLOSE(what, got, want, ...)                                                                              \
    do {                                                                                                               \
        const std::string m_ = mismatch(what, got, want, ##__VA_ARGS__);                                               \
        QVERIFY2(m_.empty(), m_.c_str());                                                                              \
    } while (0)

// ---- layer cases -----------------------------------------------------------------------

enum class Fill { Normal, AwayFromZero, Distinct, TokenIds };

struct LayerCase {
    std::string type;
    json params;
    std::vector<Shape> inputs; // per sample
    int64_t batch = 3;
    Fill fill = Fill::Normal;
    double eps = 1e-2; // finite differences
};

std::vector<LayerCase> layerCases()
{
    return {
        { "Dense", { { "units", 4 } }, { { 5 } } },
        { "Dense", { { "units", 3 }, { "bias", false } }, { { 2, 3, 2 } }, 2 },
        { "Flatten", json::object(), { { 2, 3, 4 } } },
        { "Reshape", { { "shape", "-1x2x2" } }, { { 2, 3, 4 } } },
        { "Conv2D", { { "filters", 3 }, { "kernel", 3 } }, { { 2, 5, 5 } } },
        { "Conv2D", { { "filters", 2 }, { "kernel", 3 }, { "stride", 2 }, { "padding", "same" } }, { { 1, 7, 7 } } },
        { "Conv2D", { { "filters", 2 }, { "kernel", 4 }, { "padding", "same" } }, { { 1, 5, 5 } }, 2 },
        { "Conv2D", { { "filters", 3 }, { "kernel", 1 }, { "bias", false } }, { { 3, 4, 4 } } },
        { "Conv2D", { { "filters", 16 }, { "kernel", 3 }, { "padding", "same" } }, { { 32, 4, 5 } }, 2 },
        { "MaxPool2D", { { "pool", 2 } }, { { 2, 4, 4 } }, 3, Fill::Distinct },
        { "MaxPool2D", { { "pool", 3 }, { "stride", 2 }, { "padding", "same" } }, { { 1, 5, 6 } }, 3, Fill::Distinct },
        { "AvgPool2D", { { "pool", 3 }, { "stride", 2 }, { "padding", "same" } }, { { 1, 5, 6 } } },
        { "AvgPool2D", { { "pool", 2 }, { "stride", 1 } }, { { 2, 3, 3 } } },
        { "GlobalAvgPool2D", json::object(), { { 3, 2, 3 } } },
        { "ReLU", json::object(), { { 2, 3, 3 } }, 3, Fill::AwayFromZero },
        { "LeakyReLU", { { "alpha", 0.1 } }, { { 7 } }, 3, Fill::AwayFromZero },
        { "ELU", { { "alpha", 0.5 } }, { { 2, 2, 2 } }, 3, Fill::AwayFromZero },
        { "Tanh", json::object(), { { 6 } } },
        { "Sigmoid", json::object(), { { 2, 2, 2 } } },
        { "Softmax", json::object(), { { 5 } } },
        { "Softmax", json::object(), { { 3, 2, 2 } } },
        { "Dropout", { { "rate", 0.3 } }, { { 10 } } },
        { "BatchNorm", json::object(), { { 4 } }, 5, Fill::Normal, 1e-3 },
        { "BatchNorm", { { "momentum", 0.2 } }, { { 3, 2, 2 } }, 3, Fill::Normal, 1e-3 },
        { "Add", json::object(), { { 3, 2, 2 }, { 3, 2, 2 }, { 3, 2, 2 } } },
        { "Concat", json::object(), { { 2, 3, 3 }, { 1, 3, 3 } } },
        { "Concat", json::object(), { { 2 }, { 3 }, { 1 } } },
        { "Embedding", { { "vocab", 6 }, { "dim", 3 } }, { { 5 } }, 3, Fill::TokenIds },
        { "SimpleRNN", { { "units", 3 }, { "return_sequences", true }, { "bidirectional", true } }, { { 4, 2 } } },
        { "LSTM", { { "units", 3 } }, { { 5, 2 } } },
        { "LSTM", { { "units", 2 }, { "return_sequences", true }, { "bidirectional", true } }, { { 4, 3 } } },
        { "GRU", { { "units", 3 } }, { { 5, 2 } } },
        { "GRU", { { "units", 2 }, { "return_sequences", true }, { "bidirectional", true } }, { { 4, 3 } } },
        { "Conv1D", { { "filters", 3 }, { "kernel", 3 } }, { { 6, 2 } } },
        { "Conv1D", { { "filters", 2 }, { "kernel", 4 }, { "stride", 2 }, { "padding", "same" } }, { { 7, 3 } } },
        { "MaxPool1D", { { "pool", 3 }, { "stride", 2 }, { "padding", "same" } }, { { 7, 2 } }, 3, Fill::Distinct },
        { "GlobalAvgPool1D", json::object(), { { 4, 3 } } },
        { "GlobalMaxPool1D", json::object(), { { 4, 3 } }, 3, Fill::Distinct },
        { "TimeDistributedDense", { { "units", 3 } }, { { 4, 5 } } },
    };
}

std::string caseName(const LayerCase& c)
{
    std::string s = c.type + " " + c.params.dump() + " on";
    for (const Shape& in : c.inputs)
        s += " " + in.toString();
    return s;
}

Vec fillFor(const LayerCase& c, int64_t n, uint64_t seed)
{
    switch (c.fill) {
    case Fill::AwayFromZero:
        return awayFromZero(n, seed);
    case Fill::Distinct:
        return distinct(n, seed);
    case Fill::TokenIds: {
        Rng rng(seed);
        Vec v(static_cast<size_t>(n));
        for (auto& x : v)
            x = static_cast<float>(rng.below(5));
        return v;
    }
    case Fill::Normal:
        break;
    }
    Rng rng(seed);
    Vec v(static_cast<size_t>(n));
    for (auto& x : v)
        x = rng.normal();
    return v;
}

std::unique_ptr<Layer> buildLayer(const LayerCase& c)
{
    auto layer = LayerRegistry::builtin().create(c.type, "node", c.params);
    Rng rng(7);
    layer->build(c.inputs, rng);
    return layer;
}

// Moves a freshly built layer's parameters to the backend's device (as Network does).
void moveToDevice(Layer& layer, Backend& b)
{
    for (Parameter& p : layer.parameters()) {
        Vec v(p.value.data(), p.value.data() + p.value.size());
        p.value = upload(b, v, p.value.shape());
        if (!p.grad.empty()) {
            p.grad = Tensor(p.grad.shape(), b.allocator());
            b.fill(p.grad.data(), p.grad.size(), 0.0f);
        }
    }
}

// One layer on one backend: inputs on the device, forward and backward.
struct LayerRun {
    Backend& backend;
    Layer& layer;
    std::vector<Tensor> inputs;
    Tensor out;
    Shape outShape;
    LayerRun(Backend& b, Layer& l, const LayerCase& c, const std::vector<Vec>& host)
        : backend(b)
        , layer(l)
    {
        std::vector<Shape> shapes;
        for (size_t i = 0; i < c.inputs.size(); ++i) {
            inputs.push_back(upload(b, host[i], c.inputs[i].batched(c.batch)));
            shapes.push_back(c.inputs[i]);
        }
        outShape = l.outputShape(shapes).batched(c.batch);
        out = Tensor(outShape, b.allocator());
    }
    std::vector<const Tensor*> in() const
    {
        std::vector<const Tensor*> v;
        for (const Tensor& t : inputs)
            v.push_back(&t);
        return v;
    }
    Vec forward(bool training, uint64_t seed)
    {
        Rng rng(seed);
        RunContext ctx { backend, training, &rng };
        layer.forward(ctx, in(), out);
        return download(backend, out);
    }
    // Returns the input gradients; parameter grads stay in the layer.
    std::vector<Vec> backward(const Vec& gradOut)
    {
        Tensor g = upload(backend, gradOut, outShape);
        std::vector<Tensor> gradIn;
        std::vector<Tensor*> ptrs;
        for (const Tensor& t : inputs)
            gradIn.emplace_back(t.shape(), backend.allocator());
        for (Tensor& t : gradIn)
            ptrs.push_back(&t);
        Rng rng(1);
        RunContext ctx { backend, true, &rng };
        layer.backward(ctx, in(), out, g, ptrs);
        std::vector<Vec> result;
        for (const Tensor& t : gradIn)
            result.push_back(download(backend, t));
        return result;
    }
};

// ---- reference convolution / pooling -----------------------------------------------------

WindowDesc window(int64_t c, int64_t h, int64_t w, int64_t kH, int64_t kW, int64_t sH, int64_t sW, int64_t pT,
    int64_t pL, int64_t pB, int64_t pR)
{
    WindowDesc d;
    d.channels = c;
    d.height = h;
    d.width = w;
    d.kernelH = kH;
    d.kernelW = kW;
    d.strideH = sH;
    d.strideW = sW;
    d.padTop = pT;
    d.padLeft = pL;
    d.padBottom = pB;
    d.padRight = pR;
    d.outH = (h + pT + pB - kH) / sH + 1;
    d.outW = (w + pL + pR - kW) / sW + 1;
    return d;
}

// Visits every (output position, input cell inside the image) pair of one plane.
template <class F> void forEachTap(const WindowDesc& w, F f)
{
    for (int64_t oy = 0; oy < w.outH; ++oy)
        for (int64_t ox = 0; ox < w.outW; ++ox)
            for (int64_t ky = 0; ky < w.kernelH; ++ky)
                for (int64_t kx = 0; kx < w.kernelW; ++kx) {
                    const int64_t y = oy * w.strideH - w.padTop + ky, x = ox * w.strideW - w.padLeft + kx;
                    if (y >= 0 && y < w.height && x >= 0 && x < w.width)
                        f(oy * w.outW + ox, y * w.width + x, ky * w.kernelW + kx);
                }
}

// ---- an emulated device ------------------------------------------------------------------
// The CPU backend behind an allocator that reports Device::Cuda: its tensors are "device"
// tensors (Tensor's host-only operations refuse them), so the engine's device paths —
// parameter upload, Network::assign/hostCopy, DeviceLabels, snapshots, Safetensors through
// the network — run on a machine without a GPU. It counts the bytes that cross.
class EmulatedDeviceAllocator final : public Allocator {
public:
    Device device() const override { return Device::Cuda; }
    void* allocate(size_t bytes) override { return hostAllocator().allocate(bytes); }
    void deallocate(void* p) noexcept override { hostAllocator().deallocate(p); }
};

class EmulatedDevice final : public Backend {
public:
    EmulatedDevice()
        : m_cpu(createCpuBackend(2))
    {
    }
    std::string name() const override { return "emulated-device"; }
    Device device() const override { return Device::Cuda; }
    int threads() const override { return 1; }
    void setThreads(int) override { }
    Allocator& allocator() override { return m_allocator; }
    void upload(float* dst, const float* host, int64_t count) override
    {
        uploaded += count * 4;
        m_cpu->upload(dst, host, count);
    }
    void download(float* host, const float* src, int64_t count) override
    {
        downloaded += count * 4;
        m_cpu->download(host, src, count);
    }
    void uploadBytes(void* dst, const void* host, int64_t bytes) override
    {
        uploaded += bytes;
        m_cpu->uploadBytes(dst, host, bytes);
    }
    void copy(float* dst, const float* src, int64_t count) override { m_cpu->copy(dst, src, count); }
    void copy2D(float* dst, int64_t dp, const float* src, int64_t sp, int64_t rows, int64_t cols) override
    {
        m_cpu->copy2D(dst, dp, src, sp, rows, cols);
    }
    void fill(float* x, int64_t count, float value) override { m_cpu->fill(x, count, value); }
    void gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
        const float* B, int64_t ldb, float beta, float* C, int64_t ldc) override
    {
        m_cpu->gemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    }
    void addBias(float* y, const float* bias, int64_t n, int64_t c, int64_t s) override
    {
        m_cpu->addBias(y, bias, n, c, s);
    }
    void biasGradient(const float* dy, float* db, int64_t n, int64_t c, int64_t s) override
    {
        m_cpu->biasGradient(dy, db, n, c, s);
    }
    void activationForward(ActivationKind k, float a, const float* x, float* y, int64_t n) override
    {
        m_cpu->activationForward(k, a, x, y, n);
    }
    void activationBackward(
        ActivationKind k, float a, const float* x, const float* y, const float* dy, float* dx, int64_t n) override
    {
        m_cpu->activationBackward(k, a, x, y, dy, dx, n);
    }
    void add(const float* a, const float* b, float* y, int64_t n) override { m_cpu->add(a, b, y, n); }
    void axpy(float alpha, const float* x, float* y, int64_t n) override { m_cpu->axpy(alpha, x, y, n); }
    void scale(float alpha, float* x, int64_t n) override { m_cpu->scale(alpha, x, n); }
    void softmaxForward(const float* x, float* y, int64_t r, int64_t c) override { m_cpu->softmaxForward(x, y, r, c); }
    void softmaxBackward(const float* y, const float* dy, float* dx, int64_t r, int64_t c) override
    {
        m_cpu->softmaxBackward(y, dy, dx, r, c);
    }
    std::unique_ptr<ConvPrimitive> createConv(const ConvDesc& d) override { return m_cpu->createConv(d); }
    std::unique_ptr<PoolPrimitive> createPool(const PoolDesc& d) override { return m_cpu->createPool(d); }
    std::unique_ptr<BatchNormPrimitive> createBatchNorm(const BatchNormDesc& d) override
    {
        return m_cpu->createBatchNorm(d);
    }
    std::unique_ptr<DropoutPrimitive> createDropout() override { return m_cpu->createDropout(); }
    float softmaxCrossEntropy(const float* x, const int32_t* y, float* g, int64_t r, int64_t c) override
    {
        return m_cpu->softmaxCrossEntropy(x, y, g, r, c);
    }
    float crossEntropyOnProbabilities(const float* p, const int32_t* y, float* g, int64_t r, int64_t c) override
    {
        return m_cpu->crossEntropyOnProbabilities(p, y, g, r, c);
    }
    float meanSquaredError(const float* o, const int32_t* y, float* g, int64_t r, int64_t c) override
    {
        return m_cpu->meanSquaredError(o, y, g, r, c);
    }
    int64_t countCorrect(const float* o, const int32_t* y, int64_t r, int64_t c) override
    {
        return m_cpu->countCorrect(o, y, r, c);
    }
    double sumAbs(const float* x, int64_t n) override { return m_cpu->sumAbs(x, n); }
    double sumSquares(const float* x, int64_t n) override { return m_cpu->sumSquares(x, n); }
    int64_t firstNonFinite(const float* x, int64_t n) override { return m_cpu->firstNonFinite(x, n); }
    void addRegularization(const float* w, float* g, int64_t n, float l1, float l2) override
    {
        m_cpu->addRegularization(w, g, n, l1, l2);
    }
    void sgdUpdate(float* w, const float* g, float* v, int64_t n, const SgdParams& p) override
    {
        m_cpu->sgdUpdate(w, g, v, n, p);
    }
    void adamUpdate(float* w, const float* g, float* m, float* v, int64_t n, const AdamParams& p) override
    {
        m_cpu->adamUpdate(w, g, m, v, n, p);
    }
    void rmsPropUpdate(float* w, const float* g, float* s, float* v, int64_t n, const RmsPropParams& p) override
    {
        m_cpu->rmsPropUpdate(w, g, s, v, n, p);
    }
    // A device backend runs host work inline.
    void parallelFor(int64_t n, const std::function<void(int64_t, int64_t)>& fn, int64_t) override
    {
        if (n > 0)
            fn(0, n);
    }

    int64_t uploaded = 0, downloaded = 0; // bytes

private:
    EmulatedDeviceAllocator m_allocator;
    std::unique_ptr<Backend> m_cpu;
};

} // namespace

class TestBackendConformance : public QObject {
    Q_OBJECT

    std::vector<test::BackendUnderTest> m_backends;
    std::unique_ptr<Backend> m_reference; // the CPU, one thread

    void addBackendColumn() { QTest::addColumn<int>("backend"); }
    // One row per backend.
    void backendRows()
    {
        addBackendColumn();
        for (size_t i = 0; i < m_backends.size(); ++i)
            QTest::newRow(m_backends[i].name.c_str()) << static_cast<int>(i);
    }

#define BACKEND_OR_SKIP(var)                                                                                           \
    QFETCH(int, backend);                                                                                              \
    if (!m_backends[static_cast<size_t>(backend)].backend)                                                             \
        QSKIP(m_backends[static_cast<size_t>(backend)].skipReason.c_str());                                            \
    Backend& var = *m_backends[static_cast<size_t>(backend)].backend

private slots:
    void initTestCase()
    {
        m_backends = test::backendsUnderTest();
        QVERIFY(!m_backends.empty());
        QCOMPARE(m_backends[0].name, std::string("cpu"));
        QVERIFY(m_backends[0].backend != nullptr);
        // Besides the real ones: the CPU behind a "device" allocator (see EmulatedDevice).
        m_backends.push_back({ "emulated-device", std::make_unique<EmulatedDevice>(), {} });
        m_reference = createCpuBackend(1);
    }

    void memory_data()
    {
        backendRows();
    }
    void memory()
    {
        BACKEND_OR_SKIP(b);
        QVERIFY(b.threads() >= 1);
        QCOMPARE(b.allocator().device(), b.device());
        const Vec src = randomVec(1000, 1);
        Tensor t = upload(b, src);
        QCOMPARE(t.device(), b.device());
        QCOMPARE(download(b, t), src); // upload/download are exact
        Tensor c(t.shape(), b.allocator());
        b.copy(c.data(), t.data(), t.size());
        QCOMPARE(download(b, c), src);
        b.fill(c.data() + 10, 20, 2.5f);
        Vec want = src;
        std::fill(want.begin() + 10, want.begin() + 30, 2.5f);
        QCOMPARE(download(b, c), want);
        // copy2D: 4 rows of 3 from a pitch-7 source into a pitch-5 destination.
        Tensor d(Shape { 20 }, b.allocator());
        b.fill(d.data(), 20, -1.0f);
        b.copy2D(d.data() + 1, 5, t.data() + 2, 7, 4, 3);
        want.assign(20, -1.0f);
        for (int r = 0; r < 4; ++r)
            for (int col = 0; col < 3; ++col)
                want[static_cast<size_t>(r * 5 + 1 + col)] = src[static_cast<size_t>(r * 7 + 2 + col)];
        QCOMPARE(download(b, d), want);
        // int32 labels through uploadBytes (read back by countCorrect below).
        DeviceLabels labels(b);
        const std::vector<int32_t> y { 2, 0, 1 };
        const int32_t* dy = labels.upload(y);
        Tensor scores = upload(b, { 0, 0, 1, 1, 0, 0, 0, 1, 0 }, Shape { 3, 3 });
        QCOMPARE(b.countCorrect(scores.data(), dy, 3, 3), int64_t(3));
        b.synchronize();
        // Host-only operations refuse device tensors (and only them).
        if (b.device() != Device::Cpu) {
            QVERIFY_THROWS_EXCEPTION(BackendError, t.fill(0.0f));
            QVERIFY_THROWS_EXCEPTION(BackendError, [&] { Tensor copy(t); }());
        }
    }

    void gemm_data()
    {
        addBackendColumn();
        QTest::addColumn<bool>("transA");
        QTest::addColumn<bool>("transB");
        for (size_t i = 0; i < m_backends.size(); ++i)
            for (int t = 0; t < 4; ++t) {
                const std::string name = m_backends[i].name + (t & 1 ? " Aᵀ" : " A") + (t & 2 ? "·Bᵀ" : "·B");
                QTest::newRow(name.c_str()) << static_cast<int>(i) << bool(t & 1) << bool(t & 2);
            }
    }
    void gemm()
    {
        BACKEND_OR_SKIP(b);
        QFETCH(bool, transA);
        QFETCH(bool, transB);
        for (const auto& [M, N, K] : { std::tuple<int64_t, int64_t, int64_t> { 7, 5, 3 }, { 13, 9, 67 }, { 1, 11, 6 },
                 { 9, 1, 5 }, { 70, 66, 65 } }) {
            // Leading dimensions larger than the columns.
            const int64_t aRows = transA ? K : M, aCols = transA ? M : K;
            const int64_t bRows = transB ? N : K, bCols = transB ? K : N;
            const int64_t lda = aCols + 3, ldb = bCols + 2, ldc = N + 4;
            const Vec A = randomVec(aRows * lda, 11), B = randomVec(bRows * ldb, 12), C0 = randomVec(M * ldc, 13);
            const float alpha = 1.5f, beta = 0.5f;
            Tensor a = upload(b, A), bb = upload(b, B), c = upload(b, C0);
            b.gemm(transA, transB, M, N, K, alpha, a.data(), lda, bb.data(), ldb, beta, c.data(), ldc);
            Ref want(C0.begin(), C0.end());
            for (int64_t i = 0; i < M; ++i)
                for (int64_t j = 0; j < N; ++j) {
                    double acc = 0.0;
                    for (int64_t k = 0; k < K; ++k)
                        acc += static_cast<double>(transA ? A[k * lda + i] : A[i * lda + k])
                            * (transB ? B[j * ldb + k] : B[k * ldb + j]);
                    want[i * ldc + j] = alpha * acc + beta * C0[i * ldc + j];
                }
            const std::string what = "gemm " + std::to_string(M) + "x" + std::to_string(N) + "x" + std::to_string(K);
            CHECK_CLOSE(what.c_str(), download(b, c), want, 1e-4, 1e-4);
        }
    }

    void bias_data()
    {
        backendRows();
    }
    void bias()
    {
        BACKEND_OR_SKIP(b);
        for (int64_t spatial : { 1, 5 }) {
            const int64_t n = 3, ch = 4, count = n * ch * spatial;
            const Vec y0 = randomVec(count, 21), bias = randomVec(ch, 22);
            Tensor y = upload(b, y0), bb = upload(b, bias);
            b.addBias(y.data(), bb.data(), n, ch, spatial);
            Ref want(y0.begin(), y0.end());
            Ref db(static_cast<size_t>(ch), 0.0);
            for (int64_t i = 0; i < count; ++i) {
                want[i] += bias[static_cast<size_t>((i / spatial) % ch)];
                db[static_cast<size_t>((i / spatial) % ch)] += y0[i];
            }
            CHECK_CLOSE("addBias", download(b, y), want);
            Tensor dyT = upload(b, y0), dbT(Shape { ch }, b.allocator());
            b.biasGradient(dyT.data(), dbT.data(), n, ch, spatial);
            CHECK_CLOSE("biasGradient", download(b, dbT), db);
        }
    }

    void activations_data()
    {
        addBackendColumn();
        QTest::addColumn<int>("kind");
        for (size_t i = 0; i < m_backends.size(); ++i) // every row of the activation table
            for (int k = 0; k < kActivationCount; ++k)
                QTest::newRow((m_backends[i].name + " " + kActivations[k].type).c_str()) << static_cast<int>(i) << k;
    }
    void activations()
    {
        BACKEND_OR_SKIP(b);
        QFETCH(int, kind);
        const auto k = kActivations[kind].kind;
        QCOMPARE(static_cast<int>(k), kind); // the enum and the table agree
        QCOMPARE(&activationInfo(k), &kActivations[kind]);
        const float alpha = !kActivations[kind].hasAlpha() ? 0.0f : k == ActivationKind::LeakyRelu ? 0.1f : 0.7f;
        const int64_t n = 100003; // more than one chunk of a parallel loop
        Vec x = randomVec(n, 31, -4.0f, 4.0f);
        for (auto& v : x)
            if (std::abs(v) < 1e-3f)
                v = 0.5f;
        x[0] = 60.0f; // saturation
        x[1] = -60.0f;
        const Vec dy = randomVec(n, 32);
        Ref y(static_cast<size_t>(n)), dx(static_cast<size_t>(n));
        for (int64_t i = 0; i < n; ++i) {
            const double v = x[i];
            double f = 0.0, d = 0.0;
            switch (k) {
            case ActivationKind::Relu:
                f = v > 0 ? v : 0;
                d = v > 0 ? 1 : 0;
                break;
            case ActivationKind::LeakyRelu:
                f = v > 0 ? v : alpha * v;
                d = v > 0 ? 1 : alpha;
                break;
            case ActivationKind::Elu:
                f = v > 0 ? v : alpha * (std::exp(v) - 1);
                d = v > 0 ? 1 : alpha * std::exp(v);
                break;
            case ActivationKind::Sigmoid:
                f = 1 / (1 + std::exp(-v));
                d = f * (1 - f);
                break;
            case ActivationKind::Tanh:
                f = std::tanh(v);
                d = 1 - f * f;
                break;
            default: // a new row of the activation table needs its reference here
                QFAIL(qPrintable(QString("no reference for activation ") + kActivations[kind].type));
            }
            y[i] = f;
            dx[i] = d * dy[i];
        }
        Tensor xt = upload(b, x), yt(xt.shape(), b.allocator()), dyt = upload(b, dy), dxt(xt.shape(), b.allocator());
        b.activationForward(k, alpha, xt.data(), yt.data(), n);
        CHECK_CLOSE("forward", download(b, yt), y, 1e-6, 1e-5);
        b.activationBackward(k, alpha, xt.data(), yt.data(), dyt.data(), dxt.data(), n);
        CHECK_CLOSE("backward", download(b, dxt), dx, 1e-6, 1e-4);
    }

    void elementwise_data()
    {
        backendRows();
    }
    void elementwise()
    {
        BACKEND_OR_SKIP(b);
        const int64_t n = 70001;
        const Vec a = randomVec(n, 41), c = randomVec(n, 42);
        Tensor at = upload(b, a), ct = upload(b, c), y(at.shape(), b.allocator());
        Ref sum(static_cast<size_t>(n)), axpy(static_cast<size_t>(n)), scaled(static_cast<size_t>(n));
        for (int64_t i = 0; i < n; ++i) {
            sum[i] = static_cast<double>(a[i]) + c[i];
            axpy[i] = c[i] + 0.25 * a[i];
            scaled[i] = -3.0 * a[i];
        }
        b.add(at.data(), ct.data(), y.data(), n);
        CHECK_CLOSE("add", download(b, y), sum);
        Tensor alias = upload(b, a);
        b.add(alias.data(), ct.data(), alias.data(), n); // y aliases a
        CHECK_CLOSE("add in place", download(b, alias), sum);
        b.axpy(0.25f, at.data(), ct.data(), n);
        CHECK_CLOSE("axpy", download(b, ct), axpy);
        b.scale(-3.0f, at.data(), n);
        CHECK_CLOSE("scale", download(b, at), scaled);
    }

    // The ops that may fall back (Backend.h): right on every backend — natively on the CPU, through
    // the host fallback on the emulated device (which implements none of them) — and the
    // fallback is reported exactly when it ran.
    void fallbackOps_data()
    {
        backendRows();
    }
    void fallbackOps()
    {
        BACKEND_OR_SKIP(b);
        const int64_t n = 70001;
        const Vec a = randomVec(n, 43), c = randomVec(n, 44), y0 = randomVec(n, 45);
        Ref prod(static_cast<size_t>(n)), acc(static_cast<size_t>(n));
        for (int64_t i = 0; i < n; ++i) {
            prod[i] = static_cast<double>(a[i]) * c[i];
            acc[i] = y0[i] + prod[i];
        }
        auto* emulated = dynamic_cast<EmulatedDevice*>(&b);
        const int64_t downloadedBefore = emulated ? emulated->downloaded : 0;
        Tensor at = upload(b, a), ct = upload(b, c), y(at.shape(), b.allocator());
        b.mul(at.data(), ct.data(), y.data(), n);
        CHECK_CLOSE("mul", download(b, y), prod);
        Tensor yAcc = upload(b, y0);
        b.mulAccumulate(at.data(), ct.data(), yAcc.data(), n);
        CHECK_CLOSE("mulAccumulate", download(b, yAcc), acc);
        Tensor alias = upload(b, a);
        b.mul(alias.data(), ct.data(), alias.data(), n); // y aliases a
        CHECK_CLOSE("mul in place", download(b, alias), prod);
        b.mul(at.data(), ct.data(), y.data(), 0); // nothing to do, nothing to move

        const std::vector<std::string> ops = b.fallbackOps();
        const auto reported = [&](const char* op) { return std::find(ops.begin(), ops.end(), op) != ops.end(); };
        if (b.device() == Device::Cpu) {
            QVERIFY2(ops.empty(), b.fallbackNote().c_str()); // the reference implements every op
            QCOMPARE(b.fallbackNote(), std::string());
        } else if (emulated) {
            QVERIFY(reported("mul") && reported("mulAccumulate"));
            QCOMPARE(ops.size(), size_t(2)); // each op once, however often it ran
            const std::string note = b.fallbackNote();
            QVERIFY2(note.rfind("ops on the host: ", 0) == 0, note.c_str());
            QVERIFY2(
                note.find("mul") != std::string::npos && note.find("mulAccumulate") != std::string::npos, note.c_str());
            // The inputs crossed to the host: a and b for each of the three calls and y for
            // mulAccumulate, besides the test's own three downloads of the results.
            QCOMPARE(emulated->downloaded - downloadedBefore, (3 * 2 + 1 + 3) * n * 4);
        }
        qInfo("%s: %s", b.name().c_str(), ops.empty() ? "every op native" : b.fallbackNote().c_str());
    }

    void softmax_data()
    {
        backendRows();
    }
    void softmax()
    {
        BACKEND_OR_SKIP(b);
        const int64_t rows = 6, cols = 7;
        Vec x = randomVec(rows * cols, 51, -3.0f, 3.0f);
        x[3] = 1000.0f; // stable for huge logits
        x[cols + 1] = -1000.0f;
        const Vec dy = randomVec(rows * cols, 52);
        Ref y(x.size()), dx(x.size());
        for (int64_t r = 0; r < rows; ++r) {
            double m = -1e300, s = 0.0, dot = 0.0;
            for (int64_t j = 0; j < cols; ++j)
                m = std::max(m, static_cast<double>(x[r * cols + j]));
            for (int64_t j = 0; j < cols; ++j)
                s += std::exp(x[r * cols + j] - m);
            for (int64_t j = 0; j < cols; ++j) {
                y[r * cols + j] = std::exp(x[r * cols + j] - m) / s;
                dot += y[r * cols + j] * dy[r * cols + j];
            }
            for (int64_t j = 0; j < cols; ++j)
                dx[r * cols + j] = y[r * cols + j] * (dy[r * cols + j] - dot);
        }
        Tensor xt = upload(b, x), yt(xt.shape(), b.allocator()), dyt = upload(b, dy), dxt(xt.shape(), b.allocator());
        b.softmaxForward(xt.data(), yt.data(), rows, cols);
        CHECK_CLOSE("softmax forward", download(b, yt), y, 1e-7, 1e-5);
        b.softmaxBackward(yt.data(), dyt.data(), dxt.data(), rows, cols);
        CHECK_CLOSE("softmax backward", download(b, dxt), dx, 1e-6, 1e-4);
    }

    void conv_data()
    {
        addBackendColumn();
        QTest::addColumn<QVector<int>>("geometry"); // n C H W F kH kW sH sW pT pL pB pR bias
        struct G {
            const char* name;
            QVector<int> g;
        };
        const G cases[] = {
            { "3x3 valid odd", { 2, 3, 7, 6, 4, 3, 3, 1, 1, 0, 0, 0, 0, 1 } },
            { "3x3 stride 2 pad 1", { 3, 2, 9, 7, 3, 3, 3, 2, 2, 1, 1, 1, 1, 1 } },
            { "4x4 same (asymmetric pad)", { 2, 2, 6, 5, 3, 4, 4, 1, 1, 1, 1, 2, 2, 1 } },
            { "1x1", { 2, 5, 4, 3, 6, 1, 1, 1, 1, 0, 0, 0, 0, 1 } },
            { "no bias, 2x3 window", { 2, 3, 5, 6, 2, 2, 3, 1, 2, 0, 1, 1, 0, 0 } },
            { "large filters (per-sample GEMMs)", { 3, 32, 5, 4, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1 } },
        };
        for (size_t i = 0; i < m_backends.size(); ++i)
            for (const G& c : cases)
                QTest::newRow((m_backends[i].name + " " + c.name).c_str()) << static_cast<int>(i) << c.g;
    }
    void conv()
    {
        BACKEND_OR_SKIP(b);
        QFETCH(QVector<int>, geometry);
        const auto g = [&](int i) { return static_cast<int64_t>(geometry[i]); };
        const int64_t n = g(0), C = g(1), F = g(4);
        const bool hasBias = g(13) != 0;
        ConvDesc desc;
        desc.window = window(C, g(2), g(3), g(5), g(6), g(7), g(8), g(9), g(10), g(11), g(12));
        desc.filters = F;
        desc.bias = hasBias;
        const WindowDesc& w = desc.window;
        const int64_t inPlane = w.height * w.width, outPlane = w.outH * w.outW, kk = w.kernelH * w.kernelW;
        const Vec x = randomVec(n * C * inPlane, 61), wt = randomVec(F * C * kk, 62), bias = randomVec(F, 63),
                  dy = randomVec(n * F * outPlane, 64);
        Ref y(static_cast<size_t>(n * F * outPlane), 0.0), dx(x.size(), 0.0), dw(wt.size(), 0.0),
            db(static_cast<size_t>(F), 0.0);
        for (int64_t s = 0; s < n; ++s)
            for (int64_t f = 0; f < F; ++f) {
                double* yp = y.data() + (s * F + f) * outPlane;
                const float* dyp = dy.data() + (s * F + f) * outPlane;
                for (int64_t o = 0; o < outPlane; ++o) {
                    yp[o] = hasBias ? bias[static_cast<size_t>(f)] : 0.0;
                    db[static_cast<size_t>(f)] += dyp[o];
                }
                for (int64_t c = 0; c < C; ++c) {
                    const float* xp = x.data() + (s * C + c) * inPlane;
                    const float* wp = wt.data() + (f * C + c) * kk;
                    double* dxp = dx.data() + (s * C + c) * inPlane;
                    double* dwp = dw.data() + (f * C + c) * kk;
                    forEachTap(w, [&](int64_t o, int64_t in, int64_t tap) {
                        yp[o] += static_cast<double>(xp[in]) * wp[tap];
                        dxp[in] += static_cast<double>(dyp[o]) * wp[tap];
                        dwp[tap] += static_cast<double>(dyp[o]) * xp[in];
                    });
                }
            }
        auto conv = b.createConv(desc);
        Tensor xt = upload(b, x), wtt = upload(b, wt), bt = upload(b, bias), dyt = upload(b, dy);
        Tensor yt(Shape { n, F, w.outH, w.outW }, b.allocator()), dxt(xt.shape(), b.allocator()),
            dwt(wtt.shape(), b.allocator()), dbt(bt.shape(), b.allocator());
        for (bool training : { true, false }) { // backward after either kind of forward
            conv->forward(n, xt.data(), wtt.data(), hasBias ? bt.data() : nullptr, yt.data(), training);
            CHECK_CLOSE("conv forward", download(b, yt), y, 1e-4, 1e-4);
            b.fill(dxt.data(), dxt.size(), 7.0f); // overwritten, not accumulated
            b.fill(dwt.data(), dwt.size(), 7.0f);
            conv->backward(
                n, xt.data(), wtt.data(), dyt.data(), dxt.data(), dwt.data(), hasBias ? dbt.data() : nullptr);
            CHECK_CLOSE("conv dx", download(b, dxt), dx, 1e-4, 1e-4);
            CHECK_CLOSE("conv dw", download(b, dwt), dw, 1e-4, 1e-4);
            if (hasBias)
                CHECK_CLOSE("conv db", download(b, dbt), db, 1e-4, 1e-4);
        }
        // No input gradient wanted: dx null, the weight gradient unchanged.
        conv->forward(n, xt.data(), wtt.data(), hasBias ? bt.data() : nullptr, yt.data(), true);
        conv->backward(n, xt.data(), wtt.data(), dyt.data(), nullptr, dwt.data(), hasBias ? dbt.data() : nullptr);
        CHECK_CLOSE("conv dw (no dx)", download(b, dwt), dw, 1e-4, 1e-4);
    }

    // TF32 and FP16 math (Precision.h) on each CUDA device: a GEMM and a convolution's forward
    // and backward within the rounding of 10-bit-mantissa products (FP32 accumulation), against
    // double references. The CPU has no such mode; here (no GPU) the rows skip with the reason.
    void reducedPrecisionMath_data()
    {
        addBackendColumn();
        QTest::addColumn<int>("precision");
        for (size_t i = 0; i < m_backends.size(); ++i)
            if (m_backends[i].name.rfind("cuda", 0) == 0)
                for (Precision p : { Precision::Tf32, Precision::Fp16 })
                    QTest::newRow((m_backends[i].name + " " + precisionName(p)).c_str())
                        << static_cast<int>(i) << static_cast<int>(p);
    }
    void reducedPrecisionMath()
    {
        QFETCH(int, backend);
        QFETCH(int, precision);
        const test::BackendUnderTest& entry = m_backends[static_cast<size_t>(backend)];
        if (!entry.backend)
            QSKIP(entry.skipReason.c_str());
        const Precision wanted = static_cast<Precision>(precision);
        CreatedBackend created = createBackend(entry.name, 1, BackendOptions { wanted });
        Backend& b = *created.backend;
        QCOMPARE(b.device(), Device::Cuda);
        if (b.mathPrecision() != wanted) // TF32 below compute capability 8.0
            QSKIP(created.note.c_str());
        QVERIFY2(b.description().find(wanted == Precision::Fp16 ? ", FP16 mixed" : ", TF32") != std::string::npos,
            b.description().c_str());
        // Inputs in [-1, 1] rounded to 10 mantissa bits: ~5e-4 relative each; K = 72 products.
        const double atol = 2e-2, rtol = 1e-2;
        const int64_t M = 70, N = 66, K = 72;
        const Vec A = randomVec(M * K, 21), B = randomVec(K * N, 22);
        Tensor a = upload(b, A), bb = upload(b, B), c(Shape { M, N }, b.allocator());
        b.gemm(false, false, M, N, K, 1.0f, a.data(), K, bb.data(), N, 0.0f, c.data(), N);
        Ref want(static_cast<size_t>(M * N), 0.0);
        for (int64_t i = 0; i < M; ++i)
            for (int64_t j = 0; j < N; ++j)
                for (int64_t k = 0; k < K; ++k)
                    want[static_cast<size_t>(i * N + j)] += static_cast<double>(A[i * K + k]) * B[k * N + j];
        CHECK_CLOSE("gemm", download(b, c), want, atol, rtol);

        ConvDesc desc; // 16 → 16 channels, 3×3, padding 1: shapes tensor cores take
        desc.window = window(16, 8, 8, 3, 3, 1, 1, 1, 1, 1, 1);
        desc.filters = 16;
        desc.bias = false;
        const WindowDesc& w = desc.window;
        const int64_t n = 4, C = 16, F = 16, inPlane = 64, outPlane = w.outH * w.outW, kk = 9;
        const Vec x = randomVec(n * C * inPlane, 23), wt = randomVec(F * C * kk, 24),
                  dy = randomVec(n * F * outPlane, 25);
        Ref y(static_cast<size_t>(n * F * outPlane), 0.0), dx(x.size(), 0.0), dw(wt.size(), 0.0);
        for (int64_t s = 0; s < n; ++s)
            for (int64_t f = 0; f < F; ++f)
                for (int64_t ch = 0; ch < C; ++ch) {
                    const float* xp = x.data() + (s * C + ch) * inPlane;
                    const float* wp = wt.data() + (f * C + ch) * kk;
                    const float* dyp = dy.data() + (s * F + f) * outPlane;
                    double* yp = y.data() + (s * F + f) * outPlane;
                    double* dxp = dx.data() + (s * C + ch) * inPlane;
                    double* dwp = dw.data() + (f * C + ch) * kk;
                    forEachTap(w, [&](int64_t o, int64_t in, int64_t tap) {
                        yp[o] += static_cast<double>(xp[in]) * wp[tap];
                        dxp[in] += static_cast<double>(dyp[o]) * wp[tap];
                        dwp[tap] += static_cast<double>(dyp[o]) * xp[in];
                    });
                }
        auto conv = b.createConv(desc);
        Tensor xt = upload(b, x), wtt = upload(b, wt), dyt = upload(b, dy);
        Tensor yt(Shape { n, F, w.outH, w.outW }, b.allocator()), dxt(xt.shape(), b.allocator()),
            dwt(wtt.shape(), b.allocator());
        conv->forward(n, xt.data(), wtt.data(), nullptr, yt.data(), true);
        CHECK_CLOSE("conv forward", download(b, yt), y, atol, rtol);
        conv->backward(n, xt.data(), wtt.data(), dyt.data(), dxt.data(), dwt.data(), nullptr);
        CHECK_CLOSE("conv dx", download(b, dxt), dx, atol, rtol);
        // dw sums n·outPlane = 256 products per element.
        CHECK_CLOSE("conv dw", download(b, dwt), dw, 2.0 * atol, rtol);
    }

    void pool_data()
    {
        addBackendColumn();
        QTest::addColumn<QVector<int>>("geometry"); // max? C H W kH kW sH sW pT pL pB pR
        struct G {
            const char* name;
            QVector<int> g;
        };
        const G cases[] = {
            { "max 2x2", { 1, 2, 6, 8, 2, 2, 2, 2, 0, 0, 0, 0 } },
            { "max 2x2 odd input", { 1, 2, 5, 7, 2, 2, 2, 2, 0, 0, 0, 0 } },
            { "max 3x3 s2 pad 1 (overlapping)", { 1, 2, 7, 6, 3, 3, 2, 2, 1, 1, 1, 1 } },
            { "max 2x2 s1 same (asymmetric)", { 1, 1, 4, 5, 2, 2, 1, 1, 0, 0, 1, 1 } },
            { "avg 2x2", { 0, 2, 6, 4, 2, 2, 2, 2, 0, 0, 0, 0 } },
            { "avg 3x3 s2 pad 1 (overlapping)", { 0, 2, 7, 6, 3, 3, 2, 2, 1, 1, 1, 1 } },
            { "avg 2x2 s1 same (asymmetric)", { 0, 1, 4, 5, 2, 2, 1, 1, 0, 0, 1, 1 } },
            { "avg global", { 0, 3, 4, 5, 4, 5, 4, 5, 0, 0, 0, 0 } },
        };
        for (size_t i = 0; i < m_backends.size(); ++i)
            for (const G& c : cases)
                QTest::newRow((m_backends[i].name + " " + c.name).c_str()) << static_cast<int>(i) << c.g;
    }
    void pool()
    {
        BACKEND_OR_SKIP(b);
        QFETCH(QVector<int>, geometry);
        const auto g = [&](int i) { return static_cast<int64_t>(geometry[i]); };
        PoolDesc desc;
        desc.kind = g(0) ? PoolKind::Max : PoolKind::Average;
        desc.window = window(g(1), g(2), g(3), g(4), g(5), g(6), g(7), g(8), g(9), g(10), g(11));
        const WindowDesc& w = desc.window;
        const int64_t n = 3, planes = n * w.channels, inPlane = w.height * w.width, outPlane = w.outH * w.outW;
        const Vec x = distinct(planes * inPlane, 71), dy = randomVec(planes * outPlane, 72);
        Ref y(static_cast<size_t>(planes * outPlane)), dx(x.size(), 0.0);
        for (int64_t p = 0; p < planes; ++p) {
            const float* xp = x.data() + p * inPlane;
            std::vector<double> best(static_cast<size_t>(outPlane), -1e300), sum(static_cast<size_t>(outPlane), 0.0);
            std::vector<int64_t> arg(static_cast<size_t>(outPlane), -1), count(static_cast<size_t>(outPlane), 0);
            forEachTap(w, [&](int64_t o, int64_t in, int64_t) {
                if (xp[in] > best[static_cast<size_t>(o)]) { // first maximum wins
                    best[static_cast<size_t>(o)] = xp[in];
                    arg[static_cast<size_t>(o)] = in;
                }
                sum[static_cast<size_t>(o)] += xp[in];
                ++count[static_cast<size_t>(o)];
            });
            for (int64_t o = 0; o < outPlane; ++o) {
                const double d = dy[static_cast<size_t>(p * outPlane + o)];
                if (desc.kind == PoolKind::Max) {
                    y[p * outPlane + o] = best[static_cast<size_t>(o)];
                    dx[p * inPlane + arg[static_cast<size_t>(o)]] += d;
                } else {
                    y[p * outPlane + o] = sum[static_cast<size_t>(o)] / count[static_cast<size_t>(o)];
                }
            }
            if (desc.kind == PoolKind::Average)
                forEachTap(w, [&](int64_t o, int64_t in, int64_t) {
                    dx[p * inPlane + in] += dy[static_cast<size_t>(p * outPlane + o)] / count[static_cast<size_t>(o)];
                });
        }
        auto pool = b.createPool(desc);
        Tensor xt = upload(b, x), yt(Shape { planes * outPlane }, b.allocator()), dyt = upload(b, dy),
               dxt(xt.shape(), b.allocator());
        for (bool training : { true, false }) {
            pool->forward(n, xt.data(), yt.data(), training);
            CHECK_CLOSE("pool forward", download(b, yt), y, 1e-6, 1e-6);
            b.fill(dxt.data(), dxt.size(), 7.0f);
            pool->backward(n, xt.data(), yt.data(), dyt.data(), dxt.data());
            CHECK_CLOSE("pool backward", download(b, dxt), dx, 1e-6, 1e-5);
        }
    }

    void batchNorm_data()
    {
        addBackendColumn();
        QTest::addColumn<int>("spatial");
        for (size_t i = 0; i < m_backends.size(); ++i)
            for (int s : { 1, 6 })
                QTest::newRow((m_backends[i].name + (s == 1 ? " features" : " channels")).c_str())
                    << static_cast<int>(i) << s;
    }
    void batchNorm()
    {
        BACKEND_OR_SKIP(b);
        QFETCH(int, spatial);
        BatchNormDesc desc;
        desc.channels = 3;
        desc.spatial = spatial;
        desc.epsilon = 1e-3;
        desc.momentum = 0.2;
        const int64_t n = 5, C = desc.channels, S = spatial, count = n * C * S;
        Vec x = randomVec(count, 81, -2.0f, 3.0f);
        const Vec gamma = randomVec(C, 82, 0.5f, 1.5f), beta = randomVec(C, 83), dy = randomVec(count, 84);
        const Vec rm0 = randomVec(C, 85), rv0 = randomVec(C, 86, 0.5f, 2.0f);
        Ref y(x.size()), dx(x.size()), yInf(x.size()), dg(static_cast<size_t>(C)), dbeta(static_cast<size_t>(C)),
            rm(static_cast<size_t>(C)), rv(static_cast<size_t>(C));
        auto at = [&](int64_t s, int64_t c, int64_t k) { return static_cast<size_t>((s * C + c) * S + k); };
        const double m = static_cast<double>(n * S);
        for (int64_t c = 0; c < C; ++c) {
            double mean = 0.0, var = 0.0;
            for (int64_t s = 0; s < n; ++s)
                for (int64_t k = 0; k < S; ++k)
                    mean += x[at(s, c, k)];
            mean /= m;
            for (int64_t s = 0; s < n; ++s)
                for (int64_t k = 0; k < S; ++k)
                    var += (x[at(s, c, k)] - mean) * (x[at(s, c, k)] - mean);
            const double unbiased = var / (m - 1);
            var /= m;
            const double is = 1.0 / std::sqrt(var + desc.epsilon);
            double sumDy = 0.0, sumDyXhat = 0.0;
            for (int64_t s = 0; s < n; ++s)
                for (int64_t k = 0; k < S; ++k) {
                    const double xh = (x[at(s, c, k)] - mean) * is;
                    y[at(s, c, k)] = gamma[static_cast<size_t>(c)] * xh + beta[static_cast<size_t>(c)];
                    sumDy += dy[at(s, c, k)];
                    sumDyXhat += dy[at(s, c, k)] * xh;
                }
            dg[static_cast<size_t>(c)] = sumDyXhat;
            dbeta[static_cast<size_t>(c)] = sumDy;
            for (int64_t s = 0; s < n; ++s)
                for (int64_t k = 0; k < S; ++k) {
                    const double xh = (x[at(s, c, k)] - mean) * is;
                    dx[at(s, c, k)]
                        = gamma[static_cast<size_t>(c)] * is / m * (m * dy[at(s, c, k)] - sumDy - xh * sumDyXhat);
                }
            rm[static_cast<size_t>(c)] = 0.8 * rm0[static_cast<size_t>(c)] + 0.2 * mean;
            rv[static_cast<size_t>(c)] = 0.8 * rv0[static_cast<size_t>(c)] + 0.2 * unbiased;
            const double isInf = 1.0 / std::sqrt(rv[static_cast<size_t>(c)] + desc.epsilon);
            for (int64_t s = 0; s < n; ++s)
                for (int64_t k = 0; k < S; ++k)
                    yInf[at(s, c, k)]
                        = gamma[static_cast<size_t>(c)] * (x[at(s, c, k)] - rm[static_cast<size_t>(c)]) * isInf
                        + beta[static_cast<size_t>(c)];
        }
        auto bn = b.createBatchNorm(desc);
        Tensor xt = upload(b, x), yt(xt.shape(), b.allocator()), gt = upload(b, gamma), bt = upload(b, beta),
               rmt = upload(b, rm0), rvt = upload(b, rv0), dyt = upload(b, dy), dxt(xt.shape(), b.allocator()),
               dgt(gt.shape(), b.allocator()), dbt(gt.shape(), b.allocator());
        bn->forward(n, xt.data(), yt.data(), gt.data(), bt.data(), rmt.data(), rvt.data(), true);
        CHECK_CLOSE("training forward", download(b, yt), y, 1e-5, 1e-4);
        CHECK_CLOSE("running mean", download(b, rmt), rm, 1e-6, 1e-5);
        CHECK_CLOSE("running var", download(b, rvt), rv, 1e-6, 1e-5);
        bn->backward(n, xt.data(), dyt.data(), gt.data(), dxt.data(), dgt.data(), dbt.data());
        CHECK_CLOSE("dx", download(b, dxt), dx, 1e-5, 1e-3);
        CHECK_CLOSE("dgamma", download(b, dgt), dg, 1e-5, 1e-4);
        CHECK_CLOSE("dbeta", download(b, dbt), dbeta, 1e-5, 1e-4);
        bn->backward(n, xt.data(), dyt.data(), gt.data(), nullptr, dgt.data(), dbt.data()); // dx not wanted
        CHECK_CLOSE("dgamma (no dx)", download(b, dgt), dg, 1e-5, 1e-4);
        bn->forward(n, xt.data(), yt.data(), gt.data(), bt.data(), rmt.data(), rvt.data(), false);
        CHECK_CLOSE("inference forward", download(b, yt), yInf, 1e-5, 1e-4);
        CHECK_CLOSE("running mean kept", download(b, rmt), rm, 1e-6, 1e-5);
    }

    void dropout_data()
    {
        backendRows();
    }
    void dropout()
    {
        BACKEND_OR_SKIP(b);
        const int64_t n = 50001;
        const float rate = 0.3f;
        const uint64_t seed = 0x1234abcdULL;
        const Vec x = randomVec(n, 91), dy = randomVec(n, 92);
        Ref y(x.size()), dx(x.size());
        int64_t dropped = 0;
        for (int64_t i = 0; i < n; ++i) {
            const float m = kernels::dropoutMask(seed, static_cast<uint64_t>(i), rate);
            dropped += m == 0.0f ? 1 : 0;
            y[i] = static_cast<double>(x[i]) * m;
            dx[i] = static_cast<double>(dy[i]) * m;
        }
        QVERIFY(std::abs(static_cast<double>(dropped) / n - rate) < 0.01);
        auto drop = b.createDropout();
        Tensor xt = upload(b, x), yt(xt.shape(), b.allocator()), dyt = upload(b, dy), dxt(xt.shape(), b.allocator());
        drop->forward(n, xt.data(), yt.data(), rate, seed);
        CHECK_CLOSE("dropout forward (mask = kernels::dropoutMask)", download(b, yt), y, 0.0, 1e-6);
        drop->backward(n, dyt.data(), dxt.data());
        CHECK_CLOSE("dropout backward", download(b, dxt), dx, 0.0, 1e-6);
        drop->forward(n, xt.data(), yt.data(), rate, seed + 1); // another seed, another mask
        QVERIFY(mismatch("other seed", download(b, yt), y, 0.0, 1e-6).size() > 0);
    }

    void losses_data()
    {
        backendRows();
    }
    void losses()
    {
        BACKEND_OR_SKIP(b);
        const int64_t rows = 7, cols = 5;
        Vec logits = randomVec(rows * cols, 101, -4.0f, 4.0f);
        logits[2] = 500.0f;
        const std::vector<int32_t> labels { 0, 4, 2, 2, 1, 3, 0 };
        DeviceLabels dl(b);
        const int32_t* y = dl.upload(labels);
        Tensor lt = upload(b, logits, Shape { rows, cols }), grad(lt.shape(), b.allocator());
        // Softmax cross-entropy on logits.
        Ref g(logits.size());
        double loss = 0.0;
        Vec probs(logits.size());
        for (int64_t r = 0; r < rows; ++r) {
            double m = -1e300, s = 0.0;
            for (int64_t j = 0; j < cols; ++j)
                m = std::max(m, static_cast<double>(logits[r * cols + j]));
            for (int64_t j = 0; j < cols; ++j)
                s += std::exp(logits[r * cols + j] - m);
            loss += std::log(s) + m - logits[r * cols + labels[static_cast<size_t>(r)]];
            for (int64_t j = 0; j < cols; ++j) {
                const double p = std::exp(logits[r * cols + j] - m) / s;
                probs[r * cols + j] = static_cast<float>(p);
                g[r * cols + j] = (p - (j == labels[static_cast<size_t>(r)] ? 1.0 : 0.0)) / rows;
            }
        }
        QVERIFY(std::abs(b.softmaxCrossEntropy(lt.data(), y, grad.data(), rows, cols) - loss / rows)
            < 1e-5 * (1 + loss / rows));
        CHECK_CLOSE("softmax cross-entropy grad", download(b, grad), g, 1e-7, 1e-5);
        // Cross-entropy on probabilities (one clamped at 1e-30).
        probs[1 * cols + 4] = 0.0f;
        Tensor pt = upload(b, probs, Shape { rows, cols });
        loss = 0.0;
        std::fill(g.begin(), g.end(), 0.0);
        for (int64_t r = 0; r < rows; ++r) {
            const size_t at = static_cast<size_t>(r * cols + labels[static_cast<size_t>(r)]);
            const double p = std::max(static_cast<double>(probs[at]), 1e-30);
            loss -= std::log(p);
            g[at] = -1.0 / (rows * p);
        }
        QVERIFY(std::abs(b.crossEntropyOnProbabilities(pt.data(), y, grad.data(), rows, cols) - loss / rows)
            < 1e-4 * (loss / rows));
        CHECK_CLOSE("cross-entropy on probabilities grad", download(b, grad), g, 1e-7, 1e-5);
        // Mean squared error against the one-hot labels.
        const Vec out = randomVec(rows * cols, 102);
        Tensor ot = upload(b, out, Shape { rows, cols });
        loss = 0.0;
        for (int64_t r = 0; r < rows; ++r)
            for (int64_t j = 0; j < cols; ++j) {
                const double d = out[r * cols + j] - (j == labels[static_cast<size_t>(r)] ? 1.0 : 0.0);
                loss += d * d;
                g[r * cols + j] = 2.0 * d / (rows * cols);
            }
        QVERIFY(std::abs(b.meanSquaredError(ot.data(), y, grad.data(), rows, cols) - loss / (rows * cols)) < 1e-6);
        CHECK_CLOSE("mse grad", download(b, grad), g, 1e-7, 1e-5);
        // The Trainer's entry point agrees with the host functions of Loss.h.
        Tensor hostLogits(Shape { rows, cols }, logits), hostGrad;
        const float host = softmaxCrossEntropy(hostLogits, labels, hostGrad);
        Tensor devGrad(b.allocator());
        QVERIFY(std::abs(computeLoss(b, LossKind::CrossEntropy, lt, y, devGrad) - host) < 1e-5f * (1 + host));
        CHECK_CLOSE("computeLoss grad", download(b, devGrad), toVec(hostGrad), 1e-7, 1e-5);
    }

    void reductions_data()
    {
        backendRows();
    }
    void reductions()
    {
        BACKEND_OR_SKIP(b);
        // countCorrect: ties go to the first maximum.
        const Vec scores { 1, 3, 3, 0, /**/ 2, 2, 1, 0, /**/ 0, 0, 0, 5, /**/ -1, -2, -3, -1 };
        Tensor st = upload(b, scores, Shape { 4, 4 });
        DeviceLabels dl(b);
        QCOMPARE(b.countCorrect(st.data(), dl.upload({ 1, 0, 3, 0 }), 4, 4), int64_t(4));
        QCOMPARE(b.countCorrect(st.data(), dl.upload({ 2, 1, 3, 3 }), 4, 4), int64_t(1));
        // Σ|x| and Σx² over a large tensor, in double.
        const int64_t n = 1000003;
        const Vec x = randomVec(n, 111, -2.0f, 2.0f);
        double sa = 0.0, sq = 0.0;
        for (float v : x) {
            sa += std::abs(v);
            sq += static_cast<double>(v) * v;
        }
        Tensor xt = upload(b, x);
        QVERIFY2(
            std::abs(b.sumAbs(xt.data(), n) - sa) < 1e-5 * sa, std::to_string(b.sumAbs(xt.data(), n) - sa).c_str());
        QVERIFY(std::abs(b.sumSquares(xt.data(), n) - sq) < 1e-5 * sq);
        // firstNonFinite: −1, then the FIRST bad element.
        QCOMPARE(b.firstNonFinite(xt.data(), n), int64_t(-1));
        Vec bad = x;
        bad[777777] = std::numeric_limits<float>::quiet_NaN();
        bad[500001] = std::numeric_limits<float>::infinity();
        bad[900000] = -std::numeric_limits<float>::infinity();
        Tensor bt = upload(b, bad);
        QCOMPARE(b.firstNonFinite(bt.data(), n), int64_t(500001));
        QCOMPARE(b.firstNonFinite(bt.data() + 500002, n - 500002), int64_t(777777 - 500002));
        QCOMPARE(b.firstNonFinite(bt.data(), 500001), int64_t(-1));
        // allFinite: one answer over many spans (the loss scaler's gradient check).
        QVERIFY(b.allFinite({}));
        QVERIFY(b.allFinite({ { xt.data(), n }, { bt.data(), 500001 }, { bt.data() + 900001, n - 900001 } }));
        QVERIFY(!b.allFinite({ { xt.data(), n }, { bt.data() + 777777, 1 } }));
        QVERIFY(!b.allFinite({ { bt.data() + 900000, 1 }, { xt.data(), n } }));
        QVERIFY(b.allFinite({ { bt.data() + 500001, 0 } })); // an empty span reads nothing
    }

    void optimizers_data()
    {
        addBackendColumn();
        QTest::addColumn<QString>("kind");
        for (size_t i = 0; i < m_backends.size(); ++i)
            for (const char* k : { "regularization", "sgd plain", "sgd momentum", "sgd nesterov", "adam", "adamw",
                     "rmsprop", "rmsprop momentum" })
                QTest::newRow((m_backends[i].name + " " + k).c_str()) << static_cast<int>(i) << QString(k);
    }
    void optimizers()
    {
        BACKEND_OR_SKIP(b);
        QFETCH(QString, kind);
        const int64_t n = 40003;
        Vec w0 = randomVec(n, 121);
        w0[5] = 0.0f; // sign(0) = 0
        Ref w(w0.begin(), w0.end()), s1(w.size(), 0.0), s2(w.size(), 0.0);
        Tensor wt = upload(b, w0), gt(wt.shape(), b.allocator()), at(wt.shape(), b.allocator()),
               bt(wt.shape(), b.allocator());
        b.fill(at.data(), n, 0.0f);
        b.fill(bt.data(), n, 0.0f);
        const double lr = 0.05;
        for (int step = 1; step <= 3; ++step) {
            const Vec g = randomVec(n, 130 + static_cast<uint64_t>(step));
            b.upload(gt.data(), g.data(), n);
            if (kind == "regularization") {
                b.addRegularization(wt.data(), gt.data(), n, 0.01f, 0.2f);
                Ref want(w.size());
                for (int64_t i = 0; i < n; ++i)
                    want[i] = g[i] + 0.01 * (w0[i] > 0 ? 1 : (w0[i] < 0 ? -1 : 0)) + 0.2 * w0[i];
                CHECK_CLOSE("g + l1·sign(w) + l2·w", download(b, gt), want, 1e-6, 1e-5);
                return;
            }
            if (kind.startsWith("sgd")) {
                SgdParams p;
                p.lr = static_cast<float>(lr);
                p.momentum = kind == "sgd plain" ? 0.0f : 0.9f;
                p.nesterov = kind == "sgd nesterov";
                p.firstStep = step == 1;
                b.sgdUpdate(wt.data(), gt.data(), p.momentum == 0.0f ? nullptr : at.data(), n, p);
                for (int64_t i = 0; i < n; ++i) {
                    if (p.momentum == 0.0f) {
                        w[i] -= lr * g[i];
                        continue;
                    }
                    s1[i] = step == 1 ? g[i] : 0.9 * s1[i] + g[i];
                    w[i] -= lr * (p.nesterov ? g[i] + 0.9 * s1[i] : s1[i]);
                }
            } else if (kind.startsWith("adam")) {
                AdamParams p;
                p.lr = static_cast<float>(lr);
                p.weightDecay = kind == "adamw" ? 0.1f : 0.0f;
                p.step = step;
                b.adamUpdate(wt.data(), gt.data(), at.data(), bt.data(), n, p);
                const double b1 = p.beta1, b2 = p.beta2;
                for (int64_t i = 0; i < n; ++i) {
                    w[i] *= 1.0 - lr * p.weightDecay;
                    s1[i] = b1 * s1[i] + (1 - b1) * g[i];
                    s2[i] = b2 * s2[i] + (1 - b2) * g[i] * g[i];
                    w[i] -= lr / (1 - std::pow(b1, step)) * s1[i]
                        / (std::sqrt(s2[i]) / std::sqrt(1 - std::pow(b2, step)) + p.epsilon);
                }
            } else {
                RmsPropParams p;
                p.lr = static_cast<float>(lr);
                p.momentum = kind == "rmsprop momentum" ? 0.5f : 0.0f;
                b.rmsPropUpdate(wt.data(), gt.data(), at.data(), p.momentum > 0 ? bt.data() : nullptr, n, p);
                for (int64_t i = 0; i < n; ++i) {
                    s1[i] = p.alpha * s1[i] + (1 - static_cast<double>(p.alpha)) * g[i] * g[i];
                    const double upd = g[i] / (std::sqrt(s1[i]) + p.epsilon);
                    if (p.momentum > 0) {
                        s2[i] = p.momentum * s2[i] + upd;
                        w[i] -= lr * s2[i];
                    } else {
                        w[i] -= lr * upd;
                    }
                }
            }
            const std::string what = kind.toStdString() + " step " + std::to_string(step);
            CHECK_CLOSE(what.c_str(), download(b, wt), w, 1e-5, 1e-4);
        }
    }

    // ---- layers: every registered kind, on every backend, against the CPU ---------------

    void everyLayerKindCovered()
    {
        std::set<std::string> covered { "Input" }; // Input: the network test below
        for (const LayerCase& c : layerCases())
            covered.insert(c.type);
        for (const LayerInfo& info : LayerRegistry::builtin().all())
            QVERIFY2(covered.count(info.type), ("no conformance case for layer kind " + info.type).c_str());
    }

    void layers_data()
    {
        addBackendColumn();
        QTest::addColumn<int>("layerCase");
        const auto cases = layerCases();
        for (size_t i = 0; i < m_backends.size(); ++i)
            for (size_t c = 0; c < cases.size(); ++c)
                QTest::newRow((m_backends[i].name + " " + caseName(cases[c])).c_str())
                    << static_cast<int>(i) << static_cast<int>(c);
    }
    void layers()
    {
        BACKEND_OR_SKIP(b);
        QFETCH(int, layerCase);
        const LayerCase c = layerCases()[static_cast<size_t>(layerCase)];
        std::vector<Vec> host;
        for (size_t i = 0; i < c.inputs.size(); ++i)
            host.push_back(fillFor(c, c.inputs[i].batched(c.batch).numel(), 200 + i));
        auto refLayer = buildLayer(c);
        auto dutLayer = buildLayer(c);
        moveToDevice(*dutLayer, b);
        LayerRun ref(*m_reference, *refLayer, c, host), dut(b, *dutLayer, c, host);
        const Vec gradOut = randomVec(ref.outShape.numel(), 300);
        for (bool training : { true, false }) {
            const std::string mode = training ? "training " : "inference ";
            CHECK_CLOSE((mode + "forward").c_str(), dut.forward(training, 5), ref.forward(training, 5), 1e-5, 1e-4);
            const auto gi = dut.backward(gradOut);
            const auto gr = ref.backward(gradOut);
            for (size_t i = 0; i < gi.size(); ++i)
                CHECK_CLOSE((mode + "input gradient " + std::to_string(i)).c_str(), gi[i], gr[i], 1e-5, 1e-4);
            for (size_t p = 0; p < refLayer->parameters().size(); ++p) {
                const Parameter& pr = refLayer->parameters()[p];
                const Parameter& pd = dutLayer->parameters()[p];
                CHECK_CLOSE(
                    (mode + pr.name).c_str(), download(b, pd.value), download(*m_reference, pr.value), 1e-5, 1e-4);
                if (!pr.grad.empty())
                    CHECK_CLOSE((mode + pr.name + " grad").c_str(), download(b, pd.grad),
                        download(*m_reference, pr.grad), 1e-5, 1e-4);
            }
        }
    }

    void gradients_data()
    {
        layers_data();
    }
    void gradients()
    {
        // Finite differences of L = Σ out·R on the backend under test (training mode; the
        // layer's generator is reseeded before every forward, so dropout keeps its mask).
        BACKEND_OR_SKIP(b);
        QFETCH(int, layerCase);
        const LayerCase c = layerCases()[static_cast<size_t>(layerCase)];
        std::vector<Vec> host;
        for (size_t i = 0; i < c.inputs.size(); ++i)
            host.push_back(fillFor(c, c.inputs[i].batched(c.batch).numel(), 400 + i));
        auto layer = buildLayer(c);
        moveToDevice(*layer, b);
        LayerRun run(b, *layer, c, host);
        const Vec r = randomVec(run.outShape.numel(), 500);
        auto loss = [&] {
            const Vec out = run.forward(true, 9);
            double l = 0.0;
            for (size_t i = 0; i < out.size(); ++i)
                l += static_cast<double>(out[i]) * r[i];
            return l;
        };
        loss();
        const auto gradIn = run.backward(r);
        // Checks up to 24 elements of a tensor: host copy → perturb → upload → loss.
        auto check = [&](const std::string& what, Tensor& t, const Vec& analytic) -> std::string {
            Vec v = download(b, t);
            const int64_t size = static_cast<int64_t>(v.size());
            const int64_t step = std::max<int64_t>(1, size / 24);
            for (int64_t e = 0; e < size; e += step) {
                const float orig = v[static_cast<size_t>(e)];
                v[static_cast<size_t>(e)] = orig + static_cast<float>(c.eps);
                b.upload(t.data(), v.data(), size);
                const double plus = loss();
                v[static_cast<size_t>(e)] = orig - static_cast<float>(c.eps);
                b.upload(t.data(), v.data(), size);
                const double minus = loss();
                v[static_cast<size_t>(e)] = orig;
                b.upload(t.data(), v.data(), size);
                const double numeric = (plus - minus) / (2.0 * c.eps);
                const double a = analytic[static_cast<size_t>(e)];
                if (std::abs(a - numeric) > 2e-3 + 1e-2 * std::max(std::abs(a), std::abs(numeric)))
                    return what + " [" + std::to_string(e) + "]: analytic " + std::to_string(a) + ", numeric "
                        + std::to_string(numeric);
            }
            return {};
        };
        for (size_t i = 0; i < run.inputs.size(); ++i) {
            const std::string m = check("input " + std::to_string(i), run.inputs[i], gradIn[i]);
            QVERIFY2(m.empty(), m.c_str());
        }
        for (Parameter& p : layer->parameters()) {
            if (!p.trainable)
                continue;
            // The analytic gradient of the unperturbed parameters.
            loss();
            run.backward(r);
            const Vec analytic = download(b, p.grad);
            const std::string m = check("param " + p.name, p.value, analytic);
            QVERIFY2(m.empty(), m.c_str());
        }
    }

    // ---- a network with every merge and fan-out, and a short training run ------------

    void network_data()
    {
        backendRows();
    }
    void network()
    {
        BACKEND_OR_SKIP(b);
        using fixtures::makeNode;
        ModelGraph g;
        g.addNode(makeNode("in", "Input", {}, { { "channels", 2 }, { "height", 6 }, { "width", 6 } }));
        g.addNode(makeNode("conv", "Conv2D", { "in" }, { { "filters", 4 }, { "kernel", 3 }, { "padding", "same" } }));
        g.addNode(makeNode("bn", "BatchNorm", { "conv" }));
        g.addNode(makeNode("act", "ELU", { "bn" }));
        g.addNode(makeNode("conv2", "Conv2D", { "act" }, { { "filters", 4 }, { "kernel", 1 } }));
        g.addNode(makeNode("sum", "Add", { "act", "conv2" })); // "act" fans out
        g.addNode(makeNode("max", "MaxPool2D", { "sum" }, { { "pool", 2 } }));
        g.addNode(makeNode("avg", "AvgPool2D", { "sum" }, { { "pool", 2 } }));
        g.addNode(makeNode("cat", "Concat", { "max", "avg" }));
        g.addNode(makeNode("drop", "Dropout", { "cat" }, { { "rate", 0.25 } }));
        g.addNode(makeNode("gap", "GlobalAvgPool2D", { "drop" }));
        g.addNode(makeNode("fc", "Dense", { "gap" }, { { "units", 3 } }));
        g.addNode(makeNode("soft", "Softmax", { "fc" }));
        Network ref(g, *m_reference, 3), dut(g, b, 3);
        ref.setKeepInputGradient(true);
        dut.setKeepInputGradient(true);
        for (const auto& p : dut.parameters())
            QCOMPARE(p.param->value.device(), b.device());
        Tensor x(Shape { 4, 2, 6, 6 }, randomVec(4 * 72, 601)); // a host batch: uploaded by forward()
        for (bool training : { true, false }) {
            ref.reseed(17);
            dut.reseed(17);
            const Tensor& yr = ref.forward(x, training);
            auto* emulated = dynamic_cast<EmulatedDevice*>(&b);
            const int64_t before = emulated ? emulated->uploaded : 0;
            const Tensor& yd = dut.forward(x, training);
            if (emulated) // a forward uploads the batch and nothing else
                QCOMPARE(emulated->uploaded - before, x.size() * 4);
            QCOMPARE(yd.device(), b.device());
            CHECK_CLOSE("network output", toVec(dut.hostCopy(yd)), toVec(yr), 1e-5, 1e-4);
            Tensor gy(yr.shape(), randomVec(12, 602));
            ref.backward(gy);
            dut.backward(gy);
            const Tensor gin = dut.hostCopy(dut.gradient("in"));
            CHECK_CLOSE("input gradient", toVec(gin), toVec(ref.gradient("in")), 1e-5, 1e-3);
            auto pr = ref.parameters(), pd = dut.parameters();
            for (size_t i = 0; i < pr.size(); ++i) {
                if (pr[i].param->grad.empty())
                    continue;
                const Tensor h = dut.hostCopy(pd[i].param->grad);
                const Tensor& r = pr[i].param->grad;
                CHECK_CLOSE((pr[i].key() + " grad").c_str(), toVec(h), toVec(r), 1e-5, 1e-3);
            }
        }
        QVERIFY(dut.firstNonFiniteNode().empty());
        // Weights cross devices both ways.
        Network back(g, *m_reference, 99);
        back.copyWeightsFrom(dut);
        auto pb = back.parameters(), pr = ref.parameters();
        for (size_t i = 0; i < pb.size(); ++i)
            CHECK_CLOSE(pb[i].key().c_str(), toVec(pb[i].param->value), toVec(pr[i].param->value), 0.0, 0.0);
        // Weights files read and write a network on any device.
        QTemporaryDir dir;
        const std::string file = dir.filePath("w.safetensors").toStdString();
        saveWeights(file, dut, WeightsMeta {});
        Network loaded(g, b, 123);
        loadWeights(file, loaded);
        auto pl = loaded.parameters();
        for (size_t i = 0; i < pl.size(); ++i)
            CHECK_CLOSE(
                pl[i].key().c_str(), toVec(loaded.hostCopy(pl[i].param->value)), toVec(pr[i].param->value), 0.0, 0.0);
        Network there(g, b, 99);
        there.copyWeightsFrom(ref);
        auto pt = there.parameters();
        for (size_t i = 0; i < pt.size(); ++i) {
            const Tensor h = there.hostCopy(pt[i].param->value);
            CHECK_CLOSE(pt[i].key().c_str(), toVec(h), toVec(pr[i].param->value), 0.0, 0.0);
        }
    }

    void trainer_data()
    {
        backendRows();
    }
    void trainer()
    {
        // A few epochs of a small CNN with batch norm and dropout on each backend, against the
        // CPU: the same losses, accuracies and weights within float tolerance.
        BACKEND_OR_SKIP(b);
        using fixtures::makeNode;
        // No bias right before the batch norm: its gradient would be rounding noise, which
        // Adam turns into full-size steps (any two summation orders would then disagree).
        ModelGraph g;
        g.addNode(makeNode("in", "Input", {}, { { "channels", 1 }, { "height", 8 }, { "width", 8 } }));
        g.addNode(makeNode("conv", "Conv2D", { "in" },
            { { "filters", 4 }, { "kernel", 3 }, { "padding", "same" }, { "bias", false } }));
        g.addNode(makeNode("bn", "BatchNorm", { "conv" }));
        g.addNode(makeNode("relu", "ReLU", { "bn" }));
        g.addNode(makeNode("pool", "MaxPool2D", { "relu" }, { { "pool", 2 } }));
        g.addNode(makeNode("flat", "Flatten", { "pool" }));
        g.addNode(makeNode("drop", "Dropout", { "flat" }, { { "rate", 0.2 } }));
        g.addNode(makeNode("out", "Dense", { "drop" }, { { "units", 3 } }));
        const Dataset data = fixtures::barsDataset(24, 3);
        const DataSplit split = splitDataset(data, 0.2, 0.0, 7);
        for (const char* kind : { "sgd", "adamw" }) {
            TrainConfig c;
            c.epochs = 2;
            c.batchSize = 16;
            c.seed = 4;
            c.threads = 0; // keep each backend's own setting
            c.optimizer.kind = kind;
            c.optimizer.learningRate = 0.02;
            c.optimizer.weightDecay = 0.01;
            c.optimizer.l2 = 0.001;
            Trainer onRef(g, c, *m_reference), onDut(g, c, b);
            const TrainResult rr = onRef.fit(data, split), rd = onDut.fit(data, split);
            QCOMPARE(rd.epochsCompleted, 2);
            QVERIFY2(!rd.diverged, rd.message.c_str());
            for (size_t e = 0; e < rr.history.size(); ++e) {
                QVERIFY(
                    std::abs(rd.history[e].trainLoss - rr.history[e].trainLoss) < 1e-3 * (1 + rr.history[e].trainLoss));
                QVERIFY2(std::abs(rd.history[e].validationLoss - rr.history[e].validationLoss) < 1e-3,
                    (std::string(kind) + " epoch " + std::to_string(e + 1) + ": validation loss "
                        + std::to_string(rd.history[e].validationLoss) + ", on the CPU "
                        + std::to_string(rr.history[e].validationLoss))
                        .c_str());
                QVERIFY(std::abs(rd.history[e].trainAccuracy - rr.history[e].trainAccuracy) < 0.03);
            }
            // Weights reach a CPU inspection network through copySnapshot.
            Network inspectRef(g, *m_reference, 1), inspectDut(g, *m_reference, 1);
            QVERIFY(onRef.copySnapshot(inspectRef));
            QVERIFY(onDut.copySnapshot(inspectDut));
            auto pr = inspectRef.parameters(), pd = inspectDut.parameters();
            for (size_t i = 0; i < pr.size(); ++i)
                CHECK_CLOSE((std::string(kind) + " " + pr[i].key()).c_str(), toVec(pd[i].param->value),
                    toVec(pr[i].param->value), 2e-4, 2e-3);
            const EvalResult er = onRef.evaluate(data, split.validation), ed = onDut.evaluate(data, split.validation);
            QVERIFY(std::abs(er.loss - ed.loss) < 1e-3);
            QCOMPARE(ed.confusion.total(), static_cast<int64_t>(split.validation.size()));
        }
    }
};

QTEST_GUILESS_MAIN(TestBackendConformance)
#include "test_backend_conformance.moc"
