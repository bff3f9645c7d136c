#include "widgets/inspect/FeatureMapView.h"

#include "widgets/canvas/CanvasStyle.h"
#include "widgets/inspect/ColorMaps.h"

#include <QBoxLayout>
#include <QButtonGroup>
#include <QHelpEvent>
#include <QLabel>
#include <QMouseEvent>
#include <QPaintEvent>
#include <QPainter>
#include <QPushButton>
#include <QScrollArea>
#include <QToolTip>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

namespace netcanvas::widgets {

namespace {

constexpr int kCellGapX = 10;
constexpr int kCellGapY = 4;
constexpr int kGridMargin = 6;
constexpr int kSideBox = 168; // the side panel's box for the enlarged channel, px
constexpr int kInputBox = 112; // and for the input image
constexpr int kSideWidth = kSideBox + 24;
constexpr int kNarrowWidth = 620; // below this the side panel goes on top
constexpr int kFlatChartHeight = 150;

const QColor kHoverColor(QStringLiteral("#9db8dd"));
const QColor kConstColor(QStringLiteral("#b26b00"));
const QColor kAxisColor(QStringLiteral("#c4cad3"));

// 3 significant digits, no trailing zeros: "2.31", "-0.0123", "1.5e+04".
QString number(double v)
{
    if (v == 0.0)
        return QStringLiteral("0");
    return QString::number(v, 'g', 3);
}

// The display size of an h×w map in a grid of n cells: a whole-number enlargement towards a
// target side that shrinks as the count grows, or a reduction when the map is larger.
QSize displaySize(int n, int h, int w)
{
    const int target = n <= 8 ? 112 : n <= 32 ? 84 : n <= 128 ? 64 : 48;
    const int side = std::max(h, w);
    if (side <= 0)
        return {};
    if (side <= target) {
        const int k = std::max(1, target / side);
        return { w * k, h * k };
    }
    return QSize(w, h).scaled(target, target, Qt::KeepAspectRatio).expandedTo(QSize(1, 1));
}

// `size` fitted in a box: a whole-number enlargement when it fits at least twice, else scaled
// down (or left) to fit, aspect kept.
QSize fitInBox(QSize size, int box)
{
    const int side = std::max(size.width(), size.height());
    if (side <= 0)
        return {};
    if (side * 2 <= box) {
        const int k = box / side;
        return size * k;
    }
    return size.scaled(box, box, Qt::KeepAspectRatio).expandedTo(QSize(1, 1));
}

void drawImageCrisp(QPainter& p, const QRect& target, const QImage& img)
{
    p.save();
    p.setRenderHint(QPainter::SmoothPixmapTransform, target.width() < img.width());
    p.drawImage(target, img);
    p.restore();
}

} // namespace

namespace featuremapview {

// The channel cells (or, for a flat output, the bar chart), sized for its width: it grows in
// height and lives in a scroll area.
class ChannelGrid : public QWidget {
public:
    explicit ChannelGrid(QWidget* parent)
        : QWidget(parent)
    {
        setObjectName(QStringLiteral("channelGrid"));
        setMouseTracking(true);
        QSizePolicy sp(QSizePolicy::Preferred, QSizePolicy::Preferred);
        sp.setHeightForWidth(true);
        setSizePolicy(sp);
    }

    struct Content {
        std::vector<QImage> images; // per channel, map resolution
        std::vector<bool> constant; // per channel
        std::vector<QString> tips; // per channel
        int mapHeight = 0, mapWidth = 0;
        bool flat = false;
        std::vector<float> flatValues;
        float lo = 0.0f, hi = 0.0f; // flat: the value range
    };

    void setContent(Content content)
    {
        m_c = std::move(content);
        m_hover = -1;
        relayout();
        updateGeometry();
        update();
    }

    void setSelected(int c)
    {
        m_selected = c;
        update();
    }

    int count() const { return m_c.flat ? 1 : static_cast<int>(m_c.images.size()); }
    QRect cellRect(int c) const
    {
        return c >= 0 && static_cast<size_t>(c) < m_cells.size() ? m_cells[static_cast<size_t>(c)] : QRect();
    }

    std::function<void(int)> clicked;

    bool hasHeightForWidth() const override { return true; }
    int heightForWidth(int w) const override { return layoutFor(w, nullptr); }
    QSize sizeHint() const override { return { 480, heightForWidth(480) }; }
    QSize minimumSizeHint() const override { return { 80, 0 }; }

protected:
    void resizeEvent(QResizeEvent*) override { relayout(); }

    void paintEvent(QPaintEvent* event) override
    {
        QPainter p(this);
        if (m_c.flat) {
            paintFlat(p);
            return;
        }
        QFont small = font();
        small.setPointSizeF(small.pointSizeF() * 0.9);
        p.setFont(small);
        const QFontMetrics fm(small);
        for (size_t c = 0; c < m_cells.size(); ++c) {
            const QRect r = m_cells[c];
            if (!r.adjusted(-3, -3, 3, fm.height() + 3).intersects(event->rect()))
                continue;
            drawImageCrisp(p, r, m_c.images[c]);
            const int ci = static_cast<int>(c);
            if (ci == m_selected || ci == m_hover) {
                p.setPen(QPen(ci == m_selected ? style::selection() : kHoverColor, ci == m_selected ? 3 : 2));
                p.setBrush(Qt::NoBrush);
                p.drawRect(QRectF(r).adjusted(-1.5, -1.5, 1.5, 1.5));
            }
            const QRect cap(r.left() - kCellGapX / 2, r.bottom() + 2, r.width() + kCellGapX, fm.height());
            const bool constant = c < m_c.constant.size() && m_c.constant[c];
            QString label = QString::number(ci);
            if (constant)
                label += QStringLiteral(" · const");
            p.setPen(constant ? kConstColor : (ci == m_selected ? style::selection() : style::mutedText()));
            p.drawText(cap, Qt::AlignHCenter | Qt::AlignTop, fm.elidedText(label, Qt::ElideRight, cap.width()));
        }
    }

    void mouseMoveEvent(QMouseEvent* event) override
    {
        const int c = m_c.flat ? -1 : indexAt(event->position().toPoint());
        if (c == m_hover)
            return;
        m_hover = c;
        update();
    }

    void leaveEvent(QEvent*) override
    {
        m_hover = -1;
        update();
    }

    void mousePressEvent(QMouseEvent* event) override
    {
        if (event->button() != Qt::LeftButton || m_c.flat)
            return;
        const int c = indexAt(event->position().toPoint());
        if (c >= 0 && clicked)
            clicked(c);
    }

    bool event(QEvent* event) override
    {
        if (event->type() != QEvent::ToolTip)
            return QWidget::event(event);
        auto* help = static_cast<QHelpEvent*>(event);
        QString tip;
        QRect area;
        if (m_c.flat) {
            const int i = flatIndexAt(help->pos());
            if (i >= 0) {
                tip = FeatureMapView::tr("value %1: %2").arg(i).arg(number(m_c.flatValues[static_cast<size_t>(i)]));
                area = QRect(help->pos(), QSize(1, 1));
            }
        } else {
            const int c = indexAt(help->pos());
            if (c >= 0 && static_cast<size_t>(c) < m_c.tips.size()) {
                tip = m_c.tips[static_cast<size_t>(c)];
                area = cellRect(c);
            }
        }
        if (tip.isEmpty()) {
            QToolTip::hideText();
            event->ignore();
            return true;
        }
        QToolTip::showText(help->globalPos(), tip, this, area);
        return true;
    }

private:
    int captionHeight() const { return QFontMetrics(font()).height(); }

    QRect flatChartRect(int width) const
    {
        const QFontMetrics fm = fontMetrics();
        const int axisW = std::max({ fm.horizontalAdvance(number(m_c.hi)), fm.horizontalAdvance(number(m_c.lo)),
                              fm.horizontalAdvance(QStringLiteral("0")) })
            + 8;
        return QRect(kGridMargin + axisW, kGridMargin + fm.height() / 2, std::max(20, width - 2 * kGridMargin - axisW),
            kFlatChartHeight);
    }

    int layoutFor(int width, std::vector<QRect>* cells) const
    {
        if (m_c.flat) {
            const QRect chart = flatChartRect(width);
            if (cells)
                cells->push_back(chart);
            return chart.bottom() + 2 * fontMetrics().height() + 10;
        }
        const int n = static_cast<int>(m_c.images.size());
        if (n == 0)
            return 0;
        QSize s = displaySize(n, m_c.mapHeight, m_c.mapWidth);
        const int avail = std::max(16, width - 2 * kGridMargin);
        if (s.width() > avail)
            s = s.scaled(avail, avail, Qt::KeepAspectRatio).expandedTo(QSize(1, 1));
        // As many columns as fit, then balanced: 6 channels in 2 rows are 3 + 3, not 5 + 1.
        const int fit = std::max(1, (avail + kCellGapX) / (s.width() + kCellGapX));
        const int rowsNeeded = (n + fit - 1) / fit;
        const int cols = (n + rowsNeeded - 1) / rowsNeeded;
        const int cellH = s.height() + captionHeight() + 2;
        for (int c = 0; c < n && cells; ++c)
            cells->push_back(QRect(QPoint(kGridMargin + (c % cols) * (s.width() + kCellGapX),
                                       kGridMargin + (c / cols) * (cellH + kCellGapY)),
                s));
        const int rows = (n + cols - 1) / cols;
        return 2 * kGridMargin + rows * cellH + (rows - 1) * kCellGapY;
    }

    void relayout()
    {
        m_cells.clear();
        layoutFor(width(), &m_cells);
    }

    int indexAt(QPoint pos) const
    {
        for (size_t c = 0; c < m_cells.size(); ++c)
            if (m_cells[c].adjusted(-2, -2, 2, captionHeight() + 2).contains(pos))
                return static_cast<int>(c);
        return -1;
    }

    int flatIndexAt(QPoint pos) const
    {
        const QRect chart = cellRect(0);
        const int n = static_cast<int>(m_c.flatValues.size());
        if (n == 0 || !chart.adjusted(0, -4, 0, 4).contains(pos))
            return -1;
        return std::clamp(static_cast<int>(static_cast<double>(pos.x() - chart.left()) * n / chart.width()), 0, n - 1);
    }

    void paintFlat(QPainter& p)
    {
        const QRect chart = cellRect(0);
        const int n = static_cast<int>(m_c.flatValues.size());
        if (chart.isNull() || n == 0)
            return;
        const QFontMetrics fm = fontMetrics();
        // The vertical axis always includes 0 so bars grow from a baseline.
        const double lo = std::min(0.0f, m_c.lo), hi = std::max(0.0f, m_c.hi);
        const double span = hi > lo ? hi - lo : 1.0;
        const auto yOf = [&](double v) { return chart.bottom() + 1 - (v - lo) / span * chart.height(); };
        p.fillRect(chart, QColor(0xfa, 0xfb, 0xfc));
        p.setPen(kAxisColor);
        p.drawRect(chart.adjusted(0, 0, -1, -1));
        const double y0 = yOf(0.0);
        const double step = static_cast<double>(chart.width()) / n;
        p.setRenderHint(QPainter::Antialiasing, false);
        const float colorSpan = m_c.hi > m_c.lo ? m_c.hi - m_c.lo : 1.0f;
        for (int i = 0; i < n; ++i) {
            const float v = m_c.flatValues[static_cast<size_t>(i)];
            const double x = chart.left() + i * step;
            const double w = std::max(1.0, step > 3 ? step - 1 : step);
            const double y = yOf(v);
            p.fillRect(QRectF(x, std::min(y, y0), w, std::max(1.0, std::abs(y - y0))),
                QColor::fromRgb(viridis((v - m_c.lo) / colorSpan)));
        }
        p.setPen(style::mutedText());
        p.drawLine(QPointF(chart.left(), y0), QPointF(chart.right(), y0));
        const int labelX = kGridMargin;
        const int labelW = chart.left() - labelX - 4;
        const auto yLabel = [&](double v, double y) {
            p.drawText(QRect(labelX, static_cast<int>(y) - fm.height() / 2, labelW, fm.height()),
                Qt::AlignRight | Qt::AlignVCenter, number(v));
        };
        yLabel(hi, chart.top());
        yLabel(lo, chart.bottom());
        if (y0 - chart.top() > fm.height() && chart.bottom() - y0 > fm.height())
            yLabel(0.0, y0);
        const int ty = chart.bottom() + 3;
        p.drawText(
            QRect(chart.left(), ty, chart.width(), fm.height()), Qt::AlignLeft | Qt::AlignTop, QStringLiteral("0"));
        p.drawText(
            QRect(chart.left(), ty, chart.width(), fm.height()), Qt::AlignRight | Qt::AlignTop, QString::number(n - 1));
        p.setPen(style::text());
        p.drawText(QRect(chart.left(), ty + fm.height(), chart.width(), fm.height() + 4),
            Qt::AlignHCenter | Qt::AlignTop,
            FeatureMapView::tr("%1 values (flat output) — hover a bar for its value").arg(n));
    }

    Content m_c;
    std::vector<QRect> m_cells;
    int m_selected = -1;
    int m_hover = -1;
};

// The input image and the selected channel, enlarged, with its statistics and color bar.
// Vertical (a column at the left) or horizontal (a band on top).
class SidePanel : public QWidget {
public:
    explicit SidePanel(QWidget* parent)
        : QWidget(parent)
    {
        setObjectName(QStringLiteral("sidePanel"));
    }

    struct Content {
        QImage input;
        QString zoomTitle; // "Channel 3", "All values"; empty: no zoom section
        QImage zoom; // null: show `hint` instead
        QString hint;
        QStringList stats; // "min  0.12" lines
        float lo = 0.0f, hi = 0.0f; // the color bar's range
        QString loText, hiText; // instead of lo and hi when set
        QString scaleNote; // "per-channel scale"
    };

    void setContent(Content c)
    {
        m_c = std::move(c);
        updateSize();
        update();
    }

    void setVertical(bool vertical)
    {
        m_vertical = vertical;
        updateSize();
        update();
    }

    QRect zoomRect() const { return m_zoomRect; }

protected:
    void paintEvent(QPaintEvent*) override
    {
        QPainter p(this);
        p.fillRect(rect(), QColor(0xf7, 0xf8, 0xfa));
        p.setPen(style::cardBorder());
        if (m_vertical)
            p.drawLine(width() - 1, 0, width() - 1, height());
        else
            p.drawLine(0, height() - 1, width(), height() - 1);
        const QFontMetrics fm = fontMetrics();
        QFont bold = font();
        bold.setBold(true);
        const int pad = 10;
        QPoint at(pad, pad);
        // Input section.
        const auto caption = [&](const QString& text, QPoint pos, int w) {
            p.setFont(bold);
            p.setPen(style::text());
            p.drawText(QRect(pos, QSize(w, fm.height())), Qt::AlignLeft | Qt::AlignVCenter,
                QFontMetrics(bold).elidedText(text, Qt::ElideRight, w));
            p.setFont(font());
        };
        if (!m_c.input.isNull()) {
            caption(FeatureMapView::tr("Input"), at, kSideBox);
            const QSize s = fitInBox(m_c.input.size(), kInputBox);
            const QRect r(at.x(), at.y() + fm.height() + 4, s.width(), s.height());
            drawImageCrisp(p, r, m_c.input);
            p.setPen(style::cardBorder());
            p.drawRect(r.adjusted(-1, -1, 0, 0));
            if (m_vertical)
                at.ry() = r.bottom() + 14;
            else
                at.rx() += std::max(kInputBox, s.width()) + 20;
        }
        m_zoomRect = QRect();
        if (m_c.zoomTitle.isEmpty() && m_c.hint.isEmpty())
            return;
        caption(m_c.zoomTitle, at, kSideBox);
        int y = at.y() + fm.height() + 4;
        if (!m_c.zoom.isNull()) {
            const QSize s = fitInBox(m_c.zoom.size(), kSideBox);
            m_zoomRect = QRect(at.x() + (kSideBox - s.width()) / 2, y, s.width(), s.height());
            drawImageCrisp(p, m_zoomRect, m_c.zoom);
            y = m_zoomRect.bottom() + 8;
        }
        QPoint statsAt = m_vertical || m_c.zoom.isNull() ? QPoint(at.x(), y)
                                                         : QPoint(at.x() + kSideBox + 16, at.y() + fm.height() + 4);
        // Beside the zoom (horizontal) the statistics get what is left of the width.
        const int statsW = m_vertical ? kSideBox : std::clamp(width() - statsAt.x() - pad, 60, kSideBox);
        if (!m_c.hint.isEmpty()) {
            p.setPen(style::mutedText());
            const QRect hr(statsAt, QSize(statsW, 4 * fm.height()));
            p.drawText(hr, Qt::AlignLeft | Qt::AlignTop | Qt::TextWordWrap, m_c.hint);
            statsAt.ry() += p.boundingRect(hr, Qt::AlignLeft | Qt::TextWordWrap, m_c.hint).height() + 6;
        }
        // Statistics: "min" right-aligned numbers in a two-column table.
        const int keyW = fm.horizontalAdvance(QStringLiteral("mean")) + 10;
        for (const QString& line : m_c.stats) {
            const QString key = line.section(QLatin1Char('\t'), 0, 0);
            const QString val = line.section(QLatin1Char('\t'), 1);
            p.setPen(style::mutedText());
            p.drawText(QRect(statsAt.x(), statsAt.y(), keyW, fm.height()), Qt::AlignLeft | Qt::AlignVCenter, key);
            p.setPen(style::text());
            p.drawText(QRect(statsAt.x() + keyW, statsAt.y(), statsW - keyW, fm.height()),
                Qt::AlignLeft | Qt::AlignVCenter, val);
            statsAt.ry() += fm.height() + 1;
        }
        if (m_c.stats.isEmpty())
            return;
        // Color bar of the range in use.
        statsAt.ry() += 6;
        const QRect bar(statsAt.x(), statsAt.y(), statsW, 10);
        p.drawImage(bar, colorBar(ColorMap::Viridis, bar.width(), bar.height()));
        p.setPen(style::mutedText());
        const QRect labels(bar.left(), bar.bottom() + 2, bar.width(), fm.height());
        p.drawText(labels, Qt::AlignLeft | Qt::AlignTop, m_c.loText.isEmpty() ? number(m_c.lo) : m_c.loText);
        p.drawText(labels, Qt::AlignRight | Qt::AlignTop, m_c.hiText.isEmpty() ? number(m_c.hi) : m_c.hiText);
        p.drawText(QRect(bar.left(), labels.bottom() + 1, bar.width(), fm.height()), Qt::AlignHCenter | Qt::AlignTop,
            m_c.scaleNote);
    }

private:
    void updateSize()
    {
        const int fh = fontMetrics().height();
        if (m_vertical) {
            setFixedWidth(kSideWidth);
            setMinimumHeight(verticalHeight());
            setMaximumHeight(QWIDGETSIZE_MAX);
        } else {
            // Input box, then zoom box and statistics beside it.
            setFixedHeight(kSideBox + fh + 24);
            setMinimumWidth(0);
            setMaximumWidth(QWIDGETSIZE_MAX);
        }
    }

    // The height of the vertical layout's content, so that it is never clipped.
    int verticalHeight() const
    {
        const int fh = fontMetrics().height();
        int h = 10;
        if (!m_c.input.isNull())
            h += fh + 4 + fitInBox(m_c.input.size(), kInputBox).height() + 14;
        if (m_c.zoomTitle.isEmpty() && m_c.hint.isEmpty())
            return h + 10;
        h += fh + 4;
        if (!m_c.zoom.isNull())
            h += fitInBox(m_c.zoom.size(), kSideBox).height() + 8;
        if (!m_c.hint.isEmpty())
            h += 3 * fh + 6;
        h += static_cast<int>(m_c.stats.size()) * (fh + 1);
        if (!m_c.stats.isEmpty())
            h += 6 + 10 + 2 + 2 * fh + 1;
        return h + 10;
    }

    Content m_c;
    bool m_vertical = true;
    QRect m_zoomRect;
};

} // namespace featuremapview

using featuremapview::ChannelGrid;
using featuremapview::SidePanel;

FeatureMapView::FeatureMapView(QWidget* parent)
    : QWidget(parent)
{
    auto* v = new QVBoxLayout(this);
    v->setContentsMargins(0, 0, 0, 0);
    v->setSpacing(0);

    m_placeholder = style::placeholderLabel(tr("Select a layer and an image"), this);
    v->addWidget(m_placeholder, 1);

    m_content = new QWidget(this);
    v->addWidget(m_content, 1);
    auto* cv = new QVBoxLayout(m_content);
    cv->setContentsMargins(0, 0, 0, 0);
    cv->setSpacing(0);

    auto* header = new QWidget(m_content);
    auto* hl = new QHBoxLayout(header);
    hl->setContentsMargins(8, 6, 8, 6);
    hl->setSpacing(4);
    m_title = new QLabel(header);
    m_title->setObjectName(QStringLiteral("title"));
    m_title->setTextFormat(Qt::PlainText);
    m_title->setStyleSheet(QStringLiteral("font-weight: bold; color: #252b36;"));
    hl->addWidget(m_title, 1);
    m_scaleLabel = new QLabel(tr("Scale:"), header);
    auto* scaleLabel = m_scaleLabel;
    scaleLabel->setStyleSheet(QStringLiteral("color: #76808e;"));
    hl->addWidget(scaleLabel);
    m_perChannelButton = new QPushButton(tr("Per channel"), header);
    m_perChannelButton->setObjectName(QStringLiteral("perChannelScale"));
    m_perChannelButton->setToolTip(
        tr("Stretch each channel over the whole color map: the structure of weak channels shows"));
    m_sharedButton = new QPushButton(tr("Shared"), header);
    m_sharedButton->setObjectName(QStringLiteral("sharedScale"));
    m_sharedButton->setToolTip(tr("One range for all channels: strong and dead channels show"));
    auto* group = new QButtonGroup(header);
    for (QPushButton* b : { m_perChannelButton, m_sharedButton }) {
        b->setCheckable(true);
        b->setFlat(false);
        b->setFocusPolicy(Qt::TabFocus);
        group->addButton(b);
        hl->addWidget(b);
    }
    m_perChannelButton->setChecked(true);
    connect(m_sharedButton, &QPushButton::toggled, this, &FeatureMapView::setSharedScale);
    cv->addWidget(header);
    auto* line = new QFrame(m_content);
    line->setFrameShape(QFrame::HLine);
    line->setStyleSheet(QStringLiteral("color: #dde1e7;"));
    cv->addWidget(line);

    m_body = new QBoxLayout(QBoxLayout::LeftToRight);
    m_body->setContentsMargins(0, 0, 0, 0);
    m_body->setSpacing(0);
    cv->addLayout(m_body, 1);
    m_side = new SidePanel(m_content);
    m_body->addWidget(m_side);
    m_grid = new ChannelGrid(m_content);
    m_grid->clicked = [this](int c) { setSelectedChannel(c == m_selected ? -1 : c); };
    m_scroll = new QScrollArea(m_content);
    m_scroll->setFrameShape(QFrame::NoFrame);
    m_scroll->setWidgetResizable(true);
    m_scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_scroll->setWidget(m_grid);
    m_body->addWidget(m_scroll, 1);

    rebuild();
}

FeatureMapView::~FeatureMapView() = default;

void FeatureMapView::setInput(QImage input)
{
    m_input = std::move(input);
    updateSide();
}

void FeatureMapView::setMaps(const inspect::FeatureMaps& maps)
{
    m_maps = maps;
    rebuild();
}

void FeatureMapView::clear()
{
    m_input = QImage();
    m_maps = inspect::FeatureMaps();
    rebuild();
}

void FeatureMapView::setSharedScale(bool shared)
{
    if (shared == m_shared)
        return;
    m_shared = shared;
    m_sharedButton->setChecked(shared);
    m_perChannelButton->setChecked(!shared);
    rebuildImages();
    updateSide();
    emit sharedScaleChanged(shared);
}

void FeatureMapView::setSelectedChannel(int c)
{
    if (!m_valid || isFlat() || c < 0 || c >= m_maps.channels)
        c = -1;
    if (c == m_selected)
        return;
    m_selected = c;
    m_grid->setSelected(c);
    updateSide();
    emit channelSelected(c);
}

bool FeatureMapView::isFlat() const
{
    return m_valid && ((m_maps.channels == 1 && m_maps.height == 1) || (m_maps.height == 1 && m_maps.width == 1));
}

int FeatureMapView::channelCount() const
{
    return m_valid ? m_grid->count() : 0;
}

QRect FeatureMapView::cellRect(int channel) const
{
    if (!m_valid || m_content->isHidden())
        return {};
    const QRect r = m_grid->cellRect(channel);
    return r.isNull() ? r : QRect(m_grid->mapTo(this, r.topLeft()), r.size());
}

QImage FeatureMapView::channelImage(int channel) const
{
    if (!m_valid)
        return {};
    if (isFlat())
        return channel == 0 ? planeToImage(m_maps.values.data(), 1, static_cast<int>(m_maps.values.size()), m_allMin,
                   m_allMax, ColorMap::Viridis)
                            : QImage();
    return channel >= 0 && static_cast<size_t>(channel) < m_images.size() ? m_images[static_cast<size_t>(channel)]
                                                                          : QImage();
}

QString FeatureMapView::placeholderText() const
{
    return m_placeholder->isHidden() ? QString() : m_placeholder->text();
}

QString FeatureMapView::titleText() const
{
    return m_title->text();
}

void FeatureMapView::resizeEvent(QResizeEvent* event)
{
    QWidget::resizeEvent(event);
    updateOrientation();
}

void FeatureMapView::updateOrientation()
{
    const bool vertical = width() >= kNarrowWidth;
    m_body->setDirection(vertical ? QBoxLayout::LeftToRight : QBoxLayout::TopToBottom);
    m_side->setVertical(vertical);
}

std::pair<float, float> FeatureMapView::rangeOf(int channel) const
{
    if (m_shared || channel < 0 || static_cast<size_t>(channel) >= m_min.size())
        return { m_allMin, m_allMax };
    return { m_min[static_cast<size_t>(channel)], m_max[static_cast<size_t>(channel)] };
}

void FeatureMapView::rebuild()
{
    const auto& m = m_maps;
    const size_t plane = static_cast<size_t>(std::max(0, m.height)) * static_cast<size_t>(std::max(0, m.width));
    m_valid = m.channels > 0 && plane > 0 && m.values.size() == static_cast<size_t>(m.channels) * plane;
    m_placeholder->setVisible(!m_valid);
    m_content->setVisible(m_valid);
    m_min.clear();
    m_max.clear();
    m_mean.clear();
    m_allMin = m_allMax = 0.0f;
    m_allMean = 0.0;
    if (m_valid) {
        const auto channels = static_cast<size_t>(m.channels);
        const bool given
            = m.channelMin.size() == channels && m.channelMax.size() == channels && m.channelMean.size() == channels;
        for (size_t c = 0; c < channels; ++c) {
            if (given) {
                m_min.push_back(m.channelMin[c]);
                m_max.push_back(m.channelMax[c]);
                m_mean.push_back(m.channelMean[c]);
                continue;
            }
            float lo = std::numeric_limits<float>::infinity(), hi = -lo;
            double sum = 0.0;
            for (size_t i = 0; i < plane; ++i) {
                const float v = m.values[c * plane + i];
                lo = std::min(lo, v);
                hi = std::max(hi, v);
                sum += v;
            }
            m_min.push_back(lo);
            m_max.push_back(hi);
            m_mean.push_back(static_cast<float>(sum / static_cast<double>(plane)));
        }
        m_allMin = *std::min_element(m_min.begin(), m_min.end());
        m_allMax = *std::max_element(m_max.begin(), m_max.end());
        double sum = 0.0;
        for (float mean : m_mean)
            sum += mean;
        m_allMean = sum / static_cast<double>(channels);
    }
    if (m_selected >= (m_valid && !isFlat() ? m.channels : 0)) {
        m_selected = -1;
        m_grid->setSelected(-1);
        emit channelSelected(-1);
    }
    const QString node = QString::fromStdString(m.node);
    if (!m_valid)
        m_title->clear();
    else if (isFlat())
        m_title->setText(tr("%1 · %2 values").arg(node).arg(m.values.size()));
    else
        m_title->setText(m.channels == 1
                ? tr("%1 · 1 channel of %2×%3").arg(node).arg(m.height).arg(m.width)
                : tr("%1 · %2 channels of %3×%4").arg(node).arg(m.channels).arg(m.height).arg(m.width));
    for (QWidget* w : { static_cast<QWidget*>(m_scaleLabel), static_cast<QWidget*>(m_perChannelButton),
             static_cast<QWidget*>(m_sharedButton) })
        w->setVisible(m_valid && !isFlat());
    rebuildImages();
    updateSide();
    updateOrientation();
}

void FeatureMapView::rebuildImages()
{
    m_images.clear();
    ChannelGrid::Content content;
    if (m_valid && isFlat()) {
        content.flat = true;
        content.flatValues = m_maps.values;
        content.lo = m_allMin;
        content.hi = m_allMax;
    } else if (m_valid) {
        const auto& m = m_maps;
        const size_t plane = static_cast<size_t>(m.height) * static_cast<size_t>(m.width);
        content.mapHeight = m.height;
        content.mapWidth = m.width;
        for (int c = 0; c < m.channels; ++c) {
            const auto [lo, hi] = rangeOf(c);
            m_images.push_back(planeToImage(
                m.values.data() + static_cast<size_t>(c) * plane, m.height, m.width, lo, hi, ColorMap::Viridis));
            const auto i = static_cast<size_t>(c);
            content.constant.push_back(!(m_max[i] > m_min[i]));
            content.tips.push_back(tr("Channel %1\nmin %2 · max %3 · mean %4\nClick to enlarge")
                                       .arg(c)
                                       .arg(number(m_min[i]), number(m_max[i]), number(m_mean[i])));
        }
        content.images = m_images;
    }
    m_grid->setContent(std::move(content));
    m_grid->setSelected(m_selected);
}

void FeatureMapView::updateSide()
{
    SidePanel::Content c;
    c.input = m_input;
    if (m_valid && isFlat()) {
        c.zoomTitle = tr("All %1 values").arg(m_maps.values.size());
        c.stats << tr("min\t%1").arg(number(m_allMin)) << tr("max\t%1").arg(number(m_allMax))
                << tr("mean\t%1").arg(number(m_allMean));
        c.lo = m_allMin;
        c.hi = m_allMax;
        c.scaleNote = tr("bar colors");
    } else if (m_valid && m_selected >= 0) {
        const auto i = static_cast<size_t>(m_selected);
        c.zoomTitle = tr("Channel %1").arg(m_selected);
        c.zoom = m_images[i];
        c.stats << tr("min\t%1").arg(number(m_min[i])) << tr("max\t%1").arg(number(m_max[i]))
                << tr("mean\t%1").arg(number(m_mean[i]));
        const auto [lo, hi] = rangeOf(m_selected);
        c.lo = lo;
        c.hi = hi;
        c.scaleNote = m_shared ? tr("shared scale") : tr("per-channel scale");
    } else if (m_valid) {
        c.zoomTitle = tr("Channel");
        c.hint = tr("Click a channel to enlarge it and see its min, max and mean.");
        c.stats << tr("min\t%1").arg(number(m_allMin)) << tr("max\t%1").arg(number(m_allMax));
        c.lo = m_allMin;
        c.hi = m_allMax;
        if (!m_shared) {
            c.loText = tr("channel min");
            c.hiText = tr("channel max");
        }
        c.scaleNote = m_shared ? tr("shared scale") : tr("per-channel scale");
    }
    m_side->setContent(std::move(c));
    m_side->setVisible(m_valid);
}

} // namespace netcanvas::widgets
