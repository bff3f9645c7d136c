#include "widgets/canvas/EdgeItem.h"

#include "widgets/canvas/CanvasStyle.h"

#include <QFontMetricsF>
#include <QPainter>
#include <QPainterPathStroker>
#include <QStyleOptionGraphicsItem>

#include <algorithm>
#include <cmath>

namespace netcanvas::widgets {

namespace {
QFont labelFont()
{
    QFont f;
    f.setPointSizeF(7.5);
    return f;
}
} // namespace

EdgeItem::EdgeItem(const QString& from, const QString& to, int port)
    : m_from(from)
    , m_to(to)
    , m_port(port)
{
    setFlags(ItemIsSelectable);
    setZValue(0);
}

QPainterPath EdgeItem::curve(QPointF start, QPointF end, Qt::Orientation flow)
{
    const bool vertical = flow == Qt::Vertical;
    const double d = vertical ? end.y() - start.y() : end.x() - start.x();
    const double bend = std::max(30.0, std::abs(d) / 2 + (d < 0 ? 40 : 0));
    const QPointF dir = vertical ? QPointF(0, bend) : QPointF(bend, 0);
    QPainterPath p(start);
    p.cubicTo(start + dir, end - dir, end);
    return p;
}

void EdgeItem::setEnds(QPointF start, QPointF end, Qt::Orientation flow)
{
    if (start == m_start && end == m_end && flow == m_flow && !m_path.isEmpty())
        return;
    prepareGeometryChange();
    m_start = start;
    m_end = end;
    m_flow = flow;
    m_path = curve(start, end, flow);
}

void EdgeItem::setLabel(const QString& label)
{
    if (label == m_label)
        return;
    prepareGeometryChange();
    m_label = label;
    update();
}

QRectF EdgeItem::labelRect() const
{
    if (m_label.isEmpty() || m_path.isEmpty())
        return {};
    QFontMetricsF fm(labelFont());
    const QPointF mid = m_path.pointAtPercent(0.5);
    const double w = fm.horizontalAdvance(m_label) + 10, h = fm.height() + 2;
    // Beside a steep edge, on it when it runs sideways.
    const bool steep = std::abs(m_end.y() - m_start.y()) > std::abs(m_end.x() - m_start.x()) * 0.5;
    if (steep)
        return { mid.x() + 7, mid.y() - h / 2, w, h };
    if (m_flow == Qt::Horizontal)
        return { mid.x() - w / 2, mid.y() - h - 4, w, h }; // above a sideways edge
    return { mid.x() - w / 2, mid.y() - h / 2, w, h };
}

QRectF EdgeItem::boundingRect() const
{
    return m_path.boundingRect().adjusted(-4, -4, 4, 4).united(labelRect());
}

QPainterPath EdgeItem::shape() const
{
    QPainterPathStroker s;
    s.setWidth(10);
    return s.createStroke(m_path);
}

void EdgeItem::paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget*)
{
    const bool selected = option->state & QStyle::State_Selected;
    painter->setRenderHint(QPainter::Antialiasing);
    painter->setPen(
        QPen(selected ? style::selection() : style::edge(), selected ? 2.4 : 1.6, Qt::SolidLine, Qt::RoundCap));
    painter->setBrush(Qt::NoBrush);
    painter->drawPath(m_path);
    if (!m_label.isEmpty()) {
        const QRectF r = labelRect();
        painter->setPen(Qt::NoPen);
        painter->setBrush(QColor(255, 255, 255, 225));
        painter->drawRoundedRect(r, r.height() / 2, r.height() / 2);
        painter->setFont(labelFont());
        painter->setPen(style::mutedText());
        painter->drawText(r, Qt::AlignCenter, m_label);
    }
}

} // namespace netcanvas::widgets
