#include "engine/layers/ReLU.h"

#include "engine/layers/Elementwise.h"

namespace netcanvas {

namespace {
struct ReLUOp {
    static constexpr int64_t kFlops = 1;
    void forward(ConstElementArray x, ElementArray y) const { y = x.max(0.0f); }
    void backward(ConstElementArray x, ConstElementArray, ConstElementArray dy, ElementArray dx) const
    {
        // A branch-free loop the compiler vectorizes (Eigen 3.4's select() is scalar).
        const float* __restrict xp = x.data();
        const float* __restrict g = dy.data();
        float* __restrict d = dx.data();
        const int64_t n = x.size();
        for (int64_t i = 0; i < n; ++i) {
            const float gi = g[i]; // loaded unconditionally so the select vectorizes
            d[i] = xp[i] > 0.0f ? gi : 0.0f;
        }
    }
};
} // namespace

void registerReLU(LayerRegistry& registry)
{
    LayerInfo info;
    info.type = "ReLU";
    info.category = "Activation";
    info.doc = "Rectified linear unit max(0, x): passes positives, zeroes negatives; the usual default";
    info.create = [](const std::string& name, const LayerParams& p) {
        return std::make_unique<ElementwiseLayer<ReLUOp>>("ReLU", name, p, ReLUOp {});
    };
    registry.add(std::move(info));
}

} // namespace netcanvas
