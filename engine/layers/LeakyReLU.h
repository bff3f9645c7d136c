#pragma once
// LeakyReLU: x for x > 0, alpha·x otherwise (alpha default 0.01), elementwise.
#include "engine/layers/LayerRegistry.h"

namespace netcanvas {

void registerLeakyReLU(LayerRegistry& registry);

} // namespace netcanvas
