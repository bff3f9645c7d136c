#pragma once
// AvgPool2D: the mean of each pool×pool window, per channel. Padding cells are not counted
// (count_include_pad = false): a border window averages only the cells it covers.
#include "engine/layers/Pool2D.h"

namespace netcanvas {

class AvgPool2DLayer final : public Pool2DBase {
public:
    AvgPool2DLayer(std::string name, LayerParams params)
        : Pool2DBase("AvgPool2D", std::move(name), std::move(params), PoolKind::Average)
    {
    }
};

void registerAvgPool2D(LayerRegistry& registry);

} // namespace netcanvas
