#pragma once
// Tanh: tanh(x), elementwise; output in (−1, 1).
#include "engine/layers/LayerRegistry.h"

namespace netcanvas {

void registerTanh(LayerRegistry& registry);

} // namespace netcanvas
