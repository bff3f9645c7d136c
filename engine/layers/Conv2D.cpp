#include "engine/layers/Conv2D.h"

#include "engine/core/Limits.h"
#include "engine/layers/Initializers.h"

namespace netcanvas {

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
    return limits::product(name() + " (Conv2D): parameters", m_filters, inputs.at(0)[0], m_kernel, m_kernel)
        + (m_bias ? m_filters : 0);
}

int64_t Conv2DLayer::flops(const std::vector<Shape>& inputs) const
{
    outputShape(inputs);
    const Window2D w = window(inputs[0]);
    const int64_t positions = w.outH * w.outW;
    const int64_t perOutput = limits::product(name() + " (Conv2D): FLOPs", 2, inputs[0][0], m_kernel, m_kernel);
    return limits::product(name() + " (Conv2D): FLOPs", positions, m_filters, perOutput + (m_bias ? 1 : 0));
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
    m_conv.reset();
}

ConvPrimitive& Conv2DLayer::primitive(Backend& backend)
{
    return ensurePrimitive(m_conv, m_convBackend, backend, [this](Backend& b) {
        ConvDesc desc;
        desc.window = toWindowDesc(m_window, m_channels);
        desc.filters = m_filters;
        desc.bias = m_bias;
        return b.createConv(desc);
    });
}

void Conv2DLayer::forward(const RunContext& ctx, const std::vector<const Tensor*>& in, Tensor& out)
{
    const Tensor& x = *in[0];
    const float* bias = m_bias ? m_parameters[1].value.data() : nullptr;
    primitive(ctx.backend)
        .forward(x.shape()[0], x.data(), m_parameters[0].value.data(), bias, out.data(), ctx.training);
}

void Conv2DLayer::backward(const RunContext& ctx, const std::vector<const Tensor*>& in, const Tensor&,
    const Tensor& gradOut, const std::vector<Tensor*>& gradIn)
{
    const Tensor& x = *in[0];
    Tensor* dx = gradIn.empty() ? nullptr : gradIn[0];
    Parameter& w = m_parameters[0];
    float* db = m_bias ? m_parameters[1].grad.data() : nullptr;
    primitive(ctx.backend)
        .backward(x.shape()[0], x.data(), w.value.data(), gradOut.data(), dx ? dx->data() : nullptr, w.grad.data(), db);
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
