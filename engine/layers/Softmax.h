#pragma once
// Softmax: normalizes over the first per-sample dimension — the K of {K}, the channels of
// {C,H,W} (independently at every pixel) — so those values are positive and sum to 1.
// Numerically stable (subtracts the maximum), so logits like 1000 are fine.
// Computation: the backend's row-wise softmax. Over channels at every pixel ({C,H,W}), each
// sample's C×(H·W) block is transposed to (H·W)×C and back by GEMMs with a C×C identity
// (exact for finite values), so the same code runs on every backend.
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

private:
    // Per-sample transposes [k × inner] ↔ [inner × k] of n samples, through GEMMs with m_identity.
    void toRows(Backend& backend, const float* src, float* dst, int64_t n, int64_t k, int64_t inner);
    void fromRows(Backend& backend, const float* src, float* dst, int64_t n, int64_t k, int64_t inner);
    void ensureIdentity(Backend& backend, int64_t k);

    Tensor m_identity; // k × k on the backend's device (spatial softmax only)
    Backend* m_identityBackend = nullptr;
    Tensor m_a, m_b, m_c; // transposed scratch on the backend's device
};

void registerSoftmax(LayerRegistry& registry);

} // namespace netcanvas
