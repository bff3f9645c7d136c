// The CPU convolution primitive. Stride-1 layers whose extended rows waste little (nearly all
// of them: LeNet's, VGG's) hand forward and backward to DirectConv (CpuConvDirect.h); what
// follows is the im2col + GEMM route, for strided layers and the rest — and for every layer
// under NETCANVAS_CONV=gemm, the A/B baseline of docs/benchmarks.md.
//
// The batch is split into one contiguous chunk of samples per backend thread; each chunk
// im2cols sub-batches of samples side by side into one matrix and runs one GEMM per
// sub-batch (W · col). Backward: dW by GEMM (per-thread partial sums reduced in a fixed
// order), dX by GEMM + col2im. Work buffers are members and only grow, so a step allocates
// nothing after the first of its batch size.
// A training forward keeps its im2col matrix (when the batch's fits kColCacheBudget) and the
// following backward reuses it instead of running im2col again. Layers with a large weight
// matrix (F·C·kH·kW) run one GEMM per sample straight into / out of the NCHW tensors (no
// gather of dY, no scatter of Y); small ones batch the samples of a sub-batch into one GEMM,
// which is then large enough to be efficient. Stride-1 layers with a large weight matrix
// compute dX directly as the convolution of dY with the flipped filters (im2col of dY, one
// GEMM per sample into dX) instead of Wᵀ·dY followed by col2im: no scatter-add, and no
// [C·kH·kW, P] intermediate to zero.
#include "engine/backend/cpu/CpuBackend.h"
#include "engine/backend/cpu/CpuConvDirect.h"
#include "engine/backend/cpu/CpuIm2col.h"
#include "engine/backend/cpu/CpuSupport.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace netcanvas {

namespace {

using cpu::ensure;
using cpu::rowSum;

// Upper bound of one im2col buffer, in floats (per thread): big enough for efficient GEMMs,
// small enough to stay near the caches.
constexpr int64_t kColBudget = int64_t(1) << 20;
// Largest im2col of a whole batch (floats, 32 MB) that a training forward keeps for its backward.
constexpr int64_t kColCacheBudget = int64_t(8) << 20;
// Weight matrices (F × C·kH·kW) at least this large run one GEMM per sample.
constexpr int64_t kPerSampleGemm = 4096;

class CpuConv final : public ConvPrimitive {
public:
    CpuConv(CpuBackend& backend, const ConvDesc& desc);
    void forward(int64_t n, const float* x, const float* w, const float* b, float* y, bool training) override;
    void backward(int64_t n, const float* x, const float* w, const float* dy, float* dx, float* dw, float* db) override;

private:
    // Per-thread buffers. Plain vectors that only grow.
    struct Work {
        std::vector<float> col; // [C·kH·kW, S·P]: im2col of a sub-batch; reused as dcol in backward
        std::vector<float> tmp; // [F, S·P]: GEMM result (forward) or gathered dY (backward)
        std::vector<float> dW; // [F, C·kH·kW] partial weight gradient of this chunk
        std::vector<float> db; // [F]
    };
    // Splits n samples into chunks (one per thread) and sub-batches that bound the col buffer.
    void plan(int64_t n, int64_t& chunks, int64_t& perChunk, int64_t& subBatch);

    CpuBackend& m_backend;
    WindowDesc m_window;
    int64_t m_channels = 0, m_filters = 0;
    bool m_bias = true;
    std::unique_ptr<DirectConv> m_direct; // stride-1 layers with a small weight matrix
    std::vector<Work> m_work;
    // im2col of the last training forward, sub-batch after sub-batch (the sub-batch starting
    // at sample s0 is a [C·kH·kW, count·P] matrix at s0·C·kH·kW·P); valid for m_cachedInput.
    std::vector<float> m_colCache;
    bool m_directGradInput = false;
    WindowDesc m_gradWindow; // dY [F, outH, outW] → dX [C, inH, inW]
    std::vector<float> m_flipped; // [C, F·kH·kW]: W with f↔c swapped and kh, kw reversed
    const float* m_cachedInput = nullptr;
    int64_t m_cachedN = 0, m_cachedPerChunk = 0, m_cachedSubBatch = 0;
};

CpuConv::CpuConv(CpuBackend& backend, const ConvDesc& desc)
    : m_backend(backend)
    , m_window(desc.window)
    , m_channels(desc.window.channels)
    , m_filters(desc.filters)
    , m_bias(desc.bias)
{
    // Stride-1 layers run the direct convolution (dW by GEMM when the weight matrix is large).
    // NETCANVAS_CONV=gemm|direct overrides the choice for A/B measurements and tests
    // ("direct": every stride-1 layer, whatever its waste; "gemm": none).
    const char* route = std::getenv("NETCANVAS_CONV");
    const std::string choice = route ? route : "";
    if (choice != "gemm" && DirectConv::suits(desc, choice == "direct")) {
        m_direct = std::make_unique<DirectConv>(backend, desc,
            desc.filters * desc.window.channels * desc.window.kernelH * desc.window.kernelW >= kPerSampleGemm);
        return; // nothing of the GEMM route below is used
    }
    const WindowDesc& w0 = m_window;
    const int64_t kk = w0.kernelH * w0.kernelW;
    m_directGradInput = w0.strideH == 1 && w0.strideW == 1 && m_filters * m_channels * kk >= kPerSampleGemm
        && w0.padTop < w0.kernelH && w0.padLeft < w0.kernelW && w0.padBottom < w0.kernelH && w0.padRight < w0.kernelW;
    if (m_directGradInput) {
        WindowDesc g;
        g.channels = m_filters;
        g.kernelH = w0.kernelH;
        g.kernelW = w0.kernelW;
        g.strideH = g.strideW = 1;
        g.padTop = w0.kernelH - 1 - w0.padTop;
        g.padLeft = w0.kernelW - 1 - w0.padLeft;
        g.padBottom = w0.kernelH - 1 - w0.padBottom;
        g.padRight = w0.kernelW - 1 - w0.padRight;
        g.height = w0.outH;
        g.width = w0.outW;
        g.outH = w0.height;
        g.outW = w0.width;
        m_gradWindow = g;
    }
}

void CpuConv::plan(int64_t n, int64_t& chunks, int64_t& perChunk, int64_t& subBatch)
{
    chunks = std::max<int64_t>(1, std::min<int64_t>(m_backend.threads(), n));
    perChunk = (n + chunks - 1) / chunks;
    chunks = (n + perChunk - 1) / perChunk;
    const int64_t rows = m_channels * m_window.kernelH * m_window.kernelW;
    const int64_t p = m_window.outH * m_window.outW;
    subBatch = std::clamp<int64_t>(kColBudget / std::max<int64_t>(1, rows * p), 1, perChunk);
    if (static_cast<int64_t>(m_work.size()) < chunks)
        m_work.resize(static_cast<size_t>(chunks));
}

void CpuConv::forward(int64_t n, const float* x, const float* weight, const float* b, float* out, bool training)
{
    if (m_direct) {
        m_direct->forward(n, x, weight, b, out);
        return;
    }
    int64_t chunks, perChunk, subBatch;
    plan(n, chunks, perChunk, subBatch);
    const int64_t rows = m_channels * m_window.kernelH * m_window.kernelW;
    const int64_t p = m_window.outH * m_window.outW;
    const int64_t inSize = m_channels * m_window.height * m_window.width;
    const int64_t outSize = m_filters * p;
    const float* bias = m_bias ? b : nullptr;
    CpuBackend& backend = m_backend;

    // Keep the im2col for backward when training and it fits the budget.
    const bool cache = training && n * rows * p <= kColCacheBudget;
    float* colCache = cache ? ensure(m_colCache, n * rows * p) : nullptr;
    m_cachedInput = cache ? x : nullptr;
    m_cachedN = n;
    m_cachedPerChunk = perChunk;
    m_cachedSubBatch = subBatch;
    const bool perSample = m_filters * rows >= kPerSampleGemm;

    auto fillBias = [&](float* y) {
        if (bias)
            for (int64_t f = 0; f < m_filters; ++f)
                std::fill(y + f * p, y + (f + 1) * p, bias[f]);
    };
    auto run = [&](int64_t c0, int64_t c1) {
        for (int64_t c = c0; c < c1; ++c) {
            Work& work = m_work[static_cast<size_t>(c)];
            const int64_t begin = c * perChunk, end = std::min(n, begin + perChunk);
            for (int64_t s0 = begin; s0 < end; s0 += subBatch) {
                const int64_t count = std::min(subBatch, end - s0);
                const int64_t ld = count * p;
                float* col = cache ? colCache + s0 * rows * p : ensure(work.col, rows * ld);
                for (int64_t s = 0; s < count; ++s)
                    cpu::im2col(x + (s0 + s) * inSize, m_channels, m_window, col + s * p, ld);
                if (count == 1 || perSample) {
                    // Y starts as the bias and the GEMM adds W·col (beta = 1: no zeroing pass).
                    for (int64_t s = 0; s < count; ++s) {
                        float* y = out + (s0 + s) * outSize;
                        fillBias(y);
                        backend.gemm(false, false, m_filters, p, rows, 1.0f, weight, rows, col + s * p, ld,
                            bias ? 1.0f : 0.0f, y, p);
                    }
                    continue;
                }
                // tmp [F, count·P] starts as the bias (beta = 1 then skips a zeroing pass).
                float* tmp = ensure(work.tmp, m_filters * ld);
                if (bias)
                    for (int64_t f = 0; f < m_filters; ++f)
                        std::fill(tmp + f * ld, tmp + (f + 1) * ld, bias[f]);
                backend.gemm(
                    false, false, m_filters, ld, rows, 1.0f, weight, rows, col, ld, bias ? 1.0f : 0.0f, tmp, ld);
                for (int64_t s = 0; s < count; ++s)
                    for (int64_t f = 0; f < m_filters; ++f)
                        std::memcpy(out + (s0 + s) * outSize + f * p, tmp + f * ld + s * p,
                            sizeof(float) * static_cast<size_t>(p));
            }
        }
    };
    backend.parallelRange(chunks, 1, run);
}

void CpuConv::backward(
    int64_t n, const float* x, const float* weight, const float* gradOut, float* dx, float* dWeight, float* dBias)
{
    if (m_direct) {
        m_direct->backward(n, x, weight, gradOut, dx, dWeight, dBias);
        return;
    }
    int64_t chunks, perChunk, subBatch;
    plan(n, chunks, perChunk, subBatch);
    const int64_t kH = m_window.kernelH, kW = m_window.kernelW;
    const int64_t rows = m_channels * kH * kW;
    const int64_t p = m_window.outH * m_window.outW;
    const int64_t inSize = m_channels * m_window.height * m_window.width;
    const int64_t outSize = m_filters * p;
    CpuBackend& backend = m_backend;

    // The forward's im2col, when it kept one for this very input and split.
    const bool cached = m_cachedInput == x && m_cachedN == n && m_cachedPerChunk == perChunk
        && m_cachedSubBatch == subBatch && static_cast<int64_t>(m_colCache.size()) >= n * rows * p;
    m_cachedInput = nullptr; // one backward per forward
    const bool perSample = m_filters * rows >= kPerSampleGemm;
    const bool direct = dx && m_directGradInput;
    const int64_t fkk = m_filters * kH * kW;
    const int64_t inPlane = m_window.height * m_window.width;
    if (direct) {
        // m_flipped[c, (f·kH + kH−1−kh)·kW + kW−1−kw] = W[f, c, kh, kw]
        float* flipped = ensure(m_flipped, m_channels * fkk);
        for (int64_t f = 0; f < m_filters; ++f)
            for (int64_t ch = 0; ch < m_channels; ++ch)
                for (int64_t kh = 0; kh < kH; ++kh)
                    for (int64_t kw = 0; kw < kW; ++kw)
                        flipped[ch * fkk + (f * kH + (kH - 1 - kh)) * kW + (kW - 1 - kw)]
                            = weight[((f * m_channels + ch) * kH + kh) * kW + kw];
    }

    auto run = [&](int64_t c0, int64_t c1) {
        for (int64_t c = c0; c < c1; ++c) {
            Work& work = m_work[static_cast<size_t>(c)];
            float* dW = ensure(work.dW, m_filters * rows);
            std::fill(dW, dW + m_filters * rows, 0.0f);
            float* db = ensure(work.db, m_filters);
            std::fill(db, db + m_filters, 0.0f);
            const int64_t begin = c * perChunk, end = std::min(n, begin + perChunk);
            for (int64_t s0 = begin; s0 < end; s0 += subBatch) {
                const int64_t count = std::min(subBatch, end - s0);
                const int64_t ld = count * p;
                // col: the sub-batch's im2col (cached by forward, or made here in dcol's buffer);
                // dcol: one sample's Wᵀ·dY.
                float* dcol = ensure(work.col, rows * ld);
                const float* col = dcol;
                if (cached)
                    col = m_colCache.data() + s0 * rows * p;
                else
                    for (int64_t s = 0; s < count; ++s)
                        cpu::im2col(x + (s0 + s) * inSize, m_channels, m_window, dcol + s * p, ld);
                auto biasSum = [&](const float* dy, int64_t ldy, int64_t len) {
                    if (m_bias)
                        for (int64_t f = 0; f < m_filters; ++f)
                            db[f] += rowSum(dy + f * ldy, len);
                };
                if (count == 1 || perSample) {
                    // One GEMM per sample on dY as it lies in gradOut ([F, P] per sample).
                    for (int64_t s = 0; s < count; ++s) {
                        const float* dy = gradOut + (s0 + s) * outSize;
                        backend.gemm(false, true, m_filters, rows, p, 1.0f, dy, p, col + s * p, ld, 1.0f, dW, rows);
                        biasSum(dy, p, p);
                    }
                    if (direct) {
                        // dX = the full convolution of dY with the flipped filters.
                        float* dyCol = ensure(work.tmp, fkk * inPlane);
                        for (int64_t s = 0; s < count; ++s) {
                            cpu::im2col(gradOut + (s0 + s) * outSize, m_filters, m_gradWindow, dyCol, inPlane);
                            backend.gemm(false, false, m_channels, inPlane, fkk, 1.0f, m_flipped.data(), fkk, dyCol,
                                inPlane, 0.0f, dx + (s0 + s) * inSize, inPlane);
                        }
                        continue;
                    }
                } else {
                    // dY of the sub-batch gathered as [F, count·P].
                    float* tmp = ensure(work.tmp, m_filters * ld);
                    for (int64_t s = 0; s < count; ++s)
                        for (int64_t f = 0; f < m_filters; ++f)
                            std::memcpy(tmp + f * ld + s * p, gradOut + (s0 + s) * outSize + f * p,
                                sizeof(float) * static_cast<size_t>(p));
                    backend.gemm(false, true, m_filters, rows, ld, 1.0f, tmp, ld, col, ld, 1.0f, dW, rows);
                    biasSum(tmp, ld, ld);
                }
                if (dx) {
                    // Per sample: dcol [C·kH·kW, P] = Wᵀ · dY_s, then col2im while dcol is still
                    // in cache (col is dead by now, so dcol reuses its buffer).
                    const bool gathered = !(count == 1 || perSample);
                    for (int64_t s = 0; s < count; ++s) {
                        const float* dy = gathered ? work.tmp.data() + s * p : gradOut + (s0 + s) * outSize;
                        backend.gemm(
                            true, false, rows, p, m_filters, 1.0f, weight, rows, dy, gathered ? ld : p, 0.0f, dcol, p);
                        float* img = dx + (s0 + s) * inSize;
                        std::memset(img, 0, sizeof(float) * static_cast<size_t>(inSize));
                        cpu::col2im(dcol, p, m_channels, m_window, img);
                    }
                }
            }
        }
    };
    backend.parallelRange(chunks, 1, run);

    // The chunks' partial sums, added in chunk order.
    cpu::sumChunks(
        dWeight, m_filters * rows, chunks, [&](int64_t c) { return m_work[static_cast<size_t>(c)].dW.data(); });
    if (m_bias && dBias)
        cpu::sumChunks(dBias, m_filters, chunks, [&](int64_t c) { return m_work[static_cast<size_t>(c)].db.data(); });
}

} // namespace

std::unique_ptr<ConvPrimitive> CpuBackend::createConv(const ConvDesc& desc)
{
    return std::make_unique<CpuConv>(*this, desc);
}

} // namespace netcanvas
