#pragma once
// LayerStats: per-layer health of training — the update:parameter ratio ‖Δw‖/‖w‖ of a step
// (about 1e-3 when healthy; far below, the layer barely learns; far above, it is unstable) and
// the gradient norm ‖g‖ (vanishing below ~1e-7, exploding above ~1e3), the DL4J training UI's
// panels. Computed by the Trainer every TrainConfig::layerStatsEvery steps, on the backend's
// device, from tensors the step already has: the pre-step copy of the weights (for Δw), the
// weights and the gradients as the optimizer receives them (after loss-scale unscaling and
// clipping, before its L1/L2 and weight-decay terms).
// A layer is a node: the norms are over all of its trainable parameters that the optimizer
// updates (weights and bias together); frozen nodes and nodes without parameters are left out.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace netcanvas {

struct LayerStat {
    std::string node;
    double paramNorm = 0.0; // ‖w‖ after the step
    double updateNorm = 0.0; // ‖w_after − w_before‖
    double gradNorm = 0.0; // ‖g‖
    double ratio() const { return paramNorm > 0.0 ? updateNorm / paramNorm : 0.0; }
};

struct LayerStatsEvent {
    int64_t globalStep = 0; // 0-based over the run
    int epoch = 0;
    int64_t batch = 0;
    std::vector<LayerStat> layers; // in the network's order
};

// The healthy ranges the charts leave unshaded (docs/run-control.md).
constexpr double kHealthyRatioLow = 1e-4, kHealthyRatioHigh = 1e-2;
constexpr double kHealthyGradLow = 1e-7, kHealthyGradHigh = 1e3;

// One JSON line of `train --layer-stats`: {"step", "epoch", "batch", "layers": [{"node",
// "param_norm", "update_norm", "grad_norm", "ratio"}]}.
nlohmann::json layerStatsToJson(const LayerStatsEvent& event);

} // namespace netcanvas
