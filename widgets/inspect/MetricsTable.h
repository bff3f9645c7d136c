#pragma once
// MetricsTable: per-class precision, recall, F1 and support of a classifier, sortable by any
// column (click a header; the class column sorts by class index). Weak values (more than
// one standard deviation under their column's mean) are tinted red; the support column has
// a light bar (its share of the largest class) so class imbalance shows. Above the table: overall accuracy, top-k
// accuracy and the sample count, then the macro averages. A class that is never predicted shows "–" as its precision
// (and 0 in value()). Double-clicking a row emits classActivated. Pure display over a ConfusionMatrix
// (inspect::Evaluation::confusion).
#include "engine/inspect/Inspect.h"

#include <QStringList>
#include <QWidget>

class QLabel;
class QTableWidget;

namespace netcanvas::widgets {

class MetricsTable : public QWidget {
    Q_OBJECT
public:
    enum Column { ClassColumn, PrecisionColumn, RecallColumn, F1Column, SupportColumn, ColumnCount };

    explicit MetricsTable(QWidget* parent = nullptr);
    ~MetricsTable() override;

    // Per-class rows from evaluation.confusion; the summary adds evaluation.accuracy and
    // top-`topK` accuracy. Class c is named classNames[c] (its number when missing).
    void setEvaluation(const netcanvas::inspect::Evaluation& evaluation, QStringList classNames);
    // Same without top-k accuracy (accuracy from the matrix).
    void setMatrix(const netcanvas::ConfusionMatrix& matrix, QStringList classNames);
    void clear();

    // What is shown, for tests and tools.
    QTableWidget* table() const { return m_table; }
    int rowOfClass(int cls) const; // its current row (after sorting); -1 when absent
    double value(int cls, Column column) const; // the number behind a cell (support as a count)
    QString text(int cls, Column column) const; // the cell's text
    QString summaryText() const; // the first summary line

signals:
    void classActivated(int cls);

private:
    void fill(const netcanvas::ConfusionMatrix& matrix, QStringList classNames, double accuracy, int topK,
        double topKAccuracy);

    QLabel* m_summary;
    QLabel* m_averages;
    QTableWidget* m_table;
};

} // namespace netcanvas::widgets
