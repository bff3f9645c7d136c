#include "widgets/canvas/NodeItem.h"

#include "widgets/canvas/CanvasStyle.h"
#include "widgets/canvas/GraphModel.h"
#include "widgets/canvas/GraphScene.h"

#include <QFontMetricsF>
#include <QGraphicsSceneHoverEvent>
#include <QPainter>
#include <QStyleOptionGraphicsItem>
#include <QTextOption>

#include <cmath>

namespace netcanvas::widgets {

namespace {
constexpr double kErrorWidth = 230;
constexpr double kErrorGap = 12;
} // namespace

NodeItem::NodeItem(GraphModel* model, const QString& id)
    : m_model(model)
    , m_id(id)
{
    setFlags(ItemIsMovable | ItemIsSelectable | ItemSendsGeometryChanges);
    setAcceptHoverEvents(true);
    setZValue(1);
    refresh();
}

void NodeItem::refresh()
{
    prepareGeometryChange();
    const GraphNode* n = m_model->node(m_id);
    if (!n)
        return;
    m_type = QString::fromStdString(n->type);
    const LayerInfo* info = LayerRegistry::builtin().find(n->type);
    m_category = info ? QString::fromStdString(info->category) : QString();
    m_variadic = info && info->maxInputs < 0;
    m_slots = m_model->inputSlotCount(m_id);
    m_connected = static_cast<int>(n->inputs.size());
    m_shape.clear();
    m_params.clear();
    m_error.clear();
    m_status.clear();
    QString fullError;
    if (const NodeAnalysis* a = m_model->nodeAnalysis(m_id)) {
        if (a->ok) {
            m_shape = QString::fromStdString(a->outputShape.toString());
            m_status = m_shape;
            if (a->params > 0)
                m_params = QObject::tr("%1 params").arg(style::groupDigits(a->params));
            if (!n->trainable) // short: the card shows the shape on the same line
                m_params = QObject::tr("frozen · %1").arg(style::groupDigits(a->params));
        } else {
            fullError = QString::fromStdString(a->error);
            bool inputFails = false;
            for (const auto& in : n->inputs) {
                const NodeAnalysis* ia = m_model->nodeAnalysis(QString::fromStdString(in));
                inputFails = inputFails || (ia && !ia->ok);
            }
            if (info && m_connected < info->minInputs)
                m_status = info->minInputs - m_connected == 1
                    ? QObject::tr("connect an input")
                    : QObject::tr("connect %1 more inputs").arg(info->minInputs - m_connected);
            else if (inputFails)
                m_status = QObject::tr("waiting for its input");
            else
                m_error = style::withoutNodePrefix(fullError, m_id, m_type);
        }
    }
    QString tip = QStringLiteral("<b>%1</b> &nbsp;%2").arg(m_type.toHtmlEscaped(), m_id.toHtmlEscaped());
    if (info && !info->doc.empty())
        tip += QStringLiteral("<br>%1").arg(QString::fromStdString(info->doc).toHtmlEscaped());
    if (!m_shape.isEmpty())
        tip += QObject::tr("<br>output %1").arg(m_shape);
    m_frozen = !n->trainable;
    if (m_frozen)
        tip += QObject::tr("<br><b>frozen</b>: training leaves its weights as they are");
    if (!fullError.isEmpty())
        tip += QStringLiteral("<br><span style='color:#c93c3c'>%1</span>").arg(fullError.toHtmlEscaped());
    setToolTip(tip);
    update();
}

QRectF NodeItem::cardRect() const
{
    return { 0, 0, style::kNodeWidth, style::kNodeHeight };
}

bool NodeItem::horizontal() const
{
    auto* s = qobject_cast<GraphScene*>(scene());
    return s && s->flow() == Qt::Horizontal;
}

QPointF NodeItem::inputPortPos(int slot) const
{
    const double n = std::max(m_slots, 1);
    if (horizontal())
        return { 0, style::kNodeHeight * (slot + 1) / (n + 1) };
    return { style::kNodeWidth * (slot + 1) / (n + 1), 0 };
}

QPointF NodeItem::outputPortPos() const
{
    if (horizontal())
        return { style::kNodeWidth, style::kNodeHeight / 2 };
    return { style::kNodeWidth / 2, style::kNodeHeight };
}

int NodeItem::inputSlotAt(QPointF p) const
{
    int best = -1;
    double bestDist = 14;
    for (int i = 0; i < m_slots; ++i) {
        const double d = QLineF(p, inputPortPos(i)).length();
        if (d < bestDist) {
            bestDist = d;
            best = i;
        }
    }
    return best;
}

bool NodeItem::isOnOutputPort(QPointF p) const
{
    return QLineF(p, outputPortPos()).length() <= 11;
}

QRectF NodeItem::errorRect() const
{
    if (m_error.isEmpty())
        return {};
    QFont f;
    f.setPointSizeF(8);
    QFontMetricsF fm(f);
    QRectF r = fm.boundingRect(QRectF(0, 0, kErrorWidth - 16, 400), Qt::TextWordWrap, m_error);
    const double h = std::min(r.height(), 4 * fm.lineSpacing()) + 10;
    if (horizontal()) // the next node is to the right: put the note below
        return { 0, style::kNodeHeight + kErrorGap, kErrorWidth, h };
    return { style::kNodeWidth + kErrorGap, 0, kErrorWidth, h };
}

QRectF NodeItem::boundingRect() const
{
    const double m = style::kPortRadius + 3;
    return cardRect().adjusted(-m, -m, m, m).united(errorRect().adjusted(-1, -1, 1, 1));
}

QPainterPath NodeItem::shape() const
{
    QPainterPath p;
    p.setFillRule(Qt::WindingFill); // ports overlap the card: their union, not the XOR
    p.addRoundedRect(cardRect(), 7, 7);
    for (int i = 0; i < m_slots; ++i)
        p.addEllipse(inputPortPos(i), style::kPortRadius + 4, style::kPortRadius + 4);
    p.addEllipse(outputPortPos(), style::kPortRadius + 4, style::kPortRadius + 4);
    return p;
}

void NodeItem::paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget* widget)
{
    Q_UNUSED(widget);
    const bool selected = option->state & QStyle::State_Selected;
    const QColor accent = style::categoryColor(m_category);
    const QRectF card = cardRect();
    painter->setRenderHint(QPainter::Antialiasing);

    // Shadow, body, stripe.
    painter->setPen(Qt::NoPen);
    painter->setBrush(QColor(20, 30, 50, selected ? 40 : 22));
    painter->drawRoundedRect(card.translated(0, 2), 7, 7);
    QPainterPath body;
    body.addRoundedRect(card, 7, 7);
    painter->setBrush(style::cardFill());
    painter->drawPath(body);
    QPainterPath stripe;
    stripe.addRect(QRectF(0, 0, 6, style::kNodeHeight));
    painter->setBrush(accent);
    painter->drawPath(body.intersected(stripe));

    QPen border(hasError() ? style::error()
            : selected     ? style::selection()
                           : style::cardBorder(),
        (hasError() || selected) ? 2 : 1);
    if (m_frozen && !hasError())
        border.setStyle(Qt::DashLine); // frozen: a dashed outline and "frozen" in the text, not a color
    painter->setPen(border);
    painter->setBrush(Qt::NoBrush);
    painter->drawRoundedRect(card.adjusted(0.5, 0.5, -0.5, -0.5), 7, 7);

    // Text: type (bold) and id on the first line, shape and parameter count on the second.
    QFont base = painter->font();
    QFont bold = base;
    bold.setPointSizeF(9.5);
    bold.setBold(true);
    QFont small = base;
    small.setPointSizeF(8.5);
    const double left = 16, right = style::kNodeWidth - 10;
    const QRectF line1(left, 9, right - left, 18);
    const QRectF line2(left, 30, right - left, 16);
    painter->setFont(bold);
    painter->setPen(style::text());
    const double typeWidth = QFontMetricsF(bold).horizontalAdvance(m_type);
    painter->drawText(line1, Qt::AlignLeft | Qt::AlignVCenter, m_type);
    painter->setFont(small);
    painter->setPen(style::mutedText());
    const QRectF idRect = line1.adjusted(typeWidth + 8, 0, 0, 0);
    painter->drawText(idRect, Qt::AlignRight | Qt::AlignVCenter,
        QFontMetricsF(small).elidedText(m_id, Qt::ElideRight, idRect.width()));
    if (hasError()) {
        painter->setPen(style::error());
        painter->drawText(line2, Qt::AlignLeft | Qt::AlignVCenter,
            QFontMetricsF(small).elidedText(m_error, Qt::ElideRight, line2.width()));
    } else if (m_shape.isEmpty()) {
        QFont italic = small;
        italic.setItalic(true);
        painter->setFont(italic);
        painter->setPen(style::mutedText());
        painter->drawText(line2, Qt::AlignLeft | Qt::AlignVCenter, m_status);
    } else {
        painter->setPen(style::text());
        painter->drawText(line2, Qt::AlignLeft | Qt::AlignVCenter, m_shape);
        painter->setPen(style::mutedText());
        painter->drawText(line2, Qt::AlignRight | Qt::AlignVCenter, m_params);
    }

    // Ports.
    const double r = style::kPortRadius;
    for (int i = 0; i < m_slots; ++i) {
        const QPointF c = inputPortPos(i);
        const bool plus = m_variadic && i >= m_connected;
        const bool connected = i < m_connected;
        const bool hover = m_hoverSlot == i;
        painter->setPen(QPen(hover ? style::selection() : QColor(0x8e, 0x97, 0xa4), 1.2));
        painter->setBrush(connected ? QColor(0x8e, 0x97, 0xa4) : style::cardFill());
        painter->drawEllipse(c, hover ? r + 1.5 : r, hover ? r + 1.5 : r);
        if (plus) {
            painter->setPen(QPen(QColor(0x6b, 0x74, 0x82), 1.2));
            painter->drawLine(c + QPointF(-2.6, 0), c + QPointF(2.6, 0));
            painter->drawLine(c + QPointF(0, -2.6), c + QPointF(0, 2.6));
        }
    }
    {
        const QPointF c = outputPortPos();
        const bool hover = m_hoverSlot == -1;
        painter->setPen(QPen(hover ? style::selection() : accent.darker(115), 1.2));
        painter->setBrush(accent);
        painter->drawEllipse(c, hover ? r + 1.5 : r, hover ? r + 1.5 : r);
    }

    // The engine's reason, next to the card.
    if (hasError()) {
        const QRectF er = errorRect();
        painter->setPen(QPen(style::error().lighter(150), 1));
        painter->setBrush(QColor(0xfd, 0xef, 0xef));
        painter->drawRoundedRect(er, 5, 5);
        QFont f = base;
        f.setPointSizeF(8);
        painter->setFont(f);
        painter->setPen(style::error().darker(115));
        painter->drawText(er.adjusted(8, 5, -8, -5), Qt::TextWordWrap | Qt::AlignLeft | Qt::AlignTop, m_error);
    }
}

QVariant NodeItem::itemChange(GraphicsItemChange change, const QVariant& value)
{
    auto* s = qobject_cast<GraphScene*>(scene());
    if (change == ItemPositionChange && s && s->snapToGrid() && !s->isApplyingModel()) {
        const QPointF p = value.toPointF();
        const double g = style::kGrid;
        return QPointF(std::round(p.x() / g) * g, std::round(p.y() / g) * g);
    }
    if (change == ItemPositionHasChanged && s)
        s->nodeItemMoved(this);
    return QGraphicsItem::itemChange(change, value);
}

void NodeItem::hoverMoveEvent(QGraphicsSceneHoverEvent* event)
{
    int h = isOnOutputPort(event->pos()) ? -1 : inputSlotAt(event->pos());
    if (h == -1 && !isOnOutputPort(event->pos()))
        h = -2;
    if (h != m_hoverSlot) {
        m_hoverSlot = h;
        setCursor(h == -1 ? Qt::CrossCursor : Qt::ArrowCursor);
        update();
    }
}

void NodeItem::hoverLeaveEvent(QGraphicsSceneHoverEvent*)
{
    m_hoverSlot = -2;
    unsetCursor();
    update();
}

} // namespace netcanvas::widgets
