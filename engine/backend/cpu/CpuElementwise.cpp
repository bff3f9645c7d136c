// CPU element-wise operations: bias, activations, add/axpy/scale, mul, softmax. Per-element
// math from kernels/ElementMath.h and the activation table's math structs (the device backends
// run the same functions) — except the ELU/Sigmoid/Tanh forwards, which use Eigen's vectorized
// transcendentals (EigenForward below); loops over
// contiguous ranges with __restrict so the compiler vectorizes them, split over the pool
// for large tensors.
#include "engine/backend/cpu/CpuBackend.h"
#include "engine/backend/cpu/CpuSupport.h"

#include "engine/backend/kernels/ElementMath.h"

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstring>

namespace netcanvas {

using namespace kernels;

namespace {
using ElementArray = Eigen::Map<Eigen::ArrayXf>;
using ConstElementArray = Eigen::Map<const Eigen::ArrayXf>;
} // namespace

void CpuBackend::addBias(float* y, const float* bias, int64_t n, int64_t channels, int64_t spatial)
{
    if (spatial == 1) {
        // N rows of `channels` values: one vectorized row add each.
        parallelRange(
            n, std::max<int64_t>(1, kCpuElementChunk / std::max<int64_t>(1, channels)), [=](int64_t r0, int64_t r1) {
                for (int64_t r = r0; r < r1; ++r) {
                    float* __restrict row = y + r * channels;
                    const float* __restrict b = bias;
                    for (int64_t c = 0; c < channels; ++c)
                        row[c] += b[c];
                }
            });
        return;
    }
    parallelRange(n * channels, std::max<int64_t>(1, kCpuElementChunk / spatial), [=](int64_t p0, int64_t p1) {
        for (int64_t p = p0; p < p1; ++p) {
            float* __restrict plane = y + p * spatial;
            const float b = bias[p % channels];
            for (int64_t s = 0; s < spatial; ++s)
                plane[s] += b;
        }
    });
}

void CpuBackend::biasGradient(const float* dy, float* db, int64_t n, int64_t channels, int64_t spatial)
{
    if (spatial == 1) {
        // Column sums of an N × channels matrix, row after row (vectorized across channels).
        std::fill(db, db + channels, 0.0f);
        for (int64_t r = 0; r < n; ++r) {
            const float* __restrict row = dy + r * channels;
            float* __restrict acc = db;
            for (int64_t c = 0; c < channels; ++c)
                acc[c] += row[c];
        }
        return;
    }
    parallelRange(channels, std::max<int64_t>(1, kCpuElementChunk / std::max<int64_t>(1, n * spatial)),
        [=](int64_t c0, int64_t c1) {
            for (int64_t c = c0; c < c1; ++c) {
                float acc = 0.0f;
                for (int64_t i = 0; i < n; ++i)
                    acc += cpu::rowSum(dy + (i * channels + c) * spatial, spatial);
                db[c] = acc;
            }
        });
}

namespace {

// Optional, per kind: a forward over a contiguous range with Eigen's vectorized transcendentals
// (a few ulps from expf/tanhf; the math structs' scalar calls do not vectorize without
// -ffast-math, and dominated ELU/Sigmoid/Tanh models' training steps: docs/benchmarks.md). A specialization must
// compute the same function as its math struct; kinds without one run the struct's forward.
template <class Math> struct EigenForward {
    static constexpr bool available = false;
    static void run(const float*, float*, int64_t, float) { }
};
template <> struct EigenForward<EluMath> {
    static constexpr bool available = true;
    static void run(const float* __restrict x, float* __restrict y, int64_t n, float alpha)
    {
        // alpha·(e^min(x, 0) − 1), then x where x > 0 (min keeps e^x of large x finite).
        ElementArray(y, n) = alpha * (ConstElementArray(x, n).min(0.0f).exp() - 1.0f);
        for (int64_t i = 0; i < n; ++i) {
            const float xi = x[i], yi = y[i];
            y[i] = xi > 0.0f ? xi : yi;
        }
    }
};
template <> struct EigenForward<SigmoidMath> {
    static constexpr bool available = true;
    static void run(const float* x, float* y, int64_t n, float)
    {
        ElementArray(y, n) = ConstElementArray(x, n).logistic();
    }
};
template <> struct EigenForward<TanhMath> {
    static constexpr bool available = true;
    static void run(const float* x, float* y, int64_t n, float) { ElementArray(y, n) = ConstElementArray(x, n).tanh(); }
};

} // namespace

void CpuBackend::activationForward(ActivationKind kind, float alpha, const float* x, float* y, int64_t count)
{
    withActivationMath(kind, [&](auto math) {
        using Math = decltype(math);
        parallelRange(count, kCpuElementChunk, [=](int64_t b, int64_t e) {
            const float* __restrict xp = x;
            float* __restrict yp = y;
            if constexpr (EigenForward<Math>::available) {
                EigenForward<Math>::run(xp + b, yp + b, e - b, alpha);
            } else {
                for (int64_t i = b; i < e; ++i)
                    yp[i] = Math::forward(xp[i], alpha);
            }
        });
    });
}

void CpuBackend::activationBackward(
    ActivationKind kind, float alpha, const float* x, const float* y, const float* dy, float* dx, int64_t count)
{
    withActivationMath(kind, [&](auto math) {
        using Math = decltype(math);
        parallelRange(count, kCpuElementChunk, [=](int64_t b, int64_t e) {
            const float* __restrict xp = x;
            const float* __restrict yp = y;
            const float* __restrict g = dy;
            float* __restrict d = dx;
            for (int64_t i = b; i < e; ++i)
                d[i] = Math::backward(xp[i], yp[i], g[i], alpha);
        });
    });
}

void CpuBackend::add(const float* a, const float* b, float* y, int64_t count)
{
    // y may alias a or b (element i reads only element i): no __restrict here.
    parallelRange(count, kCpuElementChunk, [=](int64_t s, int64_t e) {
        for (int64_t i = s; i < e; ++i)
            y[i] = a[i] + b[i];
    });
}

void CpuBackend::axpy(float alpha, const float* x, float* y, int64_t count)
{
    parallelRange(count, kCpuElementChunk, [=](int64_t s, int64_t e) {
        const float* __restrict xp = x;
        float* __restrict yp = y;
        for (int64_t i = s; i < e; ++i)
            yp[i] += alpha * xp[i];
    });
}

void CpuBackend::scale(float alpha, float* x, int64_t count)
{
    parallelRange(count, kCpuElementChunk, [=](int64_t s, int64_t e) {
        for (int64_t i = s; i < e; ++i)
            x[i] *= alpha;
    });
}

void CpuBackend::mul(const float* a, const float* b, float* y, int64_t count)
{
    // y may alias a or b: no __restrict.
    parallelRange(count, kCpuElementChunk, [=](int64_t s, int64_t e) {
        for (int64_t i = s; i < e; ++i)
            y[i] = kernels::mul(a[i], b[i]);
    });
}

void CpuBackend::mulAccumulate(const float* a, const float* b, float* y, int64_t count)
{
    parallelRange(count, kCpuElementChunk, [=](int64_t s, int64_t e) {
        for (int64_t i = s; i < e; ++i)
            y[i] = kernels::mulAccumulate(a[i], b[i], y[i]);
    });
}

void CpuBackend::softmaxForward(const float* x, float* y, int64_t rows, int64_t cols)
{
    parallelRange(rows, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, cols)), [=](int64_t r0, int64_t r1) {
        for (int64_t r = r0; r < r1; ++r) {
            const float* a = x + r * cols;
            float* o = y + r * cols;
            float m = a[0];
            for (int64_t j = 1; j < cols; ++j)
                m = std::max(m, a[j]);
            float sum = 0.0f;
            for (int64_t j = 0; j < cols; ++j) {
                const float e = std::exp(a[j] - m);
                o[j] = e;
                sum += e;
            }
            const float inv = 1.0f / sum;
            for (int64_t j = 0; j < cols; ++j)
                o[j] *= inv;
        }
    });
}

void CpuBackend::softmaxBackward(const float* y, const float* dy, float* dx, int64_t rows, int64_t cols)
{
    // dx_j = y_j · (dy_j − Σ_i dy_i·y_i)
    parallelRange(rows, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, cols)), [=](int64_t r0, int64_t r1) {
        for (int64_t r = r0; r < r1; ++r) {
            const int64_t base = r * cols;
            float dot = 0.0f;
            for (int64_t j = 0; j < cols; ++j)
                dot += dy[base + j] * y[base + j];
            for (int64_t j = 0; j < cols; ++j)
                dx[base + j] = y[base + j] * (dy[base + j] - dot);
        }
    });
}

} // namespace netcanvas
