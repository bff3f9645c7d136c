#pragma once
// LayerStatsCharts: the per-layer health of a run (engine/train/LayerStats.h) — (a) the
// update:parameter ratio ‖Δw‖/‖w‖ of each layer over training, (b) each layer's gradient norm,
// both on log axes, one colored line per layer, with the unhealthy ranges shaded (a ratio below
// 1e-4 or above 1e-2; a gradient norm below 1e-7 or above 1e3). x is the epoch, fractional for
// steps. Shows one run of a RunHistory (setRun); refreshed at most every 200 ms.
#include <QString>
#include <QWidget>

#include <vector>

class QAreaSeries;
class QChart;
class QLabel;
class QLineSeries;
class QLogValueAxis;
class QTimer;
class QValueAxis;

namespace netcanvas::widgets {

class RunHistory;

class LayerStatsCharts : public QWidget {
    Q_OBJECT
public:
    explicit LayerStatsCharts(QWidget* parent = nullptr);

    void setHistory(RunHistory* history);
    // Charts this run (0: none).
    void setRun(int runId);
    int run() const { return m_runId; }
    void refreshNow();

    // For tests: the layers' series, in the network's order, and the shaded bands.
    const std::vector<QLineSeries*>& ratioSeries() const { return m_ratio; }
    const std::vector<QLineSeries*>& gradientSeries() const { return m_grad; }
    const std::vector<QAreaSeries*>& shadedBands() const { return m_bands; }
    QLogValueAxis* ratioAxis() const { return m_ratioY; }

private:
    QChart* makeChart(const QString& title, QValueAxis*& x, QLogValueAxis*& y, double lo, double hi);
    void rebuild();
    void shade(QChart* chart, QValueAxis* x, QLogValueAxis* y, double lo, double hi);

    RunHistory* m_history = nullptr;
    int m_runId = 0;
    size_t m_seen = 0;
    QChart* m_ratioChart;
    QChart* m_gradChart;
    QValueAxis *m_ratioX, *m_gradX;
    QLogValueAxis *m_ratioY, *m_gradY;
    std::vector<QLineSeries*> m_ratio, m_grad;
    std::vector<QAreaSeries*> m_bands;
    QLabel* m_placeholder;
    QTimer* m_timer;
};

} // namespace netcanvas::widgets
