#pragma once
// Weight initializers shared by Dense and Conv2D, and the schema entries that select them.
//
// fanIn/fanOut: Dense in_features/units; Conv2D C·k·k / F·k·k.
//   he_normal      N(0, sqrt(2/fanIn))            he_uniform      U(±sqrt(6/fanIn))
//   glorot_normal  N(0, sqrt(2/(fanIn+fanOut)))   glorot_uniform  U(±sqrt(6/(fanIn+fanOut)))
//   normal         N(0, init_std) — the traditional constant-variance initialization
//   zeros          all 0 (never breaks the symmetry between units: a teaching example)
#include "engine/core/Rng.h"
#include "engine/core/Tensor.h"
#include "engine/layers/LayerRegistry.h"

#include <string>
#include <vector>

namespace netcanvas {

// The names accepted by initializeWeights(), in palette order.
const std::vector<std::string>& initializerNames();

// Fills `weights` from rng. Throws FormatError for an unknown name.
// Requires fanIn >= 1, fanOut >= 1, stddev > 0 when kind is "normal".
void initializeWeights(
    Tensor& weights, const std::string& kind, int64_t fanIn, int64_t fanOut, double stddev, Rng& rng);

// Schema entries "init" (default glorot_uniform) and "init_std" (default 0.01).
std::vector<ParamSpec> initializerParams();

} // namespace netcanvas
