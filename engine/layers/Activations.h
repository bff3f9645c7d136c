#pragma once
// The activation layer kinds (ReLU, LeakyReLU, ELU, Tanh, Sigmoid, ...): one ActivationLayer kind
// per row of backend/kernels/ActivationTable.h, registered from the table — its type name, doc
// line, optional alpha parameter and FLOPs per element. Adding a row adds the layer kind.
#include "engine/layers/LayerRegistry.h"

namespace netcanvas {

// Registers every row of the activation table, in table order (the palette's order).
void registerActivations(LayerRegistry& registry);

} // namespace netcanvas
