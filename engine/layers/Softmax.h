#pragma once
// Softmax: normalizes over the first per-sample dimension — the K of {K}, the channels of
// {C,H,W} (independently at every pixel) — so those values are positive and sum to 1.
// Numerically stable (subtracts the maximum), so logits like 1000 are fine.
#include "engine/layers/LayerSupport.h"

namespace netcanvas {

class SoftmaxLayer final : public BuiltinLayer {
public:
    SoftmaxLayer(std::string name, LayerParams params)
        : BuiltinLayer("Softmax", std::move(name), std::move(params))
    {
    }
    Shape outputShape(const std::vector<Shape>& inputs) const override;
    int64_t flops(const std::vector<Shape>& inputs) const override;
    void forward(const RunContext& ctx, const std::vector<const Tensor*>& in, Tensor& out) override;
    void backward(const RunContext& ctx, const std::vector<const Tensor*>& in, const Tensor& out, const Tensor& gradOut,
        const std::vector<Tensor*>& gradIn) override;
};

void registerSoftmax(LayerRegistry& registry);

} // namespace netcanvas
