#pragma once
// ReLU: max(0, x), elementwise.
#include "engine/layers/LayerRegistry.h"

namespace netcanvas {

void registerReLU(LayerRegistry& registry);

} // namespace netcanvas
