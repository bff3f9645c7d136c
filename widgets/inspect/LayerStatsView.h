#pragma once
// LayerStatsView: per-layer statistics over one batch — the view an instructor uses to show
// saturation and vanishing gradients. One row per layer, in network order:
//   name and type | activations | weights | gradients | badge
// Each of the three is a small histogram (bars over the value range, a dashed line at 0,
// linear or log counts) with its range and its standard deviation in scientific notation
// ("σ 3.2e-06"). A gradient σ under 1/100 of the largest layer's is written in red: a
// collapsing gradient shows even though every histogram is drawn over its own range; with
// "Same x-range per column" the histograms share their column's range and it shows as a
// spike.  A header holds that toggle and "Log counts".
// The badge gives the fraction of dead units (ReLU family) or saturated values (tanh,
// sigmoid): green up to 20%, amber up to 50%, red above. Missing data ("no weights") is
// said in place. Pure display over inspect::layerStatistics() results.
#include "engine/inspect/Inspect.h"

#include <QColor>
#include <QWidget>

#include <utility>
#include <vector>

class QCheckBox;
class QLabel;
class QScrollArea;

namespace netcanvas::widgets {

namespace layerstatsview { // the painted rows, private to LayerStatsView.cpp
class StatsRows;
}

class LayerStatsView : public QWidget {
    Q_OBJECT
public:
    enum Kind { Activations, Weights, Gradients };

    explicit LayerStatsView(QWidget* parent = nullptr);
    ~LayerStatsView() override;

    // Shows one row per entry; no entries shows the placeholder.
    void setStats(std::vector<netcanvas::inspect::LayerStats> stats);
    void clear();
    const std::vector<netcanvas::inspect::LayerStats>& stats() const { return m_stats; }

    // Bar heights ∝ log(1 + count) instead of count (off by default).
    void setLogCounts(bool on);
    bool logCounts() const;
    // Every histogram of a column drawn over the column's whole range (min to max over the
    // layers) instead of its own (off by default): a collapsing gradient becomes a spike.
    void setSharedRange(bool on);
    bool sharedRange() const;
    std::pair<double, double> columnRange(Kind kind) const; // over the layers with values

    // What is shown, for tests and tools.
    int layerCount() const { return static_cast<int>(m_stats.size()); }
    QString badgeText(int layer) const; // "dead 63%", "saturated 12%"; "" when not applicable
    QColor badgeColor(int layer) const; // invalid when no badge
    QString stdText(int layer, Kind kind) const; // "σ 3.2e-06"; "" when that histogram is empty
    bool stdFlagged(int layer, Kind kind) const; // written in red (a vanishing gradient)
    QRect histogramRect(int layer, Kind kind) const; // in this widget's coordinates
    QString placeholderText() const;

private:
    friend class layerstatsview::StatsRows;
    const netcanvas::inspect::Histogram& histogram(int layer, Kind kind) const;

    std::vector<netcanvas::inspect::LayerStats> m_stats;
    double m_maxGradientStd = 0.0;

    QLabel* m_placeholder;
    QWidget* m_content;
    QCheckBox* m_logCounts;
    QCheckBox* m_sharedRange;
    QScrollArea* m_scroll;
    layerstatsview::StatsRows* m_rows;
};

} // namespace netcanvas::widgets
