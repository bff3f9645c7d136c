#include "widgets/canvas/GraphCommands.h"

#include "engine/graph/ClassifierLayers.h"

#include <QObject>

#include <cmath>
#include <set>

namespace netcanvas::widgets {

// ---- AddNode ----------------------------------------------------------------------------

AddNodeCommand::AddNodeCommand(
    GraphModel* model, const QString& type, QPointF pos, const nlohmann::json& params, QUndoCommand* parent)
    : QUndoCommand(parent)
    , m_model(model)
    , m_type(type)
    , m_pos(pos)
    , m_params(params)
{
    setText(QObject::tr("Add %1").arg(type));
}

void AddNodeCommand::redo()
{
    m_id = m_model->addNode(m_type, m_pos, m_id, m_params);
}

void AddNodeCommand::undo()
{
    m_model->removeNode(m_id);
}

// ---- RemoveNodes ------------------------------------------------------------------------

RemoveNodesCommand::RemoveNodesCommand(GraphModel* model, const QStringList& ids, QUndoCommand* parent)
    : QUndoCommand(parent)
    , m_model(model)
{
    const auto& g = model->graph();
    std::set<std::string> removed;
    for (const auto& id : ids)
        removed.insert(id.toStdString());
    const auto& nodes = g.nodes();
    for (size_t i = 0; i < nodes.size(); ++i) {
        if (removed.count(nodes[i].id))
            m_nodes.emplace_back(static_cast<int>(i), nodes[i]);
        else
            for (const auto& in : nodes[i].inputs)
                if (removed.count(in)) {
                    m_consumerInputs[nodes[i].id] = nodes[i].inputs;
                    break;
                }
    }
    m_output = g.outputOverride();
    setText(m_nodes.size() == 1 ? QObject::tr("Delete %1").arg(QString::fromStdString(m_nodes.front().second.id))
                                : QObject::tr("Delete %1 nodes").arg(m_nodes.size()));
}

void RemoveNodesCommand::redo()
{
    for (const auto& [index, n] : m_nodes)
        m_model->removeNode(QString::fromStdString(n.id));
}

void RemoveNodesCommand::undo()
{
    m_model->restoreNodes(m_nodes, m_consumerInputs, m_output);
}

// ---- MoveNodes --------------------------------------------------------------------------

MoveNodesCommand::MoveNodesCommand(GraphModel* model, const std::map<QString, QPointF>& moves, QUndoCommand* parent)
    : QUndoCommand(parent)
    , m_model(model)
    , m_newPos(moves)
{
    for (const auto& [id, pos] : moves)
        if (const GraphNode* n = model->node(id))
            m_oldUi[id] = n->ui;
    setText(moves.size() == 1 ? QObject::tr("Move %1").arg(moves.begin()->first)
                              : QObject::tr("Move %1 nodes").arg(moves.size()));
}

void MoveNodesCommand::redo()
{
    for (const auto& [id, pos] : m_newPos)
        m_model->moveNode(id, pos);
}

void MoveNodesCommand::undo()
{
    for (const auto& [id, ui] : m_oldUi)
        m_model->setNodeUi(id, ui);
}

bool MoveNodesCommand::mergeWith(const QUndoCommand* other)
{
    auto o = dynamic_cast<const MoveNodesCommand*>(other);
    if (!o || o->m_model != m_model || o->m_newPos.size() != m_newPos.size())
        return false;
    for (const auto& [id, pos] : o->m_newPos)
        if (!m_newPos.count(id))
            return false;
    m_newPos = o->m_newPos;
    return true;
}

// ---- Connect / Disconnect ---------------------------------------------------------------

ConnectCommand::ConnectCommand(
    GraphModel* model, const QString& from, const QString& to, int port, QUndoCommand* parent)
    : QUndoCommand(parent)
    , m_model(model)
    , m_from(from)
    , m_to(to)
    , m_port(port)
{
    setText(QObject::tr("Connect %1 → %2").arg(from, to));
}

void ConnectCommand::redo()
{
    const GraphNode* t = m_model->node(m_to);
    const int size = t ? static_cast<int>(t->inputs.size()) : 0;
    m_actualPort = (m_port < 0 || m_port > size) ? size : m_port;
    m_model->connectNodes(m_from, m_to, m_actualPort);
}

void ConnectCommand::undo()
{
    m_model->disconnectNodes(m_from, m_to, m_actualPort);
}

DisconnectCommand::DisconnectCommand(
    GraphModel* model, const QString& from, const QString& to, int port, QUndoCommand* parent)
    : QUndoCommand(parent)
    , m_model(model)
    , m_from(from)
    , m_to(to)
    , m_port(port)
{
    if (m_port < 0)
        if (const GraphNode* t = model->node(to))
            for (size_t i = 0; i < t->inputs.size(); ++i)
                if (t->inputs[i] == from.toStdString()) {
                    m_port = static_cast<int>(i);
                    break;
                }
    setText(QObject::tr("Disconnect %1 → %2").arg(from, to));
}

void DisconnectCommand::redo()
{
    m_model->disconnectNodes(m_from, m_to, m_port);
}

void DisconnectCommand::undo()
{
    m_model->connectNodes(m_from, m_to, m_port);
}

// ---- SetParam ---------------------------------------------------------------------------

SetParamCommand::SetParamCommand(
    GraphModel* model, const QString& nodeId, const QString& key, const nlohmann::json& value, QUndoCommand* parent)
    : QUndoCommand(parent)
    , m_model(model)
    , m_node(nodeId)
    , m_key(key)
    , m_new(value)
{
    if (const GraphNode* n = model->node(nodeId)) {
        auto it = n->params.find(key.toStdString());
        if (it != n->params.end())
            m_old = *it;
    }
    setText(QObject::tr("Set %1.%2").arg(nodeId, key));
}

void SetParamCommand::redo()
{
    m_model->setParam(m_node, m_key, m_new);
}

void SetParamCommand::undo()
{
    m_model->setParam(m_node, m_key, m_old);
}

bool SetParamCommand::mergeWith(const QUndoCommand* other)
{
    auto o = dynamic_cast<const SetParamCommand*>(other);
    if (!o || o->m_model != m_model || o->m_node != m_node || o->m_key != m_key)
        return false;
    m_new = o->m_new;
    return true;
}

// ---- SetOutputClasses -------------------------------------------------------------------

SetOutputClassesCommand::SetOutputClassesCommand(GraphModel* model, int classes, QUndoCommand* parent)
    : QUndoCommand(parent)
    , m_layer(outputLayer(*model))
{
    setText(QObject::tr("Set output to %n classes", nullptr, classes));
    if (!m_layer.isEmpty())
        new SetParamCommand(model, m_layer, QStringLiteral("units"), classes, this); // undone and redone as a child
}

QString SetOutputClassesCommand::outputLayer(const GraphModel& model)
{
    return QString::fromStdString(outputDenseLayer(model.graph(), model.analysis()));
}

// ---- SetTrainable ----------------------------------------------------------------------

SetTrainableCommand::SetTrainableCommand(
    GraphModel* model, const QStringList& nodeIds, bool trainable, QUndoCommand* parent)
    : QUndoCommand(parent)
    , m_model(model)
    , m_nodes(nodeIds)
    , m_new(trainable)
{
    for (const QString& id : m_nodes) {
        const GraphNode* n = model->node(id);
        m_old.append(n ? n->trainable : true);
    }
    const QString what = m_nodes.size() == 1 ? m_nodes.front() : QObject::tr("%n nodes", nullptr, int(m_nodes.size()));
    setText(trainable ? QObject::tr("Unfreeze %1").arg(what) : QObject::tr("Freeze %1").arg(what));
}

void SetTrainableCommand::redo()
{
    for (const QString& id : m_nodes)
        m_model->setTrainable(id, m_new);
}

void SetTrainableCommand::undo()
{
    for (int i = 0; i < m_nodes.size(); ++i)
        m_model->setTrainable(m_nodes[i], m_old[i]);
}

// ---- ReplaceHead --------------------------------------------------------------------------

ReplaceHeadCommand::ReplaceHeadCommand(GraphModel* model, int classes, QUndoCommand* parent, bool wholeClassifier)
    : QUndoCommand(parent)
    , m_old(SetOutputClassesCommand::outputLayer(*model))
{
    setText(wholeClassifier ? QObject::tr("Replace classifier (%n classes)", nullptr, classes)
                            : QObject::tr("Replace head (%n classes)", nullptr, classes));
    if (wholeClassifier && !m_old.isEmpty()) {
        const std::vector<std::string> dense = classifierDenseLayers(model->graph(), model->analysis());
        for (const std::string& id : dense) {
            const QString old = QString::fromStdString(id);
            if (old == m_old)
                continue;
            QString fresh = old + QStringLiteral("_new");
            for (int i = 2; model->contains(fresh); ++i)
                fresh = old + QStringLiteral("_new%1").arg(i);
            m_hidden.append({ old, fresh });
            const GraphNode* n = model->node(old);
            if (n && !n->trainable)
                new SetTrainableCommand(model, { old }, true, this);
            new RenameNodeCommand(model, old, fresh, this);
        }
    }
    if (m_old.isEmpty())
        return;
    m_new = QStringLiteral("head");
    for (int i = 2; model->contains(m_new); ++i)
        m_new = QStringLiteral("head%1").arg(i);
    // Children run in order on redo and in reverse on undo; each reads the node's old state
    // when made, so the edits of the old node come before the rename.
    new SetParamCommand(model, m_old, QStringLiteral("units"), classes, this);
    const GraphNode* n = model->node(m_old);
    if (n && !n->trainable)
        new SetTrainableCommand(model, { m_old }, true, this);
    new RenameNodeCommand(model, m_old, m_new, this);
}

// ---- RenameNode -------------------------------------------------------------------------

RenameNodeCommand::RenameNodeCommand(
    GraphModel* model, const QString& oldId, const QString& newId, QUndoCommand* parent)
    : QUndoCommand(parent)
    , m_model(model)
    , m_old(oldId)
    , m_new(newId)
{
    setText(QObject::tr("Rename %1 to %2").arg(oldId, newId));
}

void RenameNodeCommand::redo()
{
    m_model->renameNode(m_old, m_new);
}

void RenameNodeCommand::undo()
{
    m_model->renameNode(m_new, m_old);
}

// ---- Paste ------------------------------------------------------------------------------

PasteCommand::PasteCommand(GraphModel* model, const nlohmann::json& nodes, QPointF offset, QUndoCommand* parent)
    : QUndoCommand(parent)
    , m_model(model)
{
    ModelGraph scratch = model->graph(); // to hand out ids that are free in the graph and the paste
    std::map<std::string, std::string> rename;
    std::vector<GraphNode> parsed;
    if (nodes.is_array()) {
        for (const auto& jn : nodes) {
            if (!jn.is_object() || !jn.contains("type") || !jn["type"].is_string())
                continue;
            GraphNode n;
            n.type = jn["type"].get<std::string>();
            const std::string oldId = jn.value("id", std::string());
            if (jn.contains("params") && jn["params"].is_object())
                n.params = jn["params"];
            if (jn.contains("ui") && jn["ui"].is_object())
                n.ui = jn["ui"];
            if (jn.contains("inputs") && jn["inputs"].is_array())
                for (const auto& in : jn["inputs"])
                    if (in.is_string())
                        n.inputs.push_back(in.get<std::string>());
            n.id = scratch.uniqueId(n.type);
            scratch.addNode(GraphNode { n.id, n.type, {}, {}, {} });
            if (!oldId.empty())
                rename[oldId] = n.id;
            const QPointF p = GraphModel::positionOf(n) + offset;
            n.ui["x"] = static_cast<int64_t>(std::llround(p.x()));
            n.ui["y"] = static_cast<int64_t>(std::llround(p.y()));
            parsed.push_back(std::move(n));
        }
    }
    for (auto& n : parsed) {
        std::vector<std::string> inputs;
        for (const auto& in : n.inputs) {
            auto it = rename.find(in);
            if (it != rename.end())
                inputs.push_back(it->second);
        }
        n.inputs = std::move(inputs);
    }
    // Add sources before their consumers so every input exists when a node is added.
    std::set<std::string> placed;
    while (m_nodes.size() < parsed.size()) {
        bool progress = false;
        for (const auto& n : parsed) {
            if (placed.count(n.id))
                continue;
            bool ready = true;
            for (const auto& in : n.inputs)
                ready = ready && placed.count(in);
            if (ready) {
                m_nodes.push_back(n);
                placed.insert(n.id);
                progress = true;
            }
        }
        if (!progress)
            break; // a cycle in the clipboard: drop the rest
    }
    setText(QObject::tr("Paste %1 nodes").arg(m_nodes.size()));
}

void PasteCommand::redo()
{
    for (const auto& n : m_nodes)
        m_model->addNode(n);
}

void PasteCommand::undo()
{
    for (auto it = m_nodes.rbegin(); it != m_nodes.rend(); ++it)
        m_model->removeNode(QString::fromStdString(it->id));
}

QStringList PasteCommand::pastedIds() const
{
    QStringList out;
    for (const auto& n : m_nodes)
        out << QString::fromStdString(n.id);
    return out;
}

// ---- AutoLayout -------------------------------------------------------------------------

AutoLayoutCommand::AutoLayoutCommand(
    GraphModel* model, const std::map<QString, QPointF>& positions, QUndoCommand* parent)
    : QUndoCommand(parent)
    , m_model(model)
    , m_newPos(positions)
{
    for (const auto& [id, pos] : positions)
        if (const GraphNode* n = model->node(id))
            m_oldUi[id] = n->ui;
    setText(QObject::tr("Auto-layout"));
}

void AutoLayoutCommand::redo()
{
    for (const auto& [id, pos] : m_newPos)
        m_model->moveNode(id, pos);
}

void AutoLayoutCommand::undo()
{
    for (const auto& [id, ui] : m_oldUi)
        m_model->setNodeUi(id, ui);
}

} // namespace netcanvas::widgets
