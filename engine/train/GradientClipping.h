#pragma once
// Gradient clipping by global norm (PyTorch's clip_grad_norm_): when the L2 norm of all
// gradients together exceeds maxNorm, every gradient is scaled by maxNorm / (norm + 1e-6), so
// the direction of the step is kept and its length bounded — recurrent networks need it,
// their gradients occasionally explode through many steps.
#include "engine/backend/Backend.h"

#include <vector>

namespace netcanvas {

// Requires: spans in `backend`'s memory; maxNorm > 0.
// Ensures: returns the global norm before clipping; afterwards the norm is min(norm, maxNorm)
// (to a relative 1e-6). Nothing changes when the norm is within the bound or not finite (the
// trainer's divergence checks report a non-finite gradient).
double clipGradientNorm(Backend& backend, const std::vector<FloatSpan>& gradients, double maxNorm);

} // namespace netcanvas
