#pragma once
// FeatureMapView: what one layer makes of one input image — the layer's channels as a grid of
// small images, beside the input.
//   - A header names the node and the shape ("conv1 · 6 channels of 28×28") and holds the
//     scale toggle: "Per channel" stretches each channel over the whole color map (structure
//     of weak channels visible), "Shared" uses one range for all (which channels are strong,
//     which are dead).
//   - The grid: one cell per channel, colored with viridis, enlarged with nearest neighbour
//     by an integer factor so small maps stay crisp, as many columns as the width allows,
//     each labeled with its channel index ("· const" when the channel is constant, e.g. a
//     dead ReLU channel). The grid scrolls when it is taller than the view.
//   - A side panel (left; on top when the view is narrow): the input image, and the selected
//     channel enlarged with its min / max / mean and the color bar of the range in use.
//     Clicking a cell selects its channel (clicking it again clears the selection).
//   - A flat output (a Dense layer: 1×1×N, or C×1×1 after global pooling) is drawn as one
//     row of bars around zero, colored by value, labeled "N values (flat output)".
//   - Nothing to show: the placeholder "Select a layer and an image".
// Pure display: it never runs the network; the caller passes inspect::featureMaps() results.
#include "engine/inspect/Inspect.h"

#include <QImage>
#include <QWidget>

#include <utility>
#include <vector>

class QBoxLayout;
class QLabel;
class QPushButton;
class QScrollArea;

namespace netcanvas::widgets {

namespace featuremapview { // the painted children, private to FeatureMapView.cpp
class ChannelGrid;
class SidePanel;
} // namespace featuremapview

class FeatureMapView : public QWidget {
    Q_OBJECT
public:
    explicit FeatureMapView(QWidget* parent = nullptr);
    ~FeatureMapView() override;

    // The image the maps were computed from (any format); a null image hides it.
    void setInput(QImage input);
    // Shows `maps`; empty maps (no channels or no values) show the placeholder.
    // Requires: values.size() == channels·height·width (otherwise treated as empty).
    //           channelMin/Max/Mean are used when they have `channels` entries, else computed.
    // Ensures: the selection is kept when the channel still exists, else cleared.
    void setMaps(const netcanvas::inspect::FeatureMaps& maps);
    void clear(); // no maps, no input

    // Shared (one range over all channels) or per-channel scaling; per channel by default.
    void setSharedScale(bool shared);
    bool sharedScale() const { return m_shared; }

    // Selects channel c (shown enlarged with its statistics); -1 clears. Emits
    // channelSelected when it changes. Out-of-range channels clear.
    void setSelectedChannel(int c);
    int selectedChannel() const { return m_selected; }

    const netcanvas::inspect::FeatureMaps& maps() const { return m_maps; }
    bool isFlat() const; // shown as bars (one "channel": the whole vector)

    // What is shown, for tests and tools.
    int channelCount() const; // cells drawn: the channels, or 1 for a flat output
    QRect cellRect(int channel) const; // where channel's image is drawn, in this widget's coordinates
    QImage channelImage(int channel) const; // channel as an h×w viridis image at the current scale (1×N when flat)
    QString placeholderText() const; // the placeholder when shown, else ""
    QString titleText() const;

signals:
    void channelSelected(int channel);
    void sharedScaleChanged(bool shared);

protected:
    void resizeEvent(QResizeEvent* event) override;

private:
    void rebuild();
    void rebuildImages();
    void updateSide();
    void updateOrientation();
    std::pair<float, float> rangeOf(int channel) const;

    netcanvas::inspect::FeatureMaps m_maps;
    QImage m_input;
    bool m_shared = false;
    int m_selected = -1;
    bool m_valid = false;
    std::vector<float> m_min, m_max, m_mean;
    float m_allMin = 0.0f, m_allMax = 0.0f;
    double m_allMean = 0.0;
    std::vector<QImage> m_images;

    QLabel* m_placeholder;
    QWidget* m_content;
    QLabel* m_title;
    QLabel* m_scaleLabel;
    QPushButton* m_perChannelButton;
    QPushButton* m_sharedButton;
    QBoxLayout* m_body;
    featuremapview::SidePanel* m_side;
    QScrollArea* m_scroll;
    featuremapview::ChannelGrid* m_grid;
};

} // namespace netcanvas::widgets
