#pragma once
// EdgeItem: one connection on the canvas, a cubic curve from the source's output port to an
// input slot of the target, labelled at its midpoint with the tensor shape it carries.
// Owns no graph data: GraphScene sets its end points and label from the model.
#include <QGraphicsItem>
#include <QPainterPath>
#include <QString>

namespace netcanvas::widgets {

class EdgeItem : public QGraphicsItem {
public:
    enum { Type = UserType + 2 };

    EdgeItem(const QString& from, const QString& to, int port);

    int type() const override { return Type; }
    const QString& from() const { return m_from; }
    const QString& to() const { return m_to; }
    int port() const { return m_port; }

    // Scene coordinates of the output port and of the input slot.
    void setEnds(QPointF start, QPointF end, Qt::Orientation flow = Qt::Vertical);
    void setLabel(const QString& label);
    const QString& label() const { return m_label; }
    // The curve between two points, as the canvas draws it (also used for the rubber edge).
    static QPainterPath curve(QPointF start, QPointF end, Qt::Orientation flow = Qt::Vertical);

    QRectF boundingRect() const override;
    QPainterPath shape() const override;
    void paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget* widget) override;

private:
    QRectF labelRect() const;

    QString m_from, m_to;
    int m_port;
    QPointF m_start, m_end;
    Qt::Orientation m_flow = Qt::Vertical;
    QPainterPath m_path;
    QString m_label;
};

} // namespace netcanvas::widgets
