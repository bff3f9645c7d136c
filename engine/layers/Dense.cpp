#include "engine/layers/Dense.h"

#include "engine/core/Limits.h"
#include "engine/layers/Initializers.h"

namespace netcanvas {

DenseLayer::DenseLayer(std::string name, LayerParams params)
    : BuiltinLayer("Dense", std::move(name), std::move(params))
{
    m_units = m_params.getInt("units");
    m_bias = m_params.getBool("bias");
}

Shape DenseLayer::outputShape(const std::vector<Shape>& inputs) const
{
    requireInputCount(inputs, 1);
    if (inputs[0].rank() == 0 || inputs[0].numel() <= 0)
        fail(inputs, "needs at least one input feature");
    return Shape { m_units };
}

int64_t DenseLayer::paramCount(const std::vector<Shape>& inputs) const
{
    outputShape(inputs); // validates
    return limits::product(name() + " (Dense): parameters", m_units, inputs.at(0).numel()) + (m_bias ? m_units : 0);
}

int64_t DenseLayer::flops(const std::vector<Shape>& inputs) const
{
    outputShape(inputs);
    return limits::product(name() + " (Dense): FLOPs", 2, m_units, inputs.at(0).numel()) + (m_bias ? m_units : 0);
}

void DenseLayer::build(const std::vector<Shape>& inputs, Rng& rng)
{
    outputShape(inputs);
    m_inFeatures = inputs[0].numel();
    Parameter& w = addParameter("weight", Shape { m_units, m_inFeatures });
    initializeWeights(w.value, m_params.getString("init"), m_inFeatures, m_units, m_params.getFloat("init_std"), rng);
    if (m_bias)
        addParameter("bias", Shape { m_units }, true, false);
}

void DenseLayer::forward(const RunContext& ctx, const std::vector<const Tensor*>& in, Tensor& out)
{
    const Tensor& x = *in[0];
    const int64_t n = x.shape()[0];
    Backend& backend = ctx.backend;
    backend.gemm(false, true, n, m_units, m_inFeatures, 1.0f, x.data(), m_inFeatures, m_parameters[0].value.data(),
        m_inFeatures, 0.0f, out.data(), m_units);
    if (m_bias)
        backend.addBias(out.data(), m_parameters[1].value.data(), n, m_units, 1);
}

void DenseLayer::backward(const RunContext& ctx, const std::vector<const Tensor*>& in, const Tensor&,
    const Tensor& gradOut, const std::vector<Tensor*>& gradIn)
{
    const Tensor& x = *in[0];
    const int64_t n = x.shape()[0];
    Backend& backend = ctx.backend;
    Parameter& w = m_parameters[0];
    backend.gemm(true, false, m_units, m_inFeatures, n, 1.0f, gradOut.data(), m_units, x.data(), m_inFeatures, 0.0f,
        w.grad.data(), m_inFeatures);
    if (m_bias)
        backend.biasGradient(gradOut.data(), m_parameters[1].grad.data(), n, m_units, 1);
    if (!gradIn.empty() && gradIn[0])
        backend.gemm(false, false, n, m_inFeatures, m_units, 1.0f, gradOut.data(), m_units, w.value.data(),
            m_inFeatures, 0.0f, gradIn[0]->data(), m_inFeatures);
}

void registerDense(LayerRegistry& registry)
{
    LayerInfo info;
    info.type = "Dense";
    info.category = "Core";
    info.doc = "Fully connected layer: every output unit is a weighted sum of all inputs plus a bias";
    info.params = { intParam("units", 10, 1, 1 << 24, "Number of output units (neurons)"),
        boolParam("bias", true, "Add a learned bias to each unit") };
    for (auto& p : initializerParams())
        info.params.push_back(std::move(p));
    info.create = [](const std::string& name, const LayerParams& p) { return std::make_unique<DenseLayer>(name, p); };
    registry.add(std::move(info));
}

} // namespace netcanvas
