#include "widgets/canvas/GraphModel.h"

#include "engine/core/Error.h"

#include <QStringList>

#include <algorithm>
#include <cmath>
#include <set>
#include <tuple>

namespace netcanvas::widgets {

namespace {

nlohmann::json coordinate(double v)
{
    const double r = std::round(v);
    if (std::abs(r - v) < 1e-9 && std::abs(r) < 1e15)
        return static_cast<int64_t>(r);
    return v;
}

} // namespace

GraphModel::GraphModel(QObject* parent)
    : QObject(parent)
{
    reanalyze();
}

const NodeAnalysis* GraphModel::nodeAnalysis(const QString& id) const
{
    auto it = m_analysis.nodes.find(id.toStdString());
    return it == m_analysis.nodes.end() ? nullptr : &it->second;
}

QStringList GraphModel::nodeIds() const
{
    QStringList out;
    for (const auto& n : m_graph.nodes())
        out << QString::fromStdString(n.id);
    return out;
}

QPointF GraphModel::positionOf(const GraphNode& node)
{
    auto num = [&](const char* key) {
        auto it = node.ui.find(key);
        return (it != node.ui.end() && it->is_number()) ? it->get<double>() : 0.0;
    };
    return { num("x"), num("y") };
}

QPointF GraphModel::nodePosition(const QString& id) const
{
    const GraphNode* n = node(id);
    return n ? positionOf(*n) : QPointF();
}

void GraphModel::setGraph(ModelGraph graph)
{
    m_graph = std::move(graph);
    emit modelReset();
    reanalyze();
}

QString GraphModel::addNode(const QString& type, QPointF pos, const QString& id, const nlohmann::json& params)
{
    GraphNode n;
    n.type = type.toStdString();
    n.id = id.isEmpty() ? m_graph.uniqueId(n.type) : id.toStdString();
    if (m_graph.contains(n.id))
        return {};
    n.params = params.is_object() ? params : nlohmann::json::object();
    n.ui = { { "x", coordinate(pos.x()) }, { "y", coordinate(pos.y()) } };
    return addNode(n) ? QString::fromStdString(n.id) : QString();
}

bool GraphModel::addNode(const GraphNode& node)
{
    if (node.id.empty() || m_graph.contains(node.id))
        return false;
    m_graph.addNode(node);
    const QString id = QString::fromStdString(node.id);
    emit nodeCreated(id);
    for (size_t i = 0; i < node.inputs.size(); ++i)
        emit connectionCreated(QString::fromStdString(node.inputs[i]), id, static_cast<int>(i));
    reanalyze();
    return true;
}

bool GraphModel::removeNode(const QString& id)
{
    const GraphNode* n = node(id);
    if (!n)
        return false;
    const std::string sid = id.toStdString();
    // Announce the edges first (consumers' ports from the last one down, so the remaining
    // port numbers stay valid while listeners react), then the node.
    std::vector<std::tuple<QString, QString, int>> gone;
    for (size_t i = n->inputs.size(); i-- > 0;)
        gone.emplace_back(QString::fromStdString(n->inputs[i]), id, static_cast<int>(i));
    for (const auto& c : m_graph.nodes()) {
        if (c.id == sid)
            continue;
        for (size_t i = c.inputs.size(); i-- > 0;)
            if (c.inputs[i] == sid)
                gone.emplace_back(id, QString::fromStdString(c.id), static_cast<int>(i));
    }
    m_graph.removeNode(sid);
    for (const auto& [from, to, port] : gone)
        emit connectionDeleted(from, to, port);
    emit nodeDeleted(id);
    reanalyze();
    return true;
}

void GraphModel::restoreNodes(const std::vector<std::pair<int, GraphNode>>& nodes,
    const std::map<std::string, std::vector<std::string>>& consumerInputs, const std::string& output)
{
    std::vector<std::pair<int, GraphNode>> sorted = nodes;
    std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<GraphNode> list = m_graph.nodes();
    for (const auto& [index, n] : sorted) {
        if (m_graph.contains(n.id))
            continue;
        const size_t at = std::min(static_cast<size_t>(std::max(index, 0)), list.size());
        list.insert(list.begin() + static_cast<std::ptrdiff_t>(at), n);
    }
    ModelGraph rebuilt;
    rebuilt.name = m_graph.name;
    rebuilt.description = m_graph.description;
    rebuilt.training = m_graph.training;
    rebuilt.setOutput(output.empty() ? m_graph.outputOverride() : output);
    for (auto& n : list) {
        auto it = consumerInputs.find(n.id);
        if (it != consumerInputs.end())
            n.inputs = it->second;
        rebuilt.addNode(std::move(n));
    }
    // Which edges are new: every input of a restored node, and every consumer port that
    // now names a restored node.
    std::set<std::string> restored;
    for (const auto& [index, n] : sorted)
        restored.insert(n.id);
    m_graph = std::move(rebuilt);
    for (const auto& [index, n] : sorted)
        emit nodeCreated(QString::fromStdString(n.id));
    for (const auto& n : m_graph.nodes()) {
        const bool isRestored = restored.count(n.id) > 0;
        for (size_t i = 0; i < n.inputs.size(); ++i)
            if (isRestored || restored.count(n.inputs[i]))
                emit connectionCreated(
                    QString::fromStdString(n.inputs[i]), QString::fromStdString(n.id), static_cast<int>(i));
    }
    reanalyze();
}

bool GraphModel::moveNode(const QString& id, QPointF pos)
{
    GraphNode* n = m_graph.node(id.toStdString());
    if (!n)
        return false;
    n->ui["x"] = coordinate(pos.x());
    n->ui["y"] = coordinate(pos.y());
    emit nodeUpdated(id);
    return true; // a move changes no shape: no re-analysis
}

bool GraphModel::setNodeUi(const QString& id, const nlohmann::json& ui)
{
    GraphNode* n = m_graph.node(id.toStdString());
    if (!n)
        return false;
    n->ui = ui.is_object() ? ui : nlohmann::json::object();
    emit nodeUpdated(id);
    return true;
}

bool GraphModel::connectNodes(const QString& from, const QString& to, int port)
{
    GraphNode* t = m_graph.node(to.toStdString());
    if (!t || !contains(from) || from == to)
        return false;
    const int size = static_cast<int>(t->inputs.size());
    const int at = (port < 0 || port > size) ? size : port;
    t->inputs.insert(t->inputs.begin() + at, from.toStdString());
    emit connectionCreated(from, to, at);
    reanalyze();
    return true;
}

bool GraphModel::disconnectNodes(const QString& from, const QString& to, int port)
{
    GraphNode* t = m_graph.node(to.toStdString());
    if (!t)
        return false;
    const std::string f = from.toStdString();
    int at = -1;
    if (port >= 0) {
        if (port < static_cast<int>(t->inputs.size()) && t->inputs[static_cast<size_t>(port)] == f)
            at = port;
    } else {
        auto it = std::find(t->inputs.begin(), t->inputs.end(), f);
        if (it != t->inputs.end())
            at = static_cast<int>(it - t->inputs.begin());
    }
    if (at < 0)
        return false;
    t->inputs.erase(t->inputs.begin() + at);
    emit connectionDeleted(from, to, at);
    reanalyze();
    return true;
}

bool GraphModel::setParam(const QString& id, const QString& key, const nlohmann::json& value)
{
    GraphNode* n = m_graph.node(id.toStdString());
    if (!n)
        return false;
    if (value.is_null())
        n->params.erase(key.toStdString());
    else
        n->params[key.toStdString()] = value;
    emit nodeUpdated(id);
    reanalyze();
    return true;
}

bool GraphModel::setTrainable(const QString& id, bool trainable)
{
    GraphNode* n = m_graph.node(id.toStdString());
    if (!n)
        return false;
    n->trainable = trainable;
    emit nodeUpdated(id);
    reanalyze();
    return true;
}

ConnectCheck GraphModel::canRename(const QString& oldId, const QString& newId) const
{
    if (!contains(oldId))
        return { false, tr("No such node") };
    if (newId.isEmpty())
        return { false, tr("A node needs a name") };
    for (QChar c : newId)
        if (!(c.isLetterOrNumber() && c.unicode() < 128) && c != QLatin1Char('_') && c != QLatin1Char('-'))
            return { false, tr("Use letters, digits, '_' and '-' only (not '%1')").arg(c) };
    if (newId != oldId && contains(newId))
        return { false, tr("'%1' is already the name of another node").arg(newId) };
    return { true, {} };
}

bool GraphModel::renameNode(const QString& oldId, const QString& newId)
{
    if (oldId == newId || !canRename(oldId, newId).ok)
        return false;
    const std::string o = oldId.toStdString(), n = newId.toStdString();
    // Edges touching the node, on the old graph.
    std::vector<std::tuple<QString, QString, int>> edges;
    for (const auto& node : m_graph.nodes())
        for (size_t i = 0; i < node.inputs.size(); ++i)
            if (node.id == o || node.inputs[i] == o)
                edges.emplace_back(
                    QString::fromStdString(node.inputs[i]), QString::fromStdString(node.id), static_cast<int>(i));
    ModelGraph rebuilt;
    rebuilt.name = m_graph.name;
    rebuilt.description = m_graph.description;
    rebuilt.training = m_graph.training;
    rebuilt.setOutput(m_graph.outputOverride() == o ? n : m_graph.outputOverride());
    for (GraphNode node : m_graph.nodes()) {
        if (node.id == o)
            node.id = n;
        for (auto& in : node.inputs)
            if (in == o)
                in = n;
        rebuilt.addNode(std::move(node));
    }
    for (auto it = edges.rbegin(); it != edges.rend(); ++it)
        emit connectionDeleted(std::get<0>(*it), std::get<1>(*it), std::get<2>(*it));
    m_graph = std::move(rebuilt);
    emit nodeDeleted(oldId);
    emit nodeCreated(newId);
    auto rename = [&](const QString& id) { return id == oldId ? newId : id; };
    for (const auto& [from, to, port] : edges)
        emit connectionCreated(rename(from), rename(to), port);
    emit nodeRenamed(oldId, newId);
    reanalyze();
    return true;
}

ConnectCheck GraphModel::canConnect(const QString& from, const QString& to, int port) const
{
    return checkConnect(m_graph, from, to, port);
}

ConnectCheck GraphModel::canReconnect(
    const QString& oldFrom, const QString& oldTo, int oldPort, const QString& from, const QString& to, int port) const
{
    ModelGraph copy = m_graph;
    GraphNode* t = copy.node(oldTo.toStdString());
    if (!t || oldPort < 0 || oldPort >= static_cast<int>(t->inputs.size())
        || t->inputs[static_cast<size_t>(oldPort)] != oldFrom.toStdString())
        return { false, tr("No such connection") };
    t->inputs.erase(t->inputs.begin() + oldPort);
    return checkConnect(copy, from, to, port);
}

ConnectCheck GraphModel::checkConnect(const ModelGraph& graph, const QString& from, const QString& to, int port)
{
    const GraphNode* f = graph.node(from.toStdString());
    const GraphNode* t = graph.node(to.toStdString());
    if (!f || !t)
        return { false, tr("No such node") };
    if (from == to)
        return { false, tr("A node cannot feed itself") };
    const LayerInfo* info = LayerRegistry::builtin().find(t->type);
    const int k = static_cast<int>(t->inputs.size());
    if (info) {
        if (info->maxInputs == 0)
            return { false, tr("'%1' (%2) takes no inputs").arg(to, QString::fromStdString(t->type)) };
        if (info->maxInputs > 0 && k >= info->maxInputs) {
            const QString src = QString::fromStdString(t->inputs.front());
            return { false,
                info->maxInputs == 1
                    ? tr("The input of '%1' is already connected to '%2'; delete that edge first").arg(to, src)
                    : tr("All %1 inputs of '%2' are taken").arg(info->maxInputs).arg(to) };
        }
    }
    if (port >= 0 && port < k)
        return { false,
            tr("Input %1 of '%2' is already connected to '%3'")
                .arg(port + 1)
                .arg(to, QString::fromStdString(t->inputs[static_cast<size_t>(port)])) };
    // A cycle: `to` already feeds `from` (directly or not).
    {
        std::vector<std::string> stack { from.toStdString() };
        std::set<std::string> seen;
        const std::string target = to.toStdString();
        while (!stack.empty()) {
            const std::string cur = stack.back();
            stack.pop_back();
            if (cur == target)
                return { false,
                    tr("Connecting '%1' to '%2' would make a cycle: '%2' already feeds '%1'").arg(from, to) };
            if (!seen.insert(cur).second)
                continue;
            if (const GraphNode* c = graph.node(cur))
                for (const auto& in : c->inputs)
                    stack.push_back(in);
        }
    }
    // Shapes: analyze a copy with the edge in place. Only a node whose source works and
    // whose input count is complete can be blamed on the connection.
    ModelGraph copy = graph;
    try {
        copy.connect(from.toStdString(), to.toStdString(), port);
    } catch (const Error& e) {
        return { false, QString::fromStdString(e.what()) };
    }
    const GraphAnalysis a = copy.analyze();
    auto src = a.nodes.find(from.toStdString());
    auto dst = a.nodes.find(to.toStdString());
    const bool arityComplete = !info || (k + 1 >= info->minInputs);
    if (src != a.nodes.end() && src->second.ok && dst != a.nodes.end() && !dst->second.ok && arityComplete)
        return { false, QString::fromStdString(dst->second.error) };
    return { true, {} };
}

int GraphModel::inputSlotCount(const QString& id) const
{
    const GraphNode* n = node(id);
    if (!n)
        return 0;
    const LayerInfo* info = LayerRegistry::builtin().find(n->type);
    const int k = static_cast<int>(n->inputs.size());
    if (!info)
        return std::max(k, 1);
    if (info->maxInputs == 0)
        return k; // Input: none (unless a file connected one anyway)
    if (info->maxInputs < 0)
        return std::max(k + 1, info->minInputs);
    return std::max(k, info->maxInputs);
}

void GraphModel::reanalyze()
{
    m_analysis = m_graph.analyze();
    emit analysisChanged();
}

} // namespace netcanvas::widgets
