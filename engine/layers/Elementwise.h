#pragma once
// ActivationLayer: a one-input layer applying a scalar function to every element (the
// activation kinds ReLU, LeakyReLU, ELU, Tanh, Sigmoid, ...), through the backend's
// activationForward/activationBackward. Not a kind itself: Activations.cpp registers one kind
// per row of the activation table with its ActivationKind, alpha and FLOPs per element.
#include "engine/layers/LayerSupport.h"

namespace netcanvas {

class ActivationLayer final : public BuiltinLayer {
public:
    ActivationLayer(std::string type, std::string name, LayerParams params, ActivationKind kind, float alpha,
        int64_t flopsPerElement)
        : BuiltinLayer(std::move(type), std::move(name), std::move(params))
        , m_kind(kind)
        , m_alpha(alpha)
        , m_flops(flopsPerElement)
    {
    }

    Shape outputShape(const std::vector<Shape>& inputs) const override
    {
        requireInputCount(inputs, 1);
        return inputs[0];
    }
    int64_t flops(const std::vector<Shape>& inputs) const override { return m_flops * inputs.at(0).numel(); }

    void forward(const RunContext& ctx, const std::vector<const Tensor*>& in, Tensor& out) override
    {
        ctx.backend.activationForward(m_kind, m_alpha, in[0]->data(), out.data(), in[0]->size());
    }

    void backward(const RunContext& ctx, const std::vector<const Tensor*>& in, const Tensor& out, const Tensor& gradOut,
        const std::vector<Tensor*>& gradIn) override
    {
        if (gradIn.empty() || !gradIn[0])
            return;
        ctx.backend.activationBackward(
            m_kind, m_alpha, in[0]->data(), out.data(), gradOut.data(), gradIn[0]->data(), in[0]->size());
    }

private:
    ActivationKind m_kind;
    float m_alpha;
    int64_t m_flops;
};

} // namespace netcanvas
