// The CPU dropout primitive: the mask of element i is kernels::dropoutMask(seed, i, rate),
// a counter-based draw, so it is the same on every backend and for any thread count.
#include "engine/backend/cpu/CpuBackend.h"

#include "engine/backend/kernels/ElementMath.h"

#include <vector>

namespace netcanvas {

namespace {

class CpuDropout final : public DropoutPrimitive {
public:
    explicit CpuDropout(CpuBackend& backend)
        : m_backend(backend)
    {
    }

    void forward(int64_t count, const float* x, float* y, float rate, uint64_t seed) override
    {
        if (static_cast<int64_t>(m_mask.size()) < count)
            m_mask.resize(static_cast<size_t>(count));
        float* mask = m_mask.data();
        m_backend.parallelRange(count, kCpuElementChunk, [=](int64_t b, int64_t e) {
            for (int64_t i = b; i < e; ++i) {
                const float m = kernels::dropoutMask(seed, static_cast<uint64_t>(i), rate);
                mask[i] = m;
                y[i] = x[i] * m;
            }
        });
    }

    void backward(int64_t count, const float* dy, float* dx) override
    {
        const float* mask = m_mask.data();
        m_backend.parallelRange(count, kCpuElementChunk, [=](int64_t b, int64_t e) {
            for (int64_t i = b; i < e; ++i)
                dx[i] = dy[i] * mask[i];
        });
    }

private:
    CpuBackend& m_backend;
    std::vector<float> m_mask; // 0 or 1/(1 − rate) per element of the last forward
};

} // namespace

std::unique_ptr<DropoutPrimitive> CpuBackend::createDropout()
{
    return std::make_unique<CpuDropout>(*this);
}

} // namespace netcanvas
