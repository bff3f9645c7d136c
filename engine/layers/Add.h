#pragma once
// Add: the elementwise sum of two or more inputs of identical shape (residual connections).
#include "engine/layers/LayerSupport.h"

namespace netcanvas {

class AddLayer final : public BuiltinLayer {
public:
    AddLayer(std::string name, LayerParams params)
        : BuiltinLayer("Add", std::move(name), std::move(params))
    {
    }
    Shape outputShape(const std::vector<Shape>& inputs) const override;
    int64_t flops(const std::vector<Shape>& inputs) const override;
    void forward(const RunContext& ctx, const std::vector<const Tensor*>& in, Tensor& out) override;
    void backward(const RunContext& ctx, const std::vector<const Tensor*>& in, const Tensor& out, const Tensor& gradOut,
        const std::vector<Tensor*>& gradIn) override;
};

void registerAdd(LayerRegistry& registry);

} // namespace netcanvas
