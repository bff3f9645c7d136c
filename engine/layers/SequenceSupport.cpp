#include "engine/layers/SequenceSupport.h"

#include <algorithm>

namespace netcanvas {

bool sequenceDims(const Shape& shape, SequenceDims& out)
{
    const int r = shape.rank();
    if (r != 2 && !(r == 3 && shape[0] == 1))
        return false;
    out.steps = shape[r - 2];
    out.features = shape[r - 1];
    return out.steps > 0 && out.features > 0;
}

std::string computeWindow1D(int64_t steps, int64_t kernel, int64_t stride, const std::string& padding, Window1D& w)
{
    w = Window1D {};
    w.kernel = kernel;
    w.stride = stride;
    w.inSteps = steps;
    if (kernel < 1 || stride < 1)
        return "kernel and stride must be at least 1";
    if (padding == "same") {
        w.outSteps = (steps + stride - 1) / stride;
        const int64_t total = std::max<int64_t>((w.outSteps - 1) * stride + kernel - steps, 0);
        w.padFront = total / 2;
        w.padBack = total - w.padFront;
        return {};
    }
    if (steps < kernel)
        return "kernel " + std::to_string(kernel) + " does not fit " + std::to_string(steps) + " steps with padding "
            + padding;
    w.outSteps = (steps - kernel) / stride + 1;
    return {};
}

} // namespace netcanvas
