// The CUDA plugin's cuDNN descriptor setup (engine/backend/cuda/CudnnDescriptors), run against
// the real cuDNN library: its descriptor functions need no GPU, so this runs wherever the plugin
// is built. Checks that every window the layers produce — symmetric, asymmetric ("same" with an
// even kernel), strided, global — gives cuDNN the output size the layer expects, and that a
// mismatch is an error naming both sizes; and which cuDNN math type a convolution runs with in
// each precision (ConvMath.h), every one of them accepted by a real convolution descriptor.
#include "engine/backend/cuda/ConvMath.h"
#include "engine/backend/cuda/CudnnDescriptors.h"
#include "engine/core/Error.h"

#include <QtTest>

using namespace netcanvas;
using namespace netcanvas::cuda;

namespace {

struct Descriptors {
    cudnnTensorDescriptor_t x = nullptr, y = nullptr, param = nullptr;
    cudnnFilterDescriptor_t filter = nullptr;
    cudnnConvolutionDescriptor_t conv = nullptr;
    cudnnPoolingDescriptor_t pool = nullptr;
    Descriptors()
    {
        cudnnCreateTensorDescriptor(&x);
        cudnnCreateTensorDescriptor(&y);
        cudnnCreateTensorDescriptor(&param);
        cudnnCreateFilterDescriptor(&filter);
        cudnnCreateConvolutionDescriptor(&conv);
        cudnnCreatePoolingDescriptor(&pool);
    }
    ~Descriptors()
    {
        cudnnDestroyTensorDescriptor(x);
        cudnnDestroyTensorDescriptor(y);
        cudnnDestroyTensorDescriptor(param);
        cudnnDestroyFilterDescriptor(filter);
        cudnnDestroyConvolutionDescriptor(conv);
        cudnnDestroyPoolingDescriptor(pool);
    }
};

// The layers' "same": output ceil(size / stride), total padding split with the extra cell at the
// bottom/right (Backend.h's WindowDesc).
WindowDesc sameWindow(int64_t channels, int64_t size, int64_t kernel, int64_t stride)
{
    WindowDesc w;
    w.channels = channels;
    w.height = w.width = size;
    w.kernelH = w.kernelW = kernel;
    w.strideH = w.strideW = stride;
    w.outH = w.outW = (size + stride - 1) / stride;
    const int64_t total = std::max<int64_t>((w.outH - 1) * stride + kernel - size, 0);
    w.padTop = w.padLeft = total / 2;
    w.padBottom = w.padRight = total - total / 2;
    return w;
}

WindowDesc validWindow(int64_t channels, int64_t size, int64_t kernel, int64_t stride)
{
    WindowDesc w;
    w.channels = channels;
    w.height = w.width = size;
    w.kernelH = w.kernelW = kernel;
    w.strideH = w.strideW = stride;
    w.outH = w.outW = (size - kernel) / stride + 1;
    return w;
}

std::string throwsBackendError(const std::function<void()>& f)
{
    try {
        f();
    } catch (const BackendError& e) {
        return e.what();
    }
    return {};
}

} // namespace

class TestCudnnDescriptors : public QObject {
    Q_OBJECT

private slots:
    void convolutionOutputsMatchTheLayers_data()
    {
        QTest::addColumn<int>("size");
        QTest::addColumn<int>("kernel");
        QTest::addColumn<int>("stride");
        QTest::addColumn<bool>("same");
        QTest::addColumn<bool>("explicitPad");
        QTest::newRow("lenet conv1 5x5 same") << 28 << 5 << 1 << true << false;
        QTest::newRow("lenet conv2 5x5 valid") << 14 << 5 << 1 << false << false;
        QTest::newRow("vgg 3x3 same") << 28 << 3 << 1 << true << false;
        QTest::newRow("2x2 same (asymmetric)") << 6 << 2 << 1 << true << true;
        QTest::newRow("4x4 same (asymmetric)") << 9 << 4 << 1 << true << true;
        QTest::newRow("3x3 stride 2 same, even size (asymmetric)") << 8 << 3 << 2 << true << true;
        QTest::newRow("3x3 stride 2 same, odd size") << 7 << 3 << 2 << true << false;
        QTest::newRow("1x1 valid") << 5 << 1 << 1 << false << false;
        QTest::newRow("7x7 stride 3 valid") << 20 << 7 << 3 << false << false;
    }

    void convolutionOutputsMatchTheLayers()
    {
        QFETCH(int, size);
        QFETCH(int, kernel);
        QFETCH(int, stride);
        QFETCH(bool, same);
        QFETCH(bool, explicitPad);
        ConvDesc desc;
        desc.window = same ? sameWindow(3, size, kernel, stride) : validWindow(3, size, kernel, stride);
        desc.filters = 8;
        const PaddingPlan plan = checkedPlan(desc.window, "convolution: ");
        QCOMPARE(plan.explicitPad, explicitPad);
        Descriptors d;
        describeConvolution(desc, plan, d.filter, d.conv);
        for (int64_t n : { 1, 64, 1000 })
            describeConvolutionBatch(desc, plan, n, d.x, d.y, d.filter, d.conv, "convolution: ");
    }

    void poolingOutputsMatchTheLayers()
    {
        Descriptors d;
        for (PoolKind kind : { PoolKind::Max, PoolKind::Average }) {
            PoolDesc desc;
            desc.kind = kind;
            for (const WindowDesc& w : { validWindow(6, 28, 2, 2), validWindow(16, 7, 2, 2), validWindow(4, 9, 3, 2),
                     sameWindow(4, 7, 2, 2), sameWindow(4, 8, 3, 1), sameWindow(4, 6, 2, 1),
                     validWindow(64, 7, 7, 1) /* global average pooling */ }) {
                desc.window = w;
                const PaddingPlan plan = checkedPlan(w, "pooling: ");
                QCOMPARE(poolingMode(desc, plan),
                    kind == PoolKind::Max ? CUDNN_POOLING_MAX_DETERMINISTIC
                                          : (plan.explicitPad ? CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING
                                                              : CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING));
                describePooling(desc, plan, d.pool);
                describePoolingBatch(desc, plan, 64, d.x, d.y, d.pool, "pooling: ");
            }
        }
    }

    void mismatchesAreErrors()
    {
        ConvDesc desc;
        desc.window = sameWindow(3, 8, 3, 1);
        desc.window.outH = 9; // not what this window gives
        const std::string e = throwsBackendError([&] { checkedPlan(desc.window, "cuda:0: convolution: "); });
        QVERIFY2(e.find("cuda:0: convolution: ") == 0 && e.find("8×8") != std::string::npos
                && e.find("9×8") != std::string::npos,
            e.c_str());
        const std::string big = throwsBackendError([] { cudnnDim(int64_t(1) << 40, "batch"); });
        QVERIFY2(big.find("batch") != std::string::npos, big.c_str());
    }

    void batchNormModes()
    {
        Descriptors d;
        BatchNormDesc conv;
        conv.channels = 16;
        conv.spatial = 100;
        QCOMPARE(batchNormMode(conv), CUDNN_BATCHNORM_SPATIAL);
        BatchNormDesc dense;
        dense.channels = 120;
        QCOMPARE(batchNormMode(dense), CUDNN_BATCHNORM_PER_ACTIVATION);
        for (const BatchNormDesc& desc : { conv, dense }) {
            describeBatchNormBatch(desc, 64, d.x, d.param);
            cudnnDataType_t type {};
            int n = 0, c = 0, h = 0, w = 0, ns = 0, cs = 0, hs = 0, ws = 0;
            QCOMPARE(
                cudnnGetTensor4dDescriptor(d.param, &type, &n, &c, &h, &w, &ns, &cs, &hs, &ws), CUDNN_STATUS_SUCCESS);
            QCOMPARE(n, 1);
            QCOMPARE(c, int(desc.channels));
            QCOMPARE(h * w, 1);
            QCOMPARE(type, CUDNN_DATA_FLOAT);
        }
    }

    void convolutionMathPerPrecision()
    {
        const cudnnMathType_t all[]
            = { CUDNN_DEFAULT_MATH, CUDNN_TENSOR_OP_MATH, CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION, CUDNN_FMA_MATH };
        // FP32: never a down-conversion; on compute 8.0+ (where the default would allow TF32)
        // FMA math only, so tensor-op-only algorithms are out.
        QCOMPARE(heuristicsMath(Precision::Fp32, true), CUDNN_FMA_MATH);
        QCOMPARE(heuristicsMath(Precision::Fp32, false), CUDNN_DEFAULT_MATH);
        for (cudnnMathType_t m : all) {
            QCOMPARE(mathUsable(m, Precision::Fp32, true), m == CUDNN_DEFAULT_MATH || m == CUDNN_FMA_MATH);
            QCOMPARE(mathUsable(m, Precision::Fp32, false), m != CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION);
            QCOMPARE(mathFor(m, Precision::Fp32, true), CUDNN_FMA_MATH);
            QCOMPARE(mathFor(m, Precision::Fp32, false), m);
        }
        // TF32: whatever the heuristics offer except a conversion to FP16.
        QCOMPARE(heuristicsMath(Precision::Tf32, true), CUDNN_DEFAULT_MATH);
        for (cudnnMathType_t m : all) {
            QCOMPARE(mathUsable(m, Precision::Tf32, true), m != CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION);
            QCOMPARE(mathFor(m, Precision::Tf32, true), m);
        }
        // FP16: the heuristics may convert float32 data to FP16; any algorithm they rank is usable
        // (FP16 tensor cores, or TF32 / plain float32 where that is faster), with its own math.
        for (bool tensorCores : { false, true }) {
            QCOMPARE(heuristicsMath(Precision::Fp16, tensorCores), CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION);
            for (cudnnMathType_t m : all) {
                QVERIFY(mathUsable(m, Precision::Fp16, tensorCores));
                QCOMPARE(mathFor(m, Precision::Fp16, tensorCores), m);
            }
        }
        // Every math type these choose is one a float32 convolution descriptor takes.
        Descriptors d;
        ConvDesc desc;
        desc.window = sameWindow(3, 16, 3, 1);
        desc.filters = 8;
        const PaddingPlan plan = checkedPlan(desc.window, "convolution: ");
        describeConvolution(desc, plan, d.filter, d.conv);
        describeConvolutionBatch(desc, plan, 64, d.x, d.y, d.filter, d.conv, "convolution: ");
        for (cudnnMathType_t m : all) {
            QCOMPARE(cudnnSetConvolutionMathType(d.conv, m), CUDNN_STATUS_SUCCESS);
            cudnnMathType_t back {};
            QCOMPARE(cudnnGetConvolutionMathType(d.conv, &back), CUDNN_STATUS_SUCCESS);
            QCOMPARE(back, m);
        }
    }
};

QTEST_GUILESS_MAIN(TestCudnnDescriptors)
#include "test_cudnn_descriptors.moc"
