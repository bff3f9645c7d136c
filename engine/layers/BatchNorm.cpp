#include "engine/layers/BatchNorm.h"

namespace netcanvas {

namespace {
enum { Gamma = 0, Beta = 1, RunningMean = 2, RunningVar = 3 };
} // namespace

BatchNormLayer::BatchNormLayer(std::string name, LayerParams params)
    : BuiltinLayer("BatchNorm", std::move(name), std::move(params))
{
    m_momentum = m_params.getFloat("momentum");
    m_epsilon = m_params.getFloat("epsilon");
}

Shape BatchNormLayer::outputShape(const std::vector<Shape>& inputs) const
{
    requireInputCount(inputs, 1);
    if (inputs[0].rank() == 0 || inputs[0].numel() <= 0)
        fail(inputs, "needs features {F} or channels×height×width");
    return inputs[0];
}

int64_t BatchNormLayer::paramCount(const std::vector<Shape>& inputs) const
{
    outputShape(inputs); // validates
    return 4 * inputs[0][0];
}

int64_t BatchNormLayer::flops(const std::vector<Shape>& inputs) const
{
    return 2 * inputs.at(0).numel();
}

void BatchNormLayer::build(const std::vector<Shape>& inputs, Rng&)
{
    outputShape(inputs);
    m_channels = inputs[0][0];
    m_inner = inputs[0].numel() / m_channels;
    addParameter("gamma", Shape { m_channels }, true, false).value.fill(1.0f);
    addParameter("beta", Shape { m_channels }, true, false);
    addParameter("running_mean", Shape { m_channels }, false, false);
    addParameter("running_var", Shape { m_channels }, false, false).value.fill(1.0f);
    m_norm.reset();
}

void BatchNormLayer::forward(const RunContext& ctx, const std::vector<const Tensor*>& in, Tensor& out)
{
    BatchNormPrimitive& norm = ensurePrimitive(m_norm, m_normBackend, ctx.backend, [this](Backend& b) {
        BatchNormDesc desc;
        desc.channels = m_channels;
        desc.spatial = m_inner;
        desc.epsilon = m_epsilon;
        desc.momentum = m_momentum;
        return b.createBatchNorm(desc);
    });
    const Tensor& x = *in[0];
    norm.forward(x.shape()[0], x.data(), out.data(), m_parameters[Gamma].value.data(), m_parameters[Beta].value.data(),
        m_parameters[RunningMean].value.data(), m_parameters[RunningVar].value.data(), ctx.training);
}

void BatchNormLayer::backward(const RunContext& ctx, const std::vector<const Tensor*>& in, const Tensor&,
    const Tensor& gradOut, const std::vector<Tensor*>& gradIn)
{
    if (!m_norm || m_normBackend != &ctx.backend)
        throw Error(prefix() + "backward without a forward on this backend");
    const Tensor& x = *in[0];
    float* dx = (gradIn.empty() || !gradIn[0]) ? nullptr : gradIn[0]->data();
    m_norm->backward(x.shape()[0], x.data(), gradOut.data(), m_parameters[Gamma].value.data(), dx,
        m_parameters[Gamma].grad.data(), m_parameters[Beta].grad.data());
}

void registerBatchNorm(LayerRegistry& registry)
{
    LayerInfo info;
    info.type = "BatchNorm";
    info.category = "Normalization";
    info.doc = "Normalizes each feature/channel over the batch, then rescales it: steadier, faster training";
    info.params = { floatParam("momentum", 0.1, 0.0, 1.0,
                        "Weight of the current batch in the running statistics (PyTorch convention)"),
        floatParam("epsilon", 1e-5, 1e-12, 1.0, "Small number added to the variance to avoid division by zero") };
    info.create
        = [](const std::string& name, const LayerParams& p) { return std::make_unique<BatchNormLayer>(name, p); };
    registry.add(std::move(info));
}

} // namespace netcanvas
