#include "widgets/canvas/AutoLayout.h"

#include "engine/graph/GraphLayout.h"
#include "widgets/canvas/CanvasStyle.h"

namespace netcanvas::widgets {

std::map<QString, QPointF> computeAutoLayout(const ModelGraph& graph, Qt::Orientation orientation)
{
    const bool tb = orientation == Qt::Vertical;
    const double along = tb ? style::kNodeHeight + 44 : style::kNodeWidth + 70; // between layers
    const double across = tb ? style::kNodeWidth + 40 : style::kNodeHeight + 40; // within a layer
    std::map<QString, QPointF> out;
    for (const auto& [id, s] : layeredLayout(graph)) {
        const double a = s.layer * along;
        const double c = s.slot * across;
        out[QString::fromStdString(id)] = tb ? QPointF(c, a) : QPointF(a, c);
    }
    return out;
}

} // namespace netcanvas::widgets
