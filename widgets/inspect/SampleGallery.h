#pragma once
// SampleGallery: a scrolling grid of samples with what the model said about them, e.g. the
// most confident mistakes or the samples behind one confusion-matrix cell.
//   - A title above ("Most confident mistakes (312)", setTitle).
//   - Each item: the sample's thumbnail (tiny images enlarged with nearest neighbour by an
//     integer factor), framed red when misclassified and green when right, and the caption
//     "true → predicted (87%)" (the probability of the prediction; "(>99%)" just below 1).
//     The tooltip adds the sample index, the probability of the true class and the source.
//   - Double-click emits sampleActivated(dataset index).
// Built on a QListView over a list model with uniform item sizes: thumbnails are converted
// from the dataset only when painted (and cached), so 10,000 entries show at once.
#include "engine/inspect/Inspect.h"

#include <QImage>
#include <QStringList>
#include <QWidget>

#include <memory>
#include <vector>

class QLabel;
class QListView;

namespace netcanvas::widgets {

namespace samplegallery { // the model and delegate, private to SampleGallery.cpp
class SampleModel;
}

class SampleGallery : public QWidget {
    Q_OBJECT
public:
    explicit SampleGallery(QWidget* parent = nullptr);
    ~SampleGallery() override;

    // Shows `samples` (in this order) of `dataset`; class c is named classNames[c] (its
    // number when missing). Requires: the dataset is not modified while shown (it is kept
    // alive and read lazily). A null dataset or no samples shows "No samples".
    void setSamples(std::shared_ptr<const netcanvas::Dataset> dataset,
        std::vector<netcanvas::inspect::SamplePrediction> samples, QStringList classNames);
    void clear();

    void setTitle(const QString& title);
    QString title() const;

    // What is shown, for tests and tools.
    int count() const;
    QString captionText(int i) const;
    QImage thumbnail(int i) const; // as drawn (before enlargement)
    QRect itemRect(int i) const; // in this widget's coordinates; null when out of view
    QListView* listView() const { return m_list; }
    QString placeholderText() const;

signals:
    void sampleActivated(qint64 datasetIndex);

private:
    QLabel* m_title;
    QLabel* m_placeholder;
    QListView* m_list;
    samplegallery::SampleModel* m_model;
};

} // namespace netcanvas::widgets
