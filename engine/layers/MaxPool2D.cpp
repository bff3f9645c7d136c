#include "engine/layers/MaxPool2D.h"

#include <algorithm>
#include <cstring>
#include <limits>

namespace netcanvas {

void MaxPool2DLayer::forward(const RunContext& ctx, const std::vector<const Tensor*>& in, Tensor& out)
{
    const Tensor& x = *in[0];
    const Window2D& w = m_window;
    const int64_t planes = x.shape()[0] * m_channels;
    const int64_t inPlane = w.inH * w.inW, outPlane = w.outH * w.outW;
    if (static_cast<int64_t>(m_argmax.size()) < planes * outPlane)
        m_argmax.resize(static_cast<size_t>(planes * outPlane));
    const float* src = x.data();
    float* dst = out.data();
    int32_t* arg = m_argmax.data();
    // The common 2×2, stride 2 window inside the plane: straight-line code, same result
    // (first maximum in row-major order wins, as in the general loop below).
    const bool pool2 = w.kernel == 2 && w.stride == 2 && w.padTop == 0 && w.padLeft == 0 && 2 * w.outH <= w.inH
        && 2 * w.outW <= w.inW;
    auto run = [&](int64_t p0, int64_t p1) {
        for (int64_t pl = p0; pl < p1; ++pl) {
            const float* plane = src + pl * inPlane;
            float* o = dst + pl * outPlane;
            int32_t* a = arg + pl * outPlane;
            if (pool2) {
                for (int64_t oy = 0; oy < w.outH; ++oy) {
                    const int64_t top = 2 * oy * w.inW;
                    const float* r0 = plane + top;
                    const float* r1 = r0 + w.inW;
                    for (int64_t ox = 0; ox < w.outW; ++ox) {
                        const int64_t x = 2 * ox;
                        float best = -std::numeric_limits<float>::infinity();
                        int64_t idx = top + x;
                        if (r0[x] > best)
                            best = r0[x];
                        if (r0[x + 1] > best) {
                            best = r0[x + 1];
                            idx = top + x + 1;
                        }
                        if (r1[x] > best) {
                            best = r1[x];
                            idx = top + w.inW + x;
                        }
                        if (r1[x + 1] > best) {
                            best = r1[x + 1];
                            idx = top + w.inW + x + 1;
                        }
                        o[oy * w.outW + ox] = best;
                        a[oy * w.outW + ox] = static_cast<int32_t>(idx);
                    }
                }
                continue;
            }
            for (int64_t oy = 0; oy < w.outH; ++oy) {
                const int64_t y0 = std::max<int64_t>(oy * w.stride - w.padTop, 0);
                const int64_t y1 = std::min<int64_t>(oy * w.stride - w.padTop + w.kernel, w.inH);
                for (int64_t ox = 0; ox < w.outW; ++ox) {
                    const int64_t x0 = std::max<int64_t>(ox * w.stride - w.padLeft, 0);
                    const int64_t x1 = std::min<int64_t>(ox * w.stride - w.padLeft + w.kernel, w.inW);
                    float best = -std::numeric_limits<float>::infinity();
                    int64_t bestIdx = y0 * w.inW + x0;
                    for (int64_t y = y0; y < y1; ++y)
                        for (int64_t xx = x0; xx < x1; ++xx) {
                            const float v = plane[y * w.inW + xx];
                            if (v > best) {
                                best = v;
                                bestIdx = y * w.inW + xx;
                            }
                        }
                    o[oy * w.outW + ox] = best;
                    a[oy * w.outW + ox] = static_cast<int32_t>(bestIdx);
                }
            }
        }
    };
    parallelRange(ctx.backend, planes, std::max<int64_t>(1, 4096 / std::max<int64_t>(1, inPlane)), run);
}

void MaxPool2DLayer::backward(const RunContext& ctx, const std::vector<const Tensor*>& in, const Tensor&,
    const Tensor& gradOut, const std::vector<Tensor*>& gradIn)
{
    if (gradIn.empty() || !gradIn[0])
        return;
    const Window2D& w = m_window;
    const int64_t planes = in[0]->shape()[0] * m_channels;
    const int64_t inPlane = w.inH * w.inW, outPlane = w.outH * w.outW;
    float* dx = gradIn[0]->data();
    const float* dy = gradOut.data();
    const int32_t* arg = m_argmax.data();
    auto run = [&](int64_t p0, int64_t p1) {
        std::memset(dx + p0 * inPlane, 0, sizeof(float) * static_cast<size_t>((p1 - p0) * inPlane));
        for (int64_t pl = p0; pl < p1; ++pl) {
            float* g = dx + pl * inPlane;
            const float* d = dy + pl * outPlane;
            const int32_t* a = arg + pl * outPlane;
            for (int64_t i = 0; i < outPlane; ++i)
                g[a[i]] += d[i];
        }
    };
    parallelRange(ctx.backend, planes, std::max<int64_t>(1, 4096 / std::max<int64_t>(1, inPlane)), run);
}

void registerMaxPool2D(LayerRegistry& registry)
{
    LayerInfo info;
    info.type = "MaxPool2D";
    info.category = "Pooling";
    info.doc = "Keeps the largest value of each window: shrinks feature maps and tolerates small shifts";
    info.params = Pool2DBase::poolParams();
    info.create
        = [](const std::string& name, const LayerParams& p) { return std::make_unique<MaxPool2DLayer>(name, p); };
    registry.add(std::move(info));
}

} // namespace netcanvas
