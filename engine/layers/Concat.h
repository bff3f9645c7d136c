#pragma once
// Concat: joins two or more inputs along the first per-sample dimension (the channels of
// {C,H,W}, the features of {F}); all other dimensions must match.
#include "engine/layers/LayerSupport.h"

namespace netcanvas {

class ConcatLayer final : public BuiltinLayer {
public:
    ConcatLayer(std::string name, LayerParams params)
        : BuiltinLayer("Concat", std::move(name), std::move(params))
    {
    }
    Shape outputShape(const std::vector<Shape>& inputs) const override;
    void forward(const RunContext& ctx, const std::vector<const Tensor*>& in, Tensor& out) override;
    void backward(const RunContext& ctx, const std::vector<const Tensor*>& in, const Tensor& out, const Tensor& gradOut,
        const std::vector<Tensor*>& gradIn) override;
};

void registerConcat(LayerRegistry& registry);

} // namespace netcanvas
