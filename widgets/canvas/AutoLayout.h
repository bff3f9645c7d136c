#pragma once
// AutoLayout: positions for every node of a graph (engine/graph/GraphLayout gives the layers
// and slots; this gives them the canvas's node sizes), layered by longest path from the
// sources (a node sits one layer below its deepest input), top-to-bottom or left-to-right.
// Within a layer, nodes keep the order of their inputs (barycenter), centered on x = 0
// (top-to-bottom) or y = 0 (left-to-right). Cycles are tolerated (back edges ignored).
#include "engine/graph/ModelGraph.h"

#include <QPointF>
#include <QString>

#include <map>

namespace netcanvas::widgets {

std::map<QString, QPointF> computeAutoLayout(const ModelGraph& graph, Qt::Orientation orientation);

} // namespace netcanvas::widgets
