#include "engine/backend/cuda/ConvMath.h"
#include "engine/backend/cuda/CudaPrimitives.h"

namespace netcanvas::cuda {

namespace {

// Largest workspace an algorithm may ask for: a quarter of the free memory, at most 1 GB, so a
// fast but hungry algorithm cannot starve the activations.
size_t workspaceLimit()
{
    size_t freeBytes = 0, totalBytes = 0;
    NC_CUDA_CHECK(cudaMemGetInfo(&freeBytes, &totalBytes));
    const size_t limit = freeBytes / 4;
    return limit < (size_t(1) << 30) ? limit : (size_t(1) << 30);
}

// Walks the heuristics' results (sorted by expected speed) and keeps the first that succeeded,
// has a math type usable in the backend's precision (ConvMath.h), and — with the descriptor
// set to the math it will run with — is confirmed by cuDNN's workspace query (which rejects an
// algorithm the configuration does not support) within the workspace limit. `workspace(algo, bytes)` runs that query.
template <typename Perf, typename Algo, typename Query>
bool chooseAlgorithm(const Perf* results, int count, cudnnConvolutionDescriptor_t conv, size_t limit,
    Precision precision, bool tensorCores, Algo& algo, cudnnMathType_t& math, size_t& bytes, const Query& workspace)
{
    for (int i = 0; i < count; ++i) {
        const Perf& r = results[i];
        if (r.status != CUDNN_STATUS_SUCCESS || !mathUsable(r.mathType, precision, tensorCores))
            continue;
        const cudnnMathType_t m = mathFor(r.mathType, precision, tensorCores);
        NC_CUDNN_CHECK(cudnnSetConvolutionMathType(conv, m));
        size_t need = 0;
        if (workspace(r.algo, need) != CUDNN_STATUS_SUCCESS || need > limit)
            continue;
        algo = r.algo;
        math = m;
        bytes = need;
        return true;
    }
    return false;
}

} // namespace

CudaConv::CudaConv(CudaBackend& backend, const ConvDesc& desc)
    : m_backend(backend)
    , m_desc(desc)
    , m_plan(checkedPlan(desc.window, backend.prefix() + "convolution: "))
{
    describeConvolution(desc, m_plan, m_w, m_conv);
}

const CudaConv::Algorithms& CudaConv::prepare(int64_t n)
{
    if (m_preparedN != n) {
        describeConvolutionBatch(m_desc, m_plan, n, m_x, m_y, m_w, m_conv, m_backend.prefix() + "convolution: ");
        m_preparedN = n;
    }
    auto found = m_algorithms.find(n);
    if (found != m_algorithms.end())
        return found->second;

    cudnnHandle_t h = m_backend.cudnn();
    const Precision precision = m_backend.precision();
    const bool tensorCores = m_backend.tensorCoresForTf32();
    const size_t limit = workspaceLimit();
    // The heuristics see the math type the convolution may run with.
    NC_CUDNN_CHECK(cudnnSetConvolutionMathType(m_conv, heuristicsMath(precision, tensorCores)));
    auto none = [&](const char* direction) {
        return BackendError(m_backend.prefix() + "convolution: cuDNN offers no " + direction + " algorithm for batch "
            + std::to_string(n) + " within a " + std::to_string(limit >> 20) + " MB workspace");
    };
    Algorithms a;
    {
        cudnnConvolutionFwdAlgoPerf_t perf[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
        int count = 0;
        NC_CUDNN_CHECK(cudnnGetConvolutionForwardAlgorithm_v7(
            h, m_x, m_w, m_conv, m_y, CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &count, perf));
        if (!chooseAlgorithm(perf, count, m_conv, limit, precision, tensorCores, a.forward, a.forwardMath,
                a.forwardBytes, [&](cudnnConvolutionFwdAlgo_t algo, size_t& bytes) {
                    return cudnnGetConvolutionForwardWorkspaceSize(h, m_x, m_w, m_conv, m_y, algo, &bytes);
                }))
            throw none("forward");
    }
    {
        cudnnConvolutionBwdDataAlgoPerf_t perf[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
        int count = 0;
        NC_CUDNN_CHECK(cudnnGetConvolutionBackwardDataAlgorithm_v7(
            h, m_w, m_y, m_conv, m_x, CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, &count, perf));
        if (!chooseAlgorithm(perf, count, m_conv, limit, precision, tensorCores, a.backwardData, a.backwardDataMath,
                a.backwardDataBytes, [&](cudnnConvolutionBwdDataAlgo_t algo, size_t& bytes) {
                    return cudnnGetConvolutionBackwardDataWorkspaceSize(h, m_w, m_y, m_conv, m_x, algo, &bytes);
                }))
            throw none("backward-data");
    }
    {
        cudnnConvolutionBwdFilterAlgoPerf_t perf[CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT];
        int count = 0;
        NC_CUDNN_CHECK(cudnnGetConvolutionBackwardFilterAlgorithm_v7(
            h, m_x, m_y, m_conv, m_w, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT, &count, perf));
        if (!chooseAlgorithm(perf, count, m_conv, limit, precision, tensorCores, a.backwardFilter, a.backwardFilterMath,
                a.backwardFilterBytes, [&](cudnnConvolutionBwdFilterAlgo_t algo, size_t& bytes) {
                    return cudnnGetConvolutionBackwardFilterWorkspaceSize(h, m_x, m_y, m_conv, m_w, algo, &bytes);
                }))
            throw none("backward-filter");
    }
    return m_algorithms.emplace(n, a).first->second;
}

const float* CudaConv::padInput(int64_t n, const float* x)
{
    if (!m_plan.explicitPad)
        return x;
    const WindowDesc& w = m_desc.window;
    const int64_t planes = n * w.channels;
    auto* padded = static_cast<float*>(
        m_backend.scratch(0, static_cast<size_t>(planes * m_plan.paddedH * m_plan.paddedW) * sizeof(float)));
    launch::padPlanes(
        x, padded, planes, w.height, w.width, w.padTop, w.padLeft, w.padBottom, w.padRight, 0.0f, m_backend.stream());
    return padded;
}

void CudaConv::forward(int64_t n, const float* x, const float* w, const float* b, float* y, bool)
{
    if (n <= 0)
        return;
    m_backend.bind();
    const Algorithms& a = prepare(n);
    const float* input = padInput(n, x);
    const float one = 1.0f, zero = 0.0f;
    NC_CUDNN_CHECK(cudnnSetConvolutionMathType(m_conv, a.forwardMath));
    NC_CUDNN_CHECK(cudnnConvolutionForward(m_backend.cudnn(), &one, m_x, input, m_w, w, m_conv, a.forward,
        m_backend.workspace(a.forwardBytes), a.forwardBytes, &zero, m_y, y));
    if (m_desc.bias && b)
        launch::addBias(y, b, n, m_desc.filters, m_desc.window.outH * m_desc.window.outW, m_backend.stream());
}

void CudaConv::backward(int64_t n, const float* x, const float* w, const float* dy, float* dx, float* dw, float* db)
{
    if (n <= 0)
        return;
    m_backend.bind();
    const Algorithms& a = prepare(n);
    const WindowDesc& win = m_desc.window;
    const float one = 1.0f, zero = 0.0f;
    if (m_desc.bias && db)
        launch::biasGradient(dy, db, n, m_desc.filters, win.outH * win.outW, m_backend.stream());
    // The padded input is rebuilt rather than kept from the forward: one cheap kernel, and the
    // scratch it lives in is free for other layers in between.
    const float* input = padInput(n, x);
    if (dw) {
        NC_CUDNN_CHECK(cudnnSetConvolutionMathType(m_conv, a.backwardFilterMath));
        NC_CUDNN_CHECK(cudnnConvolutionBackwardFilter(m_backend.cudnn(), &one, m_x, input, m_y, dy, m_conv,
            a.backwardFilter, m_backend.workspace(a.backwardFilterBytes), a.backwardFilterBytes, &zero, m_w, dw));
    }
    if (dx) {
        float* target = dx;
        const int64_t planes = n * win.channels;
        if (m_plan.explicitPad)
            target = static_cast<float*>(
                m_backend.scratch(1, static_cast<size_t>(planes * m_plan.paddedH * m_plan.paddedW) * sizeof(float)));
        NC_CUDNN_CHECK(cudnnSetConvolutionMathType(m_conv, a.backwardDataMath));
        NC_CUDNN_CHECK(cudnnConvolutionBackwardData(m_backend.cudnn(), &one, m_w, w, m_y, dy, m_conv, a.backwardData,
            m_backend.workspace(a.backwardDataBytes), a.backwardDataBytes, &zero, m_x, target));
        if (m_plan.explicitPad)
            launch::cropPlanes(target, dx, planes, win.height, win.width, win.padTop, win.padLeft, win.padBottom,
                win.padRight, m_backend.stream());
    }
}

} // namespace netcanvas::cuda
