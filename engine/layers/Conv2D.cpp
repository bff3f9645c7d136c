#include "engine/layers/Conv2D.h"

#include "engine/layers/Im2col.h"
#include "engine/layers/Initializers.h"

#include <algorithm>
#include <cstring>

namespace netcanvas {

namespace {
// Upper bound of one im2col buffer, in floats (per thread): big enough for efficient GEMMs,
// small enough to stay near the caches.
constexpr int64_t kColBudget = int64_t(1) << 20;
// Largest im2col of a whole batch (floats) that a training forward keeps for its backward.
constexpr int64_t kColCacheBudget = int64_t(8) << 20;
// Weight matrices (F × C·k·k) at least this large run one GEMM per sample.
constexpr int64_t kPerSampleGemm = 4096;

// Sum of n floats in 8 interleaved partial sums (vectorizable without -ffast-math, and
// without one long dependency chain), added up in a fixed order.
float rowSum(const float* r, int64_t n)
{
    float acc[8] = {};
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; ++j)
            acc[j] += r[i + j];
    for (; i < n; ++i)
        acc[0] += r[i];
    return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

// At least n floats in v (grows only) and its data.
float* ensure(std::vector<float>& v, int64_t n)
{
    if (static_cast<int64_t>(v.size()) < n)
        v.resize(static_cast<size_t>(n));
    return v.data();
}
} // namespace

Conv2DLayer::Conv2DLayer(std::string name, LayerParams params)
    : BuiltinLayer("Conv2D", std::move(name), std::move(params))
{
    m_filters = m_params.getInt("filters");
    m_kernel = m_params.getInt("kernel");
    m_stride = m_params.getInt("stride");
    m_padding = m_params.getString("padding");
    m_pad = m_params.getInt("pad");
    m_bias = m_params.getBool("bias");
}

Window2D Conv2DLayer::window(const Shape& in) const
{
    if (in.rank() != 3)
        fail({ in }, "Conv2D needs a channels×height×width input");
    Window2D w;
    const std::string why = computeWindow2D(in[1], in[2], m_kernel, m_stride, m_padding, m_pad, in.toString(), w);
    if (!why.empty())
        fail(why);
    return w;
}

Shape Conv2DLayer::outputShape(const std::vector<Shape>& inputs) const
{
    requireInputCount(inputs, 1);
    const Window2D w = window(inputs[0]);
    return Shape { m_filters, w.outH, w.outW };
}

int64_t Conv2DLayer::paramCount(const std::vector<Shape>& inputs) const
{
    outputShape(inputs); // validates
    return m_filters * inputs.at(0)[0] * m_kernel * m_kernel + (m_bias ? m_filters : 0);
}

int64_t Conv2DLayer::flops(const std::vector<Shape>& inputs) const
{
    outputShape(inputs);
    const Window2D w = window(inputs[0]);
    const int64_t positions = w.outH * w.outW;
    return positions * m_filters * (2 * inputs[0][0] * m_kernel * m_kernel + (m_bias ? 1 : 0));
}

void Conv2DLayer::build(const std::vector<Shape>& inputs, Rng& rng)
{
    outputShape(inputs);
    m_window = window(inputs[0]);
    m_channels = inputs[0][0];
    const int64_t kk = m_kernel * m_kernel;
    Parameter& w = addParameter("weight", Shape { m_filters, m_channels, m_kernel, m_kernel });
    initializeWeights(
        w.value, m_params.getString("init"), m_channels * kk, m_filters * kk, m_params.getFloat("init_std"), rng);
    if (m_bias)
        addParameter("bias", Shape { m_filters }, true, false);
    const Window2D& w0 = m_window;
    m_directGradInput = w0.stride == 1 && m_filters * m_channels * kk >= kPerSampleGemm && w0.padTop < m_kernel
        && w0.padLeft < m_kernel && w0.padBottom < m_kernel && w0.padRight < m_kernel;
    if (m_directGradInput) {
        Window2D g;
        g.kernel = m_kernel;
        g.stride = 1;
        g.padTop = m_kernel - 1 - w0.padTop;
        g.padLeft = m_kernel - 1 - w0.padLeft;
        g.padBottom = m_kernel - 1 - w0.padBottom;
        g.padRight = m_kernel - 1 - w0.padRight;
        g.inH = w0.outH;
        g.inW = w0.outW;
        g.outH = w0.inH;
        g.outW = w0.inW;
        m_gradWindow = g;
    }
}

void Conv2DLayer::plan(const RunContext& ctx, int64_t n, int64_t& chunks, int64_t& perChunk, int64_t& subBatch)
{
    chunks = std::max<int64_t>(1, std::min<int64_t>(ctx.backend.threads(), n));
    perChunk = (n + chunks - 1) / chunks;
    chunks = (n + perChunk - 1) / perChunk;
    const int64_t rows = m_channels * m_kernel * m_kernel;
    const int64_t p = m_window.outH * m_window.outW;
    subBatch = std::clamp<int64_t>(kColBudget / std::max<int64_t>(1, rows * p), 1, perChunk);
    if (static_cast<int64_t>(m_work.size()) < chunks)
        m_work.resize(static_cast<size_t>(chunks));
}

void Conv2DLayer::forward(const RunContext& ctx, const std::vector<const Tensor*>& in, Tensor& out)
{
    const Tensor& x = *in[0];
    const int64_t n = x.shape()[0];
    int64_t chunks, perChunk, subBatch;
    plan(ctx, n, chunks, perChunk, subBatch);
    const int64_t rows = m_channels * m_kernel * m_kernel;
    const int64_t p = m_window.outH * m_window.outW;
    const int64_t inSize = m_channels * m_window.inH * m_window.inW;
    const int64_t outSize = m_filters * p;
    const float* weight = m_parameters[0].value.data();
    const float* bias = m_bias ? m_parameters[1].value.data() : nullptr;
    Backend& backend = ctx.backend;

    // Keep the im2col for backward when training and it fits the budget.
    const bool cache = ctx.training && n * rows * p <= kColCacheBudget;
    float* colCache = cache ? ensure(m_colCache, n * rows * p) : nullptr;
    m_cachedInput = cache ? x.data() : nullptr;
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
                    im2col(x.data() + (s0 + s) * inSize, m_channels, m_window, col + s * p, ld);
                if (count == 1 || perSample) {
                    // Y starts as the bias and the GEMM adds W·col (beta = 1: no zeroing pass).
                    for (int64_t s = 0; s < count; ++s) {
                        float* y = out.data() + (s0 + s) * outSize;
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
                backend.gemm(false, false, m_filters, ld, rows, 1.0f, weight, rows, col, ld, bias ? 1.0f : 0.0f, tmp,
                    ld);
                for (int64_t s = 0; s < count; ++s)
                    for (int64_t f = 0; f < m_filters; ++f)
                        std::memcpy(out.data() + (s0 + s) * outSize + f * p, tmp + f * ld + s * p,
                            sizeof(float) * static_cast<size_t>(p));
            }
        }
    };
    parallelRange(backend, chunks, 1, run);
}

void Conv2DLayer::backward(const RunContext& ctx, const std::vector<const Tensor*>& in, const Tensor&,
    const Tensor& gradOut, const std::vector<Tensor*>& gradIn)
{
    const Tensor& x = *in[0];
    Tensor* dx = gradIn.empty() ? nullptr : gradIn[0];
    const int64_t n = x.shape()[0];
    int64_t chunks, perChunk, subBatch;
    plan(ctx, n, chunks, perChunk, subBatch);
    const int64_t rows = m_channels * m_kernel * m_kernel;
    const int64_t p = m_window.outH * m_window.outW;
    const int64_t inSize = m_channels * m_window.inH * m_window.inW;
    const int64_t outSize = m_filters * p;
    const float* weight = m_parameters[0].value.data();
    Backend& backend = ctx.backend;

    // The forward's im2col, when it kept one for this very input and split.
    const bool cached = m_cachedInput == x.data() && m_cachedN == n && m_cachedPerChunk == perChunk
        && m_cachedSubBatch == subBatch && static_cast<int64_t>(m_colCache.size()) >= n * rows * p;
    m_cachedInput = nullptr; // one backward per forward
    const bool perSample = m_filters * rows >= kPerSampleGemm;
    const bool direct = dx && m_directGradInput;
    const int64_t fkk = m_filters * m_kernel * m_kernel;
    const int64_t inPlane = m_window.inH * m_window.inW;
    if (direct) {
        // m_flipped[c, (f·k + k−1−kh)·k + k−1−kw] = W[f, c, kh, kw]
        const int64_t k = m_kernel;
        float* flipped = ensure(m_flipped, m_channels * fkk);
        for (int64_t f = 0; f < m_filters; ++f)
            for (int64_t ch = 0; ch < m_channels; ++ch)
                for (int64_t kh = 0; kh < k; ++kh)
                    for (int64_t kw = 0; kw < k; ++kw)
                        flipped[ch * fkk + (f * k + (k - 1 - kh)) * k + (k - 1 - kw)]
                            = weight[((f * m_channels + ch) * k + kh) * k + kw];
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
                        im2col(x.data() + (s0 + s) * inSize, m_channels, m_window, dcol + s * p, ld);
                auto biasSum = [&](const float* dy, int64_t ldy, int64_t len) {
                    if (m_bias)
                        for (int64_t f = 0; f < m_filters; ++f)
                            db[f] += rowSum(dy + f * ldy, len);
                };
                if (count == 1 || perSample) {
                    // One GEMM per sample on dY as it lies in gradOut ([F, P] per sample).
                    for (int64_t s = 0; s < count; ++s) {
                        const float* dy = gradOut.data() + (s0 + s) * outSize;
                        backend.gemm(false, true, m_filters, rows, p, 1.0f, dy, p, col + s * p, ld, 1.0f, dW, rows);
                        biasSum(dy, p, p);
                    }
                    if (direct) {
                        // dX = the full convolution of dY with the flipped filters.
                        float* dyCol = ensure(work.tmp, fkk * inPlane);
                        for (int64_t s = 0; s < count; ++s) {
                            im2col(gradOut.data() + (s0 + s) * outSize, m_filters, m_gradWindow, dyCol, inPlane);
                            backend.gemm(false, false, m_channels, inPlane, fkk, 1.0f, m_flipped.data(), fkk, dyCol,
                                inPlane, 0.0f, dx->data() + (s0 + s) * inSize, inPlane);
                        }
                        continue;
                    }
                } else {
                    // dY of the sub-batch gathered as [F, count·P].
                    float* tmp = ensure(work.tmp, m_filters * ld);
                    for (int64_t s = 0; s < count; ++s)
                        for (int64_t f = 0; f < m_filters; ++f)
                            std::memcpy(tmp + f * ld + s * p, gradOut.data() + (s0 + s) * outSize + f * p,
                                sizeof(float) * static_cast<size_t>(p));
                    backend.gemm(false, true, m_filters, rows, ld, 1.0f, tmp, ld, col, ld, 1.0f, dW, rows);
                    biasSum(tmp, ld, ld);
                }
                if (dx) {
                    // Per sample: dcol [C·k·k, P] = Wᵀ · dY_s, then col2im while dcol is still in
                    // cache (col is dead by now, so dcol reuses its buffer).
                    const bool gathered = !(count == 1 || perSample);
                    for (int64_t s = 0; s < count; ++s) {
                        const float* dy = gathered ? work.tmp.data() + s * p : gradOut.data() + (s0 + s) * outSize;
                        backend.gemm(true, false, rows, p, m_filters, 1.0f, weight, rows, dy, gathered ? ld : p, 0.0f,
                            dcol, p);
                        float* img = dx->data() + (s0 + s) * inSize;
                        std::memset(img, 0, sizeof(float) * static_cast<size_t>(inSize));
                        col2im(dcol, p, m_channels, m_window, img);
                    }
                }
            }
        }
    };
    parallelRange(backend, chunks, 1, run);

    // Reduce the per-chunk partial sums in chunk order (deterministic for a thread count).
    Parameter& w = m_parameters[0];
    const int64_t wSize = m_filters * rows;
    float* dW = w.grad.data();
    std::memcpy(dW, m_work[0].dW.data(), sizeof(float) * static_cast<size_t>(wSize));
    for (int64_t c = 1; c < chunks; ++c) {
        const float* part = m_work[static_cast<size_t>(c)].dW.data();
        for (int64_t i = 0; i < wSize; ++i)
            dW[i] += part[i];
    }
    if (m_bias) {
        Parameter& b = m_parameters[1];
        for (int64_t f = 0; f < m_filters; ++f) {
            float acc = 0.0f;
            for (int64_t c = 0; c < chunks; ++c)
                acc += m_work[static_cast<size_t>(c)].db[f];
            b.grad[f] = acc;
        }
    }
}

void registerConv2D(LayerRegistry& registry)
{
    LayerInfo info;
    info.type = "Conv2D";
    info.category = "Convolution";
    info.doc = "Slides learned k×k filters over the image; each filter produces one feature map";
    info.params = {
        intParam("filters", 32, 1, 65536, "Number of filters, i.e. output channels (feature maps)"),
        intParam("kernel", 3, 1, 1024, "Filter size k (square k×k window)"),
        intParam("stride", 1, 1, 1024, "Step between neighbouring windows; 2 halves the output size"),
        choiceParam("padding", "valid", { "valid", "same", "explicit" },
            "valid: no padding (output shrinks); same: zero-pad so output = ceil(input/stride); explicit: pad "
            "cells on every side"),
        intParam("pad", 0, 0, 1024, "Zero cells added on every side when padding is explicit"),
        boolParam("bias", true, "Add a learned bias to each output channel"),
    };
    for (auto& p : initializerParams())
        info.params.push_back(std::move(p));
    info.create = [](const std::string& name, const LayerParams& p) { return std::make_unique<Conv2DLayer>(name, p); };
    registry.add(std::move(info));
}

} // namespace netcanvas
