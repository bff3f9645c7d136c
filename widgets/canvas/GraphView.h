#pragma once
// GraphView: the canvas viewport over a GraphScene. Zoom with the wheel (around the cursor)
// or zoomIn/zoomOut/fitToContents; pan with the middle button or space+drag; a dot grid
// background; rubber-band selection. Accepts drops of MIME application/x-netcanvas-layer
// (payload: the layer type) and adds that node at the drop point through the scene.
// Shows the scene's transient messages (refused connections) next to where they happened.
// Auto-fit: fitToContents() shows the whole graph and keeps it fitted while the view is
// resized (docks growing or shrinking, the window resized) until the user zooms or pans;
// Fit to Window turns it on again. Below a readable zoom (kReadableZoom) the graph is shown
// from its start at that zoom instead of shrinking further.
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
    // True while the view refits the graph on resize (after fitToContents(), until a zoom or pan).
    bool autoFit() const { return m_autoFit; }
    void setAutoFit(bool on);
    static constexpr double kReadableZoom = 0.4;

public slots:
    void zoomIn();
    void zoomOut();
    // Fits the whole graph (never above 100%, never below kReadableZoom: a larger model is
    // shown from its start) and turns auto-fit on.
    void fitToContents();
    void frameContents(); // the same (kept for callers that frame a new layout)
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
    void resizeEvent(QResizeEvent* event) override;

private:
    void zoomBy(double factor);
    void fitNow();

    GraphScene* m_scene;
    QLabel* m_message;
    QTimer* m_messageTimer;
    bool m_spaceHeld = false;
    bool m_panning = false;
    bool m_autoFit = false;
    QPoint m_panLast;
};

} // namespace netcanvas::widgets
