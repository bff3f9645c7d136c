#include "widgets/charts/LayerStatsCharts.h"

#include "engine/session/RunRecord.h"
#include "widgets/train/RunHistory.h"

#include <QAreaSeries>
#include <QChart>
#include <QChartView>
#include <QHBoxLayout>
#include <QLabel>
#include <QLegendMarker>
#include <QLineSeries>
#include <QLogValueAxis>
#include <QStackedLayout>
#include <QTimer>
#include <QValueAxis>

#include <algorithm>
#include <cmath>

namespace netcanvas::widgets {

namespace {

const QColor kAxisText(QStringLiteral("#5a6270"));
const QColor kBand(220, 60, 60, 30); // unhealthy range

QColor layerColor(size_t i)
{
    static const char* palette[] = { "#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2", "#eeca3b",
        "#9d755d", "#ff9da6", "#bab0ac" };
    return QColor(QString::fromLatin1(palette[i % (sizeof palette / sizeof *palette)]));
}

} // namespace

LayerStatsCharts::LayerStatsCharts(QWidget* parent)
    : QWidget(parent)
    , m_timer(new QTimer(this))
{
    m_ratioChart = makeChart(tr("Update : parameter ratio  ‖Δw‖/‖w‖  (healthy ≈ 1e-3)"), m_ratioX, m_ratioY, 1e-7, 1.0);
    m_gradChart = makeChart(tr("Gradient norm  ‖g‖ per layer"), m_gradX, m_gradY, 1e-9, 1e4);
    auto view = [this](QChart* c) {
        auto* v = new QChartView(c, this);
        v->setRenderHint(QPainter::Antialiasing);
        v->setMinimumSize(240, 160);
        return v;
    };
    m_placeholder = new QLabel(tr("Per-layer update:parameter ratios and gradient norms appear here while a run "
                                  "trains (measured every few steps)."),
        this);
    m_placeholder->setAlignment(Qt::AlignCenter);
    m_placeholder->setWordWrap(true);
    m_placeholder->setStyleSheet(QStringLiteral("color: #7a828e; font-size: 13px;"));
    auto* charts = new QWidget(this);
    auto* row = new QHBoxLayout(charts);
    row->setContentsMargins(0, 0, 0, 0);
    row->setSpacing(2);
    row->addWidget(view(m_ratioChart), 1);
    row->addWidget(view(m_gradChart), 1);
    auto* stack = new QStackedLayout(this);
    stack->setContentsMargins(0, 0, 0, 0);
    stack->addWidget(m_placeholder);
    stack->addWidget(charts);
    m_timer->setSingleShot(true);
    m_timer->setInterval(200);
    connect(m_timer, &QTimer::timeout, this, &LayerStatsCharts::refreshNow);
}

QChart* LayerStatsCharts::makeChart(const QString& title, QValueAxis*& x, QLogValueAxis*& y, double lo, double hi)
{
    auto* chart = new QChart;
    chart->setTitle(title);
    QFont tf = chart->titleFont();
    tf.setPointSizeF(9.5);
    tf.setBold(true);
    chart->setTitleFont(tf);
    chart->setBackgroundRoundness(0);
    chart->setMargins(QMargins(4, 2, 6, 2));
    chart->setAnimationOptions(QChart::NoAnimation);
    chart->legend()->setAlignment(Qt::AlignRight);
    QFont lf = chart->legend()->font();
    lf.setPointSizeF(8.5);
    chart->legend()->setFont(lf);
    chart->legend()->setLabelColor(kAxisText);
    x = new QValueAxis;
    x->setTitleText(tr("epoch"));
    x->setRange(0.0, 1.0);
    y = new QLogValueAxis;
    y->setBase(10.0);
    y->setLabelFormat(QStringLiteral("%.0e"));
    y->setRange(lo, hi);
    y->setMinorTickCount(0); // one line per decade: the band and the curves stay readable
    for (QAbstractAxis* a : std::initializer_list<QAbstractAxis*> { x, y }) {
        QFont af = a->labelsFont();
        af.setPointSizeF(8);
        a->setLabelsFont(af);
        a->setTitleFont(af);
        a->setLabelsColor(kAxisText);
        a->setTitleBrush(kAxisText);
        a->setGridLineColor(QColor(QStringLiteral("#e8ebef")));
    }
    chart->addAxis(x, Qt::AlignBottom);
    chart->addAxis(y, Qt::AlignLeft);
    return chart;
}

void LayerStatsCharts::setHistory(RunHistory* history)
{
    if (m_history)
        disconnect(m_history, nullptr, this, nullptr);
    m_history = history;
    if (m_history) {
        connect(m_history, &RunHistory::layerStatsAdded, this, [this](int id) {
            if (id == m_runId && !m_timer->isActive())
                m_timer->start();
        });
        connect(m_history, &RunHistory::cleared, this, [this] { setRun(0); });
        connect(m_history, &RunHistory::runRemoved, this, [this](int id) {
            if (id == m_runId)
                setRun(0);
        });
    }
    rebuild();
}

void LayerStatsCharts::setRun(int runId)
{
    m_runId = runId;
    rebuild();
}

void LayerStatsCharts::shade(QChart* chart, QValueAxis* x, QLogValueAxis* y, double lo, double hi)
{
    auto* upper = new QLineSeries;
    auto* lower = new QLineSeries;
    upper->append({ QPointF(0.0, hi), QPointF(1e6, hi) });
    lower->append({ QPointF(0.0, lo), QPointF(1e6, lo) });
    auto* area = new QAreaSeries(upper, lower);
    upper->setParent(area);
    lower->setParent(area);
    area->setBrush(kBand);
    area->setPen(Qt::NoPen);
    chart->addSeries(area);
    area->attachAxis(x);
    area->attachAxis(y);
    for (QLegendMarker* m : chart->legend()->markers(area))
        m->setVisible(false);
    m_bands.push_back(area);
}

void LayerStatsCharts::rebuild()
{
    m_ratioChart->removeAllSeries();
    m_gradChart->removeAllSeries();
    m_ratio.clear();
    m_grad.clear();
    m_bands.clear();
    m_seen = 0;
    // Unhealthy ranges: far below / above the healthy band.
    shade(m_ratioChart, m_ratioX, m_ratioY, 1e-12, kHealthyRatioLow);
    shade(m_ratioChart, m_ratioX, m_ratioY, kHealthyRatioHigh, 1e3);
    shade(m_gradChart, m_gradX, m_gradY, 1e-14, kHealthyGradLow);
    shade(m_gradChart, m_gradX, m_gradY, kHealthyGradHigh, 1e9);
    refreshNow();
}

void LayerStatsCharts::refreshNow()
{
    m_timer->stop();
    const RunRecord* run = m_history && m_runId ? m_history->run(m_runId) : nullptr;
    auto* stack = static_cast<QStackedLayout*>(layout());
    stack->setCurrentIndex(run && !run->layerStats.empty() ? 1 : 0);
    if (!run || run->layerStats.empty())
        return;
    const int64_t perEpoch = run->batches.empty() ? 1 : std::max<int64_t>(1, run->batches.back().batchesPerEpoch);
    if (m_ratio.empty()) {
        const LayerStatsEvent& first = run->layerStats.front();
        for (size_t i = 0; i < first.layers.size(); ++i) {
            const QString name = QString::fromStdString(first.layers[i].node);
            for (auto [chart, list, x, y] : { std::tuple { m_ratioChart, &m_ratio, m_ratioX, m_ratioY },
                     std::tuple { m_gradChart, &m_grad, m_gradX, m_gradY } }) {
                auto* s = new QLineSeries;
                s->setName(name);
                s->setPen(QPen(layerColor(i), 1.6));
                chart->addSeries(s);
                s->attachAxis(x);
                s->attachAxis(y);
                list->push_back(s);
            }
        }
    }
    double maxX = 1.0;
    double lo = 1e300, hi = 0.0, glo = 1e300, ghi = 0.0;
    for (; m_seen < run->layerStats.size(); ++m_seen) {
        const LayerStatsEvent& e = run->layerStats[m_seen];
        const double x = e.epoch + static_cast<double>(e.batch + 1) / static_cast<double>(perEpoch);
        for (size_t i = 0; i < e.layers.size() && i < m_ratio.size(); ++i) {
            const double r = e.layers[i].ratio(), g = e.layers[i].gradNorm;
            if (r > 0.0 && std::isfinite(r))
                m_ratio[i]->append(x, r);
            if (g > 0.0 && std::isfinite(g))
                m_grad[i]->append(x, g);
        }
    }
    for (size_t i = 0; i < m_ratio.size(); ++i) {
        for (const QPointF& p : m_ratio[i]->points()) {
            lo = std::min(lo, p.y());
            hi = std::max(hi, p.y());
            maxX = std::max(maxX, p.x());
        }
        for (const QPointF& p : m_grad[i]->points()) {
            glo = std::min(glo, p.y());
            ghi = std::max(ghi, p.y());
        }
    }
    auto decades = [](double a, double b, double defLo, double defHi, QLogValueAxis* axis) {
        if (!(a > 0.0) || !(b >= a)) {
            a = defLo;
            b = defHi;
        }
        // The data plus a decade each side, and always the healthy band's edges.
        const double l = std::pow(10.0, std::floor(std::log10(std::min(a, defLo))) - 1);
        const double h = std::pow(10.0, std::ceil(std::log10(std::max(b, defHi))) + 1);
        axis->setRange(l, h);
    };
    decades(lo, hi, kHealthyRatioLow, kHealthyRatioHigh, m_ratioY);
    decades(glo, ghi, 1e-4, 1e1, m_gradY);
    const double xs = std::ceil(maxX - 1e-9);
    m_ratioX->setRange(0.0, xs);
    m_gradX->setRange(0.0, xs);
    m_ratioX->setLabelFormat(QStringLiteral("%.0f"));
    m_gradX->setLabelFormat(QStringLiteral("%.0f"));
    m_ratioX->setTickCount(static_cast<int>(std::min(xs, 6.0)) + 1);
    m_gradX->setTickCount(static_cast<int>(std::min(xs, 6.0)) + 1);
}

} // namespace netcanvas::widgets
