#pragma once
// ELU: x for x > 0, alpha·(exp(x) − 1) otherwise (alpha default 1), elementwise.
#include "engine/layers/LayerRegistry.h"

namespace netcanvas {

void registerELU(LayerRegistry& registry);

} // namespace netcanvas
