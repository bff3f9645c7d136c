#pragma once
// Min/max decimation of a curve for display: the x range is cut into buckets (think: one
// per pixel column) and each bucket keeps only its lowest and its highest point, in x
// order. Spikes survive, so a decimated curve looks like the full one at screen resolution.
#include <QList>
#include <QPointF>

#include <vector>

namespace netcanvas::widgets {

// Requires: points sorted by x. Ensures: at most max(maxPoints, 2) points; returns every
// point when there are no more than maxPoints; the global minimum and maximum of y (and
// the first and last point) are kept.
QList<QPointF> decimateMinMax(const std::vector<QPointF>& points, int maxPoints);

} // namespace netcanvas::widgets
