#include "widgets/inspect/LayerStatsView.h"

#include "widgets/canvas/CanvasStyle.h"

#include <QCheckBox>
#include <QHBoxLayout>
#include <QHelpEvent>
#include <QLabel>
#include <QPaintEvent>
#include <QPainter>
#include <QScrollArea>
#include <QToolTip>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace netcanvas::widgets {

namespace {

constexpr int kMargin = 8;
constexpr int kColumnGap = 14;
constexpr int kHistogramHeight = 42;
constexpr int kBadgeColumn = 112;
constexpr double kVanishingRatio = 1e-2; // a gradient σ under 1/100 of the largest is flagged

const QColor kKindColors[3] = { QColor(0x3f, 0xa7, 0x96), QColor(0x6c, 0x7a, 0xc9), QColor(0xd0, 0x7a, 0x57) };
const QColor kBadgeGood(0x3c, 0x9a, 0x5f);
const QColor kBadgeWarn(0xd9, 0x8a, 0x1c);
const QColor kBadgeBad(0xc8, 0x3a, 0x3a);
const QColor kFlagColor(0xc8, 0x3a, 0x3a);
const QColor kPlotBackground(0xf6, 0xf7, 0xf9);
const QColor kRowLine(0xe6, 0xe9, 0xee);

QString number(double v)
{
    return v == 0.0 ? QStringLiteral("0") : QString::number(v, 'g', 3);
}

QString sigma(double s)
{
    return QStringLiteral("σ %1").arg(s == 0.0 ? QStringLiteral("0") : QString::number(s, 'e', 1));
}

int64_t totalOf(const inspect::Histogram& h)
{
    int64_t n = 0;
    for (int64_t c : h.counts)
        n += c;
    return n;
}

QString fractionText(double f)
{
    const double pct = 100.0 * f;
    if (pct > 0.0 && pct < 1.0)
        return QStringLiteral("<1%");
    if (pct < 100.0 && pct > 99.0)
        return QStringLiteral(">99%");
    return QStringLiteral("%1%").arg(std::lround(pct));
}

} // namespace

namespace layerstatsview {

class StatsRows : public QWidget {
public:
    explicit StatsRows(LayerStatsView* view)
        : QWidget(view)
        , m_view(view)
    {
        setObjectName(QStringLiteral("statsRows"));
        setMouseTracking(true);
        setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Fixed);
    }

    void reset()
    {
        setFixedHeight(contentHeight());
        updateGeometry();
        update();
    }

    int headerHeight() const { return fontMetrics().height() + 10; }
    int rowHeight() const { return 8 + kHistogramHeight + 3 + fontMetrics().height() + 9; }
    int contentHeight() const { return headerHeight() + m_view->layerCount() * rowHeight() + 4; }
    QSize sizeHint() const override { return { 720, contentHeight() }; }
    QSize minimumSizeHint() const override { return { 480, contentHeight() }; }

    int nameWidth() const { return std::clamp(width() * 18 / 100, 110, 190); }
    int histogramWidth() const
    {
        return std::max(60, (width() - 2 * kMargin - nameWidth() - kBadgeColumn - 3 * kColumnGap) / 3);
    }
    QRect histogramRect(int layer, int kind) const
    {
        if (layer < 0 || layer >= m_view->layerCount())
            return {};
        const int x = kMargin + nameWidth() + kColumnGap + kind * (histogramWidth() + kColumnGap);
        return QRect(x, headerHeight() + layer * rowHeight() + 8, histogramWidth(), kHistogramHeight);
    }

protected:
    void paintEvent(QPaintEvent* event) override
    {
        QPainter p(this);
        const QFontMetrics fm = fontMetrics();
        QFont bold = font();
        bold.setBold(true);
        // Column titles.
        p.setFont(bold);
        p.setPen(style::mutedText());
        const QString titles[3] = { LayerStatsView::tr("Activations"), LayerStatsView::tr("Weights"),
            LayerStatsView::tr("Gradients (dL/dw)") };
        p.drawText(
            QRect(kMargin, 4, nameWidth(), fm.height()), Qt::AlignLeft | Qt::AlignVCenter, LayerStatsView::tr("Layer"));
        for (int k = 0; k < 3; ++k) {
            const QRect h = histogramRect(0, k);
            const int x = kMargin + nameWidth() + kColumnGap + k * (histogramWidth() + kColumnGap);
            p.setPen(kKindColors[k].darker(130));
            p.drawText(QRect(x, 4, h.isNull() ? histogramWidth() : h.width(), fm.height()),
                Qt::AlignLeft | Qt::AlignVCenter, fm.elidedText(titles[k], Qt::ElideRight, histogramWidth()));
        }
        p.setPen(style::mutedText());
        p.drawText(QRect(width() - kMargin - kBadgeColumn, 4, kBadgeColumn, fm.height()),
            Qt::AlignHCenter | Qt::AlignVCenter, LayerStatsView::tr("Dead / saturated"));
        p.setFont(font());

        for (int l = 0; l < m_view->layerCount(); ++l) {
            const QRect row(0, headerHeight() + l * rowHeight(), width(), rowHeight());
            if (!row.intersects(event->rect()))
                continue;
            p.setPen(kRowLine);
            p.drawLine(row.left() + kMargin, row.top(), row.right() - kMargin, row.top());
            const auto& s = m_view->stats()[static_cast<size_t>(l)];
            // Name and type.
            const int nameW = nameWidth();
            p.setFont(bold);
            p.setPen(style::text());
            p.drawText(QRect(kMargin, row.top() + 10, nameW, fm.height()), Qt::AlignLeft | Qt::AlignVCenter,
                QFontMetrics(bold).elidedText(QString::fromStdString(s.node), Qt::ElideRight, nameW));
            p.setFont(font());
            p.setPen(style::mutedText());
            p.drawText(QRect(kMargin, row.top() + 12 + fm.height(), nameW, fm.height()),
                Qt::AlignLeft | Qt::AlignVCenter, fm.elidedText(QString::fromStdString(s.type), Qt::ElideRight, nameW));
            for (int k = 0; k < 3; ++k)
                paintHistogram(p, l, static_cast<LayerStatsView::Kind>(k));
            paintBadge(p, l, row);
        }
    }

    bool event(QEvent* event) override
    {
        if (event->type() != QEvent::ToolTip)
            return QWidget::event(event);
        auto* help = static_cast<QHelpEvent*>(event);
        for (int l = 0; l < m_view->layerCount(); ++l)
            for (int k = 0; k < 3; ++k) {
                const QRect r = histogramRect(l, k).adjusted(0, 0, 0, fontMetrics().height() + 3);
                if (!r.contains(help->pos()))
                    continue;
                const QString tip = toolTip(l, static_cast<LayerStatsView::Kind>(k), help->pos());
                if (tip.isEmpty())
                    break;
                QToolTip::showText(help->globalPos(), tip, this, QRect(help->pos(), QSize(1, 1)));
                return true;
            }
        QToolTip::hideText();
        event->ignore();
        return true;
    }

private:
    void paintHistogram(QPainter& p, int layer, LayerStatsView::Kind kind)
    {
        const QRect r = histogramRect(layer, kind);
        const auto& h = m_view->histogram(layer, kind);
        const QFontMetrics fm = fontMetrics();
        p.fillRect(r, kPlotBackground);
        if (h.counts.empty() || totalOf(h) == 0) {
            p.setPen(style::mutedText());
            p.drawText(r, Qt::AlignCenter,
                kind == LayerStatsView::Weights         ? LayerStatsView::tr("no weights")
                    : kind == LayerStatsView::Gradients ? LayerStatsView::tr("no gradients")
                                                        : LayerStatsView::tr("no values"));
            return;
        }
        // The bins over the layer's own range, or re-binned (by bin centre) over the column's.
        double lo = h.min, hi = h.max;
        std::vector<double> counts(h.counts.begin(), h.counts.end());
        const int bins = static_cast<int>(counts.size());
        if (m_view->sharedRange()) {
            const auto [clo, chi] = m_view->columnRange(kind);
            if (chi > clo) {
                std::vector<double> shared(counts.size(), 0.0);
                for (int b = 0; b < bins; ++b) {
                    const double centre = h.min + (b + 0.5) * (static_cast<double>(h.max) - h.min) / bins;
                    const int t = std::clamp(static_cast<int>((centre - clo) / (chi - clo) * bins), 0, bins - 1);
                    shared[static_cast<size_t>(t)] += counts[static_cast<size_t>(b)];
                }
                counts = std::move(shared);
                lo = clo;
                hi = chi;
            }
        }
        const double peak = *std::max_element(counts.begin(), counts.end());
        const bool log = m_view->logCounts();
        const double denom = log ? std::log1p(peak) : peak;
        const double binW = static_cast<double>(r.width()) / bins;
        const QColor color = kKindColors[kind];
        for (int b = 0; b < bins; ++b) {
            const double c = counts[static_cast<size_t>(b)];
            if (c <= 0)
                continue;
            double f = denom > 0 ? (log ? std::log1p(c) : c) / denom : 0.0;
            double barH = std::max(1.0, f * (r.height() - 2));
            p.fillRect(
                QRectF(r.left() + b * binW, r.bottom() + 1 - barH, std::max(1.0, binW - (binW > 3 ? 1 : 0)), barH),
                color);
        }
        // Zero, when inside the range.
        if (lo < 0.0 && hi > 0.0) {
            const double x = r.left() + (0.0 - lo) / (hi - lo) * r.width();
            p.setPen(QPen(style::text(), 1, Qt::DashLine));
            p.drawLine(QPointF(x, r.top()), QPointF(x, r.bottom()));
        }
        // Range on the left, σ on the right.
        const QRect line(r.left(), r.bottom() + 3, r.width(), fm.height());
        const QString s = m_view->stdText(layer, kind);
        const int sW = fm.horizontalAdvance(s);
        const bool flagged = m_view->stdFlagged(layer, kind);
        QFont f = font();
        f.setBold(flagged);
        p.setFont(f);
        p.setPen(flagged ? kFlagColor : style::text());
        p.drawText(line, Qt::AlignRight | Qt::AlignVCenter, s);
        p.setFont(font());
        p.setPen(style::mutedText());
        const QString range = QStringLiteral("%1 … %2").arg(number(h.min), number(h.max));
        p.drawText(QRect(line.left(), line.top(), std::max(0, line.width() - sW - 8), line.height()),
            Qt::AlignLeft | Qt::AlignVCenter, fm.elidedText(range, Qt::ElideRight, std::max(0, line.width() - sW - 8)));
    }

    void paintBadge(QPainter& p, int layer, const QRect& row)
    {
        const QString text = m_view->badgeText(layer);
        const QRect col(width() - kMargin - kBadgeColumn, row.top() + 8, kBadgeColumn, kHistogramHeight);
        if (text.isEmpty()) {
            p.setPen(style::mutedText());
            p.drawText(col, Qt::AlignCenter, QStringLiteral("—"));
            return;
        }
        QFont bold = font();
        bold.setBold(true);
        const QFontMetrics bfm(bold);
        const int w = std::min(kBadgeColumn - 4, bfm.horizontalAdvance(text) + 16);
        const int h = bfm.height() + 8;
        const QRectF badge(col.center().x() - w / 2.0, col.center().y() - h / 2.0, w, h);
        p.setRenderHint(QPainter::Antialiasing, true);
        p.setPen(Qt::NoPen);
        p.setBrush(m_view->badgeColor(layer));
        p.drawRoundedRect(badge, h / 2.0, h / 2.0);
        p.setRenderHint(QPainter::Antialiasing, false);
        p.setFont(bold);
        p.setPen(Qt::white);
        p.drawText(badge, Qt::AlignCenter, text);
        p.setFont(font());
    }

    QString toolTip(int layer, LayerStatsView::Kind kind, QPoint pos) const
    {
        const auto& h = m_view->histogram(layer, kind);
        const int64_t total = totalOf(h);
        if (h.counts.empty() || total == 0)
            return {};
        const QString names[3]
            = { LayerStatsView::tr("Activations"), LayerStatsView::tr("Weights"), LayerStatsView::tr("Gradients") };
        QString tip = QStringLiteral("%1 of %2\n%3 values · mean %4 · σ %5\nfrom %6 to %7")
                          .arg(names[kind], QString::fromStdString(m_view->stats()[static_cast<size_t>(layer)].node),
                              style::groupDigits(total), number(h.mean), QString::number(h.stddev, 'e', 2),
                              number(h.min), number(h.max));
        const QRect r = histogramRect(layer, kind);
        if (r.contains(pos) && !m_view->sharedRange()) {
            const int bins = static_cast<int>(h.counts.size());
            const int b = std::clamp((pos.x() - r.left()) * bins / std::max(1, r.width()), 0, bins - 1);
            const double w = (static_cast<double>(h.max) - h.min) / bins;
            tip += LayerStatsView::tr("\nbin [%1, %2): %3")
                       .arg(number(h.min + b * w), number(h.min + (b + 1) * w),
                           style::groupDigits(h.counts[static_cast<size_t>(b)]));
        }
        if (m_view->stdFlagged(layer, kind))
            tip += LayerStatsView::tr("\nσ is under 1/100 of the largest layer's gradient σ (%1): vanishing gradients")
                       .arg(QString::number(m_view->m_maxGradientStd, 'e', 1));
        return tip;
    }

    LayerStatsView* m_view;
};

} // namespace layerstatsview

using layerstatsview::StatsRows;

LayerStatsView::LayerStatsView(QWidget* parent)
    : QWidget(parent)
{
    auto* v = new QVBoxLayout(this);
    v->setContentsMargins(0, 0, 0, 0);
    v->setSpacing(0);
    m_placeholder = style::placeholderLabel(tr("No layer statistics yet"), this);
    v->addWidget(m_placeholder, 1);

    m_content = new QWidget(this);
    v->addWidget(m_content, 1);
    auto* cv = new QVBoxLayout(m_content);
    cv->setContentsMargins(0, 0, 0, 0);
    cv->setSpacing(0);
    auto* header = new QHBoxLayout;
    header->setContentsMargins(8, 6, 8, 2);
    auto* legend = new QLabel(tr("Dashed line = 0 · σ = standard deviation, red when under 1/100 of the largest "
                                 "gradient σ (vanishing)"),
        m_content);
    legend->setStyleSheet(QStringLiteral("color: #76808e;"));
    legend->setWordWrap(true);
    header->addWidget(legend, 1);
    m_sharedRange = new QCheckBox(tr("Same x-range per column"), m_content);
    m_sharedRange->setObjectName(QStringLiteral("sharedRange"));
    m_sharedRange->setToolTip(tr("Draw every histogram of a column over the column's whole range: a gradient that "
                                 "collapses to 0 becomes a spike in the middle"));
    header->addWidget(m_sharedRange);
    m_logCounts = new QCheckBox(tr("Log counts"), m_content);
    m_logCounts->setObjectName(QStringLiteral("logCounts"));
    m_logCounts->setToolTip(tr("Bar heights by log(1 + count): rare values show next to a tall peak"));
    header->addWidget(m_logCounts);
    cv->addLayout(header);
    m_rows = new StatsRows(this);
    m_scroll = new QScrollArea(m_content);
    m_scroll->setFrameShape(QFrame::NoFrame);
    m_scroll->setWidgetResizable(true);
    m_scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAsNeeded);
    m_scroll->setWidget(m_rows);
    cv->addWidget(m_scroll, 1);
    connect(m_logCounts, &QCheckBox::toggled, m_rows, [this] { m_rows->update(); });
    connect(m_sharedRange, &QCheckBox::toggled, m_rows, [this] { m_rows->update(); });
    clear();
}

LayerStatsView::~LayerStatsView() = default;

void LayerStatsView::setStats(std::vector<inspect::LayerStats> stats)
{
    m_stats = std::move(stats);
    m_maxGradientStd = 0.0;
    for (const auto& s : m_stats)
        if (totalOf(s.gradients) > 0 && std::isfinite(s.gradients.stddev))
            m_maxGradientStd = std::max(m_maxGradientStd, s.gradients.stddev);
    m_placeholder->setVisible(m_stats.empty());
    m_content->setVisible(!m_stats.empty());
    m_rows->reset();
}

void LayerStatsView::clear()
{
    setStats({});
}

void LayerStatsView::setLogCounts(bool on)
{
    m_logCounts->setChecked(on);
}

bool LayerStatsView::logCounts() const
{
    return m_logCounts->isChecked();
}

void LayerStatsView::setSharedRange(bool on)
{
    m_sharedRange->setChecked(on);
}

bool LayerStatsView::sharedRange() const
{
    return m_sharedRange->isChecked();
}

std::pair<double, double> LayerStatsView::columnRange(Kind kind) const
{
    double lo = 0.0, hi = 0.0;
    bool any = false;
    for (int l = 0; l < layerCount(); ++l) {
        const auto& h = histogram(l, kind);
        if (totalOf(h) == 0 || !std::isfinite(h.min) || !std::isfinite(h.max))
            continue;
        lo = any ? std::min<double>(lo, h.min) : h.min;
        hi = any ? std::max<double>(hi, h.max) : h.max;
        any = true;
    }
    return { lo, hi };
}

const inspect::Histogram& LayerStatsView::histogram(int layer, Kind kind) const
{
    const auto& s = m_stats[static_cast<size_t>(layer)];
    return kind == Activations ? s.activations : kind == Weights ? s.weights : s.gradients;
}

QString LayerStatsView::badgeText(int layer) const
{
    if (layer < 0 || layer >= layerCount())
        return {};
    const auto& s = m_stats[static_cast<size_t>(layer)];
    if (s.deadFraction >= 0.0)
        return tr("dead %1").arg(fractionText(s.deadFraction));
    if (s.saturatedFraction >= 0.0)
        return tr("saturated %1").arg(fractionText(s.saturatedFraction));
    return {};
}

QColor LayerStatsView::badgeColor(int layer) const
{
    if (badgeText(layer).isEmpty())
        return {};
    const auto& s = m_stats[static_cast<size_t>(layer)];
    const double f = s.deadFraction >= 0.0 ? s.deadFraction : s.saturatedFraction;
    return f > 0.5 ? kBadgeBad : f > 0.2 ? kBadgeWarn : kBadgeGood;
}

QString LayerStatsView::stdText(int layer, Kind kind) const
{
    if (layer < 0 || layer >= layerCount())
        return {};
    const auto& h = histogram(layer, kind);
    return totalOf(h) > 0 ? sigma(h.stddev) : QString();
}

bool LayerStatsView::stdFlagged(int layer, Kind kind) const
{
    if (kind != Gradients || layer < 0 || layer >= layerCount() || m_maxGradientStd <= 0.0)
        return false;
    const auto& h = histogram(layer, kind);
    return totalOf(h) > 0 && h.stddev < kVanishingRatio * m_maxGradientStd;
}

QRect LayerStatsView::histogramRect(int layer, Kind kind) const
{
    const QRect r = m_rows->histogramRect(layer, kind);
    return r.isNull() || m_content->isHidden() ? QRect() : QRect(m_rows->mapTo(this, r.topLeft()), r.size());
}

QString LayerStatsView::placeholderText() const
{
    return m_placeholder->isHidden() ? QString() : m_placeholder->text();
}

} // namespace netcanvas::widgets
