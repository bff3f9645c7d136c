#include "engine/layers/LeakyReLU.h"

#include "engine/layers/Elementwise.h"

namespace netcanvas {

namespace {
struct LeakyReLUOp {
    static constexpr int64_t kFlops = 1;
    float alpha = 0.01f;
    // Written as branch-free arithmetic so it vectorizes (Eigen 3.4's select() is scalar,
    // and GCC will not if-convert a conditional multiply under -ftrapping-math).
    void forward(ConstElementArray x, ElementArray y) const { y = x.max(0.0f) + alpha * x.min(0.0f); }
    void backward(ConstElementArray x, ConstElementArray, ConstElementArray dy, ElementArray dx) const
    {
        const float* __restrict xp = x.data();
        const float* __restrict g = dy.data();
        float* __restrict d = dx.data();
        const int64_t n = x.size();
        for (int64_t i = 0; i < n; ++i) {
            const float step = xp[i] > 0.0f ? 1.0f : 0.0f;
            d[i] = g[i] * (alpha + (1.0f - alpha) * step);
        }
    }
};
} // namespace

void registerLeakyReLU(LayerRegistry& registry)
{
    LayerInfo info;
    info.type = "LeakyReLU";
    info.category = "Activation";
    info.doc = "Like ReLU but lets a small slope alpha·x through for negatives, so units never die";
    info.params = { floatParam("alpha", 0.01, 0.0, 1.0, "Slope for negative inputs") };
    info.create = [](const std::string& name, const LayerParams& p) {
        return std::make_unique<ElementwiseLayer<LeakyReLUOp>>(
            "LeakyReLU", name, p, LeakyReLUOp { static_cast<float>(p.getFloat("alpha")) });
    };
    registry.add(std::move(info));
}

} // namespace netcanvas
