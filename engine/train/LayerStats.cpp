#include "engine/train/LayerStats.h"

namespace netcanvas {

nlohmann::json layerStatsToJson(const LayerStatsEvent& e)
{
    nlohmann::json layers = nlohmann::json::array();
    for (const LayerStat& s : e.layers)
        layers.push_back({ { "node", s.node }, { "param_norm", s.paramNorm }, { "update_norm", s.updateNorm },
            { "grad_norm", s.gradNorm }, { "ratio", s.ratio() } });
    return { { "step", e.globalStep }, { "epoch", e.epoch }, { "batch", e.batch }, { "layers", std::move(layers) } };
}

} // namespace netcanvas
