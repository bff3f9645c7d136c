#include "widgets/charts/Decimation.h"

#include <algorithm>

namespace netcanvas::widgets {

QList<QPointF> decimateMinMax(const std::vector<QPointF>& points, int maxPoints)
{
    QList<QPointF> out;
    const qsizetype n = static_cast<qsizetype>(points.size());
    maxPoints = std::max(maxPoints, 4);
    if (n <= maxPoints) {
        out.reserve(n);
        for (const QPointF& p : points)
            out.append(p);
        return out;
    }
    // The first and last point are kept on their own; the rest go into buckets of two.
    const int buckets = (maxPoints - 2) / 2;
    const double x0 = points.front().x();
    const double span = std::max(points.back().x() - x0, 1e-300);
    out.reserve(maxPoints);
    out.append(points.front());
    qsizetype i = 1;
    for (int b = 0; b < buckets && i < n - 1; ++b) {
        const double end = x0 + span * (b + 1) / buckets;
        qsizetype lo = -1, hi = -1;
        for (; i < n - 1 && (points[static_cast<size_t>(i)].x() <= end || b == buckets - 1); ++i) {
            const double y = points[static_cast<size_t>(i)].y();
            if (lo < 0 || y < points[static_cast<size_t>(lo)].y())
                lo = i;
            if (hi < 0 || y > points[static_cast<size_t>(hi)].y())
                hi = i;
        }
        if (lo < 0)
            continue;
        const qsizetype first = std::min(lo, hi), second = std::max(lo, hi);
        out.append(points[static_cast<size_t>(first)]);
        if (second != first)
            out.append(points[static_cast<size_t>(second)]);
    }
    out.append(points.back());
    return out;
}

} // namespace netcanvas::widgets
