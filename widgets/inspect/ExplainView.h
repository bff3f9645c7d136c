#pragma once
// ExplainView: why the model said what it said about one image.
//   - The prediction on top ("Ankle boot · 93.1%").
//   - The image and the same image with a heat map over it, side by side (tiny images
//     enlarged with nearest neighbour so their pixels stay sharp; the heat map is smooth
//     over them), with an inferno color bar "less → more important".
//   - A toggle Grad-CAM / Saliency / None (an option without a map is disabled) and an
//     opacity slider (the heat's alpha is opacity × heat, so cold regions stay clear).
//   - The top-k classes as horizontal bars with percentages, the first highlighted.
//   The scores go right of the images when the view is wide, below them when it is narrow.
// Pure display: the caller passes inspect::classify(), saliency() and gradCam() results.
#include "engine/inspect/Inspect.h"

#include <QImage>
#include <QStringList>
#include <QWidget>

#include <vector>

class QBoxLayout;
class QLabel;
class QPushButton;
class QSlider;

namespace netcanvas::widgets {

namespace explainview { // the painted children, private to ExplainView.cpp
class ImagePair;
class ScoreBars;
} // namespace explainview

class ExplainView : public QWidget {
    Q_OBJECT
public:
    enum class Overlay { GradCam, Saliency, None };
    Q_ENUM(Overlay)

    explicit ExplainView(QWidget* parent = nullptr);
    ~ExplainView() override;

    void setImage(QImage image);
    // Most probable first (as inspect::classify returns them); class c is named
    // classNames[c] (its number when missing).
    void setScores(std::vector<netcanvas::inspect::ClassScore> scores, QStringList classNames);
    // Either map may be empty (0×0): its option is then disabled.
    void setHeatmaps(const netcanvas::inspect::Heatmap& saliency, const netcanvas::inspect::Heatmap& gradCam);
    void clear();

    // Which map is drawn over the image (Grad-CAM by default; None when it has no map).
    void setOverlay(Overlay overlay);
    Overlay overlay() const { return m_overlay; }
    // Opacity of the heat in [0, 1] (default 0.6); clamped.
    void setOpacity(double opacity);
    double opacity() const { return m_opacity; }

    // What is shown, for tests and tools.
    QImage displayImage() const { return m_display; } // the image at display size (RGB32)
    QImage overlayImage() const { return m_overlaid; } // displayImage() with the selected map over it
    QStringList scoreTexts() const; // "Ankle boot 93.1%", in order
    QString predictionText() const;

signals:
    void overlayChanged(netcanvas::widgets::ExplainView::Overlay overlay);
    void opacityChanged(double opacity);

protected:
    void resizeEvent(QResizeEvent* event) override;

private:
    void recompose();
    void updateButtons();
    const netcanvas::inspect::Heatmap* currentMap() const;
    QString className(int c) const;

    QImage m_image;
    QImage m_display;
    QImage m_overlaid;
    std::vector<netcanvas::inspect::ClassScore> m_scores;
    QStringList m_names;
    netcanvas::inspect::Heatmap m_saliency, m_gradCam;
    Overlay m_overlay = Overlay::GradCam;
    double m_opacity = 0.6;

    QLabel* m_prediction;
    QBoxLayout* m_body;
    explainview::ImagePair* m_pair;
    explainview::ScoreBars* m_bars;
    QPushButton* m_gradCamButton;
    QPushButton* m_saliencyButton;
    QPushButton* m_noneButton;
    QSlider* m_opacitySlider;
    QLabel* m_opacityValue;
};

} // namespace netcanvas::widgets
