#pragma once
// ExperimentView: an experiment as a class sees it — the lesson's title, text and what to look
// at, the sentence saying what is held equal across variants, the variants' curves overlaid
// live (validation solid, training dashed; the legend names the variable and value) and the
// ranking table (best validation accuracy and loss, final training accuracy, the
// train − validation gap, the overfitting flag, time, parameters). Run, Stop and Export
// buttons, and "Show on canvas" for the selected variant.
//
// Requires: called on the UI thread; start() before addEpoch()/setOutcome() of its variants.
// Ensures: after setOutcome() of every variant, the table lists them in rankOutcomes() order.
#include "engine/session/ExperimentRunner.h"

#include <QStringList>
#include <QWidget>

#include <vector>

class QChart;
class QChartView;
class QComboBox;
class QLabel;
class QLineSeries;
class QPushButton;
class QTableWidget;
class QValueAxis;

namespace netcanvas::widgets {

class ExperimentView : public QWidget {
    Q_OBJECT
public:
    explicit ExperimentView(QWidget* parent = nullptr);

    // A new experiment (clears curves and table): its texts, one label per variant, the epochs.
    void start(const QString& title, const QString& text, const QString& lookAt, const QString& controlled,
        const QStringList& labels, int epochs);
    void setVariantState(int variant, const QString& state);
    void addEpoch(int variant, const EpochEvent& e);
    void setOutcome(int variant, const VariantOutcome& outcome);
    void setRunning(bool running);
    void setMessage(const QString& text);

    QTableWidget* rankingTable() const { return m_table; }
    QChart* accuracyChart() const { return m_accChart; }
    QChart* lossChart() const { return m_lossChart; }
    QWidget* chartsWidget() const { return m_charts; }
    // Shows the accuracy (0) or the loss (1) chart.
    QComboBox* curvesBox() const { return m_curves; }
    const std::vector<VariantOutcome>& outcomes() const { return m_outcomes; }
    QPushButton* runButton() const { return m_run; }
    // The legend entry of a variant's validation curve: its value (the chart's title names the
    // variable), or its whole label when the labels are not "variable = value".
    QString legendLabel(int variant) const;

signals:
    void runRequested();
    void stopRequested();
    void exportRequested();
    void showVariantRequested(int variant);
    void restoreOriginalRequested();

private:
    void rebuildTable();
    QChart* makeChart(const QString& title, QValueAxis*& x, QValueAxis*& y);

    QLabel* m_title;
    QLabel* m_text;
    QLabel* m_lookAt;
    QLabel* m_controlled;
    QLabel* m_message;
    QPushButton* m_run;
    QPushButton* m_stop;
    QPushButton* m_export;
    QPushButton* m_show;
    QPushButton* m_restore;
    QWidget* m_charts;
    QComboBox* m_curves;
    QChart* m_accChart;
    QChart* m_lossChart;
    QValueAxis *m_accX, *m_accY, *m_lossX, *m_lossY;
    QTableWidget* m_table;
    QStringList m_labels;
    QStringList m_shortNames; // the values, when every label is "variable = value"
    std::vector<QLineSeries*> m_accVal, m_accTrain, m_lossVal, m_lossTrain;
    std::vector<VariantOutcome> m_outcomes;
    std::vector<bool> m_done;
    double m_lossMax = 0.0;
};

} // namespace netcanvas::widgets
