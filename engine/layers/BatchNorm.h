#pragma once
// BatchNorm: normalizes each feature ({F} input) or each channel ({C,H,W}: over N, H and W)
// to zero mean and unit variance, then scales by gamma and shifts by beta.
// Training: batch statistics (biased variance), and the running statistics are updated the
// PyTorch way: running = (1 − momentum)·running + momentum·batch, with the UNBIASED batch
// variance for running_var. Inference: running statistics. Backward is the full gradient
// through the batch statistics (or the plain affine map after an inference forward).
// Parameters: gamma (1), beta (0) trainable, not regularized; running_mean (0),
// running_var (1) not trainable. Computation: the backend's BatchNormPrimitive.
#include "engine/layers/LayerSupport.h"

namespace netcanvas {

class BatchNormLayer final : public BuiltinLayer {
public:
    BatchNormLayer(std::string name, LayerParams params);
    Shape outputShape(const std::vector<Shape>& inputs) const override;
    int64_t paramCount(const std::vector<Shape>& inputs) const override;
    int64_t flops(const std::vector<Shape>& inputs) const override;
    void build(const std::vector<Shape>& inputs, Rng& rng) override;
    void forward(const RunContext& ctx, const std::vector<const Tensor*>& in, Tensor& out) override;
    void backward(const RunContext& ctx, const std::vector<const Tensor*>& in, const Tensor& out, const Tensor& gradOut,
        const std::vector<Tensor*>& gradIn) override;

private:
    double m_momentum = 0.1, m_epsilon = 1e-5;
    int64_t m_channels = 0, m_inner = 1;
    std::unique_ptr<BatchNormPrimitive> m_norm;
    Backend* m_normBackend = nullptr;
};

void registerBatchNorm(LayerRegistry& registry);

} // namespace netcanvas
