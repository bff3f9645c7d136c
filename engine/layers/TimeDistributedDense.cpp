#include "engine/layers/TimeDistributedDense.h"

#include "engine/layers/Initializers.h"

namespace netcanvas {

TimeDistributedDenseLayer::TimeDistributedDenseLayer(std::string name, LayerParams params)
    : BuiltinLayer("TimeDistributedDense", std::move(name), std::move(params))
{
    m_units = m_params.getInt("units");
    m_bias = m_params.getBool("bias");
}

SequenceDims TimeDistributedDenseLayer::dims(const std::vector<Shape>& inputs) const
{
    requireInputCount(inputs, 1);
    SequenceDims d;
    if (!sequenceDims(inputs[0], d))
        fail(inputs, "TimeDistributedDense needs a sequence of steps×features (T×F); use Dense for a flat input");
    return d;
}

Shape TimeDistributedDenseLayer::outputShape(const std::vector<Shape>& inputs) const
{
    return Shape { dims(inputs).steps, m_units };
}

int64_t TimeDistributedDenseLayer::paramCount(const std::vector<Shape>& inputs) const
{
    return m_units * dims(inputs).features + (m_bias ? m_units : 0);
}

int64_t TimeDistributedDenseLayer::flops(const std::vector<Shape>& inputs) const
{
    const SequenceDims d = dims(inputs);
    return d.steps * (2 * m_units * d.features + (m_bias ? m_units : 0));
}

void TimeDistributedDenseLayer::build(const std::vector<Shape>& inputs, Rng& rng)
{
    m_dims = dims(inputs);
    Parameter& w = addParameter("weight", Shape { m_units, m_dims.features });
    initializeWeights(
        w.value, m_params.getString("init"), m_dims.features, m_units, m_params.getFloat("init_std"), rng);
    if (m_bias)
        addParameter("bias", Shape { m_units }, true, false);
}

void TimeDistributedDenseLayer::forward(const RunContext& ctx, const std::vector<const Tensor*>& in, Tensor& out)
{
    const int64_t rows = in[0]->shape()[0] * m_dims.steps, F = m_dims.features;
    Backend& b = ctx.backend;
    b.gemm(false, true, rows, m_units, F, 1.0f, in[0]->data(), F, m_parameters[0].value.data(), F, 0.0f, out.data(),
        m_units);
    if (m_bias)
        b.addBias(out.data(), m_parameters[1].value.data(), rows, m_units, 1);
}

void TimeDistributedDenseLayer::backward(const RunContext& ctx, const std::vector<const Tensor*>& in, const Tensor&,
    const Tensor& gradOut, const std::vector<Tensor*>& gradIn)
{
    const int64_t rows = in[0]->shape()[0] * m_dims.steps, F = m_dims.features;
    Backend& b = ctx.backend;
    Parameter& w = m_parameters[0];
    b.gemm(true, false, m_units, F, rows, 1.0f, gradOut.data(), m_units, in[0]->data(), F, 0.0f, w.grad.data(), F);
    if (m_bias)
        b.biasGradient(gradOut.data(), m_parameters[1].grad.data(), rows, m_units, 1);
    if (!gradIn.empty() && gradIn[0])
        b.gemm(false, false, rows, F, m_units, 1.0f, gradOut.data(), m_units, w.value.data(), F, 0.0f,
            gradIn[0]->data(), F);
}

void registerTimeDistributedDense(LayerRegistry& registry)
{
    LayerInfo info;
    info.type = "TimeDistributedDense";
    info.category = "Sequence";
    info.doc = "The same Dense layer applied to every step: steps×features becomes steps×units";
    info.params = { intParam("units", 10, 1, 1 << 24, "Number of output units per step"),
        boolParam("bias", true, "Add a learned bias to each unit") };
    for (auto& p : initializerParams())
        info.params.push_back(std::move(p));
    info.create = [](const std::string& name, const LayerParams& p) {
        return std::make_unique<TimeDistributedDenseLayer>(name, p);
    };
    registry.add(std::move(info));
}

} // namespace netcanvas
