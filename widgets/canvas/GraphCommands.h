#pragma once
// GraphCommands: one QUndoCommand per canvas edit, applied to the GraphModel (never to
// scene items, which follow the model's signals). Undo restores the graph exactly: the
// serialized model after redo+undo equals the one before.
//
// Requires: the model outlives the commands (the document owns both the model and the
// undo stack, and clears the stack before replacing the graph).
#include "widgets/canvas/GraphModel.h"

#include <QPointF>
#include <QUndoCommand>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace netcanvas::widgets {

enum CommandId { MoveNodesId = 4101, SetParamId = 4102 };

// Adds one node of a layer type at a position (the card's top-left corner).
class AddNodeCommand : public QUndoCommand {
public:
    AddNodeCommand(GraphModel* model, const QString& type, QPointF pos,
        const nlohmann::json& params = nlohmann::json::object(), QUndoCommand* parent = nullptr);
    void redo() override;
    void undo() override;
    // The id of the node, known after the first redo().
    QString nodeId() const { return m_id; }

private:
    GraphModel* m_model;
    QString m_type;
    QPointF m_pos;
    nlohmann::json m_params;
    QString m_id;
};

// Removes nodes and every edge touching them; undo puts back the nodes at their former
// places in the node list and every edge on its former port.
class RemoveNodesCommand : public QUndoCommand {
public:
    RemoveNodesCommand(GraphModel* model, const QStringList& ids, QUndoCommand* parent = nullptr);
    void redo() override;
    void undo() override;

private:
    GraphModel* m_model;
    std::vector<std::pair<int, GraphNode>> m_nodes;
    std::map<std::string, std::vector<std::string>> m_consumerInputs;
    std::string m_output;
};

// Moves nodes (old → new ui objects). Consecutive moves of the same set of nodes merge into
// one undo step.
class MoveNodesCommand : public QUndoCommand {
public:
    // `moves`: id → new position; the old ui is read from the model at construction, so
    // construct it before the model moves (items move during a drag, the model on release).
    MoveNodesCommand(GraphModel* model, const std::map<QString, QPointF>& moves, QUndoCommand* parent = nullptr);
    void redo() override;
    void undo() override;
    int id() const override { return MoveNodesId; }
    bool mergeWith(const QUndoCommand* other) override;

private:
    GraphModel* m_model;
    std::map<QString, nlohmann::json> m_oldUi;
    std::map<QString, QPointF> m_newPos;
};

// Adds the edge from → to at input `port` (-1: append).
class ConnectCommand : public QUndoCommand {
public:
    ConnectCommand(
        GraphModel* model, const QString& from, const QString& to, int port = -1, QUndoCommand* parent = nullptr);
    void redo() override;
    void undo() override;

private:
    GraphModel* m_model;
    QString m_from, m_to;
    int m_port;
    int m_actualPort = -1;
};

// Removes the edge from → to at input `port` (-1: the first such edge).
class DisconnectCommand : public QUndoCommand {
public:
    DisconnectCommand(
        GraphModel* model, const QString& from, const QString& to, int port = -1, QUndoCommand* parent = nullptr);
    void redo() override;
    void undo() override;

private:
    GraphModel* m_model;
    QString m_from, m_to;
    int m_port;
};

// Sets one parameter (null: back to the default). Consecutive edits of the same parameter
// of the same node merge (spin box steps).
class SetParamCommand : public QUndoCommand {
public:
    SetParamCommand(GraphModel* model, const QString& nodeId, const QString& key, const nlohmann::json& value,
        QUndoCommand* parent = nullptr);
    void redo() override;
    void undo() override;
    int id() const override { return SetParamId; }
    bool mergeWith(const QUndoCommand* other) override;

private:
    GraphModel* m_model;
    QString m_node, m_key;
    nlohmann::json m_old, m_new; // null: key absent
};

// Sets the model's output width to `classes`: the units of the Dense layer that feeds the
// output (found by walking back from the output through single-input layers that keep the
// width: Softmax, activations, Dropout). One undo step named "Set output to N classes",
// made of a SetParamCommand child.
// Requires: outputLayer(model) is not empty (construct it only then).
class SetOutputClassesCommand : public QUndoCommand {
public:
    SetOutputClassesCommand(GraphModel* model, int classes, QUndoCommand* parent = nullptr);
    // The Dense layer that sets the output width, or empty when the output is not set by one.
    static QString outputLayer(const GraphModel& model);
    QString layer() const { return m_layer; }

private:
    QString m_layer;
};

// Freezes or unfreezes nodes (GraphNode::trainable): one undo step, "Freeze conv1" /
// "Unfreeze 2 nodes".
class SetTrainableCommand : public QUndoCommand {
public:
    SetTrainableCommand(GraphModel* model, const QStringList& nodeIds, bool trainable, QUndoCommand* parent = nullptr);
    void redo() override;
    void undo() override;

private:
    GraphModel* m_model;
    QStringList m_nodes;
    QList<bool> m_old;
    bool m_new;
};

// Replace head: the classifier's output Dense (SetOutputClassesCommand::outputLayer) becomes a
// new layer for `classes` classes — renamed to a fresh id ("head", "head2", ...) so that
// weights loaded by name leave it freshly initialized, its units set to `classes`, trainable.
// One undo step "Replace head (N classes)". Requires: outputLayer(model) is not empty.
// `wholeClassifier`: every other Dense layer of the classifier (classifierDenseLayers: fc1 and
// fc2 of LeNet-5) is renamed too ("fc1_new", ...) and made trainable, so that pretrained
// weights loaded by name leave the whole classifier freshly initialized and only the
// (convolutional) features are transferred; the step is then "Replace classifier (N classes)".
class ReplaceHeadCommand : public QUndoCommand {
public:
    ReplaceHeadCommand(GraphModel* model, int classes, QUndoCommand* parent = nullptr, bool wholeClassifier = false);
    QString oldId() const { return m_old; }
    QString newId() const { return m_new; }
    // The hidden Dense layers renamed with wholeClassifier: old id → new id.
    const QList<QPair<QString, QString>>& renamedHidden() const { return m_hidden; }

private:
    QString m_old, m_new;
    QList<QPair<QString, QString>> m_hidden;
};

// Renames a node (and every reference to it).
class RenameNodeCommand : public QUndoCommand {
public:
    RenameNodeCommand(GraphModel* model, const QString& oldId, const QString& newId, QUndoCommand* parent = nullptr);
    void redo() override;
    void undo() override;

private:
    GraphModel* m_model;
    QString m_old, m_new;
};

// Pastes nodes (a JSON array of model-format nodes): each gets a fresh id, edges between
// pasted nodes are kept (renamed), edges to nodes outside the paste are dropped, positions
// are shifted by `offset`.
class PasteCommand : public QUndoCommand {
public:
    PasteCommand(GraphModel* model, const nlohmann::json& nodes, QPointF offset, QUndoCommand* parent = nullptr);
    void redo() override;
    void undo() override;
    QStringList pastedIds() const;

private:
    GraphModel* m_model;
    std::vector<GraphNode> m_nodes; // with fresh ids and renamed inputs
};

// Sets every node's position at once (auto-layout); undo restores every ui object.
class AutoLayoutCommand : public QUndoCommand {
public:
    AutoLayoutCommand(GraphModel* model, const std::map<QString, QPointF>& positions, QUndoCommand* parent = nullptr);
    void redo() override;
    void undo() override;

private:
    GraphModel* m_model;
    std::map<QString, nlohmann::json> m_oldUi;
    std::map<QString, QPointF> m_newPos;
};

} // namespace netcanvas::widgets
