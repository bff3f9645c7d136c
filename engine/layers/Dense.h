#pragma once
// Dense (fully connected): Y = X·Wᵀ + b over the batch in one GEMM.
// Accepts any per-sample shape (flattened to in_features). Parameters: "weight"
// [units, in_features] (PyTorch layout), "bias" [units] (when bias=true, init 0).
#include "engine/layers/LayerSupport.h"

namespace netcanvas {

class DenseLayer final : public BuiltinLayer {
public:
    DenseLayer(std::string name, LayerParams params);
    Shape outputShape(const std::vector<Shape>& inputs) const override;
    int64_t paramCount(const std::vector<Shape>& inputs) const override;
    int64_t flops(const std::vector<Shape>& inputs) const override;
    void build(const std::vector<Shape>& inputs, Rng& rng) override;
    void forward(const RunContext& ctx, const std::vector<const Tensor*>& in, Tensor& out) override;
    void backward(const RunContext& ctx, const std::vector<const Tensor*>& in, const Tensor& out, const Tensor& gradOut,
        const std::vector<Tensor*>& gradIn) override;

private:
    int64_t m_units = 0;
    bool m_bias = true;
    int64_t m_inFeatures = 0;
};

void registerDense(LayerRegistry& registry);

} // namespace netcanvas
