#pragma once
// Input: the network's entry point, a C×H×W image batch. Network copies the batch into
// this node itself; forward() is a plain copy for completeness.
#include "engine/layers/LayerSupport.h"

namespace netcanvas {

class InputLayer final : public BuiltinLayer {
public:
    InputLayer(std::string name, LayerParams params);
    Shape outputShape(const std::vector<Shape>& inputs) const override;
    void forward(const RunContext& ctx, const std::vector<const Tensor*>& in, Tensor& out) override;
    void backward(const RunContext& ctx, const std::vector<const Tensor*>& in, const Tensor& out, const Tensor& gradOut,
        const std::vector<Tensor*>& gradIn) override;

private:
    Shape m_shape;
};

void registerInput(LayerRegistry& registry);

} // namespace netcanvas
