#include "engine/layers/Tanh.h"

#include "engine/layers/Elementwise.h"

#include <cmath>

namespace netcanvas {

namespace {
struct TanhOp {
    static constexpr int64_t kFlops = 4;
    void forward(ConstElementArray x, ElementArray y) const { y = x.tanh(); }
    void backward(ConstElementArray, ConstElementArray y, ConstElementArray dy, ElementArray dx) const
    {
        dx = dy * (1.0f - y.square());
    }
};
} // namespace

void registerTanh(LayerRegistry& registry)
{
    LayerInfo info;
    info.type = "Tanh";
    info.category = "Activation";
    info.doc = "Hyperbolic tangent: squashes values into (−1, 1), centred on 0";
    info.create = [](const std::string& name, const LayerParams& p) {
        return std::make_unique<ElementwiseLayer<TanhOp>>("Tanh", name, p, TanhOp {});
    };
    registry.add(std::move(info));
}

} // namespace netcanvas
