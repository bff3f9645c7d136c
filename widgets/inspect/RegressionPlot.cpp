#include "widgets/inspect/RegressionPlot.h"

#include <QPainter>
#include <QPainterPath>

#include <algorithm>
#include <cmath>

namespace netcanvas::widgets {

namespace {

const QColor kAxis(0x9a, 0xa3, 0xaf);
const QColor kText(0x37, 0x41, 0x51);
const QColor kSeries(0x6b, 0x72, 0x80);
const QColor kTestShade(0xfd, 0xf3, 0xe1);

struct Range {
    double lo = 0.0, hi = 1.0;
    void include(double v)
    {
        if (!std::isfinite(v))
            return;
        if (empty) {
            lo = hi = v;
            empty = false;
        }
        lo = std::min(lo, v);
        hi = std::max(hi, v);
    }
    void pad()
    {
        const double span = hi - lo;
        const double m = span > 0 ? 0.05 * span : std::max(1.0, std::abs(lo) * 0.05);
        lo -= m;
        hi += m;
    }
    double map(double v, double a, double b) const { return a + (v - lo) / (hi - lo) * (b - a); }
    bool empty = true;
};

QString number(double v)
{
    return QString::number(v, 'g', 4);
}

void axisLabels(QPainter& p, const QRectF& plot, const Range& x, const Range& y)
{
    p.setPen(kText);
    const QFontMetrics fm(p.font());
    p.drawText(QPointF(plot.left(), plot.bottom() + fm.ascent() + 2), number(x.lo));
    const QString xr = number(x.hi);
    p.drawText(QPointF(plot.right() - fm.horizontalAdvance(xr), plot.bottom() + fm.ascent() + 2), xr);
    const QString yl = number(y.lo), yh = number(y.hi);
    p.drawText(QPointF(plot.left() - fm.horizontalAdvance(yl) - 4, plot.bottom()), yl);
    p.drawText(QPointF(plot.left() - fm.horizontalAdvance(yh) - 4, plot.top() + fm.ascent()), yh);
}

} // namespace

RegressionPlot::RegressionPlot(QWidget* parent)
    : QWidget(parent)
{
    setAttribute(Qt::WA_OpaquePaintEvent);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
}

QColor RegressionPlot::pointColor()
{
    return QColor(0x25, 0x63, 0xeb);
}

QColor RegressionPlot::forecastColor()
{
    return QColor(0xdc, 0x26, 0x26);
}

void RegressionPlot::setData(std::vector<float> actual, std::vector<float> predicted, const QString& caption)
{
    const size_t n = std::min(actual.size(), predicted.size());
    actual.resize(n);
    predicted.resize(n);
    m_actual = std::move(actual);
    m_predicted = std::move(predicted);
    m_caption = caption;
    update();
}

void RegressionPlot::setSeries(
    std::vector<float> series, std::vector<int64_t> times, std::vector<float> forecasts, int64_t testBegin)
{
    const size_t n = std::min(times.size(), forecasts.size());
    times.resize(n);
    forecasts.resize(n);
    m_series = std::move(series);
    m_times = std::move(times);
    m_forecasts = std::move(forecasts);
    m_testBegin = testBegin;
    update();
}

void RegressionPlot::clear()
{
    m_actual.clear();
    m_predicted.clear();
    m_caption.clear();
    m_series.clear();
    m_times.clear();
    m_forecasts.clear();
    m_testBegin = -1;
    update();
}

void RegressionPlot::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    p.fillRect(rect(), palette().base());
    p.setRenderHint(QPainter::Antialiasing);
    if (m_actual.empty()) {
        p.setPen(kText);
        p.drawText(rect(), Qt::AlignCenter | Qt::TextWordWrap,
            tr("Evaluate the test split to see predictions against the actual values."));
        return;
    }
    const QRectF all = QRectF(rect()).adjusted(8, 8, -8, -8);
    if (m_series.empty()) {
        paintScatter(p, all);
        return;
    }
    // Scatter square-ish on the left, the series on the right with the rest of the width.
    const double side = std::min(all.height(), all.width() * 0.4);
    paintScatter(p, QRectF(all.left(), all.top(), side, all.height()));
    paintSeries(p, QRectF(all.left() + side + 16, all.top(), all.width() - side - 16, all.height()));
}

void RegressionPlot::paintScatter(QPainter& p, const QRectF& area)
{
    const QFontMetrics fm(p.font());
    p.setPen(kText);
    p.drawText(QPointF(area.left(), area.top() + fm.ascent()), tr("Predicted vs actual"));
    // One range for both axes: the diagonal is y = x.
    Range r;
    for (size_t i = 0; i < m_actual.size(); ++i) {
        r.include(m_actual[i]);
        r.include(m_predicted[i]);
    }
    r.pad();
    const double left = area.left() + fm.horizontalAdvance(QStringLiteral("-0.0000")) + 6;
    const double top = area.top() + fm.height() + 4;
    const double bottom = area.bottom() - fm.height() - 18;
    const double size = std::max(20.0, std::min(area.right() - left, bottom - top));
    const QRectF plot(left, top, size, size);
    p.setPen(kAxis);
    p.drawRect(plot);
    p.setPen(QPen(kAxis, 1, Qt::DashLine));
    p.drawLine(QPointF(plot.left(), plot.bottom()), QPointF(plot.right(), plot.top()));
    QColor c = pointColor();
    c.setAlpha(m_actual.size() > 2000 ? 90 : 255); // thousands: translucent, so density shows
    p.setPen(Qt::NoPen);
    p.setBrush(c);
    const double radius = m_actual.size() > 2000 ? 1.6 : 2.6;
    for (size_t i = 0; i < m_actual.size(); ++i) {
        const double x = r.map(m_actual[i], plot.left(), plot.right());
        const double y = r.map(m_predicted[i], plot.bottom(), plot.top());
        p.drawEllipse(QPointF(x, y), radius, radius);
    }
    p.setBrush(Qt::NoBrush);
    axisLabels(p, plot, r, r);
    p.setPen(kText);
    p.drawText(QRectF(plot.left(), plot.bottom() + fm.height() + 2, plot.width(), fm.height()), Qt::AlignHCenter,
        tr("actual"));
    if (!m_caption.isEmpty()) {
        const QRectF box(plot.left() + 6, plot.top() + 6, plot.width() - 12, fm.lineSpacing() * 3 + 8);
        p.drawText(box, Qt::AlignLeft | Qt::AlignTop | Qt::TextWordWrap, m_caption);
    }
}

void RegressionPlot::paintSeries(QPainter& p, const QRectF& area)
{
    const QFontMetrics fm(p.font());
    p.setPen(kText);
    p.drawText(QPointF(area.left(), area.top() + fm.ascent()), tr("Series, with the forecasts of the test windows"));
    Range y;
    for (float v : m_series)
        y.include(v);
    for (float v : m_forecasts)
        y.include(v);
    y.pad();
    Range x;
    x.include(0);
    x.include(static_cast<double>(m_series.size() - 1));
    if (x.hi <= x.lo)
        x.hi = x.lo + 1;
    const double left = area.left() + fm.horizontalAdvance(QStringLiteral("-0.0000")) + 6;
    const QRectF plot(left, area.top() + fm.height() + 4, std::max(20.0, area.right() - left),
        std::max(20.0, area.bottom() - fm.height() * 2 - 24 - (area.top() + fm.height() + 4)));
    if (m_testBegin >= 0 && m_testBegin < static_cast<int64_t>(m_series.size())) {
        const double xs = x.map(static_cast<double>(m_testBegin), plot.left(), plot.right());
        p.fillRect(QRectF(xs, plot.top(), plot.right() - xs, plot.height()), kTestShade);
    }
    p.setPen(kAxis);
    p.drawRect(plot);
    // The series, decimated to about two points per pixel column.
    const size_t n = m_series.size();
    const size_t stride = std::max<size_t>(1, n / static_cast<size_t>(std::max(1.0, plot.width() * 2)));
    QPainterPath path;
    for (size_t i = 0; i < n; i += stride) {
        const QPointF pt(
            x.map(static_cast<double>(i), plot.left(), plot.right()), y.map(m_series[i], plot.bottom(), plot.top()));
        if (i == 0)
            path.moveTo(pt);
        else
            path.lineTo(pt);
    }
    p.setPen(QPen(kSeries, 1.2));
    p.drawPath(path);
    QPainterPath forecast;
    for (size_t k = 0; k < m_times.size(); ++k) {
        const QPointF pt(x.map(static_cast<double>(m_times[k]), plot.left(), plot.right()),
            y.map(m_forecasts[k], plot.bottom(), plot.top()));
        if (k == 0 || m_times[k] != m_times[k - 1] + 1)
            forecast.moveTo(pt);
        else
            forecast.lineTo(pt);
    }
    p.setPen(QPen(forecastColor(), 1.6));
    p.drawPath(forecast);
    axisLabels(p, plot, x, y);
    // Legend under the plot.
    const double ly = plot.bottom() + fm.height() + 14;
    double lx = plot.left();
    auto legend = [&](const QColor& c, const QString& text) {
        p.setPen(QPen(c, 2));
        p.drawLine(QPointF(lx, ly - fm.ascent() / 2.0), QPointF(lx + 18, ly - fm.ascent() / 2.0));
        p.setPen(kText);
        p.drawText(QPointF(lx + 22, ly), text);
        lx += 22 + fm.horizontalAdvance(text) + 16;
    };
    legend(kSeries, tr("actual"));
    legend(forecastColor(), tr("forecast (next step)"));
    p.fillRect(QRectF(lx, ly - fm.ascent(), 14, fm.ascent()), kTestShade);
    p.setPen(kText);
    p.drawText(QPointF(lx + 18, ly), tr("test part"));
}

} // namespace netcanvas::widgets
