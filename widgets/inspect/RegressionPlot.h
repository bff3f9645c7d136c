#pragma once
// RegressionPlot: the Evaluation tab's view of a model with real-valued outputs. Left, each
// test value's prediction against the actual value (points on the diagonal are exact), with
// the metrics in a corner; right, for a forecast, the series itself with the model's
// one-step-ahead forecasts of the test windows drawn over it (the test part shaded).
// Painted with QPainter: thousands of points cost one paint, no chart items.
//
// Ensures: setData() / setSeries() copy what they are given and repaint; clear() empties both.
#include <QWidget>

#include <cstdint>
#include <vector>

class QPainter;

namespace netcanvas::widgets {

class RegressionPlot : public QWidget {
    Q_OBJECT
public:
    explicit RegressionPlot(QWidget* parent = nullptr);

    // Predicted and actual values (the same count) in the data's units; `caption` is shown
    // in the scatter's corner (e.g. "RMSE 0.52 · MAE 0.40 · R² 0.97").
    void setData(std::vector<float> actual, std::vector<float> predicted, const QString& caption);
    // A forecast: the whole series (data units), and the forecast value at each listed time
    // (index into the series); [testBegin, end) is shaded as the test part. Empty: no series panel.
    void setSeries(
        std::vector<float> series, std::vector<int64_t> times, std::vector<float> forecasts, int64_t testBegin);
    void clear();

    int pointCount() const { return static_cast<int>(m_actual.size()); }
    bool hasSeries() const { return !m_series.empty(); }
    QSize sizeHint() const override { return { 720, 320 }; }
    QSize minimumSizeHint() const override { return { 320, 200 }; }

    // Colours (tests look for them in a grab()).
    static QColor pointColor();
    static QColor forecastColor();

protected:
    void paintEvent(QPaintEvent* event) override;

private:
    void paintScatter(QPainter& p, const QRectF& area);
    void paintSeries(QPainter& p, const QRectF& area);

    std::vector<float> m_actual, m_predicted;
    QString m_caption;
    std::vector<float> m_series, m_forecasts;
    std::vector<int64_t> m_times;
    int64_t m_testBegin = -1;
};

} // namespace netcanvas::widgets
