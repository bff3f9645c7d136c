#pragma once
// How a 2-D window (convolution or pooling) runs on cuDNN, as pure logic a host test can check.
//
// cuDNN pads symmetrically (one pad per axis, both sides). A symmetric window runs as is; an
// asymmetric one ("same" with an even kernel: one more cell at the bottom/right) runs on a copy
// of the input padded explicitly by (top, left, bottom, right) — zeros for a convolution, −∞ for
// max pooling — with cuDNN padding 0; its input gradient is cropped back to H × W. The output
// size is cuDNN's floor((H + padding − kernel) / stride) + 1, which must equal the layer's.
#include "engine/backend/kernels/ElementMath.h" // NC_HD

#include <cstdint>
#include <string>

namespace netcanvas::cuda {

struct PaddingPlan {
    bool explicitPad = false; // pad a copy of the input, cuDNN padding 0
    int64_t paddedH = 0, paddedW = 0; // input size cuDNN sees
    int64_t cudnnPadH = 0, cudnnPadW = 0; // cuDNN's symmetric padding
    int64_t outH = 0, outW = 0; // output size cuDNN computes
};

inline int64_t windowOutput(int64_t size, int64_t totalPad, int64_t kernel, int64_t stride)
{
    const int64_t span = size + totalPad - kernel;
    return span < 0 ? 0 : span / stride + 1;
}

inline PaddingPlan planPadding(int64_t height, int64_t width, int64_t kernelH, int64_t kernelW, int64_t strideH,
    int64_t strideW, int64_t padTop, int64_t padLeft, int64_t padBottom, int64_t padRight)
{
    PaddingPlan p;
    p.explicitPad = padTop != padBottom || padLeft != padRight;
    if (p.explicitPad) {
        p.paddedH = padTop + height + padBottom;
        p.paddedW = padLeft + width + padRight;
    } else {
        p.paddedH = height;
        p.paddedW = width;
        p.cudnnPadH = padTop;
        p.cudnnPadW = padLeft;
    }
    p.outH = windowOutput(height, padTop + padBottom, kernelH, strideH);
    p.outW = windowOutput(width, padLeft + padRight, kernelW, strideW);
    return p;
}

// Empty when the plan produces the layer's output size, else what differs.
inline std::string planMismatch(const PaddingPlan& p, int64_t outH, int64_t outW)
{
    if (p.outH == outH && p.outW == outW)
        return {};
    return "the window gives " + std::to_string(p.outH) + "×" + std::to_string(p.outW) + ", the layer expects "
        + std::to_string(outH) + "×" + std::to_string(outW);
}

// Average pooling "excluding padding" from one that counts every cell: over an explicitly
// zero-padded input, cuDNN (padding 0) divides each window's sum by kh·kw; multiplying output
// (oh, ow) by kh·kw / valid(oh, ow), valid = the window's cells inside the original H × W, gives
// the average over the real cells only (the CPU's definition). The same factor scales dy in
// backward. Used by padding.cu's kernel and checked on the host by tests/engine/test_cuda_logic.
struct PoolGeometry {
    int64_t height, width, kernelH, kernelW, strideH, strideW, padTop, padLeft, outH, outW;
};

NC_HD int64_t windowOverlap(int64_t origin, int64_t extent, int64_t size)
{
    const int64_t begin = origin < 0 ? 0 : origin;
    const int64_t end = origin + extent > size ? size : origin + extent;
    return end > begin ? end - begin : 0;
}

// 0 for a window wholly in the padding (no real cell: its average is taken as 0).
NC_HD float excludePaddingFactor(const PoolGeometry& g, int64_t oh, int64_t ow)
{
    const int64_t valid = windowOverlap(oh * g.strideH - g.padTop, g.kernelH, g.height)
        * windowOverlap(ow * g.strideW - g.padLeft, g.kernelW, g.width);
    return valid > 0 ? static_cast<float>(g.kernelH * g.kernelW) / static_cast<float>(valid) : 0.0f;
}

} // namespace netcanvas::cuda
