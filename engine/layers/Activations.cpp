#include "engine/layers/Activations.h"

#include "engine/layers/Elementwise.h"

namespace netcanvas {

void registerActivations(LayerRegistry& registry)
{
    for (const ActivationInfo& a : kActivations) {
        LayerInfo info;
        info.type = a.type;
        info.category = "Activation";
        info.doc = a.doc;
        if (a.hasAlpha())
            info.params = { floatParam(a.alphaName, a.alphaDefault, a.alphaMin, a.alphaMax, a.alphaDoc) };
        const ActivationInfo* row = &a; // kActivations is static: the factory may keep a pointer
        info.create = [row](const std::string& name, const LayerParams& p) {
            const float alpha = row->hasAlpha() ? static_cast<float>(p.getFloat(row->alphaName)) : 0.0f;
            return std::make_unique<ActivationLayer>(row->type, name, p, row->kind, alpha, row->flopsPerElement);
        };
        registry.add(std::move(info));
    }
}

} // namespace netcanvas
