#pragma once
// Sigmoid: 1 / (1 + exp(−x)), elementwise; output in (0, 1).
#include "engine/layers/LayerRegistry.h"

namespace netcanvas {

void registerSigmoid(LayerRegistry& registry);

} // namespace netcanvas
