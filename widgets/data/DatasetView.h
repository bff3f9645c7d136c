#pragma once
// DatasetView: what a loaded dataset holds, at a glance, for the person who just opened it.
// From top to bottom:
//   - a header, "70,000 samples · 10 classes · 1×28×28 · idx", and the folder it came from;
//   - "3 files skipped", which expands to the list of (path — reason); hidden when none;
//   - a bar chart of samples per class (class order, counts at the bar ends). A class with
//     under 10% of the largest class's samples is drawn in a warning color and named below
//     the chart: imbalance is what a user must notice;
//   - example thumbnails, up to thumbnailsPerClass() per class, evenly spaced through each
//     class (deterministic), grouped under the class name; tiny images are scaled up with
//     nearest neighbour so their pixels stay sharp. The tooltip names the class, the sample
//     and its source; a double-click emits thumbnailActivated. A dataset of numeric features
//     shows no thumbnails and says so.
// Only the thumbnails on screen are converted to QImage (and cached), so a 70,000-sample
// dataset is shown at once: setDataset costs two linear scans over the labels.
// Meant for a ~340 px side panel; also reads well at 800 px wide.
#include <QImage>
#include <QWidget>

#include <cstdint>
#include <memory>
#include <vector>

class QLabel;
class QListWidget;
class QScrollArea;
class QToolButton;

namespace netcanvas {
class Dataset;
}

namespace netcanvas::widgets {

namespace datasetview { // the painted children, private to DatasetView.cpp
class ClassBarChart;
class ThumbnailGrid;
} // namespace datasetview

class DatasetView : public QWidget {
    Q_OBJECT
public:
    explicit DatasetView(QWidget* parent = nullptr);
    ~DatasetView() override;

    // Shows `dataset`; nullptr shows the placeholder "No dataset loaded".
    // Requires: the dataset is not modified while shown (the view reads its pixels lazily,
    //           as thumbnails scroll into view; it keeps the dataset alive).
    // Ensures: header, chart, thumbnails and skipped list describe `dataset`.
    void setDataset(std::shared_ptr<const netcanvas::Dataset> dataset);
    const std::shared_ptr<const netcanvas::Dataset>& dataset() const { return m_dataset; }

    // Thumbnails per class, at most (default 8). Requires: k >= 1. Re-picks the thumbnails.
    void setThumbnailsPerClass(int k);
    int thumbnailsPerClass() const { return m_perClass; }

    // What is shown, for tests and tools.
    QString headerText() const; // the header's first line
    std::vector<int64_t> classCountsShown() const; // per class, as the bars show them
    std::vector<int64_t> thumbnailSamples() const; // sample indices shown, class by class
    QImage thumbnailImage(int i) const; // the image of thumbnailSamples()[i]
    QRect thumbnailRect(int i) const; // where it is drawn, in this widget's coordinates
    QString thumbnailNote() const; // why no thumbnails are shown; "" when shown
    QStringList skippedShown() const; // "path — reason" lines of the skipped list

    // Sample i of `d` as an image: Grayscale8 for C = 1, RGB888 for C = 3, the first channel
    // as gray otherwise. Null when `d` holds no pixels (numeric features) or i is out of range.
    static QImage sampleImage(const netcanvas::Dataset& d, int64_t i);

signals:
    // A thumbnail was double-clicked; sampleIndex indexes the dataset's samples.
    void thumbnailActivated(qint64 sampleIndex);

private:
    void rebuild();
    // Regression: the targets' range in the data's units; text: vocabulary, lengths, examples.
    QString targetSummary(const netcanvas::Dataset& d) const;
    QString sequenceSummary(const netcanvas::Dataset& d) const;
    void setSkippedExpanded(bool expanded);

    std::shared_ptr<const netcanvas::Dataset> m_dataset;
    int m_perClass = 8;

    QLabel* m_placeholder;
    QWidget* m_content;
    QString m_headerText; // plain; the label's copy has no-break spaces
    QLabel* m_header;
    QLabel* m_details;
    QToolButton* m_skippedToggle;
    QListWidget* m_skippedList;
    QScrollArea* m_chartScroll;
    datasetview::ClassBarChart* m_chart;
    QLabel* m_chartNote;
    QLabel* m_thumbNote;
    QScrollArea* m_thumbScroll;
    datasetview::ThumbnailGrid* m_grid;
};

} // namespace netcanvas::widgets
