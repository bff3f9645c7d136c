// One line per built-in layer kind. Adding a layer: a file pair in engine/layers/ with a
// register<Kind>(LayerRegistry&) function, its tests, and one line here.
#include "engine/layers/LayerRegistry.h"

namespace netcanvas {

void registerBuiltinLayers(LayerRegistry& registry)
{
    (void)registry;
}

} // namespace netcanvas
