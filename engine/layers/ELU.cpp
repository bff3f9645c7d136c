#include "engine/layers/ELU.h"

#include "engine/layers/Elementwise.h"

#include <cmath>

namespace netcanvas {

namespace {
struct ELUOp {
    static constexpr int64_t kFlops = 2;
    float alpha = 1.0f;
    // min(x, 0) keeps the (discarded) exponential of large positives finite.
    // The exponential is Eigen's vectorized exp; the selections are branch-free loops the
    // compiler vectorizes (Eigen 3.4's select() is scalar, and GCC does not if-convert a
    // conditional multiply under -ftrapping-math).
    void forward(ConstElementArray x, ElementArray y) const
    {
        y = alpha * (x.min(0.0f).exp() - 1.0f);
        const float* __restrict xp = x.data();
        float* __restrict yp = y.data();
        const int64_t n = x.size();
        for (int64_t i = 0; i < n; ++i) {
            const float xi = xp[i], yi = yp[i];
            yp[i] = xi > 0.0f ? xi : yi;
        }
    }
    // For x <= 0: d/dx alpha·(e^x − 1) = alpha·e^x = y + alpha.
    void backward(ConstElementArray x, ConstElementArray y, ConstElementArray dy, ElementArray dx) const
    {
        const float* __restrict xp = x.data();
        const float* __restrict yp = y.data();
        const float* __restrict g = dy.data();
        float* __restrict d = dx.data();
        const int64_t n = x.size();
        for (int64_t i = 0; i < n; ++i) {
            const float step = xp[i] > 0.0f ? 1.0f : 0.0f;
            d[i] = g[i] * (step + (1.0f - step) * (yp[i] + alpha));
        }
    }
};
} // namespace

void registerELU(LayerRegistry& registry)
{
    LayerInfo info;
    info.type = "ELU";
    info.category = "Activation";
    info.doc = "Exponential linear unit: x for positives, a smooth curve down to −alpha for negatives";
    info.params = { floatParam("alpha", 1.0, 0.0, 100.0, "Value approached for very negative inputs (−alpha)") };
    info.create = [](const std::string& name, const LayerParams& p) {
        return std::make_unique<ElementwiseLayer<ELUOp>>(
            "ELU", name, p, ELUOp { static_cast<float>(p.getFloat("alpha")) });
    };
    registry.add(std::move(info));
}

} // namespace netcanvas
