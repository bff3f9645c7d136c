#pragma once
// Conv2D: 2-D convolution (cross-correlation, as in every framework) of a C×H×W input with
// F square k×k filters → F×outH×outW. Parameters "weight" [F, C, k, k] and "bias" [F]
// (PyTorch layout). Padding: valid | same | explicit (pad cells on every side); see Window2D.
//
// Computation: the backend's ConvPrimitive (the CPU's keeps per-thread im2col chunks and
// its im2col for backward, see backend/cpu/CpuConv.cpp), created on the first forward.
#include "engine/layers/LayerSupport.h"

namespace netcanvas {

class Conv2DLayer final : public BuiltinLayer {
public:
    Conv2DLayer(std::string name, LayerParams params);
    Shape outputShape(const std::vector<Shape>& inputs) const override;
    int64_t paramCount(const std::vector<Shape>& inputs) const override;
    int64_t flops(const std::vector<Shape>& inputs) const override;
    void build(const std::vector<Shape>& inputs, Rng& rng) override;
    void forward(const RunContext& ctx, const std::vector<const Tensor*>& in, Tensor& out) override;
    void backward(const RunContext& ctx, const std::vector<const Tensor*>& in, const Tensor& out, const Tensor& gradOut,
        const std::vector<Tensor*>& gradIn) override;

private:
    Window2D window(const Shape& in) const; // throws ShapeError when it does not fit
    ConvPrimitive& primitive(Backend& backend);

    int64_t m_filters = 0, m_kernel = 1, m_stride = 1, m_pad = 0;
    std::string m_padding;
    bool m_bias = true;
    int64_t m_channels = 0;
    Window2D m_window;
    std::unique_ptr<ConvPrimitive> m_conv;
    Backend* m_convBackend = nullptr;
};

void registerConv2D(LayerRegistry& registry);

} // namespace netcanvas
