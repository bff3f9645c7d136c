#include "engine/layers/Sigmoid.h"

#include "engine/layers/Elementwise.h"

#include <cmath>

namespace netcanvas {

namespace {
struct SigmoidOp {
    static constexpr int64_t kFlops = 4;
    // Eigen's logistic is vectorized and saturates cleanly to 0 and 1 for large |x|.
    void forward(ConstElementArray x, ElementArray y) const { y = x.logistic(); }
    void backward(ConstElementArray, ConstElementArray y, ConstElementArray dy, ElementArray dx) const
    {
        dx = dy * y * (1.0f - y);
    }
};
} // namespace

void registerSigmoid(LayerRegistry& registry)
{
    LayerInfo info;
    info.type = "Sigmoid";
    info.category = "Activation";
    info.doc = "Logistic function 1/(1+e^−x): squashes values into (0, 1), like a probability";
    info.create = [](const std::string& name, const LayerParams& p) {
        return std::make_unique<ElementwiseLayer<SigmoidOp>>("Sigmoid", name, p, SigmoidOp {});
    };
    registry.add(std::move(info));
}

} // namespace netcanvas
