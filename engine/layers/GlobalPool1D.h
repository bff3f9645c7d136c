#pragma once
// GlobalAvgPool1D / GlobalMaxPool1D: the mean or the maximum of each feature over all steps
// of a T×F sequence → F (a sequence summarized for a Dense classifier). Two kinds, one class.
//
// Computation: the backend's PoolPrimitive over the sequence read as a 1×T×F image with a T×1
// window (no transpose).
#include "engine/layers/LayerSupport.h"
#include "engine/layers/SequenceSupport.h"

namespace netcanvas {

class GlobalPool1DLayer final : public BuiltinLayer {
public:
    GlobalPool1DLayer(std::string type, std::string name, LayerParams params, PoolKind kind)
        : BuiltinLayer(std::move(type), std::move(name), std::move(params))
        , m_kind(kind)
    {
    }
    Shape outputShape(const std::vector<Shape>& inputs) const override;
    int64_t flops(const std::vector<Shape>& inputs) const override;
    void build(const std::vector<Shape>& inputs, Rng& rng) override;
    void forward(const RunContext& ctx, const std::vector<const Tensor*>& in, Tensor& out) override;
    void backward(const RunContext& ctx, const std::vector<const Tensor*>& in, const Tensor& out, const Tensor& gradOut,
        const std::vector<Tensor*>& gradIn) override;

private:
    SequenceDims dims(const std::vector<Shape>& inputs) const;
    PoolPrimitive& primitive(Backend& backend);

    PoolKind m_kind;
    SequenceDims m_dims;
    std::unique_ptr<PoolPrimitive> m_prim;
    Backend* m_primBackend = nullptr;
};

// Registers GlobalAvgPool1D and GlobalMaxPool1D.
void registerGlobalPool1D(LayerRegistry& registry);

} // namespace netcanvas
