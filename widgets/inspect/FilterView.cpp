#include "widgets/inspect/FilterView.h"

#include "widgets/canvas/CanvasStyle.h"

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
constexpr int kGap = 8; // between tiles of the wrapping grid
constexpr int kMatrixGap = 4; // between tiles of the matrix

QString number(double v)
{
    return v == 0.0 ? QStringLiteral("0") : QString::number(v, 'g', 3);
}

// A whole-number enlargement of a k-pixel side towards `target` (at least 1×).
int enlarged(int side, int target)
{
    return side <= 0 ? 0 : side * std::max(1, target / side);
}

} // namespace

namespace filterview {

// Tiles in a wrapping grid with an index under each, or a matrix with row and column labels.
class FilterGrid : public QWidget {
public:
    explicit FilterGrid(QWidget* parent)
        : QWidget(parent)
    {
        setObjectName(QStringLiteral("filterGrid"));
        QSizePolicy sp(QSizePolicy::Preferred, QSizePolicy::Preferred);
        sp.setHeightForWidth(true);
        setSizePolicy(sp);
    }

    struct Content {
        std::vector<QImage> tiles;
        std::vector<QString> tips;
        bool matrix = false;
        int rows = 0, cols = 0; // matrix: filters × channels
        QSize kernel;
    };

    void setContent(Content c)
    {
        m_c = std::move(c);
        relayout();
        updateGeometry();
        update();
    }

    QRect tileRect(int i) const
    {
        return i >= 0 && static_cast<size_t>(i) < m_rects.size() ? m_rects[static_cast<size_t>(i)] : QRect();
    }

    bool hasHeightForWidth() const override { return true; }
    int heightForWidth(int w) const override { return layoutFor(w, nullptr); }
    QSize sizeHint() const override { return { 360, heightForWidth(360) }; }
    QSize minimumSizeHint() const override { return { 60, 0 }; }

protected:
    void resizeEvent(QResizeEvent*) override { relayout(); }

    void paintEvent(QPaintEvent* event) override
    {
        QPainter p(this);
        const QFontMetrics fm = fontMetrics();
        for (size_t i = 0; i < m_rects.size(); ++i) {
            const QRect r = m_rects[i];
            if (!r.adjusted(-2, -2, 2, fm.height() + 4).intersects(event->rect()))
                continue;
            p.setRenderHint(QPainter::SmoothPixmapTransform, r.width() < m_c.tiles[i].width());
            p.drawImage(r, m_c.tiles[i]);
            p.setPen(style::cardBorder());
            p.setBrush(Qt::NoBrush);
            p.drawRect(r.adjusted(-1, -1, 0, 0));
            if (!m_c.matrix) {
                p.setPen(style::mutedText());
                p.drawText(QRect(r.left() - kGap / 2, r.bottom() + 3, r.width() + kGap, fm.height()),
                    Qt::AlignHCenter | Qt::AlignTop, QString::number(i));
            }
        }
        if (!m_c.matrix || m_rects.empty())
            return;
        p.setPen(style::mutedText());
        for (int f = 0; f < m_c.rows; ++f) {
            const QRect r = tileRect(f * m_c.cols);
            p.drawText(QRect(kMargin, r.top(), r.left() - kMargin - 6, r.height()), Qt::AlignRight | Qt::AlignVCenter,
                QStringLiteral("f%1").arg(f));
        }
        for (int c = 0; c < m_c.cols; ++c) {
            const QRect r = tileRect(c);
            const QString label = QStringLiteral("c%1").arg(c);
            if (fm.horizontalAdvance(label) <= r.width() + kMatrixGap || c % 5 == 0)
                p.drawText(
                    QRect(r.center().x() - 20, kMargin, 40, fm.height()), Qt::AlignHCenter | Qt::AlignTop, label);
        }
    }

    bool event(QEvent* event) override
    {
        if (event->type() != QEvent::ToolTip)
            return QWidget::event(event);
        auto* help = static_cast<QHelpEvent*>(event);
        for (size_t i = 0; i < m_rects.size(); ++i)
            if (m_rects[i].adjusted(-1, -1, 1, 1).contains(help->pos()) && i < m_c.tips.size()) {
                QToolTip::showText(help->globalPos(), m_c.tips[i], this, m_rects[i]);
                return true;
            }
        QToolTip::hideText();
        event->ignore();
        return true;
    }

private:
    int layoutFor(int width, std::vector<QRect>* rects) const
    {
        const int n = static_cast<int>(m_c.tiles.size());
        if (n == 0 || m_c.kernel.isEmpty())
            return 0;
        const QFontMetrics fm = fontMetrics();
        const int side = std::max(m_c.kernel.width(), m_c.kernel.height());
        if (!m_c.matrix) {
            const int target = n <= 16 ? 56 : n <= 64 ? 40 : 28;
            QSize s = m_c.kernel * (enlarged(side, target) / side);
            const int avail = std::max(16, width - 2 * kMargin);
            const int cols = std::max(1, (avail + kGap) / (s.width() + kGap));
            const int cellH = s.height() + fm.height() + 4;
            for (int i = 0; i < n && rects; ++i)
                rects->push_back(QRect(
                    QPoint(kMargin + (i % cols) * (s.width() + kGap), kMargin + (i / cols) * (cellH + kGap / 2)), s));
            const int rows = (n + cols - 1) / cols;
            return 2 * kMargin + rows * cellH + (rows - 1) * kGap / 2;
        }
        // Matrix: fit the columns into the width when possible, tiles of 10 px at least.
        const int labelW = fm.horizontalAdvance(QStringLiteral("f%1").arg(m_c.rows - 1)) + 10;
        const int avail = std::max(16, width - 2 * kMargin - labelW);
        int target = std::min(36, (avail - (m_c.cols - 1) * kMatrixGap) / std::max(1, m_c.cols));
        target = std::max(target, 10);
        int t = enlarged(side, target);
        if (t > target && side > target)
            t = target; // a kernel larger than the target is reduced
        const QSize s = side > 0 ? QSize(m_c.kernel.width() * t / side, m_c.kernel.height() * t / side) : QSize();
        const int x0 = kMargin + labelW, y0 = kMargin + fm.height() + 4;
        for (int f = 0; f < m_c.rows && rects; ++f)
            for (int c = 0; c < m_c.cols; ++c)
                rects->push_back(
                    QRect(QPoint(x0 + c * (s.width() + kMatrixGap), y0 + f * (s.height() + kMatrixGap)), s));
        return y0 + m_c.rows * (s.height() + kMatrixGap) + kMargin;
    }

    void relayout()
    {
        m_rects.clear();
        layoutFor(width(), &m_rects);
    }

    Content m_c;
    std::vector<QRect> m_rects;
};

} // namespace filterview

using filterview::FilterGrid;

FilterView::FilterView(QWidget* parent)
    : QWidget(parent)
{
    auto* v = new QVBoxLayout(this);
    v->setContentsMargins(0, 0, 0, 0);
    v->setSpacing(0);
    m_placeholder = style::placeholderLabel(tr("Select a convolution layer to see its filters"), this);
    v->addWidget(m_placeholder, 1);

    m_content = new QWidget(this);
    v->addWidget(m_content, 1);
    auto* cv = new QVBoxLayout(m_content);
    cv->setContentsMargins(8, 6, 8, 0);
    cv->setSpacing(2);
    m_title = new QLabel(m_content);
    m_title->setObjectName(QStringLiteral("title"));
    m_title->setTextFormat(Qt::PlainText);
    m_title->setStyleSheet(QStringLiteral("font-weight: bold; color: #252b36;"));
    cv->addWidget(m_title);
    m_legend = new QLabel(m_content);
    m_legend->setObjectName(QStringLiteral("legend"));
    m_legend->setWordWrap(true);
    m_legend->setStyleSheet(QStringLiteral("color: #76808e;"));
    cv->addWidget(m_legend);
    m_grid = new FilterGrid(m_content);
    m_scroll = new QScrollArea(m_content);
    m_scroll->setFrameShape(QFrame::NoFrame);
    m_scroll->setWidgetResizable(true);
    m_scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAsNeeded);
    m_scroll->setWidget(m_grid);
    cv->addWidget(m_scroll, 1);
    rebuild();
}

FilterView::~FilterView() = default;

void FilterView::setFilters(const inspect::Filters& filters)
{
    m_filters = filters;
    rebuild();
}

void FilterView::clear()
{
    m_filters = inspect::Filters();
    rebuild();
}

bool FilterView::isRgb() const
{
    return m_valid && m_filters.channels == 3;
}

bool FilterView::isMatrix() const
{
    return m_valid && m_filters.channels != 3 && m_filters.channels != 1;
}

int FilterView::tileCount() const
{
    if (!m_valid)
        return 0;
    return isMatrix() ? m_filters.filters * m_filters.channels : m_filters.filters;
}

int FilterView::tileIndex(int filter, int channel) const
{
    if (!m_valid || filter < 0 || filter >= m_filters.filters)
        return -1;
    if (!isMatrix())
        return filter;
    return channel >= 0 && channel < m_filters.channels ? filter * m_filters.channels + channel : -1;
}

QRect FilterView::tileRect(int filter, int channel) const
{
    const QRect r = m_grid->tileRect(tileIndex(filter, channel));
    return r.isNull() || m_content->isHidden() ? QRect() : QRect(m_grid->mapTo(this, r.topLeft()), r.size());
}

QImage FilterView::tileImage(int filter, int channel) const
{
    const int i = tileIndex(filter, channel);
    if (i < 0)
        return {};
    const auto& f = m_filters;
    const int h = f.height, w = f.width;
    const size_t plane = static_cast<size_t>(h) * static_cast<size_t>(w);
    const size_t per = plane * static_cast<size_t>(f.channels);
    const float* values = f.values.data() + static_cast<size_t>(filter) * per;
    float lo = 0.0f, hi = 0.0f, absMax = 0.0f;
    for (size_t k = 0; k < per; ++k) {
        lo = k == 0 ? values[k] : std::min(lo, values[k]);
        hi = k == 0 ? values[k] : std::max(hi, values[k]);
        absMax = std::max(absMax, std::abs(values[k]));
    }
    if (isRgb()) {
        // The three channels scaled jointly: the filter's min → 0, its max → 255.
        QImage img(w, h, QImage::Format_RGB32);
        const float scale = hi > lo ? 255.0f / (hi - lo) : 0.0f;
        const auto byte = [&](float v) { return std::clamp(static_cast<int>(std::lround((v - lo) * scale)), 0, 255); };
        for (int y = 0; y < h; ++y) {
            auto* row = reinterpret_cast<QRgb*>(img.scanLine(y));
            for (int x = 0; x < w; ++x) {
                const size_t k = static_cast<size_t>(y) * static_cast<size_t>(w) + static_cast<size_t>(x);
                row[x] = qRgb(byte(values[k]), byte(values[plane + k]), byte(values[2 * plane + k]));
            }
        }
        return img;
    }
    // Gray, symmetric around 0 per filter: −absMax → black, 0 → mid-gray, +absMax → white.
    QImage img(w, h, QImage::Format_RGB32);
    const float* src = values + (isMatrix() ? static_cast<size_t>(channel) * plane : 0);
    for (int y = 0; y < h; ++y) {
        auto* row = reinterpret_cast<QRgb*>(img.scanLine(y));
        for (int x = 0; x < w; ++x) {
            const float v = src[static_cast<size_t>(y) * static_cast<size_t>(w) + static_cast<size_t>(x)];
            const float t = absMax > 0.0f ? 0.5f + 0.5f * v / absMax : 0.5f;
            const int g = std::clamp(static_cast<int>(std::lround(t * 255.0f)), 0, 255);
            row[x] = qRgb(g, g, g);
        }
    }
    return img;
}

double FilterView::filterNorm(int filter) const
{
    return filter >= 0 && static_cast<size_t>(filter) < m_norms.size() ? m_norms[static_cast<size_t>(filter)] : 0.0;
}

QString FilterView::tileToolTip(int filter, int channel) const
{
    if (tileIndex(filter, channel) < 0)
        return {};
    const auto& f = m_filters;
    const size_t per = static_cast<size_t>(f.channels) * static_cast<size_t>(f.height) * static_cast<size_t>(f.width);
    const auto first = f.values.begin() + static_cast<std::ptrdiff_t>(static_cast<size_t>(filter) * per);
    const auto [lo, hi] = std::minmax_element(first, first + static_cast<std::ptrdiff_t>(per));
    QString tip
        = isMatrix() ? tr("Filter %1 · input channel %2").arg(filter).arg(channel) : tr("Filter %1").arg(filter);
    tip += QLatin1Char('\n') + tr("norm ‖w‖ = %1").arg(number(filterNorm(filter)));
    tip += QLatin1Char('\n') + tr("weights from %1 to %2").arg(number(*lo), number(*hi));
    return tip;
}

QString FilterView::placeholderText() const
{
    return m_placeholder->isHidden() ? QString() : m_placeholder->text();
}

QString FilterView::titleText() const
{
    return m_title->text();
}

void FilterView::rebuild()
{
    const auto& f = m_filters;
    const size_t per = static_cast<size_t>(std::max(0, f.channels)) * static_cast<size_t>(std::max(0, f.height))
        * static_cast<size_t>(std::max(0, f.width));
    m_valid = f.filters > 0 && per > 0 && f.values.size() == per * static_cast<size_t>(f.filters);
    m_placeholder->setVisible(!m_valid);
    m_content->setVisible(m_valid);
    m_norms.clear();
    FilterGrid::Content content;
    if (m_valid) {
        for (int i = 0; i < f.filters; ++i) {
            double sum = 0.0;
            for (size_t k = 0; k < per; ++k) {
                const double v = f.values[static_cast<size_t>(i) * per + k];
                sum += v * v;
            }
            m_norms.push_back(std::sqrt(sum));
        }
        content.matrix = isMatrix();
        content.rows = f.filters;
        content.cols = content.matrix ? f.channels : 1;
        content.kernel = QSize(f.width, f.height);
        for (int i = 0; i < f.filters; ++i)
            for (int c = 0; c < content.cols; ++c) {
                content.tiles.push_back(tileImage(i, c));
                content.tips.push_back(tileToolTip(i, c));
            }
        const QString node = QString::fromStdString(f.node);
        m_title->setText(
            tr("%1 · %2 filters of %3×%4×%5").arg(node).arg(f.filters).arg(f.channels).arg(f.height).arg(f.width));
        if (isRgb())
            m_legend->setText(tr("Each filter's three channels as one color image, scaled from its smallest to its "
                                 "largest weight. Hover for its norm."));
        else
            m_legend->setText(tr("Mid-gray = 0, lighter = positive, darker = negative weights, scaled to each filter's "
                                 "largest |weight|. Hover for its norm."));
    } else {
        m_title->clear();
        m_legend->clear();
    }
    m_grid->setContent(std::move(content));
}

} // namespace netcanvas::widgets
