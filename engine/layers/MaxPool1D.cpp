#include "engine/layers/MaxPool1D.h"

namespace netcanvas {

MaxPool1DLayer::MaxPool1DLayer(std::string name, LayerParams params)
    : BuiltinLayer("MaxPool1D", std::move(name), std::move(params))
{
    m_pool = m_params.getInt("pool");
    m_stride = m_params.getInt("stride");
    if (m_stride == 0)
        m_stride = m_pool;
    m_padding = m_params.getString("padding");
}

Window1D MaxPool1DLayer::window(const std::vector<Shape>& inputs, SequenceDims& dims) const
{
    requireInputCount(inputs, 1);
    if (!sequenceDims(inputs[0], dims))
        fail(inputs, "MaxPool1D needs a sequence of steps×features (T×F)");
    Window1D w;
    const std::string why = computeWindow1D(dims.steps, m_pool, m_stride, m_padding, w);
    if (!why.empty())
        fail(inputs, why);
    return w;
}

Shape MaxPool1DLayer::outputShape(const std::vector<Shape>& inputs) const
{
    SequenceDims d;
    const Window1D w = window(inputs, d);
    return Shape { w.outSteps, d.features };
}

int64_t MaxPool1DLayer::flops(const std::vector<Shape>& inputs) const
{
    SequenceDims d;
    const Window1D w = window(inputs, d);
    return w.outSteps * d.features * m_pool;
}

void MaxPool1DLayer::build(const std::vector<Shape>& inputs, Rng&)
{
    m_window = window(inputs, m_dims);
    m_prim.reset();
}

PoolPrimitive& MaxPool1DLayer::primitive(Backend& backend)
{
    return ensurePrimitive(m_prim, m_primBackend, backend, [this](Backend& b) {
        PoolDesc desc;
        desc.kind = PoolKind::Max;
        WindowDesc& w = desc.window;
        w.channels = 1;
        w.height = m_dims.steps;
        w.width = m_dims.features;
        w.kernelH = m_pool;
        w.kernelW = 1;
        w.strideH = m_stride;
        w.strideW = 1;
        w.padTop = m_window.padFront;
        w.padBottom = m_window.padBack;
        w.outH = m_window.outSteps;
        w.outW = m_dims.features;
        return b.createPool(desc);
    });
}

void MaxPool1DLayer::forward(const RunContext& ctx, const std::vector<const Tensor*>& in, Tensor& out)
{
    primitive(ctx.backend).forward(in[0]->shape()[0], in[0]->data(), out.data(), ctx.training);
}

void MaxPool1DLayer::backward(const RunContext& ctx, const std::vector<const Tensor*>& in, const Tensor& out,
    const Tensor& gradOut, const std::vector<Tensor*>& gradIn)
{
    if (gradIn.empty() || !gradIn[0])
        return;
    primitive(ctx.backend).backward(in[0]->shape()[0], in[0]->data(), out.data(), gradOut.data(), gradIn[0]->data());
}

void registerMaxPool1D(LayerRegistry& registry)
{
    LayerInfo info;
    info.type = "MaxPool1D";
    info.category = "Sequence";
    info.doc = "Keeps the largest value of each feature over windows of steps: shortens a sequence";
    info.params = { intParam("pool", 2, 1, 4096, "Window length in steps"),
        intParam("stride", 0, 0, 4096, "Step between windows; 0 means the same as pool (no overlap)"),
        choiceParam("padding", "valid", { "valid", "same" },
            "valid: windows stay inside the sequence; same: pad so output = ceil(steps/stride)") };
    info.create
        = [](const std::string& name, const LayerParams& p) { return std::make_unique<MaxPool1DLayer>(name, p); };
    registry.add(std::move(info));
}

} // namespace netcanvas
