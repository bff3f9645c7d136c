#pragma once
// GraphModel: the single owner of the netcanvas::ModelGraph being edited, as a QObject with
// id-based edits and signals (QtNodes-style model/view). The scene only listens to it; every
// user edit reaches it through a QUndoCommand (GraphCommands.h).
//
// Nodes are named by their id (the engine's node id). A connection is (from, to, port):
// `from`'s output feeds input slot `port` of `to`. Positions live in GraphNode::ui {"x","y"}
// (the top-left corner of the node's card, in scene coordinates).
//
// Ensures: after every edit analysis() is up to date (ModelGraph::analyze(), which never
// throws) and analysisChanged() has been emitted after the edit's own signals. Edits naming
// a node that does not exist are ignored (they return false / an empty id).
#include "engine/graph/ModelGraph.h"

#include <QObject>
#include <QPointF>
#include <QString>

#include <map>
#include <utility>
#include <vector>

namespace netcanvas::widgets {

// Result of a connection check: ok, or the reason it is refused (for the user).
struct ConnectCheck {
    bool ok = false;
    QString reason;
};

class GraphModel : public QObject {
    Q_OBJECT
public:
    explicit GraphModel(QObject* parent = nullptr);

    const ModelGraph& graph() const { return m_graph; }
    const GraphAnalysis& analysis() const { return m_analysis; }
    // The analysis of one node, or nullptr when it has none (unknown id).
    const NodeAnalysis* nodeAnalysis(const QString& id) const;
    const GraphNode* node(const QString& id) const { return m_graph.node(id.toStdString()); }
    bool contains(const QString& id) const { return m_graph.contains(id.toStdString()); }
    QStringList nodeIds() const;
    // Position of the node's card (0,0 when the node has none).
    QPointF nodePosition(const QString& id) const;
    static QPointF positionOf(const GraphNode& node);

    // Replaces the whole graph (open, new). Emits modelReset() then analysisChanged().
    void setGraph(ModelGraph graph);

    // Adds a node of `type` at `pos` with `params` (may be empty); `id` empty means a fresh
    // id from ModelGraph::uniqueId. Returns the id, or empty when `id` is taken.
    QString addNode(const QString& type, QPointF pos, const QString& id = {},
        const nlohmann::json& params = nlohmann::json::object());
    // Adds a complete node (inputs included, which must exist). Returns false when the id is taken.
    bool addNode(const GraphNode& node);
    // Removes the node and every edge touching it.
    bool removeNode(const QString& id);
    // Re-inserts removed nodes at their former indices (pairs of index and node, any order)
    // and sets the inputs of surviving consumers back to `consumerInputs`; `output` is the
    // output override to restore. Emits nodeCreated for each node and connectionCreated for
    // each edge it brings back. Used by the undo of RemoveNodes.
    void restoreNodes(const std::vector<std::pair<int, GraphNode>>& nodes,
        const std::map<std::string, std::vector<std::string>>& consumerInputs, const std::string& output);
    bool moveNode(const QString& id, QPointF pos);
    // Replaces the node's ui object exactly (undo of moves and layouts).
    bool setNodeUi(const QString& id, const nlohmann::json& ui);
    // Connects from → to at input `port` (append when port < 0 or past the end). Does not
    // check: callers ask canConnect() first. Returns false for unknown ids or from == to.
    bool connectNodes(const QString& from, const QString& to, int port = -1);
    // Removes input `port` of `to` when it is fed by `from` (port < 0: the first edge
    // from → to). Returns false when there is no such edge.
    bool disconnectNodes(const QString& from, const QString& to, int port = -1);
    // Sets one parameter; a null value removes the key (the default applies again).
    bool setParam(const QString& id, const QString& key, const nlohmann::json& value);
    // Freezes (false) or unfreezes a node (GraphNode::trainable). Emits nodeUpdated().
    bool setTrainable(const QString& id, bool trainable);

    // Renames a node everywhere (its consumers' inputs, the output override), keeping its
    // place in the node list. Announced as the old node's edges and node deleted, the new
    // ones created, then nodeRenamed(). Returns false when canRename() refuses.
    bool renameNode(const QString& oldId, const QString& newId);
    // Ids are non-empty, unique, and made of letters, digits, '_' and '-' (weights files name
    // tensors "<id>.<param>", so no dots).
    ConnectCheck canRename(const QString& oldId, const QString& newId) const;

    // Whether from → to (port, -1 = the next free slot) may be added: refuses unknown nodes,
    // a self-connection, a cycle, an input slot that is taken (single-input kinds), a kind
    // without inputs, and a connection after which the shapes do not fit (the reason is the
    // engine's message).
    ConnectCheck canConnect(const QString& from, const QString& to, int port = -1) const;
    // Whether the edge oldFrom → oldTo (input oldPort) may be replaced by from → to (port):
    // canConnect on the graph without the old edge (re-routing an edge on the canvas).
    ConnectCheck canReconnect(const QString& oldFrom, const QString& oldTo, int oldPort, const QString& from,
        const QString& to, int port = -1) const;

    // Number of input slots the canvas shows for a node: its connected inputs, plus one free
    // slot when the kind takes more ("+" for Add/Concat), at least one unless it takes none.
    int inputSlotCount(const QString& id) const;

signals:
    void nodeCreated(const QString& id);
    void nodeDeleted(const QString& id);
    void nodeUpdated(const QString& id); // parameters or position
    void connectionCreated(const QString& from, const QString& to, int port);
    void connectionDeleted(const QString& from, const QString& to, int port);
    void nodeRenamed(const QString& oldId, const QString& newId);
    void modelReset();
    void analysisChanged();

private:
    static ConnectCheck checkConnect(const ModelGraph& graph, const QString& from, const QString& to, int port);
    void reanalyze();

    ModelGraph m_graph;
    GraphAnalysis m_analysis;
};

} // namespace netcanvas::widgets
