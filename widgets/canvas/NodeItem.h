#pragma once
// NodeItem: the card of one graph node on the canvas. It paints what the GraphModel says
// (type, id, output shape, parameter count, category stripe, ports, the engine's error) and
// owns no graph data: GraphScene calls refresh() when the model changes.
//
// Geometry (item coordinates): the card is [0, kNodeWidth] × [0, kNodeHeight]; input slots
// sit on the top edge, the output port in the middle of the bottom edge (left and right
// edges when the scene's flow is horizontal). The item's pos() is the node's ui position.
#include <QGraphicsItem>
#include <QString>

namespace netcanvas::widgets {

class GraphModel;

class NodeItem : public QGraphicsItem {
public:
    enum { Type = UserType + 1 };

    NodeItem(GraphModel* model, const QString& id);

    int type() const override { return Type; }
    const QString& nodeId() const { return m_id; }

    // Re-reads the node and its analysis from the model.
    void refresh();

    int inputSlotCount() const { return m_slots; }
    QPointF inputPortPos(int slot) const; // item coordinates
    QPointF outputPortPos() const;
    // The input slot under `itemPos` (generous radius), or -1.
    int inputSlotAt(QPointF itemPos) const;
    bool isOnOutputPort(QPointF itemPos) const;
    // Whether the node is shown as failing (red border, the engine's reason next to it).
    // A node that only fails because an input fails, or that is not connected yet, is shown
    // muted instead, so the red marks the cause.
    bool hasError() const { return !m_error.isEmpty(); }
    // The line under the type: the output shape, or why there is none.
    const QString& statusText() const { return m_status; }
    // Not trainable (GraphNode::trainable): drawn with a dashed outline and "frozen · N" (its parameters).
    bool isFrozen() const { return m_frozen; }
    const QString& paramsText() const { return m_params; }
    QRectF cardRect() const;

    QRectF boundingRect() const override;
    QPainterPath shape() const override;
    void paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget* widget) override;

protected:
    QVariant itemChange(GraphicsItemChange change, const QVariant& value) override;
    void hoverMoveEvent(QGraphicsSceneHoverEvent* event) override;
    void hoverLeaveEvent(QGraphicsSceneHoverEvent* event) override;

private:
    QRectF errorRect() const;
    bool horizontal() const;

    GraphModel* m_model;
    QString m_id;
    QString m_type, m_category, m_shape, m_params, m_error, m_status;
    bool m_frozen = false;
    int m_slots = 0;
    int m_connected = 0;
    bool m_variadic = false; // Add/Concat: the last slot is a "+"
    int m_hoverSlot = -2; // -1: output port, >= 0: input slot, -2: none
};

} // namespace netcanvas::widgets
