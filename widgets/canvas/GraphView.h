#pragma once
// GraphView: the canvas viewport over a GraphScene. Zoom with the wheel (around the cursor)
// or zoomIn/zoomOut/fitToContents; pan with the middle button or space+drag; a dot grid
// background; rubber-band selection. Accepts drops of MIME application/x-netcanvas-layer
// (payload: the layer type) and adds that node at the drop point through the scene.
// Shows the scene's transient messages (refused connections) next to where they happened.
#include <QGraphicsView>

class QLabel;
class QTimer;

namespace netcanvas::widgets {

class GraphScene;

inline constexpr const char* kLayerMimeType = "application/x-netcanvas-layer";

class GraphView : public QGraphicsView {
    Q_OBJECT
public:
    explicit GraphView(GraphScene* scene, QWidget* parent = nullptr);

    GraphScene* graphScene() const { return m_scene; }
    double zoom() const;
    // Shows a tooltip-like note near a scene position for a few seconds.
    void showMessage(const QString& text, QPointF scenePos);
    QLabel* messageLabel() const { return m_message; }

public slots:
    void zoomIn();
    void zoomOut();
    void fitToContents();
    // Like fitToContents, but never below a readable zoom: a model taller or wider than the
    // window is shown from its start (top-left), at a size where labels can be read.
    void frameContents();
    void setZoom(double factor);

protected:
    void drawBackground(QPainter* painter, const QRectF& rect) override;
    void wheelEvent(QWheelEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void keyPressEvent(QKeyEvent* event) override;
    void keyReleaseEvent(QKeyEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dragMoveEvent(QDragMoveEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    void zoomBy(double factor);

    GraphScene* m_scene;
    QLabel* m_message;
    QTimer* m_messageTimer;
    bool m_spaceHeld = false;
    bool m_panning = false;
    QPoint m_panLast;
};

} // namespace netcanvas::widgets
