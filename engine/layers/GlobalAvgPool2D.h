#pragma once
// GlobalAvgPool2D: the mean of each channel's whole feature map, {C,H,W} → {C}.
#include "engine/layers/LayerSupport.h"

namespace netcanvas {

class GlobalAvgPool2DLayer final : public BuiltinLayer {
public:
    GlobalAvgPool2DLayer(std::string name, LayerParams params)
        : BuiltinLayer("GlobalAvgPool2D", std::move(name), std::move(params))
    {
    }
    Shape outputShape(const std::vector<Shape>& inputs) const override;
    int64_t flops(const std::vector<Shape>& inputs) const override;
    void forward(const RunContext& ctx, const std::vector<const Tensor*>& in, Tensor& out) override;
    void backward(const RunContext& ctx, const std::vector<const Tensor*>& in, const Tensor& out, const Tensor& gradOut,
        const std::vector<Tensor*>& gradIn) override;

private:
    // Average pooling with the window = the whole plane, on the backend.
    PoolPrimitive& primitive(Backend& backend, const Shape& batch);
    std::unique_ptr<PoolPrimitive> m_pool;
    Backend* m_poolBackend = nullptr;
    Shape m_poolShape; // C×H×W the primitive was made for
};

void registerGlobalAvgPool2D(LayerRegistry& registry);

} // namespace netcanvas
