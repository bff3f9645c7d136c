#pragma once
// Pool2DBase: what MaxPool2D and AvgPool2D share — parameters pool, stride (0 = pool),
// padding (valid | same), the window geometry and its schema. Not a layer kind itself.
#include "engine/layers/LayerSupport.h"

namespace netcanvas {

class Pool2DBase : public BuiltinLayer {
public:
    Pool2DBase(std::string type, std::string name, LayerParams params);
    Shape outputShape(const std::vector<Shape>& inputs) const override;
    int64_t flops(const std::vector<Shape>& inputs) const override;
    void build(const std::vector<Shape>& inputs, Rng& rng) override;

    // Schema entries pool, stride, padding.
    static std::vector<ParamSpec> poolParams();

protected:
    Window2D window(const Shape& in) const; // throws ShapeError when it does not fit

    int64_t m_pool = 2, m_stride = 2;
    std::string m_padding;
    int64_t m_channels = 0;
    Window2D m_window;
};

} // namespace netcanvas
