// CPU optimizer updates: one pass per parameter tensor, per-element math from
// kernels/ElementMath.h (PyTorch's torch.optim equations, float32), split over the pool for
// large tensors (element-wise, so the result does not depend on the split).
#include "engine/backend/cpu/CpuBackend.h"

#include "engine/backend/kernels/ElementMath.h"

#include <cmath>
#include <type_traits>

namespace netcanvas {

using namespace kernels;

void CpuBackend::addRegularization(const float* w, float* g, int64_t count, float l1, float l2)
{
    parallelRange(count, kCpuElementChunk, [=](int64_t b, int64_t e) {
        const float* __restrict wp = w;
        float* __restrict gp = g;
        for (int64_t i = b; i < e; ++i)
            gp[i] = regularizationGrad(wp[i], gp[i], l1, l2);
    });
}

void CpuBackend::sgdUpdate(float* w, const float* g, float* velocity, int64_t count, const SgdParams& p)
{
    const float lr = p.lr, momentum = p.momentum;
    const bool nesterov = p.nesterov, first = p.firstStep;
    parallelRange(count, kCpuElementChunk, [=](int64_t b, int64_t e) {
        float* __restrict wp = w;
        const float* __restrict gp = g;
        if (momentum == 0.0f) {
            for (int64_t i = b; i < e; ++i)
                wp[i] = sgdStep(wp[i], gp[i], wp[i], lr, 0.0f, false, false);
            return;
        }
        // One loop per flag combination (constants inside), and the velocity through a local
        // stored back unconditionally: each loop then compiles to straight vector code.
        auto loop = [=](auto nesterovC, auto firstC) {
            float* __restrict wq = w;
            const float* __restrict gq = g;
            float* __restrict vq = velocity;
            const float rate = lr, mu = momentum; // locals: provably loop-invariant
            for (int64_t i = b; i < e; ++i) {
                float v = vq[i];
                wq[i] = sgdStep(wq[i], gq[i], v, rate, mu, nesterovC.value, firstC.value);
                vq[i] = v;
            }
        };
        if (nesterov)
            first ? loop(std::true_type {}, std::true_type {}) : loop(std::true_type {}, std::false_type {});
        else
            first ? loop(std::false_type {}, std::true_type {}) : loop(std::false_type {}, std::false_type {});
    });
}

void CpuBackend::adamUpdate(float* w, const float* g, float* m, float* v, int64_t count, const AdamParams& p)
{
    // Bias corrections once per tensor, in double, like PyTorch.
    const double t = static_cast<double>(p.step);
    const double bc1 = 1.0 - std::pow(static_cast<double>(p.beta1), t);
    const double bc2 = 1.0 - std::pow(static_cast<double>(p.beta2), t);
    const float stepSize = static_cast<float>(static_cast<double>(p.lr) / bc1);
    const float bc2Sqrt = static_cast<float>(std::sqrt(bc2));
    const float decayFactor = static_cast<float>(1.0 - static_cast<double>(p.lr) * static_cast<double>(p.weightDecay));
    const float beta1 = p.beta1, beta2 = p.beta2, eps = p.epsilon;
    parallelRange(count, kCpuElementChunk, [=](int64_t b, int64_t e) {
        float* __restrict wp = w;
        const float* __restrict gp = g;
        float* __restrict mp = m;
        float* __restrict vp = v;
        for (int64_t i = b; i < e; ++i)
            wp[i] = adamStep(wp[i], gp[i], mp[i], vp[i], beta1, beta2, eps, stepSize, bc2Sqrt, decayFactor);
    });
}

void CpuBackend::rmsPropUpdate(
    float* w, const float* g, float* square, float* velocity, int64_t count, const RmsPropParams& p)
{
    const float lr = p.lr, alpha = p.alpha, eps = p.epsilon, momentum = p.momentum;
    parallelRange(count, kCpuElementChunk, [=](int64_t b, int64_t e) {
        float* __restrict wp = w;
        const float* __restrict gp = g;
        float* __restrict sp = square;
        if (momentum > 0.0f) {
            float* __restrict vp = velocity;
            const float rate = lr, a = alpha, ep = eps, mu = momentum; // locals: provably loop-invariant
            for (int64_t i = b; i < e; ++i) {
                float v = vp[i]; // through a local: an unconditional store, so the loop vectorizes
                wp[i] = rmsPropStep(wp[i], gp[i], sp[i], v, rate, a, ep, mu);
                vp[i] = v;
            }
        } else {
            for (int64_t i = b; i < e; ++i) {
                float unused = 0.0f; // velocity is not used without momentum
                wp[i] = rmsPropStep(wp[i], gp[i], sp[i], unused, lr, alpha, eps, 0.0f);
            }
        }
    });
}

} // namespace netcanvas
