#pragma once
// TrainingCharts: the live charts of training — (a) loss per batch (raw values faint, an
// exponentially smoothed line) with the validation loss per epoch (markers); (b) training
// and validation accuracy per epoch; (c) the learning rate per batch (small).
//
// Shows the runs of a RunHistory whose ids are given to setVisibleRuns(): one run in the
// training/validation colors, two or more overlaid with one color per run (solid =
// training, dashed = validation). The full data lives in RunCurves; the series get a
// min/max-decimated copy (at most maxPoints() points each) through QXYSeries::replace(),
// at most every 100 ms and only when something changed — 100,000+ batches stay smooth.
// Hovering a series shows its values in a tooltip. The x axes span the epochs that have data
// (not all planned ones); the loss axis starts at 0 and holds the smoothed and validation
// curves whole (only the faint per-batch band may leave the top); small learning rates are
// drawn in units of 10^k named in the axis title, so the labels stay short. Epoch values are
// small hollow markers; validation lines are dashed.
#include "widgets/charts/RunCurves.h"

#include <QColor>
#include <QStringList>
#include <QWidget>

#include <map>
#include <vector>

class QChart;
class QChartView;
class QLineSeries;
class QScatterSeries;
class QValueAxis;
class QTimer;
class QLabel;
class QGraphicsSimpleTextItem;

namespace netcanvas::widgets {

class RunHistory;

class TrainingCharts : public QWidget {
    Q_OBJECT
public:
    enum class Curve { RawLoss, SmoothLoss, ValidationLoss, TrainAccuracy, ValidationAccuracy, LearningRate };

    explicit TrainingCharts(QWidget* parent = nullptr);

    // The history whose runs are charted (not owned; nullptr detaches).
    void setHistory(RunHistory* history);
    // Shows these runs (ids in `history`), in this order.
    void setVisibleRuns(const std::vector<int>& ids);
    const std::vector<int>& visibleRuns() const { return m_visible; }

    // Full data of a visible run (nullptr when it is not visible).
    const RunCurves* curves(int runId) const;
    // The displayed series of a visible run (nullptr when not visible).
    QLineSeries* series(int runId, Curve curve) const;
    // The hollow markers drawn over an epoch curve (nullptr for the per-batch curves).
    QScatterSeries* markers(int runId, Curve curve) const;
    int maxPoints() const { return m_maxPoints; }
    void setMaxPoints(int n) { m_maxPoints = n; }
    // Pushes pending data to the series now (the timer does it at most every 100 ms).
    void refreshNow();
    // How many times the series were refreshed (for measuring the update rate).
    int refreshCount() const { return m_refreshCount; }
    // The longest refresh (decimation + replace + axes) so far, in milliseconds.
    double longestRefreshMs() const { return m_longestRefreshMs; }
    // Live changes of the visible runs (RunRecord::changes): a dashed vertical line on the loss
    // and learning-rate charts where each took effect, labeled ("lr 0.01 → 0.001").
    QStringList changeMarkerLabels() const;
    // The x (epoch) of each marker, in the order of changeMarkerLabels().
    std::vector<double> changeMarkerPositions() const;
    // The axes (for tests): the x or y axis of the chart showing `curve`.
    QValueAxis* axis(Curve curve, Qt::Orientation orientation) const;

private:
    struct RunSeries {
        QLineSeries* raw = nullptr;
        QLineSeries* smooth = nullptr;
        QLineSeries* validationLoss = nullptr;
        QLineSeries* trainAccuracy = nullptr;
        QLineSeries* validationAccuracy = nullptr;
        QLineSeries* learningRate = nullptr;
        std::map<QLineSeries*, QScatterSeries*> markers; // the epoch lines' hollow markers
        bool dirty = true;
    };

    void onRunChanged(int id);
    void rebuildSeries();
    void updateAxes();
    // `scale`: the series' values are the real ones times *scale (the learning rate's units).
    void connectHover(QLineSeries* s, const QString& runLabel, const QString& what, const QString& format,
        const double* scale = nullptr);
    QChart* makeChart(const QString& title, QValueAxis*& x, QValueAxis*& y);
    void scheduleRefresh();
    void updateChangeMarkers(); // the vertical lines and labels, after the axes
    void placeMarkerLabels();

    RunHistory* m_history = nullptr;
    std::vector<int> m_visible;
    std::map<int, RunCurves> m_curves;
    std::map<int, RunSeries> m_series;
    QChart* m_lossChart;
    QChart* m_accuracyChart;
    QChart* m_lrChart;
    QChartView* m_lossView;
    QChartView* m_accuracyView;
    QChartView* m_lrView;
    QValueAxis *m_lossX, *m_lossY, *m_accX, *m_accY, *m_lrX, *m_lrY;
    QLabel* m_placeholder;
    QTimer* m_timer;
    int m_maxPoints = 2000;
    int m_refreshCount = 0;
    double m_longestRefreshMs = 0.0;
    double m_lrScale = 1.0; // the learning-rate series is drawn in units of 1/m_lrScale
    struct ChangeMarker {
        double x = 0.0;
        QString label;
        QColor color;
        QLineSeries* lossLine = nullptr;
        QLineSeries* lrLine = nullptr;
        QGraphicsSimpleTextItem* text = nullptr; // on the loss chart
    };
    std::vector<ChangeMarker> m_changeMarkers;
    bool m_markerLabelsConnected = false;
};

} // namespace netcanvas::widgets
