#include "engine/layers/AvgPool2D.h"

#include <algorithm>
#include <cstring>

namespace netcanvas {

void AvgPool2DLayer::forward(const RunContext& ctx, const std::vector<const Tensor*>& in, Tensor& out)
{
    const Tensor& x = *in[0];
    const Window2D& w = m_window;
    const int64_t planes = x.shape()[0] * m_channels;
    const int64_t inPlane = w.inH * w.inW, outPlane = w.outH * w.outW;
    const float* src = x.data();
    float* dst = out.data();
    auto run = [&](int64_t p0, int64_t p1) {
        for (int64_t pl = p0; pl < p1; ++pl) {
            const float* plane = src + pl * inPlane;
            float* o = dst + pl * outPlane;
            for (int64_t oy = 0; oy < w.outH; ++oy) {
                const int64_t y0 = std::max<int64_t>(oy * w.stride - w.padTop, 0);
                const int64_t y1 = std::min<int64_t>(oy * w.stride - w.padTop + w.kernel, w.inH);
                for (int64_t ox = 0; ox < w.outW; ++ox) {
                    const int64_t x0 = std::max<int64_t>(ox * w.stride - w.padLeft, 0);
                    const int64_t x1 = std::min<int64_t>(ox * w.stride - w.padLeft + w.kernel, w.inW);
                    float acc = 0.0f;
                    for (int64_t y = y0; y < y1; ++y)
                        for (int64_t xx = x0; xx < x1; ++xx)
                            acc += plane[y * w.inW + xx];
                    const int64_t count = (y1 - y0) * (x1 - x0);
                    o[oy * w.outW + ox] = count > 0 ? acc / static_cast<float>(count) : 0.0f;
                }
            }
        }
    };
    parallelRange(ctx.backend, planes, std::max<int64_t>(1, 4096 / std::max<int64_t>(1, inPlane)), run);
}

void AvgPool2DLayer::backward(const RunContext& ctx, const std::vector<const Tensor*>& in, const Tensor&,
    const Tensor& gradOut, const std::vector<Tensor*>& gradIn)
{
    if (gradIn.empty() || !gradIn[0])
        return;
    const Window2D& w = m_window;
    const int64_t planes = in[0]->shape()[0] * m_channels;
    const int64_t inPlane = w.inH * w.inW, outPlane = w.outH * w.outW;
    float* dx = gradIn[0]->data();
    const float* dy = gradOut.data();
    auto run = [&](int64_t p0, int64_t p1) {
        std::memset(dx + p0 * inPlane, 0, sizeof(float) * static_cast<size_t>((p1 - p0) * inPlane));
        for (int64_t pl = p0; pl < p1; ++pl) {
            float* g = dx + pl * inPlane;
            const float* d = dy + pl * outPlane;
            for (int64_t oy = 0; oy < w.outH; ++oy) {
                const int64_t y0 = std::max<int64_t>(oy * w.stride - w.padTop, 0);
                const int64_t y1 = std::min<int64_t>(oy * w.stride - w.padTop + w.kernel, w.inH);
                for (int64_t ox = 0; ox < w.outW; ++ox) {
                    const int64_t x0 = std::max<int64_t>(ox * w.stride - w.padLeft, 0);
                    const int64_t x1 = std::min<int64_t>(ox * w.stride - w.padLeft + w.kernel, w.inW);
                    const int64_t count = (y1 - y0) * (x1 - x0);
                    if (count <= 0)
                        continue;
                    const float share = d[oy * w.outW + ox] / static_cast<float>(count);
                    for (int64_t y = y0; y < y1; ++y)
                        for (int64_t xx = x0; xx < x1; ++xx)
                            g[y * w.inW + xx] += share;
                }
            }
        }
    };
    parallelRange(ctx.backend, planes, std::max<int64_t>(1, 4096 / std::max<int64_t>(1, inPlane)), run);
}

void registerAvgPool2D(LayerRegistry& registry)
{
    LayerInfo info;
    info.type = "AvgPool2D";
    info.category = "Pooling";
    info.doc = "Averages each window: shrinks feature maps smoothly (padding cells are not counted)";
    info.params = Pool2DBase::poolParams();
    info.create
        = [](const std::string& name, const LayerParams& p) { return std::make_unique<AvgPool2DLayer>(name, p); };
    registry.add(std::move(info));
}

} // namespace netcanvas
