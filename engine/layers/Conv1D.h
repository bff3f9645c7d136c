#pragma once
// Conv1D: 1-D convolution along time of a T×F sequence with `filters` kernels of `kernel`
// steps → T'×filters (SequenceSupport.h's layout, so it chains with the recurrent layers).
// Parameters "weight" [filters, F, kernel] and "bias" [filters] — PyTorch's nn.Conv1d layout.
// Padding valid | same (Window1D); no dilation.
//
// Computation: the backend's ConvPrimitive over a height-1 image (cuDNN's convolution on a
// GPU): the input is transposed to channels-first F×T (Backend::transpose) and the output
// back to time-first.
#include "engine/layers/LayerSupport.h"
#include "engine/layers/SequenceSupport.h"

namespace netcanvas {

class Conv1DLayer final : public BuiltinLayer {
public:
    Conv1DLayer(std::string name, LayerParams params);
    Shape outputShape(const std::vector<Shape>& inputs) const override;
    int64_t paramCount(const std::vector<Shape>& inputs) const override;
    int64_t flops(const std::vector<Shape>& inputs) const override;
    void build(const std::vector<Shape>& inputs, Rng& rng) override;
    void forward(const RunContext& ctx, const std::vector<const Tensor*>& in, Tensor& out) override;
    void backward(const RunContext& ctx, const std::vector<const Tensor*>& in, const Tensor& out, const Tensor& gradOut,
        const std::vector<Tensor*>& gradIn) override;

private:
    Window1D window(const std::vector<Shape>& inputs, SequenceDims& dims) const; // ShapeError when it does not fit
    ConvPrimitive& primitive(Backend& backend);

    int64_t m_filters = 0, m_kernel = 1, m_stride = 1;
    std::string m_padding;
    bool m_bias = true;
    SequenceDims m_dims;
    Window1D m_window;
    std::unique_ptr<ConvPrimitive> m_conv;
    Backend* m_convBackend = nullptr;
    Tensor m_xT, m_yT; // channels-first copies: F×T input (kept for backward), filters×T' output / its gradient
    Tensor m_dxT;
};

void registerConv1D(LayerRegistry& registry);

} // namespace netcanvas
