#include "engine/layers/Dropout.h"

namespace netcanvas {

DropoutLayer::DropoutLayer(std::string name, LayerParams params)
    : BuiltinLayer("Dropout", std::move(name), std::move(params))
{
    m_rate = static_cast<float>(m_params.getFloat("rate"));
}

Shape DropoutLayer::outputShape(const std::vector<Shape>& inputs) const
{
    requireInputCount(inputs, 1);
    return inputs[0];
}

int64_t DropoutLayer::flops(const std::vector<Shape>& inputs) const
{
    return inputs.at(0).numel();
}

void DropoutLayer::forward(const RunContext& ctx, const std::vector<const Tensor*>& in, Tensor& out)
{
    const Tensor& x = *in[0];
    m_masked = ctx.training && m_rate > 0.0f;
    if (!m_masked) {
        ctx.backend.copy(out.data(), x.data(), x.size());
        return;
    }
    if (!ctx.rng)
        throw Error(prefix() + "training needs a random generator (RunContext::rng is null)");
    // One draw from the network's generator seeds this batch's mask (kernels::dropoutMask),
    // so every backend drops the same elements.
    const uint64_t seed = ctx.rng->nextU64();
    DropoutPrimitive& dropout
        = ensurePrimitive(m_dropout, m_dropoutBackend, ctx.backend, [](Backend& b) { return b.createDropout(); });
    dropout.forward(x.size(), x.data(), out.data(), m_rate, seed);
}

void DropoutLayer::backward(const RunContext& ctx, const std::vector<const Tensor*>&, const Tensor&,
    const Tensor& gradOut, const std::vector<Tensor*>& gradIn)
{
    if (gradIn.empty() || !gradIn[0])
        return;
    if (!m_masked || !m_dropout || m_dropoutBackend != &ctx.backend) {
        ctx.backend.copy(gradIn[0]->data(), gradOut.data(), gradOut.size());
        return;
    }
    m_dropout->backward(gradOut.size(), gradOut.data(), gradIn[0]->data());
}

void registerDropout(LayerRegistry& registry)
{
    LayerInfo info;
    info.type = "Dropout";
    info.category = "Regularization";
    info.doc
        = "While training, randomly zeroes a fraction `rate` of values (and rescales the rest) to fight overfitting";
    info.params = { floatParam("rate", 0.5, 0.0, 0.999, "Fraction of values dropped during training (0 = off)") };
    info.create = [](const std::string& name, const LayerParams& p) { return std::make_unique<DropoutLayer>(name, p); };
    registry.add(std::move(info));
}

} // namespace netcanvas
