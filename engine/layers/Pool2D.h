#pragma once
// Pool2DBase: what MaxPool2D and AvgPool2D share — parameters pool, stride (0 = pool),
// padding (valid | same), the window geometry and its schema, and the computation: the
// backend's PoolPrimitive of the kind. Not a layer kind itself.
#include "engine/layers/LayerSupport.h"

namespace netcanvas {

class Pool2DBase : public BuiltinLayer {
public:
    Pool2DBase(std::string type, std::string name, LayerParams params, PoolKind kind);
    Shape outputShape(const std::vector<Shape>& inputs) const override;
    int64_t flops(const std::vector<Shape>& inputs) const override;
    void build(const std::vector<Shape>& inputs, Rng& rng) override;
    void forward(const RunContext& ctx, const std::vector<const Tensor*>& in, Tensor& out) override;
    void backward(const RunContext& ctx, const std::vector<const Tensor*>& in, const Tensor& out, const Tensor& gradOut,
        const std::vector<Tensor*>& gradIn) override;

    // Schema entries pool, stride, padding.
    static std::vector<ParamSpec> poolParams();

protected:
    Window2D window(const Shape& in) const; // throws ShapeError when it does not fit

    int64_t m_pool = 2, m_stride = 2;
    std::string m_padding;
    int64_t m_channels = 0;
    Window2D m_window;

private:
    PoolPrimitive& primitive(Backend& backend);
    PoolKind m_kind;
    std::unique_ptr<PoolPrimitive> m_pool2d;
    Backend* m_poolBackend = nullptr;
};

} // namespace netcanvas
