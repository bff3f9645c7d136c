#include "widgets/canvas/GraphView.h"

#include "widgets/canvas/CanvasStyle.h"
#include "widgets/canvas/GraphScene.h"

#include <QDragEnterEvent>
#include <QLabel>
#include <QMimeData>
#include <QPainter>
#include <QScrollBar>
#include <QTimer>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>

namespace netcanvas::widgets {

namespace {
constexpr double kMinZoom = 0.15;
constexpr double kMaxZoom = 4.0;
} // namespace

GraphView::GraphView(GraphScene* scene, QWidget* parent)
    : QGraphicsView(scene, parent)
    , m_scene(scene)
{
    setRenderHints(QPainter::Antialiasing | QPainter::TextAntialiasing | QPainter::SmoothPixmapTransform);
    setDragMode(QGraphicsView::RubberBandDrag);
    setRubberBandSelectionMode(Qt::IntersectsItemShape);
    setTransformationAnchor(QGraphicsView::AnchorUnderMouse);
    setResizeAnchor(QGraphicsView::AnchorViewCenter);
    setViewportUpdateMode(QGraphicsView::SmartViewportUpdate);
    setAcceptDrops(true);
    setFrameShape(QFrame::NoFrame);
    setSceneRect(-5000, -5000, 10000, 10000);
    setFocusPolicy(Qt::StrongFocus);

    m_message = new QLabel(viewport());
    m_message->setObjectName(QStringLiteral("canvasMessage"));
    m_message->setWordWrap(true);
    m_message->setMaximumWidth(360);
    m_message->setStyleSheet(
        QStringLiteral("QLabel#canvasMessage { background: #fff4e5; color: #6b3d00; border: 1px solid #f0c27a;"
                       " border-radius: 6px; padding: 6px 9px; }"));
    m_message->hide();
    m_messageTimer = new QTimer(this);
    m_messageTimer->setSingleShot(true);
    connect(m_messageTimer, &QTimer::timeout, m_message, &QLabel::hide);
    connect(scene, &GraphScene::message, this, &GraphView::showMessage);
}

double GraphView::zoom() const
{
    return transform().m11();
}

void GraphView::showMessage(const QString& text, QPointF scenePos)
{
    m_message->setText(text);
    m_message->adjustSize();
    QPoint p = mapFromScene(scenePos) + QPoint(14, 14);
    p.setX(std::clamp(p.x(), 4, std::max(4, viewport()->width() - m_message->width() - 4)));
    p.setY(std::clamp(p.y(), 4, std::max(4, viewport()->height() - m_message->height() - 4)));
    m_message->move(p);
    m_message->show();
    m_message->raise();
    m_messageTimer->start(4000);
}

void GraphView::zoomBy(double factor)
{
    const double target = std::clamp(zoom() * factor, kMinZoom, kMaxZoom);
    const double f = target / zoom();
    scale(f, f);
}

void GraphView::setAutoFit(bool on)
{
    m_autoFit = on;
    if (on)
        fitNow();
}

void GraphView::resizeEvent(QResizeEvent* event)
{
    QGraphicsView::resizeEvent(event);
    if (m_autoFit)
        fitNow();
}

void GraphView::zoomIn()
{
    m_autoFit = false;
    const auto anchor = transformationAnchor();
    setTransformationAnchor(QGraphicsView::AnchorViewCenter);
    zoomBy(1.25);
    setTransformationAnchor(anchor);
}

void GraphView::zoomOut()
{
    m_autoFit = false;
    const auto anchor = transformationAnchor();
    setTransformationAnchor(QGraphicsView::AnchorViewCenter);
    zoomBy(1 / 1.25);
    setTransformationAnchor(anchor);
}

void GraphView::setZoom(double factor)
{
    m_autoFit = false;
    const auto anchor = transformationAnchor();
    setTransformationAnchor(QGraphicsView::AnchorViewCenter);
    zoomBy(factor / zoom());
    setTransformationAnchor(anchor);
}

void GraphView::fitToContents()
{
    setAutoFit(true);
}

void GraphView::fitNow()
{
    QRectF r = m_scene->itemsBoundingRect();
    if (r.isEmpty()) {
        resetTransform();
        centerOn(0, 0);
        return;
    }
    r.adjust(-16, -16, 16, 16);
    const QSizeF port = viewport()->size();
    if (port.width() < 10 || port.height() < 10)
        return; // not laid out yet: the first real resize fits
    const double fit = std::min(port.width() / r.width(), port.height() / r.height());
    const double target = std::clamp(fit, kReadableZoom, 1.0);
    const double f = target / zoom();
    scale(f, f);
    // A graph larger than the view at the readable zoom is shown from its start (top-left).
    const QSizeF visible = port / zoom();
    const double cx = r.width() <= visible.width() ? r.center().x() : r.left() + visible.width() / 2;
    const double cy = r.height() <= visible.height() ? r.center().y() : r.top() + visible.height() / 2;
    centerOn(cx, cy);
}

void GraphView::frameContents()
{
    fitToContents();
}

void GraphView::drawBackground(QPainter* painter, const QRectF& rect)
{
    painter->fillRect(rect, style::canvasBackground());
    double step = style::kGridDots;
    while (step * zoom() < 12)
        step *= 2;
    const double left = std::floor(rect.left() / step) * step;
    const double top = std::floor(rect.top() / step) * step;
    QPen pen(style::gridDot(), 2.0 / zoom());
    pen.setCapStyle(Qt::RoundCap);
    painter->setPen(pen);
    QVector<QPointF> dots;
    for (double x = left; x < rect.right(); x += step)
        for (double y = top; y < rect.bottom(); y += step)
            dots.append(QPointF(x, y));
    painter->drawPoints(dots.constData(), static_cast<int>(dots.size()));
}

void GraphView::wheelEvent(QWheelEvent* event)
{
    const double steps = event->angleDelta().y() / 120.0;
    if (steps == 0) {
        QGraphicsView::wheelEvent(event);
        return;
    }
    m_autoFit = false;
    zoomBy(std::pow(1.15, steps));
    event->accept();
}

void GraphView::mousePressEvent(QMouseEvent* event)
{
    if (event->button() == Qt::MiddleButton || (event->button() == Qt::LeftButton && m_spaceHeld)) {
        m_panning = true;
        m_autoFit = false;
        m_panLast = event->position().toPoint();
        viewport()->setCursor(Qt::ClosedHandCursor);
        event->accept();
        return;
    }
    QGraphicsView::mousePressEvent(event);
}

void GraphView::mouseMoveEvent(QMouseEvent* event)
{
    if (m_panning) {
        const QPoint p = event->position().toPoint();
        const QPoint d = p - m_panLast;
        m_panLast = p;
        horizontalScrollBar()->setValue(horizontalScrollBar()->value() - d.x());
        verticalScrollBar()->setValue(verticalScrollBar()->value() - d.y());
        event->accept();
        return;
    }
    QGraphicsView::mouseMoveEvent(event);
}

void GraphView::mouseReleaseEvent(QMouseEvent* event)
{
    if (m_panning && (event->button() == Qt::MiddleButton || event->button() == Qt::LeftButton)) {
        m_panning = false;
        viewport()->setCursor(m_spaceHeld ? Qt::OpenHandCursor : Qt::ArrowCursor);
        event->accept();
        return;
    }
    QGraphicsView::mouseReleaseEvent(event);
}

void GraphView::keyPressEvent(QKeyEvent* event)
{
    if (event->key() == Qt::Key_Space && !event->isAutoRepeat()) {
        m_spaceHeld = true;
        viewport()->setCursor(Qt::OpenHandCursor);
        event->accept();
        return;
    }
    if (event->key() == Qt::Key_Space) {
        event->accept();
        return;
    }
    QGraphicsView::keyPressEvent(event);
}

void GraphView::keyReleaseEvent(QKeyEvent* event)
{
    if (event->key() == Qt::Key_Space && !event->isAutoRepeat()) {
        m_spaceHeld = false;
        if (!m_panning)
            viewport()->setCursor(Qt::ArrowCursor);
        event->accept();
        return;
    }
    QGraphicsView::keyReleaseEvent(event);
}

void GraphView::dragEnterEvent(QDragEnterEvent* event)
{
    if (event->mimeData()->hasFormat(QString::fromLatin1(kLayerMimeType)))
        event->acceptProposedAction();
    else
        QGraphicsView::dragEnterEvent(event);
}

void GraphView::dragMoveEvent(QDragMoveEvent* event)
{
    if (event->mimeData()->hasFormat(QString::fromLatin1(kLayerMimeType)))
        event->acceptProposedAction();
    else
        QGraphicsView::dragMoveEvent(event);
}

void GraphView::dropEvent(QDropEvent* event)
{
    if (!event->mimeData()->hasFormat(QString::fromLatin1(kLayerMimeType))) {
        QGraphicsView::dropEvent(event);
        return;
    }
    const QString type = QString::fromUtf8(event->mimeData()->data(QString::fromLatin1(kLayerMimeType))).trimmed();
    const QPointF scenePos = mapToScene(event->position().toPoint());
    if (!type.isEmpty())
        m_scene->addNodeAt(type, scenePos);
    event->acceptProposedAction();
    setFocus();
}

} // namespace netcanvas::widgets
