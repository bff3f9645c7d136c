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

    auto run = [&](int64_t c0, int64_t c1) {
        for (int64_t c = c0; c < c1; ++c) {
            Work& work = m_work[static_cast<size_t>(c)];
            const int64_t begin = c * perChunk, end = std::min(n, begin + perChunk);
            for (int64_t s0 = begin; s0 < end; s0 += subBatch) {
                const int64_t count = std::min(subBatch, end - s0);
                const int64_t ld = count * p;
                float* col = ensure(work.col, rows * ld);
                for (int64_t s = 0; s < count; ++s)
                    im2col(x.data() + (s0 + s) * inSize, m_channels, m_window, col + s * p, ld);
                if (count == 1) {
                    float* y = out.data() + s0 * outSize;
                    backend.gemm(false, false, m_filters, p, rows, 1.0f, weight, rows, col, ld, 0.0f, y, p);
                    if (bias)
                        for (int64_t f = 0; f < m_filters; ++f) {
                            float* row = y + f * p;
                            for (int64_t i = 0; i < p; ++i)
                                row[i] += bias[f];
                        }
                    continue;
                }
                float* tmp = ensure(work.tmp, m_filters * ld);
                backend.gemm(false, false, m_filters, ld, rows, 1.0f, weight, rows, col, ld, 0.0f, tmp, ld);
                for (int64_t s = 0; s < count; ++s) {
                    float* y = out.data() + (s0 + s) * outSize;
                    for (int64_t f = 0; f < m_filters; ++f) {
                        const float* src = tmp + f * ld + s * p;
                        float* row = y + f * p;
                        const float b = bias ? bias[f] : 0.0f;
                        for (int64_t i = 0; i < p; ++i)
                            row[i] = src[i] + b;
                    }
                }
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
                float* col = ensure(work.col, rows * ld);
                for (int64_t s = 0; s < count; ++s)
                    im2col(x.data() + (s0 + s) * inSize, m_channels, m_window, col + s * p, ld);
                // dY of the sub-batch as [F, count·P] (a view when count == 1).
                const float* dy = gradOut.data() + s0 * outSize;
                if (count > 1) {
                    float* tmp = ensure(work.tmp, m_filters * ld);
                    for (int64_t s = 0; s < count; ++s)
                        for (int64_t f = 0; f < m_filters; ++f)
                            std::memcpy(tmp + f * ld + s * p, gradOut.data() + (s0 + s) * outSize + f * p,
                                sizeof(float) * static_cast<size_t>(p));
                    dy = tmp;
                }
                backend.gemm(false, true, m_filters, rows, ld, 1.0f, dy, ld, col, ld, 1.0f, dW, rows);
                if (m_bias)
                    for (int64_t f = 0; f < m_filters; ++f) {
                        const float* r = dy + f * ld;
                        float acc = 0.0f;
                        for (int64_t i = 0; i < ld; ++i)
                            acc += r[i];
                        db[f] += acc;
                    }
                if (dx) {
                    // dcol [rows, ld] = Wᵀ · dY, then col2im into each sample.
                    backend.gemm(true, false, rows, ld, m_filters, 1.0f, weight, rows, dy, ld, 0.0f, col, ld);
                    for (int64_t s = 0; s < count; ++s) {
                        float* img = dx->data() + (s0 + s) * inSize;
                        std::memset(img, 0, sizeof(float) * static_cast<size_t>(inSize));
                        col2im(col + s * p, ld, m_channels, m_window, img);
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
