#include "engine/train/GradientClipping.h"

#include <cmath>

namespace netcanvas {

double clipGradientNorm(Backend& backend, const std::vector<FloatSpan>& gradients, double maxNorm)
{
    double squares = 0.0;
    for (const FloatSpan& g : gradients)
        squares += backend.sumSquares(g.data, g.count);
    const double norm = std::sqrt(squares);
    if (!std::isfinite(norm) || norm <= maxNorm)
        return norm;
    const float factor = static_cast<float>(maxNorm / (norm + 1e-6));
    for (const FloatSpan& g : gradients)
        backend.scale(factor, const_cast<float*>(g.data), g.count);
    return norm;
}

} // namespace netcanvas
