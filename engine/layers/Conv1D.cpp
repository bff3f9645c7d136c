#include "engine/layers/Conv1D.h"

#include "engine/layers/Initializers.h"

namespace netcanvas {

Conv1DLayer::Conv1DLayer(std::string name, LayerParams params)
    : BuiltinLayer("Conv1D", std::move(name), std::move(params))
{
    m_filters = m_params.getInt("filters");
    m_kernel = m_params.getInt("kernel");
    m_stride = m_params.getInt("stride");
    m_padding = m_params.getString("padding");
    m_bias = m_params.getBool("bias");
}

Window1D Conv1DLayer::window(const std::vector<Shape>& inputs, SequenceDims& dims) const
{
    requireInputCount(inputs, 1);
    if (!sequenceDims(inputs[0], dims))
        fail(inputs, "Conv1D needs a sequence of steps×features (T×F)");
    Window1D w;
    const std::string why = computeWindow1D(dims.steps, m_kernel, m_stride, m_padding, w);
    if (!why.empty())
        fail(inputs, why);
    return w;
}

Shape Conv1DLayer::outputShape(const std::vector<Shape>& inputs) const
{
    SequenceDims d;
    return Shape { window(inputs, d).outSteps, m_filters };
}

int64_t Conv1DLayer::paramCount(const std::vector<Shape>& inputs) const
{
    SequenceDims d;
    window(inputs, d);
    return m_filters * d.features * m_kernel + (m_bias ? m_filters : 0);
}

int64_t Conv1DLayer::flops(const std::vector<Shape>& inputs) const
{
    SequenceDims d;
    const Window1D w = window(inputs, d);
    return w.outSteps * m_filters * (2 * d.features * m_kernel + (m_bias ? 1 : 0));
}

void Conv1DLayer::build(const std::vector<Shape>& inputs, Rng& rng)
{
    m_window = window(inputs, m_dims);
    Parameter& w = addParameter("weight", Shape { m_filters, m_dims.features, m_kernel });
    initializeWeights(w.value, m_params.getString("init"), m_dims.features * m_kernel, m_filters * m_kernel,
        m_params.getFloat("init_std"), rng);
    if (m_bias)
        addParameter("bias", Shape { m_filters }, true, false);
    m_conv.reset();
}

ConvPrimitive& Conv1DLayer::primitive(Backend& backend)
{
    return ensurePrimitive(m_conv, m_convBackend, backend, [this](Backend& b) {
        m_xT = Tensor(b.allocator());
        m_yT = Tensor(b.allocator());
        m_dxT = Tensor(b.allocator());
        ConvDesc desc;
        WindowDesc& w = desc.window;
        w.channels = m_dims.features;
        w.height = 1;
        w.width = m_dims.steps;
        w.kernelH = 1;
        w.kernelW = m_kernel;
        w.strideH = 1;
        w.strideW = m_stride;
        w.padLeft = m_window.padFront;
        w.padRight = m_window.padBack;
        w.outH = 1;
        w.outW = m_window.outSteps;
        desc.filters = m_filters;
        desc.bias = m_bias;
        return b.createConv(desc);
    });
}

void Conv1DLayer::forward(const RunContext& ctx, const std::vector<const Tensor*>& in, Tensor& out)
{
    const Tensor& x = *in[0];
    const int64_t n = x.shape()[0], T = m_dims.steps, F = m_dims.features, T2 = m_window.outSteps;
    Backend& b = ctx.backend;
    ConvPrimitive& conv = primitive(b);
    m_xT.resize(Shape { n, F, 1, T });
    m_yT.resize(Shape { n, m_filters, 1, T2 });
    b.transpose(x.data(), m_xT.data(), n, T, F);
    const float* bias = m_bias ? m_parameters[1].value.data() : nullptr;
    conv.forward(n, m_xT.data(), m_parameters[0].value.data(), bias, m_yT.data(), ctx.training);
    b.transpose(m_yT.data(), out.data(), n, m_filters, T2);
}

void Conv1DLayer::backward(const RunContext& ctx, const std::vector<const Tensor*>& in, const Tensor&,
    const Tensor& gradOut, const std::vector<Tensor*>& gradIn)
{
    const Tensor& x = *in[0];
    const int64_t n = x.shape()[0], T = m_dims.steps, F = m_dims.features, T2 = m_window.outSteps;
    Backend& b = ctx.backend;
    ConvPrimitive& conv = primitive(b);
    Tensor* dx = gradIn.empty() ? nullptr : gradIn[0];
    m_yT.resize(Shape { n, m_filters, 1, T2 }); // now dL/dy, channels-first
    b.transpose(gradOut.data(), m_yT.data(), n, T2, m_filters);
    if (dx)
        m_dxT.resize(Shape { n, F, 1, T });
    Parameter& w = m_parameters[0];
    float* db = m_bias ? m_parameters[1].grad.data() : nullptr;
    conv.backward(n, m_xT.data(), w.value.data(), m_yT.data(), dx ? m_dxT.data() : nullptr, w.grad.data(), db);
    if (dx)
        b.transpose(m_dxT.data(), dx->data(), n, F, T);
}

void registerConv1D(LayerRegistry& registry)
{
    LayerInfo info;
    info.type = "Conv1D";
    info.category = "Sequence";
    info.doc = "Slides learned filters along time over a steps×features sequence; each filter gives one output feature";
    info.params = {
        intParam("filters", 32, 1, 65536, "Number of filters, i.e. output features per step"),
        intParam("kernel", 3, 1, 4096, "Filter length in steps"),
        intParam("stride", 1, 1, 4096, "Step between neighbouring windows; 2 halves the output length"),
        choiceParam("padding", "valid", { "valid", "same" },
            "valid: no padding (output shrinks); same: zero-pad so output = ceil(steps/stride)"),
        boolParam("bias", true, "Add a learned bias to each filter"),
    };
    for (auto& p : initializerParams())
        info.params.push_back(std::move(p));
    info.create = [](const std::string& name, const LayerParams& p) { return std::make_unique<Conv1DLayer>(name, p); };
    registry.add(std::move(info));
}

} // namespace netcanvas
