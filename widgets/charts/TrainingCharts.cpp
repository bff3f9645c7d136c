#include "widgets/charts/TrainingCharts.h"

#include "widgets/charts/Decimation.h"
#include "widgets/train/RunHistory.h"

#include <QChart>
#include <QChartView>
#include <QCursor>
#include <QElapsedTimer>
#include <QGraphicsSimpleTextItem>
#include <QHBoxLayout>
#include <QLabel>
#include <QLegendMarker>
#include <QLineSeries>
#include <QScatterSeries>
#include <QStackedLayout>
#include <QTimer>
#include <QToolTip>
#include <QValueAxis>

#include <algorithm>
#include <cmath>

namespace netcanvas::widgets {

namespace {

const QColor kTrainColor(QStringLiteral("#4c78a8"));
const QColor kValidationColor(QStringLiteral("#f58518"));
const QColor kGridColor(QStringLiteral("#e8ebef"));
const QColor kAxisTextColor(QStringLiteral("#5a6270"));

// A step of 1, 2, 2.5 or 5 × 10^k giving about `ticks` intervals over `range`.
double niceStep(double range, int ticks)
{
    if (!(range > 0.0) || !std::isfinite(range))
        return 1.0;
    const double raw = range / std::max(ticks, 1);
    const double mag = std::pow(10.0, std::floor(std::log10(raw)));
    for (double m : { 1.0, 2.0, 2.5, 5.0, 10.0 })
        if (m * mag >= raw)
            return m * mag;
    return 10.0 * mag;
}

int decimalsFor(double step)
{
    for (int d = 0; d < 6; ++d) {
        const double scaled = step * std::pow(10.0, d);
        if (std::abs(scaled - std::round(scaled)) < 1e-6 * std::max(1.0, scaled))
            return d;
    }
    return 6;
}

void setNiceAxis(QValueAxis* axis, double lo, double hi, int ticks, const QString& suffix = {})
{
    if (!(hi > lo))
        hi = lo + 1.0;
    const double step = niceStep(hi - lo, ticks);
    lo = std::floor(lo / step + 1e-9) * step;
    hi = std::ceil(hi / step - 1e-9) * step;
    if (axis->min() != lo || axis->max() != hi)
        axis->setRange(lo, hi);
    axis->setTickType(QValueAxis::TicksDynamic);
    axis->setTickAnchor(lo);
    axis->setTickInterval(step);
    axis->setLabelFormat(QStringLiteral("%.%1f%2").arg(decimalsFor(step)).arg(suffix));
}

// "-3" as superscript digits ("⁻³").
QString superscript(int n)
{
    static const QString digits = QStringLiteral("⁰¹²³⁴⁵⁶⁷⁸⁹");
    QString out = n < 0 ? QStringLiteral("⁻") : QString();
    for (QChar c : QString::number(std::abs(n)))
        out += digits.at(c.digitValue());
    return out;
}

QLineSeries* makeSeries(const QColor& color, qreal width, Qt::PenStyle style = Qt::SolidLine)
{
    auto* s = new QLineSeries;
    QPen pen(color, width, style);
    pen.setCapStyle(Qt::RoundCap);
    pen.setJoinStyle(Qt::RoundJoin);
    s->setPen(pen);
    return s;
}

} // namespace

TrainingCharts::TrainingCharts(QWidget* parent)
    : QWidget(parent)
    , m_timer(new QTimer(this))
{
    m_lossChart = makeChart(tr("Loss"), m_lossX, m_lossY);
    m_accuracyChart = makeChart(tr("Accuracy"), m_accX, m_accY);
    m_lrChart = makeChart(tr("Learning rate"), m_lrX, m_lrY);
    m_lrChart->legend()->hide();
    setNiceAxis(m_lossY, 0.0, 2.5, 5);
    setNiceAxis(m_accY, 0.0, 100.0, 5, QStringLiteral("%%"));
    setNiceAxis(m_lrY, 0.0, 0.01, 4);
    for (QValueAxis* x : { m_lossX, m_accX, m_lrX })
        setNiceAxis(x, 0.0, 5.0, 5);
    m_lossX->setTitleText(tr("epoch"));
    m_accX->setTitleText(tr("epoch"));
    m_lrX->setTitleText(tr("epoch"));

    auto makeView = [this](QChart* chart) {
        auto* v = new QChartView(chart, this);
        v->setRenderHint(QPainter::Antialiasing);
        v->setMinimumSize(220, 160);
        return v;
    };
    m_lossView = makeView(m_lossChart);
    m_accuracyView = makeView(m_accuracyChart);
    m_lrView = makeView(m_lrChart);
    m_lrView->setMinimumWidth(180);

    m_placeholder = new QLabel(
        tr("No training run yet — press Train in the toolbar (Ctrl+T), or Train on labeled in the Label mode."), this);
    m_placeholder->setAlignment(Qt::AlignCenter);
    m_placeholder->setStyleSheet(QStringLiteral("color: #7a828e; font-size: 13px;"));

    auto* chartsRow = new QWidget(this);
    auto* row = new QHBoxLayout(chartsRow);
    row->setContentsMargins(0, 0, 0, 0);
    row->setSpacing(2);
    row->addWidget(m_lossView, 5);
    row->addWidget(m_accuracyView, 4);
    row->addWidget(m_lrView, 3);

    auto* stack = new QStackedLayout(this);
    stack->setContentsMargins(0, 0, 0, 0);
    stack->addWidget(m_placeholder);
    stack->addWidget(chartsRow);

    m_timer->setSingleShot(true);
    m_timer->setInterval(100); // at most 10 refreshes per second
    connect(m_timer, &QTimer::timeout, this, &TrainingCharts::refreshNow);
}

QChart* TrainingCharts::makeChart(const QString& title, QValueAxis*& x, QValueAxis*& y)
{
    auto* chart = new QChart;
    chart->setTitle(title);
    QFont tf = chart->titleFont();
    tf.setPointSizeF(9.5);
    tf.setBold(true);
    chart->setTitleFont(tf);
    chart->setTitleBrush(QColor(QStringLiteral("#3a414c")));
    chart->setBackgroundRoundness(0);
    chart->setMargins(QMargins(4, 2, 6, 2));
    chart->setAnimationOptions(QChart::NoAnimation);
    chart->legend()->setAlignment(Qt::AlignTop);
    QFont lf = chart->legend()->font();
    lf.setPointSizeF(8.5);
    chart->legend()->setFont(lf);
    chart->legend()->setLabelColor(kAxisTextColor);
    chart->legend()->setMarkerShape(QLegend::MarkerShapeFromSeries);
    x = new QValueAxis;
    y = new QValueAxis;
    for (QValueAxis* a : { x, y }) {
        QFont af = a->labelsFont();
        af.setPointSizeF(8);
        a->setLabelsFont(af);
        a->setTitleFont(af);
        a->setLabelsColor(kAxisTextColor);
        a->setTitleBrush(kAxisTextColor);
        a->setGridLineColor(kGridColor);
        a->setLinePenColor(QColor(QStringLiteral("#c5cad3")));
        a->setMinorGridLineVisible(false);
    }
    chart->addAxis(x, Qt::AlignBottom);
    chart->addAxis(y, Qt::AlignLeft);
    return chart;
}

void TrainingCharts::setHistory(RunHistory* history)
{
    if (m_history)
        disconnect(m_history, nullptr, this, nullptr);
    m_history = history;
    m_curves.clear();
    m_visible.clear();
    if (m_history) {
        connect(m_history, &RunHistory::runUpdated, this, &TrainingCharts::onRunChanged);
        connect(m_history, &RunHistory::runFinished, this, &TrainingCharts::onRunChanged);
        connect(m_history, &RunHistory::runRenamed, this, [this](int id) {
            if (std::find(m_visible.begin(), m_visible.end(), id) != m_visible.end())
                rebuildSeries(); // legends and tooltips carry the name
        });
        connect(m_history, &RunHistory::runRemoved, this, [this](int id) {
            m_curves.erase(id);
            std::vector<int> rest;
            for (int v : m_visible)
                if (v != id)
                    rest.push_back(v);
            setVisibleRuns(rest);
        });
        connect(m_history, &RunHistory::cleared, this, [this] {
            m_curves.clear();
            setVisibleRuns({});
        });
    }
    rebuildSeries();
}

void TrainingCharts::setVisibleRuns(const std::vector<int>& ids)
{
    std::vector<int> valid;
    for (int id : ids)
        if (m_history && m_history->run(id))
            valid.push_back(id);
    if (valid == m_visible)
        return;
    m_visible = valid;
    rebuildSeries();
}

const RunCurves* TrainingCharts::curves(int runId) const
{
    if (std::find(m_visible.begin(), m_visible.end(), runId) == m_visible.end())
        return nullptr;
    auto it = m_curves.find(runId);
    return it == m_curves.end() ? nullptr : &it->second;
}

QLineSeries* TrainingCharts::series(int runId, Curve curve) const
{
    auto it = m_series.find(runId);
    if (it == m_series.end())
        return nullptr;
    const RunSeries& s = it->second;
    switch (curve) {
    case Curve::RawLoss:
        return s.raw;
    case Curve::SmoothLoss:
        return s.smooth;
    case Curve::ValidationLoss:
        return s.validationLoss;
    case Curve::TrainAccuracy:
        return s.trainAccuracy;
    case Curve::ValidationAccuracy:
        return s.validationAccuracy;
    case Curve::LearningRate:
        return s.learningRate;
    }
    return nullptr;
}

QScatterSeries* TrainingCharts::markers(int runId, Curve curve) const
{
    auto it = m_series.find(runId);
    QLineSeries* line = series(runId, curve);
    if (it == m_series.end() || !line)
        return nullptr;
    auto m = it->second.markers.find(line);
    return m == it->second.markers.end() ? nullptr : m->second;
}

QValueAxis* TrainingCharts::axis(Curve curve, Qt::Orientation orientation) const
{
    const bool x = orientation == Qt::Horizontal;
    switch (curve) {
    case Curve::RawLoss:
    case Curve::SmoothLoss:
    case Curve::ValidationLoss:
        return x ? m_lossX : m_lossY;
    case Curve::TrainAccuracy:
    case Curve::ValidationAccuracy:
        return x ? m_accX : m_accY;
    case Curve::LearningRate:
        return x ? m_lrX : m_lrY;
    }
    return nullptr;
}

void TrainingCharts::onRunChanged(int id)
{
    auto it = m_series.find(id);
    if (it == m_series.end())
        return;
    it->second.dirty = true;
    scheduleRefresh();
}

void TrainingCharts::scheduleRefresh()
{
    if (!m_timer->isActive())
        m_timer->start();
}

void TrainingCharts::rebuildSeries()
{
    for (ChangeMarker& m : m_changeMarkers)
        delete m.text; // the lines go with removeAllSeries()
    m_changeMarkers.clear();
    for (QChart* c : { m_lossChart, m_accuracyChart, m_lrChart })
        c->removeAllSeries();
    m_series.clear();
    auto* stack = static_cast<QStackedLayout*>(layout());
    stack->setCurrentIndex(m_visible.empty() ? 0 : 1);

    const bool overlay = m_visible.size() > 1;
    m_lossChart->setTitle(overlay
            ? tr("Loss   <span style='font-weight:normal;color:#7a828e'>solid: training · dashed: validation</span>")
            : tr("Loss"));
    // Regression runs chart their RMSE where classifiers chart accuracy.
    bool regression = false;
    for (int id : m_visible)
        if (const RunRecord* run = m_history->run(id))
            regression = regression || (!run->batches.empty() && run->batches.front().regression)
                || (!run->epochs.empty() && run->epochs.front().regression);
    const QString metric = regression ? tr("RMSE") : tr("Accuracy");
    m_accuracyChart->setTitle(overlay ? metric
                + tr("   <span style='font-weight:normal;color:#7a828e'>solid: training · dashed: validation</span>")
                                      : metric);
    m_lrChart->legend()->setVisible(false);

    for (int id : m_visible) {
        const RunRecord* run = m_history->run(id);
        const QColor color = widgets::runColor(*run);
        const QColor train = overlay ? color : kTrainColor;
        const QColor val = overlay ? color : kValidationColor;
        QColor faint = train; // the raw per-batch loss: a light band under the smoothed line
        faint.setAlpha(overlay ? 28 : 40);
        const QString label = shortName(*run);

        RunSeries rs;
        rs.raw = makeSeries(faint, 1.0);
        rs.smooth = makeSeries(train, 2.0);
        // Epoch values: small hollow markers (a scatter series over each line), so a marker
        // never hides the other line; validation dashed as well as colored (not color alone).
        rs.validationLoss = makeSeries(val, overlay ? 1.6 : 1.8, Qt::DashLine);
        rs.trainAccuracy = makeSeries(train, 2.0);
        rs.validationAccuracy = makeSeries(val, overlay ? 1.6 : 1.8, Qt::DashLine);
        rs.learningRate = makeSeries(train, 1.6);

        rs.raw->setName(tr("per batch"));
        rs.smooth->setName(overlay ? label : tr("training (smoothed)"));
        rs.validationLoss->setName(tr("validation"));
        rs.trainAccuracy->setName(overlay ? label : tr("training"));
        rs.validationAccuracy->setName(tr("validation"));
        rs.learningRate->setName(label);

        auto attach = [](QChart* chart, QXYSeries* s, QValueAxis* x, QValueAxis* y) {
            chart->addSeries(s);
            s->attachAxis(x);
            s->attachAxis(y);
        };
        attach(m_lossChart, rs.raw, m_lossX, m_lossY);
        attach(m_lossChart, rs.smooth, m_lossX, m_lossY);
        attach(m_lossChart, rs.validationLoss, m_lossX, m_lossY);
        attach(m_accuracyChart, rs.trainAccuracy, m_accX, m_accY);
        attach(m_accuracyChart, rs.validationAccuracy, m_accX, m_accY);
        auto markers = [&](QChart* chart, QLineSeries* line, QValueAxis* x, QValueAxis* y) {
            auto* m = new QScatterSeries;
            m->setMarkerShape(QScatterSeries::MarkerShapeCircle);
            m->setMarkerSize(6.5);
            m->setBrush(QColor(Qt::white));
            m->setPen(QPen(line->pen().color(), 1.6));
            attach(chart, m, x, y);
            for (QLegendMarker* lm : chart->legend()->markers(m))
                lm->setVisible(false);
            rs.markers[line] = m;
        };
        markers(m_lossChart, rs.validationLoss, m_lossX, m_lossY);
        markers(m_accuracyChart, rs.trainAccuracy, m_accX, m_accY);
        markers(m_accuracyChart, rs.validationAccuracy, m_accX, m_accY);
        attach(m_lrChart, rs.learningRate, m_lrX, m_lrY);

        // Legend: single run — training/validation; overlay — one entry per run.
        auto hideMarker = [](QChart* chart, QLineSeries* s) {
            for (QLegendMarker* m : chart->legend()->markers(s))
                m->setVisible(false);
        };
        hideMarker(m_lossChart, rs.raw);
        if (overlay) {
            hideMarker(m_lossChart, rs.validationLoss);
            hideMarker(m_accuracyChart, rs.validationAccuracy);
        }

        connectHover(rs.raw, label, tr("loss"), QStringLiteral("%.4f"));
        connectHover(rs.smooth, label, tr("loss (smoothed)"), QStringLiteral("%.4f"));
        connectHover(rs.validationLoss, label, tr("validation loss"), QStringLiteral("%.4f"));
        if (regression) {
            connectHover(rs.trainAccuracy, label, tr("training RMSE"), QStringLiteral("%.4g"));
            connectHover(rs.validationAccuracy, label, tr("validation RMSE"), QStringLiteral("%.4g"));
        } else {
            connectHover(rs.trainAccuracy, label, tr("training accuracy"), QStringLiteral("%.2f%%"));
            connectHover(rs.validationAccuracy, label, tr("validation accuracy"), QStringLiteral("%.2f%%"));
        }
        connectHover(rs.learningRate, label, tr("learning rate"), QStringLiteral("%.3g"), &m_lrScale);

        m_curves[id]; // created on first sight
        m_series[id] = rs;
    }
    refreshNow();
}

void TrainingCharts::connectHover(
    QLineSeries* s, const QString& runLabel, const QString& what, const QString& format, const double* scale)
{
    connect(s, &QXYSeries::hovered, this, [this, s, runLabel, what, format, scale](const QPointF& p, bool state) {
        if (!state) {
            QToolTip::hideText();
            return;
        }
        // The nearest displayed point by x.
        const QList<QPointF> pts = s->points();
        if (pts.isEmpty())
            return;
        auto it = std::lower_bound(pts.begin(), pts.end(), p.x(), [](const QPointF& a, double x) { return a.x() < x; });
        if (it == pts.end())
            --it;
        else if (it != pts.begin() && std::abs((it - 1)->x() - p.x()) < std::abs(it->x() - p.x()))
            --it;
        const QString value = QString::asprintf(format.toLatin1().constData(), it->y() / (scale ? *scale : 1.0));
        QToolTip::showText(QCursor::pos(),
            QStringLiteral("%1 · epoch %2\n%3: %4").arg(runLabel).arg(it->x(), 0, 'f', 2).arg(what, value), this);
    });
}

void TrainingCharts::refreshNow()
{
    if (!m_history)
        return;
    m_timer->stop();
    QElapsedTimer took;
    took.start();
    bool any = false;
    const int width = std::max(200, static_cast<int>(m_lossChart->plotArea().width()));
    const int limit = std::min(m_maxPoints, 2 * width);
    for (int id : m_visible) {
        RunSeries& rs = m_series[id];
        RunCurves& c = m_curves[id];
        const RunRecord* run = m_history->run(id);
        const bool changed = run && c.update(*run);
        if (!changed && !rs.dirty)
            continue;
        rs.dirty = false;
        any = true;
        rs.raw->replace(decimateMinMax(c.rawLoss, limit));
        rs.smooth->replace(decimateMinMax(c.smoothLoss, limit));
        rs.validationLoss->replace(decimateMinMax(c.validationLoss, m_maxPoints));
        rs.trainAccuracy->replace(decimateMinMax(c.trainAccuracy, m_maxPoints));
        rs.validationAccuracy->replace(decimateMinMax(c.validationAccuracy, m_maxPoints));
        for (auto& [line, marker] : rs.markers)
            marker->replace(line->points());
        QList<QPointF> lr = decimateMinMax(c.learningRate, std::min(limit, 1000));
        for (QPointF& p : lr)
            p.setY(p.y() * m_lrScale);
        rs.learningRate->replace(lr);
    }
    if (any) {
        ++m_refreshCount;
        updateAxes();
        updateChangeMarkers();
        m_longestRefreshMs = std::max(m_longestRefreshMs, took.nsecsElapsed() / 1e6);
    }
}

QStringList TrainingCharts::changeMarkerLabels() const
{
    QStringList out;
    for (const ChangeMarker& m : m_changeMarkers)
        out << m.label;
    return out;
}

std::vector<double> TrainingCharts::changeMarkerPositions() const
{
    std::vector<double> out;
    for (const ChangeMarker& m : m_changeMarkers)
        out.push_back(m.x);
    return out;
}

void TrainingCharts::updateChangeMarkers()
{
    size_t index = 0;
    for (int id : m_visible) {
        const RunCurves& c = m_curves[id];
        const RunRecord* run = m_history->run(id);
        const QColor color = m_visible.size() > 1 && run ? widgets::runColor(*run) : QColor(QStringLiteral("#6b4fa0"));
        for (const RunCurves::Marker& mk : c.markers) {
            if (index == m_changeMarkers.size()) {
                ChangeMarker m;
                m.x = mk.x;
                m.label = mk.label;
                m.color = color;
                auto line = [&](QChart* chart, QValueAxis* x, QValueAxis* y) {
                    QLineSeries* s = makeSeries(color, 1.4, Qt::DashLine);
                    chart->addSeries(s);
                    s->attachAxis(x);
                    s->attachAxis(y);
                    for (QLegendMarker* lm : chart->legend()->markers(s))
                        lm->setVisible(false);
                    return s;
                };
                m.lossLine = line(m_lossChart, m_lossX, m_lossY);
                m.lrLine = line(m_lrChart, m_lrX, m_lrY);
                m.text = new QGraphicsSimpleTextItem(mk.label, m_lossChart);
                QFont f = m.text->font();
                f.setPointSizeF(8);
                m.text->setFont(f);
                m.text->setBrush(color);
                m.text->setZValue(10);
                m_changeMarkers.push_back(m);
            }
            ++index;
        }
    }
    for (ChangeMarker& m : m_changeMarkers) {
        m.lossLine->replace({ QPointF(m.x, m_lossY->min()), QPointF(m.x, m_lossY->max()) });
        m.lrLine->replace({ QPointF(m.x, m_lrY->min()), QPointF(m.x, m_lrY->max()) });
    }
    placeMarkerLabels();
    if (!m_changeMarkers.empty() && !m_markerLabelsConnected) {
        m_markerLabelsConnected = true;
        connect(m_lossChart, &QChart::plotAreaChanged, this, [this] { placeMarkerLabels(); });
    }
}

void TrainingCharts::placeMarkerLabels()
{
    // Along the top of the plot, just right of the line; stacked when two are close.
    double lastRight = -1e9;
    int row = 0;
    for (ChangeMarker& m : m_changeMarkers) {
        if (!m.lossLine)
            continue;
        const QPointF top = m_lossChart->mapToPosition(QPointF(m.x, m_lossY->max()), m.lossLine);
        const QRectF plot = m_lossChart->plotArea();
        double left = top.x() + 3.0;
        const double width = m.text->boundingRect().width();
        if (left + width > plot.right())
            left = top.x() - 3.0 - width; // near the right edge: on the line's left
        row = left < lastRight ? row + 1 : 0;
        m.text->setPos(left, plot.top() + 2.0 + row * (m.text->boundingRect().height() + 1.0));
        lastRight = left + width;
    }
}

void TrainingCharts::updateAxes()
{
    double epochs = 1.0, maxLoss = 0.0, minAcc = 100.0, maxLr = 0.0, maxRmse = 0.0;
    bool haveAcc = false, regression = false;
    for (int id : m_visible) {
        const RunCurves& c = m_curves[id];
        // The data, not the planned epochs: six epochs of twenty fill the axis.
        epochs = std::max(epochs, std::ceil(c.maxX - 1e-9));
        // Every line drawn (smoothed and validation loss) fits whole, its start included; only
        // the faint per-batch band may leave the top.
        maxLoss = std::max(maxLoss, c.maxLoss);
        if (!c.trainAccuracy.empty() || !c.validationAccuracy.empty()) {
            minAcc = std::min(minAcc, c.minAccuracy);
            haveAcc = true;
        }
        maxLr = std::max(maxLr, c.maxLearningRate);
        regression = regression || c.regression;
        maxRmse = std::max(maxRmse, c.maxRmse);
    }
    for (QValueAxis* x : { m_lossX, m_accX, m_lrX })
        setNiceAxis(x, 0.0, epochs, std::min(static_cast<int>(epochs), 6));
    setNiceAxis(m_lossY, 0.0, maxLoss > 0.0 ? maxLoss * 1.15 : 2.5, 5);
    const double accLow = haveAcc ? std::max(0.0, std::floor((minAcc - 3.0) / 10.0) * 10.0) : 0.0;
    if (regression) {
        setNiceAxis(m_accY, 0.0, maxRmse > 0.0 ? maxRmse * 1.15 : 1.0, 5);
        if (!m_accuracyChart->title().startsWith(tr("RMSE")))
            m_accuracyChart->setTitle(tr("RMSE"));
    } else {
        setNiceAxis(m_accY, accLow, 100.0, 5, QStringLiteral("%%"));
    }
    // Small rates are drawn in units of 10^k (the axis title says so): labels such as "2.0"
    // stay readable in a narrow chart where "2.0e-03" is elided.
    const int exponent = maxLr > 0.0 && maxLr < 0.1 ? static_cast<int>(std::floor(std::log10(maxLr))) : 0;
    const double scale = std::pow(10.0, -exponent);
    if (scale != m_lrScale) {
        m_lrScale = scale;
        for (auto& [id, rs] : m_series)
            rs.dirty = true; // re-scaled on the next refresh
        scheduleRefresh();
    }
    setNiceAxis(m_lrY, 0.0, maxLr > 0.0 ? maxLr * scale * 1.1 : 1.0, 3);
    m_lrY->setTitleText(exponent == 0 ? QString() : QStringLiteral("×10%1").arg(superscript(exponent)));
}

} // namespace netcanvas::widgets
