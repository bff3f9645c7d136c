#include "engine/layers/GlobalAvgPool2D.h"

#include <algorithm>

namespace netcanvas {

Shape GlobalAvgPool2DLayer::outputShape(const std::vector<Shape>& inputs) const
{
    requireInputCount(inputs, 1);
    if (inputs[0].rank() != 3)
        fail(inputs, "GlobalAvgPool2D needs a channels×height×width input");
    return Shape { inputs[0][0] };
}

int64_t GlobalAvgPool2DLayer::flops(const std::vector<Shape>& inputs) const
{
    return inputs.at(0).numel();
}

void GlobalAvgPool2DLayer::forward(const RunContext& ctx, const std::vector<const Tensor*>& in, Tensor& out)
{
    const Tensor& x = *in[0];
    const int64_t planes = x.shape()[0] * x.shape()[1];
    const int64_t area = x.shape()[2] * x.shape()[3];
    const float* src = x.data();
    float* dst = out.data();
    const float inv = 1.0f / static_cast<float>(area);
    parallelRange(ctx.backend, planes, std::max<int64_t>(1, 16384 / area), [src, dst, area, inv](int64_t b, int64_t e) {
        for (int64_t p = b; p < e; ++p) {
            const float* s = src + p * area;
            float acc = 0.0f;
            for (int64_t i = 0; i < area; ++i)
                acc += s[i];
            dst[p] = acc * inv;
        }
    });
}

void GlobalAvgPool2DLayer::backward(const RunContext& ctx, const std::vector<const Tensor*>& in, const Tensor&,
    const Tensor& gradOut, const std::vector<Tensor*>& gradIn)
{
    if (gradIn.empty() || !gradIn[0])
        return;
    const Tensor& x = *in[0];
    const int64_t planes = x.shape()[0] * x.shape()[1];
    const int64_t area = x.shape()[2] * x.shape()[3];
    const float* dy = gradOut.data();
    float* dx = gradIn[0]->data();
    const float inv = 1.0f / static_cast<float>(area);
    parallelRange(ctx.backend, planes, std::max<int64_t>(1, 16384 / area), [dy, dx, area, inv](int64_t b, int64_t e) {
        for (int64_t p = b; p < e; ++p) {
            const float g = dy[p] * inv;
            float* d = dx + p * area;
            for (int64_t i = 0; i < area; ++i)
                d[i] = g;
        }
    });
}

void registerGlobalAvgPool2D(LayerRegistry& registry)
{
    LayerInfo info;
    info.type = "GlobalAvgPool2D";
    info.category = "Pooling";
    info.doc = "Averages each whole feature map to one number: channels×height×width becomes channels";
    info.create
        = [](const std::string& name, const LayerParams& p) { return std::make_unique<GlobalAvgPool2DLayer>(name, p); };
    registry.add(std::move(info));
}

} // namespace netcanvas
