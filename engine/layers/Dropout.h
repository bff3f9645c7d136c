#pragma once
// Dropout (inverted): in training, each element is zeroed with probability `rate` and the
// kept ones are scaled by 1/(1−rate), so the expected output equals the input; the mask is
// kernels::dropoutMask(seed, i, rate) with one seed drawn from ctx.rng per forward (the
// backend's DropoutPrimitive), the same on every backend and thread count. In inference it is the identity. Backward
// applies the mask of the preceding forward (identity after an inference forward).
#include "engine/layers/LayerSupport.h"

namespace netcanvas {

class DropoutLayer final : public BuiltinLayer {
public:
    DropoutLayer(std::string name, LayerParams params);
    Shape outputShape(const std::vector<Shape>& inputs) const override;
    int64_t flops(const std::vector<Shape>& inputs) const override;
    void forward(const RunContext& ctx, const std::vector<const Tensor*>& in, Tensor& out) override;
    void backward(const RunContext& ctx, const std::vector<const Tensor*>& in, const Tensor& out, const Tensor& gradOut,
        const std::vector<Tensor*>& gradIn) override;

private:
    float m_rate = 0.5f;
    bool m_masked = false; // the last forward drew a mask (kept by the primitive)
    std::unique_ptr<DropoutPrimitive> m_dropout;
    Backend* m_dropoutBackend = nullptr;
};

void registerDropout(LayerRegistry& registry);

} // namespace netcanvas
