#include "widgets/inspect/RecurrentGatesView.h"

#include "widgets/inspect/ColorMaps.h"

#include <QPainter>
#include <QPainterPath>
#include <algorithm>
#include <cmath>

namespace netcanvas::widgets {

namespace {

constexpr int kLabelWidth = 150, kRowHeight = 64, kGap = 6, kPlotHeight = 110;

QString seriesTitle(const QString& name)
{
    static const std::map<QString, QString> titles { { "h", "h  hidden state" }, { "i", "i  input gate" },
        { "f", "f  forget gate" }, { "g", "g  cell candidate" }, { "o", "o  output gate" }, { "c", "c  cell state" },
        { "r", "r  reset gate" }, { "z", "z  update gate" }, { "n", "n  candidate" } };
    const auto it = titles.find(name);
    return it == titles.end() ? name : it->second;
}

} // namespace

RecurrentGatesView::RecurrentGatesView(QWidget* parent)
    : QWidget(parent)
{
    setMinimumHeight(kPlotHeight + 40);
}

void RecurrentGatesView::setGates(const inspect::RecurrentGates& gates)
{
    const RecurrentTrace& tr = gates.trace;
    m_series.clear();
    m_steps = tr.steps;
    m_units = tr.units;
    m_gradNorm = tr.gradNorm;
    auto add = [&](const std::string& name, const std::vector<float>& values) {
        // values: steps × units; the image: units down, time across.
        std::vector<float> t(values.size());
        for (int64_t s = 0; s < tr.steps; ++s)
            for (int64_t u = 0; u < tr.units; ++u)
                t[size_t(u * tr.steps + s)] = values[size_t(s * tr.units + u)];
        const bool sigmoid = name == "i" || name == "f" || name == "o" || name == "r" || name == "z";
        float lo = sigmoid ? 0.0f : -1.0f, hi = 1.0f;
        if (name == "c") {
            const auto [mn, mx] = std::minmax_element(values.begin(), values.end());
            const float m = std::max(std::abs(*mn), std::abs(*mx));
            lo = -m;
            hi = m;
        }
        Series s;
        s.name = QString::fromStdString(name);
        s.range = QStringLiteral("[%1, %2]").arg(double(lo), 0, 'g', 3).arg(double(hi), 0, 'g', 3);
        s.image = planeToImage(t.data(), int(tr.units), int(tr.steps), lo, hi, ColorMap::Viridis);
        m_series.push_back(std::move(s));
    };
    add("h", tr.hidden);
    for (size_t k = 0; k < tr.gateNames.size(); ++k)
        add(tr.gateNames[k], tr.gates[k]);
    setMinimumHeight(int(m_series.size()) * (kRowHeight + kGap) + kPlotHeight + 40);
    updateGeometry();
    update();
}

void RecurrentGatesView::clear()
{
    m_series.clear();
    m_gradNorm.clear();
    update();
}

QStringList RecurrentGatesView::seriesNames() const
{
    QStringList names;
    for (const Series& s : m_series)
        names << s.name;
    return names;
}

QSize RecurrentGatesView::sizeHint() const
{
    return { 640, int(m_series.size()) * (kRowHeight + kGap) + kPlotHeight + 40 };
}

void RecurrentGatesView::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    p.fillRect(rect(), palette().base());
    if (m_series.empty()) {
        p.setPen(palette().color(QPalette::PlaceholderText));
        p.drawText(rect(), Qt::AlignCenter, tr("Choose a recurrent layer and a sample, then Show."));
        return;
    }
    const int mapW = std::max(50, width() - kLabelWidth - 12);
    int y = 4;
    for (const Series& s : m_series) {
        p.setPen(palette().color(QPalette::Text));
        p.drawText(QRect(4, y, kLabelWidth - 8, kRowHeight / 2), Qt::AlignLeft | Qt::AlignVCenter, seriesTitle(s.name));
        p.setPen(palette().color(QPalette::PlaceholderText));
        p.drawText(
            QRect(4, y + kRowHeight / 2, kLabelWidth - 8, kRowHeight / 2), Qt::AlignLeft | Qt::AlignTop, s.range);
        p.drawImage(QRect(kLabelWidth, y, mapW, kRowHeight), s.image);
        y += kRowHeight + kGap;
    }
    // ‖dL/dh_t‖ per step, log scale, under the maps (same time axis).
    p.setPen(palette().color(QPalette::Text));
    p.drawText(QRect(4, y, kLabelWidth - 8, 40), Qt::AlignLeft | Qt::TextWordWrap, tr("gradient norm\nper step (log)"));
    const QRect plot(kLabelWidth, y, mapW, kPlotHeight - 20);
    p.drawRect(plot.adjusted(0, 0, -1, -1));
    if (m_gradNorm.empty()) {
        p.drawText(plot, Qt::AlignCenter, tr("no gradient"));
        return;
    }
    double lo = HUGE_VAL, hi = -HUGE_VAL;
    for (float g : m_gradNorm)
        if (g > 0.0f) {
            lo = std::min(lo, std::log10(double(g)));
            hi = std::max(hi, std::log10(double(g)));
        }
    if (!(hi >= lo))
        lo = hi = 0.0;
    lo = std::floor(lo);
    hi = std::max(std::ceil(hi), lo + 1.0);
    const double stepW = double(plot.width()) / double(m_gradNorm.size());
    QPainterPath path;
    for (size_t s = 0; s < m_gradNorm.size(); ++s) {
        const double v = m_gradNorm[s] > 0.0f ? std::log10(double(m_gradNorm[s])) : lo;
        const double x = plot.left() + (double(s) + 0.5) * stepW;
        const double yy = plot.bottom() - (v - lo) / (hi - lo) * plot.height();
        s == 0 ? path.moveTo(x, yy) : path.lineTo(x, yy);
    }
    p.setPen(QPen(QColor(0xd6, 0x27, 0x28), 2));
    p.drawPath(path);
    p.setPen(palette().color(QPalette::PlaceholderText));
    p.drawText(plot.adjusted(4, 2, -4, -2), Qt::AlignTop | Qt::AlignLeft, QStringLiteral("1e%1").arg(hi));
    p.drawText(plot.adjusted(4, 2, -4, -2), Qt::AlignBottom | Qt::AlignLeft, QStringLiteral("1e%1").arg(lo));
    p.drawText(QRect(plot.left(), plot.bottom() + 2, plot.width(), 16), Qt::AlignCenter,
        tr("time step 0 \u2192 %1").arg(m_steps - 1));
}

} // namespace netcanvas::widgets
