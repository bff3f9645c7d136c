#include "engine/layers/Dropout.h"

#include <algorithm>

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
    const int64_t n = x.size();
    m_masked = ctx.training && m_rate > 0.0f;
    if (!m_masked) {
        std::copy(x.data(), x.data() + n, out.data());
        return;
    }
    if (!ctx.rng)
        throw Error(prefix() + "training needs a random generator (RunContext::rng is null)");
    Rng& rng = *ctx.rng;
    m_mask.resize(x.shape());
    float* mask = m_mask.data();
    const float scale = 1.0f / (1.0f - m_rate);
    // 24-bit threshold: keep when the uniform draw is >= rate.
    const uint64_t threshold = static_cast<uint64_t>(static_cast<double>(m_rate) * 16777216.0);
    for (int64_t i = 0; i < n; ++i)
        mask[i] = (rng.nextU64() >> 40) >= threshold ? scale : 0.0f;
    const float* src = x.data();
    float* dst = out.data();
    parallelRange(ctx.backend, n, 32768, [src, dst, mask](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i)
            dst[i] = src[i] * mask[i];
    });
}

void DropoutLayer::backward(const RunContext& ctx, const std::vector<const Tensor*>&, const Tensor&,
    const Tensor& gradOut, const std::vector<Tensor*>& gradIn)
{
    if (gradIn.empty() || !gradIn[0])
        return;
    const int64_t n = gradOut.size();
    const float* dy = gradOut.data();
    float* dx = gradIn[0]->data();
    if (!m_masked) {
        std::copy(dy, dy + n, dx);
        return;
    }
    const float* mask = m_mask.data();
    parallelRange(ctx.backend, n, 32768, [dy, dx, mask](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i)
            dx[i] = dy[i] * mask[i];
    });
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
