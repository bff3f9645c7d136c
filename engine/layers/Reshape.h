#pragma once
// Reshape: a per-sample shape → the one given by its "shape" parameter ("16x7x7", "49x16";
// one dimension may be -1 and takes what the others leave). Values are copied unchanged
// (row-major order), so Flatten is Reshape to "-1". Autoencoders reshape a Dense code back
// into channels × height × width; sequence models turn feature maps into steps × features.
#include "engine/layers/LayerSupport.h"

namespace netcanvas {

class ReshapeLayer final : public ReshapingLayer {
public:
    ReshapeLayer(std::string name, LayerParams params)
        : ReshapingLayer("Reshape", std::move(name), std::move(params))
    {
    }
    // Requires: the target holds as many values as the input (ShapeError naming both shapes).
    Shape outputShape(const std::vector<Shape>& inputs) const override;
};

void registerReshape(LayerRegistry& registry);

} // namespace netcanvas
