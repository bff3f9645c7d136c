#pragma once
// ConfusionMatrixView: where a classifier goes wrong. Rows are the true classes, columns the
// predicted ones (axis titles "True" and "Predicted"); each cell shows its count, or the
// percentage of its row (setNormalized: rows sum to 100%).
//   - Color follows the row fraction, so a small class is as visible as a large one: the
//     diagonal (correct) in blue with a blue outline, mistakes in red — faint for rare
//     confusions, strong from 30% of a row on — and empty cells light gray (without "0"
//     beyond 12 classes).
//   - Class names on both axes, elided to fit; the column names are slanted when they do not
//     fit under their column, vertical when the columns are too narrow for slanted ones, and
//     in a smaller font when the cells are smaller than the text. The tooltip has the full
//     names, the count and the row share.
//   - Text shrinks with the cells and falls back to "87" / "1.2k", then to color only, so 2
//     to ~30 classes stay readable in ~500–700 px.
//   - Hovering highlights the cell, its row and its column; clicking a cell emits
//     cellActivated(truth, predicted) (e.g. to open the samples behind it).
//   - A header gives "10,000 samples · accuracy 91.2%" and the Counts / Row % toggle.
// Pure display over a netcanvas::ConfusionMatrix (e.g. inspect::Evaluation::confusion).
#include "engine/train/Metrics.h"

#include <QStringList>
#include <QWidget>

#include <cstdint>
#include <vector>

class QLabel;
class QPushButton;

namespace netcanvas::widgets {

namespace confusionmatrixview { // the painted matrix, private to ConfusionMatrixView.cpp
class MatrixCanvas;
}

class ConfusionMatrixView : public QWidget {
    Q_OBJECT
public:
    explicit ConfusionMatrixView(QWidget* parent = nullptr);
    ~ConfusionMatrixView() override;

    // Shows `matrix`; class c is named classNames[c] (its number when missing). A matrix of
    // 0 classes shows the placeholder "No evaluation yet".
    void setMatrix(const netcanvas::ConfusionMatrix& matrix, QStringList classNames);
    void clear();
    const netcanvas::ConfusionMatrix& matrix() const { return m_matrix; }
    const QStringList& classNames() const { return m_names; }

    // Row-normalized percentages instead of counts (counts by default).
    void setNormalized(bool normalized);
    bool isNormalized() const { return m_normalized; }

    // What is shown, for tests and tools.
    QRect cellRect(int truth, int predicted) const; // in this widget's coordinates
    // The cell's full text: the count ("1,234"), or in normalized mode the row percentage
    // with one decimal ("87.3%", exactly "0%" and "100%"; "–" for a class with no samples).
    QString cellText(int truth, int predicted) const;
    QColor cellColor(int truth, int predicted) const;
    QString summaryText() const;
    QString cellToolTip(int truth, int predicted) const;

signals:
    void cellActivated(int truth, int predicted);
    void normalizedChanged(bool normalized);

private:
    friend class confusionmatrixview::MatrixCanvas;
    QString name(int c) const;
    int64_t rowTotal(int truth) const;
    double rowFraction(int truth, int predicted) const;

    netcanvas::ConfusionMatrix m_matrix;
    QStringList m_names;
    bool m_normalized = false;
    std::vector<int64_t> m_rowTotals;

    QLabel* m_summary;
    QPushButton* m_countsButton;
    QPushButton* m_percentButton;
    confusionmatrixview::MatrixCanvas* m_canvas;
};

} // namespace netcanvas::widgets
