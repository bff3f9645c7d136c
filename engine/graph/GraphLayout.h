#pragma once
// Layered layout of a graph, without geometry: each node's layer (longest path from the
// sources: a node sits one layer below its deepest input) and its slot within the layer
// (nodes keep the order of their inputs — barycenter —, centered on 0). Cycles are tolerated
// (back edges ignored). The canvas's auto-layout (widgets/canvas/AutoLayout) turns slots into
// points with its node sizes; ONNX import places an imported graph with it.
#include "engine/graph/ModelGraph.h"

#include <map>
#include <string>

namespace netcanvas {

struct LayoutSlot {
    int layer = 0;
    double slot = 0.0; // position within the layer, centered on 0
};

std::map<std::string, LayoutSlot> layeredLayout(const ModelGraph& graph);

// Sets every node's ui {x, y} from layeredLayout, top to bottom: `along` apart between layers,
// `across` apart within one (the canvas's vertical auto-layout spacing by default).
void applyLayeredLayout(ModelGraph& graph, double along = 100, double across = 220);

} // namespace netcanvas
