#include "engine/layers/GlobalAvgPool2D.h"

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

PoolPrimitive& GlobalAvgPool2DLayer::primitive(Backend& backend, const Shape& batch)
{
    const Shape sample = batch.perSample();
    if (sample != m_poolShape)
        m_pool.reset();
    m_poolShape = sample;
    return ensurePrimitive(m_pool, m_poolBackend, backend, [&sample](Backend& b) {
        PoolDesc desc;
        desc.kind = PoolKind::Average;
        WindowDesc& w = desc.window;
        w.channels = sample[0];
        w.height = w.kernelH = w.strideH = sample[1];
        w.width = w.kernelW = w.strideW = sample[2];
        w.outH = w.outW = 1;
        return b.createPool(desc);
    });
}

void GlobalAvgPool2DLayer::forward(const RunContext& ctx, const std::vector<const Tensor*>& in, Tensor& out)
{
    const Tensor& x = *in[0];
    primitive(ctx.backend, x.shape()).forward(x.shape()[0], x.data(), out.data(), ctx.training);
}

void GlobalAvgPool2DLayer::backward(const RunContext& ctx, const std::vector<const Tensor*>& in, const Tensor& out,
    const Tensor& gradOut, const std::vector<Tensor*>& gradIn)
{
    if (gradIn.empty() || !gradIn[0])
        return;
    const Tensor& x = *in[0];
    primitive(ctx.backend, x.shape()).backward(x.shape()[0], x.data(), out.data(), gradOut.data(), gradIn[0]->data());
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
