#include "engine/backend/cpu/CpuIm2col.h"

#include <algorithm>
#include <cstring>

namespace netcanvas::cpu {

namespace {
// Output columns [lo, hi) whose input column ow·stride − padLeft + kw lies inside [0, inW).
inline void validRange(int64_t offset, int64_t stride, int64_t in, int64_t out, int64_t& lo, int64_t& hi)
{
    lo = 0;
    while (lo < out && lo * stride + offset < 0)
        ++lo;
    hi = out;
    while (hi > lo && (hi - 1) * stride + offset >= in)
        --hi;
}
} // namespace

void im2col(const float* image, int64_t channels, const WindowDesc& w, float* col, int64_t ld)
{
    const int64_t kH = w.kernelH, kW = w.kernelW, sH = w.strideH, sW = w.strideW;
    const int64_t oh = w.outH, ow = w.outW, ih = w.height, iw = w.width;
    for (int64_t c = 0; c < channels; ++c) {
        const float* plane = image + c * ih * iw;
        for (int64_t kh = 0; kh < kH; ++kh) {
            int64_t yLo, yHi;
            validRange(kh - w.padTop, sH, ih, oh, yLo, yHi);
            for (int64_t kw = 0; kw < kW; ++kw) {
                float* dst = col + ((c * kH + kh) * kW + kw) * ld;
                int64_t xLo, xHi;
                validRange(kw - w.padLeft, sW, iw, ow, xLo, xHi);
                std::memset(dst, 0, sizeof(float) * static_cast<size_t>(yLo * ow));
                if (sH == 1 && sW == 1 && ow == iw && yHi > yLo && xHi > xLo) {
                    // Stride 1, output as wide as the input ("same"): the valid rows are one
                    // shifted copy of the plane; only the xLo/xHi border columns, which the
                    // copy filled with the neighbouring row's pixels, are then zeroed.
                    const int64_t shift = (kh - w.padTop) * iw + (kw - w.padLeft);
                    const int64_t first = yLo * ow + xLo, last = (yHi - 1) * ow + xHi;
                    std::memcpy(dst + first, plane + first + shift, sizeof(float) * static_cast<size_t>(last - first));
                    // Column by column (strided): per-row loops of one or two floats would
                    // each become a memset call.
                    for (int64_t x = 0; x < xLo; ++x)
                        for (int64_t y = yLo; y < yHi; ++y)
                            dst[y * ow + x] = 0.0f;
                    for (int64_t x = xHi; x < ow; ++x)
                        for (int64_t y = yLo; y < yHi; ++y)
                            dst[y * ow + x] = 0.0f;
                    std::memset(dst + yHi * ow, 0, sizeof(float) * static_cast<size_t>((oh - yHi) * ow));
                    continue;
                }
                for (int64_t y = yLo; y < yHi; ++y) {
                    float* d = dst + y * ow;
                    const int64_t base = (y * sH + kh - w.padTop) * iw + (kw - w.padLeft);
                    for (int64_t x = 0; x < xLo; ++x)
                        d[x] = 0.0f;
                    if (sW == 1) {
                        // A plain loop, not memcpy: rows are short (kH·kW rows of outW floats
                        // per channel), and a call per row cost more than the copy.
                        float* __restrict to = d;
                        const float* __restrict from = plane + base;
                        for (int64_t x = xLo; x < xHi; ++x)
                            to[x] = from[x];
                    } else {
                        for (int64_t x = xLo; x < xHi; ++x)
                            d[x] = plane[base + x * sW];
                    }
                    for (int64_t x = xHi; x < ow; ++x)
                        d[x] = 0.0f;
                }
                std::memset(dst + yHi * ow, 0, sizeof(float) * static_cast<size_t>((oh - yHi) * ow));
            }
        }
    }
}

void col2im(const float* col, int64_t ld, int64_t channels, const WindowDesc& w, float* image)
{
    const int64_t kH = w.kernelH, kW = w.kernelW, sH = w.strideH, sW = w.strideW;
    const int64_t ow = w.outW, oh = w.outH, ih = w.height, iw = w.width;
    for (int64_t c = 0; c < channels; ++c) {
        float* plane = image + c * ih * iw;
        for (int64_t kh = 0; kh < kH; ++kh) {
            int64_t yLo, yHi;
            validRange(kh - w.padTop, sH, ih, oh, yLo, yHi);
            for (int64_t kw = 0; kw < kW; ++kw) {
                const float* srcRow = col + ((c * kH + kh) * kW + kw) * ld;
                int64_t xLo, xHi;
                validRange(kw - w.padLeft, sW, iw, ow, xLo, xHi);
                for (int64_t y = yLo; y < yHi; ++y) {
                    const float* src = srcRow + y * ow;
                    const int64_t base = (y * sH + kh - w.padTop) * iw + (kw - w.padLeft);
                    if (sW == 1) {
                        // Contiguous: lets the compiler vectorize.
                        float* __restrict d = plane + base;
                        const float* __restrict from = src;
                        for (int64_t x = xLo; x < xHi; ++x)
                            d[x] += from[x];
                    } else {
                        for (int64_t x = xLo; x < xHi; ++x)
                            plane[base + x * sW] += src[x];
                    }
                }
            }
        }
    }
}

} // namespace netcanvas::cpu
