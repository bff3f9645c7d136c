#pragma once
// FilterView: the weights of a convolution as small images — what the first layer looks for.
//   - 3 input channels (a color image): one RGB tile per filter, the filter's three channels
//     scaled jointly to [0, 1] (its min → 0, its max → 1), in a grid that wraps.
//   - 1 input channel: one gray tile per filter in a wrapping grid.
//   - Otherwise: a filters × channels matrix of gray tiles (rows f0…, columns c0…).
//   Gray tiles are scaled per filter symmetrically around zero: mid-gray = 0, white = +m,
//   black = −m with m the filter's largest |weight|, so signs read at a glance.
//   Small kernels are enlarged with nearest neighbour by an integer factor. The tooltip names
//   the filter (and channel) and gives the filter's L2 norm and range. A header names the
//   node and the layout ("conv1 · 6 filters of 1×5×5"); empty filters show a placeholder.
// Pure display: the caller passes inspect::convolutionFilters() results.
#include "engine/inspect/Inspect.h"

#include <QImage>
#include <QWidget>

#include <vector>

class QLabel;
class QScrollArea;

namespace netcanvas::widgets {

namespace filterview { // the painted grid, private to FilterView.cpp
class FilterGrid;
}

class FilterView : public QWidget {
    Q_OBJECT
public:
    explicit FilterView(QWidget* parent = nullptr);
    ~FilterView() override;

    // Shows `filters`. Requires: values.size() == filters·channels·height·width (otherwise
    // the placeholder is shown, as for an empty Filters).
    void setFilters(const netcanvas::inspect::Filters& filters);
    void clear();
    const netcanvas::inspect::Filters& filters() const { return m_filters; }

    bool isRgb() const; // one RGB tile per filter
    bool isMatrix() const; // a filters × channels matrix

    // What is shown, for tests and tools. `channel` is ignored (use 0) for RGB and
    // single-channel filters.
    int tileCount() const;
    QRect tileRect(int filter, int channel = 0) const; // in this widget's coordinates
    QImage tileImage(int filter, int channel = 0) const; // at kernel resolution
    QString tileToolTip(int filter, int channel = 0) const;
    double filterNorm(int filter) const; // L2 norm of all of the filter's weights
    QString placeholderText() const;
    QString titleText() const;

private:
    void rebuild();
    int tileIndex(int filter, int channel) const;

    netcanvas::inspect::Filters m_filters;
    bool m_valid = false;
    std::vector<double> m_norms;

    QLabel* m_placeholder;
    QWidget* m_content;
    QLabel* m_title;
    QLabel* m_legend;
    QScrollArea* m_scroll;
    filterview::FilterGrid* m_grid;
};

} // namespace netcanvas::widgets
