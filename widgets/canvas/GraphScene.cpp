#include "widgets/canvas/GraphScene.h"

#include "widgets/canvas/AutoLayout.h"
#include "widgets/canvas/CanvasStyle.h"
#include "widgets/canvas/EdgeItem.h"
#include "widgets/canvas/GraphCommands.h"
#include "widgets/canvas/GraphModel.h"
#include "widgets/canvas/NodeItem.h"

#include <QApplication>
#include <QClipboard>
#include <QGraphicsPathItem>
#include <QGraphicsSceneMouseEvent>
#include <QKeyEvent>
#include <QMimeData>
#include <QPainter>
#include <QUndoStack>

#include <algorithm>
#include <cmath>
#include <set>

namespace netcanvas::widgets {

GraphScene::GraphScene(GraphModel* model, QUndoStack* undoStack, QObject* parent)
    : QGraphicsScene(parent)
    , m_model(model)
    , m_undo(undoStack)
{
    setItemIndexMethod(QGraphicsScene::NoIndex); // few items, many moves
    connect(model, &GraphModel::modelReset, this, &GraphScene::rebuild);
    connect(model, &GraphModel::nodeCreated, this, &GraphScene::onNodeCreated);
    connect(model, &GraphModel::nodeDeleted, this, &GraphScene::onNodeDeleted);
    connect(model, &GraphModel::nodeUpdated, this, &GraphScene::onNodeUpdated);
    connect(model, &GraphModel::connectionCreated, this,
        [this](const QString& from, const QString& to, int) { onConnectionChanged(from, to); });
    connect(model, &GraphModel::connectionDeleted, this,
        [this](const QString& from, const QString& to, int) { onConnectionChanged(from, to); });
    connect(model, &GraphModel::analysisChanged, this, &GraphScene::onAnalysisChanged);
    connect(model, &GraphModel::nodeRenamed, this, [this](const QString&, const QString& newId) {
        if (NodeItem* item = m_nodes.value(newId)) {
            clearSelection();
            item->setSelected(true);
        }
    });
    connect(this, &QGraphicsScene::selectionChanged, this, [this] {
        const QStringList ids = selectedNodeIds();
        const QString current = ids.size() == 1 ? ids.front() : QString();
        if (current != m_lastCurrent) {
            m_lastCurrent = current;
            emit currentNodeChanged(current);
        }
    });
    rebuild();
}

GraphScene::~GraphScene()
{
    // QGraphicsScene's destructor deletes the items and would report selection changes
    // while our indexes point at deleted items.
    blockSignals(true);
    m_nodes.clear();
    m_edgesInto.clear();
}

QList<EdgeItem*> GraphScene::edgeItems() const
{
    QList<EdgeItem*> out;
    for (const auto& list : m_edgesInto)
        out += list;
    return out;
}

QStringList GraphScene::selectedNodeIds() const
{
    QStringList ids;
    // In model order, so copies and deletions are deterministic.
    for (const auto& n : m_model->graph().nodes()) {
        const QString id = QString::fromStdString(n.id);
        if (NodeItem* item = m_nodes.value(id); item && item->isSelected())
            ids << id;
    }
    return ids;
}

void GraphScene::setFlow(Qt::Orientation flow)
{
    if (flow == m_flow)
        return;
    m_flow = flow;
    for (NodeItem* item : std::as_const(m_nodes))
        item->refresh();
    for (const auto& list : std::as_const(m_edgesInto))
        for (EdgeItem* e : list)
            updateEdge(e);
}

void GraphScene::rebuild()
{
    // The flow the positions suggest: edges mostly going right mean left-to-right.
    double dx = 0, dy = 0;
    for (const auto& n : m_model->graph().nodes())
        for (const auto& in : n.inputs) {
            const QPointF d = m_model->nodePosition(QString::fromStdString(n.id))
                - m_model->nodePosition(QString::fromStdString(in));
            dx += std::abs(d.x());
            dy += std::abs(d.y());
        }
    m_flow = dx > dy ? Qt::Horizontal : Qt::Vertical;

    if (m_rubber) {
        delete m_rubber;
        m_rubber = nullptr;
    }
    m_rerouting = nullptr;
    for (const auto& list : m_edgesInto)
        qDeleteAll(list);
    m_edgesInto.clear();
    qDeleteAll(m_nodes);
    m_nodes.clear();
    for (const auto& n : m_model->graph().nodes())
        onNodeCreated(QString::fromStdString(n.id));
    for (const auto& n : m_model->graph().nodes())
        rebuildEdgesInto(QString::fromStdString(n.id));
}

void GraphScene::onNodeCreated(const QString& id)
{
    if (m_nodes.contains(id) || !m_model->contains(id))
        return;
    auto* item = new NodeItem(m_model, id);
    m_applying = true;
    item->setPos(m_model->nodePosition(id));
    m_applying = false;
    addItem(item);
    m_nodes.insert(id, item);
    item->refresh(); // port and note geometry depend on the scene's flow
}

void GraphScene::onNodeDeleted(const QString& id)
{
    qDeleteAll(m_edgesInto.take(id));
    for (auto& list : m_edgesInto) {
        for (auto it = list.begin(); it != list.end();) {
            if ((*it)->from() == id) {
                delete *it;
                it = list.erase(it);
            } else {
                ++it;
            }
        }
    }
    delete m_nodes.take(id);
}

void GraphScene::onNodeUpdated(const QString& id)
{
    NodeItem* item = m_nodes.value(id);
    if (!item)
        return;
    const QPointF pos = m_model->nodePosition(id);
    if (item->pos() != pos) {
        m_applying = true;
        item->setPos(pos);
        m_applying = false;
    }
    item->refresh();
}

void GraphScene::onConnectionChanged(const QString& from, const QString& to)
{
    Q_UNUSED(from);
    if (NodeItem* item = m_nodes.value(to))
        item->refresh(); // slot count may change
    rebuildEdgesInto(to);
}

void GraphScene::onAnalysisChanged()
{
    for (NodeItem* item : std::as_const(m_nodes))
        item->refresh();
    for (const auto& list : std::as_const(m_edgesInto))
        for (EdgeItem* e : list)
            updateEdge(e);
}

void GraphScene::rebuildEdgesInto(const QString& to)
{
    QList<EdgeItem*>& list = m_edgesInto[to];
    const GraphNode* n = m_model->node(to);
    const int count = n ? static_cast<int>(n->inputs.size()) : 0;
    // Reuse items whose (from, port) still match, so selection survives unrelated edits.
    QList<EdgeItem*> keep;
    for (int port = 0; port < count; ++port) {
        const QString from = QString::fromStdString(n->inputs[static_cast<size_t>(port)]);
        EdgeItem* found = nullptr;
        for (EdgeItem* e : list)
            if (e->from() == from && e->port() == port) {
                found = e;
                break;
            }
        if (found) {
            list.removeOne(found);
        } else {
            found = new EdgeItem(from, to, port);
            addItem(found);
        }
        keep << found;
        updateEdge(found);
    }
    for (EdgeItem* e : list)
        if (e == m_rerouting)
            m_rerouting = nullptr;
    qDeleteAll(list);
    list = keep;
    if (list.isEmpty())
        m_edgesInto.remove(to);
}

void GraphScene::updateEdge(EdgeItem* edge)
{
    NodeItem* src = m_nodes.value(edge->from());
    NodeItem* dst = m_nodes.value(edge->to());
    if (!src || !dst) {
        edge->setVisible(false);
        return;
    }
    if (edge != m_rerouting)
        edge->setVisible(true);
    edge->setEnds(src->mapToScene(src->outputPortPos()), dst->mapToScene(dst->inputPortPos(edge->port())), m_flow);
    const NodeAnalysis* a = m_model->nodeAnalysis(edge->from());
    edge->setLabel(a && a->ok ? QString::fromStdString(a->outputShape.toString()) : QString());
}

void GraphScene::nodeItemMoved(NodeItem* item)
{
    const QString& id = item->nodeId();
    for (EdgeItem* e : m_edgesInto.value(id))
        updateEdge(e);
    for (const auto& list : std::as_const(m_edgesInto))
        for (EdgeItem* e : list)
            if (e->from() == id)
                updateEdge(e);
}

NodeItem* GraphScene::nodeAt(QPointF scenePos, NodeItem* except) const
{
    for (QGraphicsItem* it : items(scenePos)) {
        if (it->type() != NodeItem::Type || it == except)
            continue;
        auto* node = static_cast<NodeItem*>(it);
        if (node->shape().contains(node->mapFromScene(scenePos)))
            return node;
    }
    return nullptr;
}

QString GraphScene::addNodeAt(const QString& type, QPointF scenePos)
{
    QPointF topLeft = scenePos - QPointF(style::kNodeWidth / 2, style::kNodeHeight / 2);
    if (m_snap) {
        const double g = style::kGrid;
        topLeft = QPointF(std::round(topLeft.x() / g) * g, std::round(topLeft.y() / g) * g);
    }
    auto* cmd = new AddNodeCommand(m_model, type, topLeft);
    m_undo->push(cmd);
    const QString id = cmd->nodeId();
    if (NodeItem* item = m_nodes.value(id)) {
        clearSelection();
        item->setSelected(true);
    }
    return id;
}

bool GraphScene::tryConnect(const QString& from, const QString& to, int port, QPointF where)
{
    const ConnectCheck check = m_model->canConnect(from, to, port);
    if (!check.ok) {
        emit message(check.reason, where);
        return false;
    }
    m_undo->push(new ConnectCommand(m_model, from, to, port));
    return true;
}

void GraphScene::mousePressEvent(QGraphicsSceneMouseEvent* event)
{
    if (event->button() == Qt::LeftButton) {
        NodeItem* node = nodeAt(event->scenePos());
        NodeItem* source = nullptr;
        if (node && node->isOnOutputPort(node->mapFromScene(event->scenePos()))) {
            source = node;
        } else if (node) {
            // A connected input slot: pick its edge up.
            const int slot = node->inputSlotAt(node->mapFromScene(event->scenePos()));
            for (EdgeItem* e : m_edgesInto.value(node->nodeId()))
                if (slot >= 0 && e->port() == slot) {
                    m_rerouting = e;
                    source = m_nodes.value(e->from());
                    e->setVisible(false);
                    break;
                }
        }
        if (source) {
            m_dragFrom = source->nodeId();
            m_dragTarget.clear();
            m_rubber = new QGraphicsPathItem;
            QPen pen(style::selection(), 1.8, Qt::DashLine, Qt::RoundCap);
            m_rubber->setPen(pen);
            m_rubber->setZValue(3);
            addItem(m_rubber);
            const QPointF start = source->mapToScene(source->outputPortPos());
            m_rubber->setPath(EdgeItem::curve(start, event->scenePos(), m_flow));
            event->accept();
            return;
        }
    }
    QGraphicsScene::mousePressEvent(event);
    m_pressPositions.clear();
    for (NodeItem* item : std::as_const(m_nodes))
        if (item->isSelected())
            m_pressPositions.insert(item->nodeId(), item->pos());
}

void GraphScene::mouseMoveEvent(QGraphicsSceneMouseEvent* event)
{
    if (m_rubber) {
        NodeItem* src = m_nodes.value(m_dragFrom);
        if (src)
            m_rubber->setPath(EdgeItem::curve(src->mapToScene(src->outputPortPos()), event->scenePos(), m_flow));
        // Live feedback: green over a target that accepts the edge, red over one that refuses.
        NodeItem* target = nodeAt(event->scenePos(), src);
        QString key;
        int slot = -1;
        if (target) {
            slot = target->inputSlotAt(target->mapFromScene(event->scenePos()));
            key = target->nodeId() + QLatin1Char('#') + QString::number(slot);
        }
        if (key != m_dragTarget) {
            m_dragTarget = key;
            m_dragTargetOk = !target
                || (m_rerouting ? m_model->canReconnect(
                        m_rerouting->from(), m_rerouting->to(), m_rerouting->port(), m_dragFrom, target->nodeId(), slot)
                                : m_model->canConnect(m_dragFrom, target->nodeId(), slot))
                       .ok;
            QPen pen = m_rubber->pen();
            pen.setColor(!target ? style::selection() : m_dragTargetOk ? QColor(0x2e, 0x9e, 0x6a) : style::error());
            pen.setStyle(target ? Qt::SolidLine : Qt::DashLine);
            m_rubber->setPen(pen);
        }
        event->accept();
        return;
    }
    QGraphicsScene::mouseMoveEvent(event);
}

void GraphScene::mouseReleaseEvent(QGraphicsSceneMouseEvent* event)
{
    if (m_rubber) {
        delete m_rubber;
        m_rubber = nullptr;
        const QString from = m_dragFrom;
        m_dragFrom.clear();
        m_dragTarget.clear();
        EdgeItem* picked = m_rerouting;
        m_rerouting = nullptr;
        NodeItem* src = m_nodes.value(from);
        NodeItem* target = nodeAt(event->scenePos(), src);
        const int slot = target ? target->inputSlotAt(target->mapFromScene(event->scenePos())) : -1;
        if (picked) {
            const QString oldTo = picked->to();
            const int oldPort = picked->port();
            picked->setVisible(true);
            if (!target) {
                m_undo->push(new DisconnectCommand(m_model, from, oldTo, oldPort));
            } else if (!(target->nodeId() == oldTo && (slot == oldPort || slot < 0))) {
                const ConnectCheck check = m_model->canReconnect(from, oldTo, oldPort, from, target->nodeId(), slot);
                if (!check.ok) {
                    emit message(check.reason, event->scenePos());
                } else {
                    // Ports after the removed one shift down by one on the same node.
                    const int port = (target->nodeId() == oldTo && slot > oldPort) ? slot - 1 : slot;
                    m_undo->beginMacro(tr("Reconnect %1").arg(from));
                    m_undo->push(new DisconnectCommand(m_model, from, oldTo, oldPort));
                    m_undo->push(new ConnectCommand(m_model, from, target->nodeId(), port));
                    m_undo->endMacro();
                }
            }
        } else if (target) {
            tryConnect(from, target->nodeId(), slot, event->scenePos());
        }
        event->accept();
        return;
    }
    QGraphicsScene::mouseReleaseEvent(event);
    std::map<QString, QPointF> moves;
    for (auto it = m_pressPositions.cbegin(); it != m_pressPositions.cend(); ++it) {
        NodeItem* item = m_nodes.value(it.key());
        if (item && item->pos() != it.value() && item->pos() != m_model->nodePosition(it.key()))
            moves[it.key()] = item->pos();
    }
    m_pressPositions.clear();
    if (!moves.empty())
        m_undo->push(new MoveNodesCommand(m_model, moves));
}

void GraphScene::keyPressEvent(QKeyEvent* event)
{
    QGraphicsScene::keyPressEvent(event);
    if (event->isAccepted())
        return;
    if (event->key() == Qt::Key_Delete || event->key() == Qt::Key_Backspace) {
        deleteSelection();
        event->accept();
    }
}

void GraphScene::deleteSelection()
{
    const QStringList nodes = selectedNodeIds();
    const std::set<QString> gone(nodes.begin(), nodes.end());
    QList<EdgeItem*> edges;
    for (const auto& list : std::as_const(m_edgesInto))
        for (EdgeItem* e : list)
            if (e->isSelected() && !gone.count(e->from()) && !gone.count(e->to()))
                edges << e;
    if (nodes.isEmpty() && edges.isEmpty())
        return;
    // Highest port first, so the other ports of the same node stay valid.
    std::sort(edges.begin(), edges.end(), [](EdgeItem* a, EdgeItem* b) { return a->port() > b->port(); });
    struct EdgeRef {
        QString from, to;
        int port;
    };
    std::vector<EdgeRef> refs;
    for (EdgeItem* e : edges)
        refs.push_back({ e->from(), e->to(), e->port() });
    m_undo->beginMacro(tr("Delete"));
    for (const auto& r : refs)
        m_undo->push(new DisconnectCommand(m_model, r.from, r.to, r.port));
    if (!nodes.isEmpty())
        m_undo->push(new RemoveNodesCommand(m_model, nodes));
    m_undo->endMacro();
}

QByteArray GraphScene::selectionJson() const
{
    const QStringList ids = selectedNodeIds();
    std::set<std::string> chosen;
    for (const auto& id : ids)
        chosen.insert(id.toStdString());
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& id : ids) {
        const GraphNode* n = m_model->node(id);
        nlohmann::json jn = { { "id", n->id }, { "type", n->type } };
        std::vector<std::string> inputs;
        for (const auto& in : n->inputs)
            if (chosen.count(in))
                inputs.push_back(in);
        if (!inputs.empty())
            jn["inputs"] = inputs;
        if (!n->params.empty())
            jn["params"] = n->params;
        if (!n->ui.empty())
            jn["ui"] = n->ui;
        arr.push_back(std::move(jn));
    }
    return QByteArray::fromStdString(arr.dump(2));
}

QImage GraphScene::toImage(double scale)
{
    if (m_nodes.isEmpty())
        return {};
    QRectF source;
    for (NodeItem* n : std::as_const(m_nodes))
        source |= n->sceneBoundingRect();
    for (EdgeItem* e : edgeItems())
        source |= e->sceneBoundingRect();
    source.adjust(-30, -30, 30, 30);
    QImage image((source.size() * scale).toSize(), QImage::Format_ARGB32_Premultiplied);
    image.fill(Qt::white);
    const QList<QGraphicsItem*> selection = selectedItems();
    const bool blocked = blockSignals(true);
    clearSelection();
    {
        QPainter p(&image);
        p.setRenderHints(QPainter::Antialiasing | QPainter::TextAntialiasing);
        render(&p, QRectF(QPointF(0, 0), source.size() * scale), source);
    }
    for (QGraphicsItem* item : selection)
        item->setSelected(true);
    blockSignals(blocked);
    return image;
}

void GraphScene::copySelection()
{
    if (selectedNodeIds().isEmpty())
        return;
    const QByteArray json = selectionJson();
    auto* mime = new QMimeData;
    mime->setData(QString::fromLatin1(kNodesMimeType), json);
    mime->setText(QString::fromUtf8(json));
    QApplication::clipboard()->setMimeData(mime);
    m_pasteCount = 0;
}

void GraphScene::cutSelection()
{
    copySelection();
    deleteSelection();
}

void GraphScene::paste()
{
    const QMimeData* mime = QApplication::clipboard()->mimeData();
    if (!mime || !mime->hasFormat(QString::fromLatin1(kNodesMimeType)))
        return;
    ++m_pasteCount;
    pasteJson(mime->data(QString::fromLatin1(kNodesMimeType)), QPointF(30, 30) * m_pasteCount);
}

void GraphScene::pasteJson(const QByteArray& json, QPointF offset)
{
    nlohmann::json nodes = nlohmann::json::parse(json.toStdString(), nullptr, false);
    if (!nodes.is_array() || nodes.empty())
        return;
    auto* cmd = new PasteCommand(m_model, nodes, offset);
    const QStringList ids = cmd->pastedIds();
    if (ids.isEmpty()) {
        delete cmd;
        return;
    }
    m_undo->push(cmd);
    clearSelection();
    for (const auto& id : ids)
        if (NodeItem* item = m_nodes.value(id))
            item->setSelected(true);
}

void GraphScene::selectAllNodes()
{
    for (NodeItem* item : std::as_const(m_nodes))
        item->setSelected(true);
}

void GraphScene::autoLayout(Qt::Orientation orientation)
{
    setFlow(orientation);
    const auto positions = computeAutoLayout(m_model->graph(), orientation);
    bool changes = false;
    for (const auto& [id, pos] : positions)
        changes = changes || m_model->nodePosition(id) != pos;
    if (changes)
        m_undo->push(new AutoLayoutCommand(m_model, positions));
}

} // namespace netcanvas::widgets
