#pragma once
// MaxPool1D: the maximum over windows of `pool` steps of each feature of a T×F sequence →
// T'×F (nn.MaxPool1d on the channels-first view). Parameters pool, stride (0 = pool),
// padding valid | same (Window1D; padded cells never win).
//
// Computation: the backend's max PoolPrimitive over the sequence read as a 1×T×F image with a
// pool×1 window — time-first data needs no transpose.
#include "engine/layers/LayerSupport.h"
#include "engine/layers/SequenceSupport.h"

namespace netcanvas {

class MaxPool1DLayer final : public BuiltinLayer {
public:
    MaxPool1DLayer(std::string name, LayerParams params);
    Shape outputShape(const std::vector<Shape>& inputs) const override;
    int64_t flops(const std::vector<Shape>& inputs) const override;
    void build(const std::vector<Shape>& inputs, Rng& rng) override;
    void forward(const RunContext& ctx, const std::vector<const Tensor*>& in, Tensor& out) override;
    void backward(const RunContext& ctx, const std::vector<const Tensor*>& in, const Tensor& out, const Tensor& gradOut,
        const std::vector<Tensor*>& gradIn) override;

private:
    Window1D window(const std::vector<Shape>& inputs, SequenceDims& dims) const;
    PoolPrimitive& primitive(Backend& backend);

    int64_t m_pool = 2, m_stride = 2;
    std::string m_padding;
    SequenceDims m_dims;
    Window1D m_window;
    std::unique_ptr<PoolPrimitive> m_prim;
    Backend* m_primBackend = nullptr;
};

void registerMaxPool1D(LayerRegistry& registry);

} // namespace netcanvas
