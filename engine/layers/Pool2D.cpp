#include "engine/layers/Pool2D.h"

#include <algorithm>

namespace netcanvas {

Pool2DBase::Pool2DBase(std::string type, std::string name, LayerParams params, PoolKind kind)
    : BuiltinLayer(std::move(type), std::move(name), std::move(params))
    , m_kind(kind)
{
    m_pool = m_params.getInt("pool");
    m_stride = m_params.getInt("stride");
    if (m_stride == 0)
        m_stride = m_pool;
    m_padding = m_params.getString("padding");
}

Window2D Pool2DBase::window(const Shape& in) const
{
    if (in.rank() != 3)
        fail({ in }, type() + " needs a channels×height×width input");
    Window2D w;
    const std::string why = computeWindow2D(in[1], in[2], m_pool, m_stride, m_padding, 0, in.toString(), w);
    if (!why.empty())
        fail(why);
    return w;
}

Shape Pool2DBase::outputShape(const std::vector<Shape>& inputs) const
{
    requireInputCount(inputs, 1);
    const Window2D w = window(inputs[0]);
    return Shape { inputs[0][0], w.outH, w.outW };
}

int64_t Pool2DBase::flops(const std::vector<Shape>& inputs) const
{
    outputShape(inputs);
    const Window2D w = window(inputs[0]);
    return inputs[0][0] * w.outH * w.outW * m_pool * m_pool;
}

void Pool2DBase::build(const std::vector<Shape>& inputs, Rng&)
{
    outputShape(inputs);
    m_window = window(inputs[0]);
    m_channels = inputs[0][0];
    m_pool2d.reset();
}

PoolPrimitive& Pool2DBase::primitive(Backend& backend)
{
    return ensurePrimitive(m_pool2d, m_poolBackend, backend, [this](Backend& b) {
        PoolDesc desc;
        desc.kind = m_kind;
        desc.window = toWindowDesc(m_window, m_channels);
        return b.createPool(desc);
    });
}

void Pool2DBase::forward(const RunContext& ctx, const std::vector<const Tensor*>& in, Tensor& out)
{
    primitive(ctx.backend).forward(in[0]->shape()[0], in[0]->data(), out.data(), ctx.training);
}

void Pool2DBase::backward(const RunContext& ctx, const std::vector<const Tensor*>& in, const Tensor& out,
    const Tensor& gradOut, const std::vector<Tensor*>& gradIn)
{
    if (gradIn.empty() || !gradIn[0])
        return;
    primitive(ctx.backend).backward(in[0]->shape()[0], in[0]->data(), out.data(), gradOut.data(), gradIn[0]->data());
}

std::vector<ParamSpec> Pool2DBase::poolParams()
{
    return { intParam("pool", 2, 1, 1024, "Window size (square pool×pool)"),
        intParam("stride", 0, 0, 1024, "Step between windows; 0 means the same as pool (no overlap)"),
        choiceParam("padding", "valid", { "valid", "same" },
            "valid: windows stay inside the input; same: pad so output = ceil(input/stride)") };
}

} // namespace netcanvas
