// The CPU pooling primitive (moved from the MaxPool2D, AvgPool2D and GlobalAvgPool2D
// layers). Max: the first maximum of each window in row-major order wins; padding cells
// never win; the forward remembers every output's argmax and backward routes dy there.
// Average: padding cells are not counted. A window covering the whole plane (global average
// pooling) runs a plain per-plane mean. Work is split over planes (sample × channel).
#include "engine/backend/cpu/CpuBackend.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <vector>

namespace netcanvas {

namespace {

class CpuPool final : public PoolPrimitive {
public:
    CpuPool(CpuBackend& backend, const PoolDesc& desc)
        : m_backend(backend)
        , m_kind(desc.kind)
        , m_w(desc.window)
    {
        m_global = m_w.kernelH == m_w.height && m_w.kernelW == m_w.width && m_w.outH == 1 && m_w.outW == 1
            && m_w.padTop == 0 && m_w.padLeft == 0 && m_w.padBottom == 0 && m_w.padRight == 0;
    }
    void forward(int64_t n, const float* x, float* y, bool training) override;
    void backward(int64_t n, const float* x, const float* y, const float* dy, float* dx) override;

private:
    void maxForward(int64_t planes, const float* src, float* dst);
    void averageForward(int64_t planes, const float* src, float* dst);
    int64_t minPlanes() const { return std::max<int64_t>(1, 4096 / std::max<int64_t>(1, m_w.height * m_w.width)); }

    CpuBackend& m_backend;
    PoolKind m_kind;
    WindowDesc m_w;
    bool m_global = false;
    std::vector<int32_t> m_argmax; // max pooling: per output, index into its input plane (h·W + w)
};

void CpuPool::forward(int64_t n, const float* x, float* y, bool)
{
    const int64_t planes = n * m_w.channels;
    if (m_kind == PoolKind::Max)
        maxForward(planes, x, y);
    else
        averageForward(planes, x, y);
}

void CpuPool::maxForward(int64_t planes, const float* src, float* dst)
{
    const WindowDesc& w = m_w;
    const int64_t inPlane = w.height * w.width, outPlane = w.outH * w.outW;
    if (static_cast<int64_t>(m_argmax.size()) < planes * outPlane)
        m_argmax.resize(static_cast<size_t>(planes * outPlane));
    int32_t* arg = m_argmax.data();
    // The common 2×2, stride 2 window inside the plane: straight-line code, same result
    // (first maximum in row-major order wins, as in the general loop below).
    const bool pool2 = w.kernelH == 2 && w.kernelW == 2 && w.strideH == 2 && w.strideW == 2 && w.padTop == 0
        && w.padLeft == 0 && 2 * w.outH <= w.height && 2 * w.outW <= w.width;
    auto run = [&](int64_t p0, int64_t p1) {
        for (int64_t pl = p0; pl < p1; ++pl) {
            const float* plane = src + pl * inPlane;
            float* o = dst + pl * outPlane;
            int32_t* a = arg + pl * outPlane;
            if (pool2) {
                for (int64_t oy = 0; oy < w.outH; ++oy) {
                    const int64_t top = 2 * oy * w.width;
                    const float* r0 = plane + top;
                    const float* r1 = r0 + w.width;
                    for (int64_t ox = 0; ox < w.outW; ++ox) {
                        const int64_t x = 2 * ox;
                        float best = -std::numeric_limits<float>::infinity();
                        int64_t idx = top + x;
                        if (r0[x] > best)
                            best = r0[x];
                        if (r0[x + 1] > best) {
                            best = r0[x + 1];
                            idx = top + x + 1;
                        }
                        if (r1[x] > best) {
                            best = r1[x];
                            idx = top + w.width + x;
                        }
                        if (r1[x + 1] > best) {
                            best = r1[x + 1];
                            idx = top + w.width + x + 1;
                        }
                        o[oy * w.outW + ox] = best;
                        a[oy * w.outW + ox] = static_cast<int32_t>(idx);
                    }
                }
                continue;
            }
            for (int64_t oy = 0; oy < w.outH; ++oy) {
                const int64_t y0 = std::max<int64_t>(oy * w.strideH - w.padTop, 0);
                const int64_t y1 = std::min<int64_t>(oy * w.strideH - w.padTop + w.kernelH, w.height);
                for (int64_t ox = 0; ox < w.outW; ++ox) {
                    const int64_t x0 = std::max<int64_t>(ox * w.strideW - w.padLeft, 0);
                    const int64_t x1 = std::min<int64_t>(ox * w.strideW - w.padLeft + w.kernelW, w.width);
                    float best = -std::numeric_limits<float>::infinity();
                    int64_t bestIdx = y0 * w.width + x0;
                    for (int64_t y = y0; y < y1; ++y)
                        for (int64_t xx = x0; xx < x1; ++xx) {
                            const float v = plane[y * w.width + xx];
                            if (v > best) {
                                best = v;
                                bestIdx = y * w.width + xx;
                            }
                        }
                    o[oy * w.outW + ox] = best;
                    a[oy * w.outW + ox] = static_cast<int32_t>(bestIdx);
                }
            }
        }
    };
    m_backend.parallelRange(planes, minPlanes(), run);
}

void CpuPool::averageForward(int64_t planes, const float* src, float* dst)
{
    const WindowDesc& w = m_w;
    const int64_t inPlane = w.height * w.width, outPlane = w.outH * w.outW;
    if (m_global) {
        const int64_t area = inPlane;
        const float inv = 1.0f / static_cast<float>(area);
        m_backend.parallelRange(
            planes, std::max<int64_t>(1, 16384 / area), [src, dst, area, inv](int64_t b, int64_t e) {
                for (int64_t p = b; p < e; ++p) {
                    const float* s = src + p * area;
                    float acc = 0.0f;
                    for (int64_t i = 0; i < area; ++i)
                        acc += s[i];
                    dst[p] = acc * inv;
                }
            });
        return;
    }
    auto run = [&](int64_t p0, int64_t p1) {
        for (int64_t pl = p0; pl < p1; ++pl) {
            const float* plane = src + pl * inPlane;
            float* o = dst + pl * outPlane;
            for (int64_t oy = 0; oy < w.outH; ++oy) {
                const int64_t y0 = std::max<int64_t>(oy * w.strideH - w.padTop, 0);
                const int64_t y1 = std::min<int64_t>(oy * w.strideH - w.padTop + w.kernelH, w.height);
                for (int64_t ox = 0; ox < w.outW; ++ox) {
                    const int64_t x0 = std::max<int64_t>(ox * w.strideW - w.padLeft, 0);
                    const int64_t x1 = std::min<int64_t>(ox * w.strideW - w.padLeft + w.kernelW, w.width);
                    float acc = 0.0f;
                    for (int64_t y = y0; y < y1; ++y)
                        for (int64_t xx = x0; xx < x1; ++xx)
                            acc += plane[y * w.width + xx];
                    const int64_t count = (y1 - y0) * (x1 - x0);
                    o[oy * w.outW + ox] = count > 0 ? acc / static_cast<float>(count) : 0.0f;
                }
            }
        }
    };
    m_backend.parallelRange(planes, minPlanes(), run);
}

void CpuPool::backward(int64_t n, const float*, const float*, const float* dy, float* dx)
{
    const WindowDesc& w = m_w;
    const int64_t planes = n * w.channels;
    const int64_t inPlane = w.height * w.width, outPlane = w.outH * w.outW;
    if (m_kind == PoolKind::Max) {
        const int32_t* arg = m_argmax.data();
        auto run = [&](int64_t p0, int64_t p1) {
            std::memset(dx + p0 * inPlane, 0, sizeof(float) * static_cast<size_t>((p1 - p0) * inPlane));
            for (int64_t pl = p0; pl < p1; ++pl) {
                float* g = dx + pl * inPlane;
                const float* d = dy + pl * outPlane;
                const int32_t* a = arg + pl * outPlane;
                for (int64_t i = 0; i < outPlane; ++i)
                    g[a[i]] += d[i];
            }
        };
        m_backend.parallelRange(planes, minPlanes(), run);
        return;
    }
    if (m_global) {
        const int64_t area = inPlane;
        const float inv = 1.0f / static_cast<float>(area);
        m_backend.parallelRange(planes, std::max<int64_t>(1, 16384 / area), [dy, dx, area, inv](int64_t b, int64_t e) {
            for (int64_t p = b; p < e; ++p) {
                const float g = dy[p] * inv;
                float* d = dx + p * area;
                for (int64_t i = 0; i < area; ++i)
                    d[i] = g;
            }
        });
        return;
    }
    auto run = [&](int64_t p0, int64_t p1) {
        std::memset(dx + p0 * inPlane, 0, sizeof(float) * static_cast<size_t>((p1 - p0) * inPlane));
        for (int64_t pl = p0; pl < p1; ++pl) {
            float* g = dx + pl * inPlane;
            const float* d = dy + pl * outPlane;
            for (int64_t oy = 0; oy < w.outH; ++oy) {
                const int64_t y0 = std::max<int64_t>(oy * w.strideH - w.padTop, 0);
                const int64_t y1 = std::min<int64_t>(oy * w.strideH - w.padTop + w.kernelH, w.height);
                for (int64_t ox = 0; ox < w.outW; ++ox) {
                    const int64_t x0 = std::max<int64_t>(ox * w.strideW - w.padLeft, 0);
                    const int64_t x1 = std::min<int64_t>(ox * w.strideW - w.padLeft + w.kernelW, w.width);
                    const int64_t count = (y1 - y0) * (x1 - x0);
                    if (count <= 0)
                        continue;
                    const float share = d[oy * w.outW + ox] / static_cast<float>(count);
                    for (int64_t y = y0; y < y1; ++y)
                        for (int64_t xx = x0; xx < x1; ++xx)
                            g[y * w.width + xx] += share;
                }
            }
        }
    };
    m_backend.parallelRange(planes, minPlanes(), run);
}

} // namespace

std::unique_ptr<PoolPrimitive> CpuBackend::createPool(const PoolDesc& desc)
{
    return std::make_unique<CpuPool>(*this, desc);
}

} // namespace netcanvas
