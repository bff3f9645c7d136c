#pragma once
// Flatten: any per-sample shape → {numel}. Values are copied unchanged (row-major order).
#include "engine/layers/LayerSupport.h"

namespace netcanvas {

class FlattenLayer final : public BuiltinLayer {
public:
    FlattenLayer(std::string name, LayerParams params)
        : BuiltinLayer("Flatten", std::move(name), std::move(params))
    {
    }
    Shape outputShape(const std::vector<Shape>& inputs) const override;
    void forward(const RunContext& ctx, const std::vector<const Tensor*>& in, Tensor& out) override;
    void backward(const RunContext& ctx, const std::vector<const Tensor*>& in, const Tensor& out, const Tensor& gradOut,
        const std::vector<Tensor*>& gradIn) override;
};

void registerFlatten(LayerRegistry& registry);

} // namespace netcanvas
