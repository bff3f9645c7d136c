#pragma once
// GraphScene: the canvas' scene. It only listens to a GraphModel and builds NodeItem /
// EdgeItem from it; every user edit (move, connect, delete, paste, layout, drop) becomes a
// QUndoCommand pushed on the undo stack, which changes the model, whose signals update the
// items. Nothing here owns graph data.
//
// Interaction: drag from an output port to an input slot (or onto a node) to connect; the
// connection is checked with GraphModel::canConnect and a refusal is reported through
// message() at the drop point. Dragging a connected input slot picks its edge up: drop it
// on another input to re-route it, or on empty canvas to disconnect. Moving nodes becomes one MoveNodes command on
// release. Delete removes the selected nodes and edges.
//
// Requires: model and undo stack outlive the scene.
#include <QGraphicsScene>
#include <QHash>
#include <QImage>
#include <QMap>
#include <QPointF>
#include <QStringList>

class QUndoStack;
class QGraphicsPathItem;

namespace netcanvas::widgets {

class EdgeItem;
class GraphModel;
class NodeItem;

inline constexpr const char* kNodesMimeType = "application/x-netcanvas-nodes";

class GraphScene : public QGraphicsScene {
    Q_OBJECT
public:
    GraphScene(GraphModel* model, QUndoStack* undoStack, QObject* parent = nullptr);
    ~GraphScene() override;

    GraphModel* model() const { return m_model; }
    QUndoStack* undoStack() const { return m_undo; }

    NodeItem* nodeItem(const QString& id) const { return m_nodes.value(id); }
    QList<NodeItem*> nodeItems() const { return m_nodes.values(); }
    QList<EdgeItem*> edgeItems() const;
    QStringList selectedNodeIds() const;

    // Which way data flows on the canvas: Vertical (ports on top/bottom, the default) or
    // Horizontal (inputs on the left, output on the right). Auto-layout sets it; a loaded
    // model gets the one its positions suggest.
    Qt::Orientation flow() const { return m_flow; }
    void setFlow(Qt::Orientation flow);

    bool snapToGrid() const { return m_snap; }
    void setSnapToGrid(bool on) { m_snap = on; }
    // True while items are being positioned from the model (no snapping, no commands).
    bool isApplyingModel() const { return m_applying; }

    // Adds a node of `type` centred on `scenePos` (an AddNode command). Returns its id.
    QString addNodeAt(const QString& type, QPointF scenePos);
    // Checks and pushes a Connect command; when refused, emits message(reason, where).
    bool tryConnect(const QString& from, const QString& to, int port, QPointF where = {});

    // The clipboard payload of the selected nodes (MIME application/x-netcanvas-nodes, and
    // the same JSON as text): an array of model-format nodes with only internal inputs.
    QByteArray selectionJson() const;

    // The whole graph rendered on white at `scale` (selection not shown), for PNG export.
    // A null image when the graph is empty.
    QImage toImage(double scale = 2.0);

public slots:
    void deleteSelection();
    void copySelection();
    void cutSelection();
    // Pastes the clipboard (when it holds nodes) shifted so repeated pastes do not stack.
    void paste();
    void pasteJson(const QByteArray& json, QPointF offset);
    void selectAllNodes();
    void autoLayout(Qt::Orientation orientation);

signals:
    // A transient message for the user at a scene position (e.g. a refused connection).
    void message(const QString& text, QPointF scenePos);
    // The single selected node, or empty when none or several are selected.
    void currentNodeChanged(const QString& id);

public:
    // Called by NodeItem when it moved: keeps attached edges in place.
    void nodeItemMoved(NodeItem* item);

protected:
    void mousePressEvent(QGraphicsSceneMouseEvent* event) override;
    void mouseMoveEvent(QGraphicsSceneMouseEvent* event) override;
    void mouseReleaseEvent(QGraphicsSceneMouseEvent* event) override;
    void keyPressEvent(QKeyEvent* event) override;

private:
    void rebuild();
    void onNodeCreated(const QString& id);
    void onNodeDeleted(const QString& id);
    void onNodeUpdated(const QString& id);
    void onConnectionChanged(const QString& from, const QString& to);
    void onAnalysisChanged();
    void rebuildEdgesInto(const QString& to);
    void updateEdge(EdgeItem* edge);
    NodeItem* nodeAt(QPointF scenePos, NodeItem* except = nullptr) const;

    GraphModel* m_model;
    QUndoStack* m_undo;
    QHash<QString, NodeItem*> m_nodes;
    QHash<QString, QList<EdgeItem*>> m_edgesInto; // by target node
    bool m_snap = true;
    Qt::Orientation m_flow = Qt::Vertical;
    bool m_applying = false;
    QString m_lastCurrent;

    // Connection drag.
    QGraphicsPathItem* m_rubber = nullptr;
    QString m_dragFrom;
    QString m_dragTarget; // "node#slot" last checked, so canConnect runs once per target
    EdgeItem* m_rerouting = nullptr; // the edge picked up from its input slot, if any
    bool m_dragTargetOk = true;
    // Move tracking: positions at press.
    QMap<QString, QPointF> m_pressPositions;
    int m_pasteCount = 0;
};

} // namespace netcanvas::widgets
