#pragma once
// Dropout (inverted): in training, each element is zeroed with probability `rate` and the
// kept ones are scaled by 1/(1−rate), so the expected output equals the input; the mask is
// drawn from ctx.rng. In inference it is the identity. Backward applies the mask of the
// preceding forward (identity after an inference forward).
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
    bool m_masked = false; // the last forward drew a mask
    Tensor m_mask; // 0 or 1/(1−rate) per element
};

void registerDropout(LayerRegistry& registry);

} // namespace netcanvas
