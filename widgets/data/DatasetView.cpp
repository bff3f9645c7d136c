#include "widgets/data/DatasetView.h"

#include "widgets/canvas/CanvasStyle.h"

#include "engine/data/Dataset.h"

#include <QCache>
#include <QDir>
#include <QFileInfo>
#include <QHelpEvent>
#include <QLabel>
#include <QListWidget>
#include <QLocale>
#include <QMouseEvent>
#include <QPaintEvent>
#include <QPainter>
#include <QScrollArea>
#include <QScrollBar>
#include <QToolButton>
#include <QToolTip>
#include <QVBoxLayout>

#include <algorithm>
#include <cstring>
#include <functional>

namespace netcanvas::widgets {

namespace {

const QColor kTextColor(QStringLiteral("#3a414c"));
const QColor kMutedColor(QStringLiteral("#76808e"));
const QColor kBarColor(QStringLiteral("#4c78a8"));
const QColor kMinorBarColor(QStringLiteral("#e8912d"));
const QColor kWarningTextColor(QStringLiteral("#b26b00"));
const QColor kHoverColor(QStringLiteral("#eef2f7"));

constexpr int kMinCell = 32; // thumbnail cell size range, px
constexpr int kMaxCell = 96; // also the largest stored thumbnail side
constexpr int kCellGap = 3;
constexpr int kGroupGap = 6;
constexpr int kVisibleChartRows = 12; // more classes scroll (half a row more shows that they do)
constexpr int kMaxSkippedListed = 500;
constexpr int kMinorNamesListed = 6;

// Counts read better grouped ("70,000"); the C locale leaves that out by default.
QLocale numberLocale()
{
    QLocale loc;
    loc.setNumberOptions(loc.numberOptions() & ~QLocale::OmitGroupSeparator);
    return loc;
}

QString countText(int64_t n, const QString& one, const QString& many)
{
    return QStringLiteral("%1 %2").arg(numberLocale().toString(static_cast<qlonglong>(n)), n == 1 ? one : many);
}

// A class is "minor" when it has under 10% of the largest class's samples.
bool isMinor(int64_t count, int64_t largest)
{
    return largest > 0 && count * 10 < largest;
}

QLabel* sectionTitle(const QString& text, QWidget* parent)
{
    auto* l = new QLabel(text, parent);
    l->setStyleSheet(QStringLiteral("font-weight: bold; color: #3a414c;"));
    l->setContentsMargins(0, 6, 0, 0);
    return l;
}

// The j-th pick of a class of n samples is its floor(j·n/k)-th sample, k = min(perClass, n):
// evenly spaced from its first sample, so they span the file (and the official test split).
std::vector<std::vector<int64_t>> pickThumbnails(const Dataset& d, const std::vector<int64_t>& counts, int perClass)
{
    const size_t classes = counts.size();
    std::vector<std::vector<int64_t>> picks(classes);
    std::vector<int64_t> seen(classes, 0);
    for (int64_t i = 0; i < d.size(); ++i) {
        const int32_t l = d.labels[static_cast<size_t>(i)];
        if (l < 0 || static_cast<size_t>(l) >= classes)
            continue;
        const auto c = static_cast<size_t>(l);
        const int64_t k = std::min<int64_t>(perClass, counts[c]);
        auto& p = picks[c];
        const auto j = static_cast<int64_t>(p.size());
        if (j < k && seen[c] == j * counts[c] / k)
            p.push_back(i);
        ++seen[c];
    }
    return picks;
}

} // namespace

namespace datasetview {

// Horizontal bars, one row per class in class order: the name (elided) right-aligned in a
// left column, the bar, the count just past the bar's end. Rows have a fixed height, so the
// chart is as tall as its classes; DatasetView scrolls it past kVisibleChartRows.
class ClassBarChart : public QWidget {
public:
    explicit ClassBarChart(QWidget* parent)
        : QWidget(parent)
    {
        setObjectName(QStringLiteral("classBarChart"));
        setMouseTracking(true);
        setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Fixed);
    }

    void setData(QStringList names, std::vector<int64_t> counts)
    {
        m_names = std::move(names);
        m_counts = std::move(counts);
        m_largest = m_counts.empty() ? 0 : *std::max_element(m_counts.begin(), m_counts.end());
        m_total = 0;
        for (int64_t c : m_counts)
            m_total += c;
        m_hover = -1;
        setFixedHeight(contentHeight());
        update();
    }

    const std::vector<int64_t>& counts() const { return m_counts; }
    int rowHeight() const { return fontMetrics().height() + 5; }
    int contentHeight() const { return static_cast<int>(m_counts.size()) * rowHeight() + 2; }
    QSize sizeHint() const override { return { 320, contentHeight() }; }
    QSize minimumSizeHint() const override { return { 120, contentHeight() }; }

protected:
    void paintEvent(QPaintEvent* event) override
    {
        if (m_counts.empty())
            return;
        QPainter p(this);
        p.setRenderHint(QPainter::Antialiasing);
        const QFontMetrics fm = fontMetrics();
        const QLocale loc = numberLocale();
        const int rowH = rowHeight();
        const int barH = std::min(rowH - 6, 14);
        const int nameW = nameColumnWidth();
        const int countW = fm.horizontalAdvance(loc.toString(static_cast<qlonglong>(m_largest))) + 8;
        const int x0 = nameW + 6;
        const int barMaxW = std::max(8, width() - x0 - countW - 2);
        const int n = static_cast<int>(m_counts.size());
        const int first = std::clamp((event->rect().top() - 1) / rowH, 0, n - 1);
        const int last = std::clamp((event->rect().bottom() - 1) / rowH, 0, n - 1);
        for (int r = first; r <= last; ++r) {
            const QRect row(0, 1 + r * rowH, width(), rowH);
            if (r == m_hover)
                p.fillRect(row, kHoverColor);
            const int64_t count = m_counts[static_cast<size_t>(r)];
            const bool minor = isMinor(count, m_largest);
            p.setPen(minor ? kWarningTextColor : kTextColor);
            const QString name = r < m_names.size() ? m_names[r] : QString::number(r);
            p.drawText(QRect(0, row.y(), nameW, rowH), Qt::AlignRight | Qt::AlignVCenter,
                fm.elidedText(name, Qt::ElideRight, nameW));
            int barW = m_largest > 0 ? static_cast<int>(static_cast<double>(barMaxW) * count / m_largest + 0.5) : 0;
            if (count > 0)
                barW = std::max(barW, 2);
            if (barW > 0) {
                p.setPen(Qt::NoPen);
                p.setBrush(minor ? kMinorBarColor : kBarColor);
                p.drawRoundedRect(QRectF(x0, row.y() + (rowH - barH) / 2.0, barW, barH), 2, 2);
            }
            p.setPen(minor ? kWarningTextColor : kMutedColor);
            p.drawText(QRect(x0 + barW + 4, row.y(), countW, rowH), Qt::AlignLeft | Qt::AlignVCenter,
                loc.toString(static_cast<qlonglong>(count)));
        }
    }

    void mouseMoveEvent(QMouseEvent* event) override { setHover(rowAt(event->position().toPoint().y())); }
    void leaveEvent(QEvent*) override { setHover(-1); }

    bool event(QEvent* event) override
    {
        if (event->type() != QEvent::ToolTip)
            return QWidget::event(event);
        auto* help = static_cast<QHelpEvent*>(event);
        const int r = rowAt(help->pos().y());
        if (r < 0) {
            QToolTip::hideText();
            event->ignore();
            return true;
        }
        const QLocale loc = numberLocale();
        const int64_t count = m_counts[static_cast<size_t>(r)];
        QString tip = QStringLiteral("<b>%1</b><br>%2 · %3% of the dataset")
                          .arg((r < m_names.size() ? m_names[r] : QString::number(r)).toHtmlEscaped(),
                              countText(count, DatasetView::tr("sample"), DatasetView::tr("samples")),
                              loc.toString(m_total > 0 ? 100.0 * count / m_total : 0.0, 'f', 1));
        if (isMinor(count, m_largest))
            tip += QStringLiteral("<br><span style='color:#b26b00'>%1</span>")
                       .arg(DatasetView::tr("Under 10% of the largest class (%1)")
                                .arg(loc.toString(static_cast<qlonglong>(m_largest))));
        QToolTip::showText(help->globalPos(), tip, this, QRect(0, 1 + r * rowHeight(), width(), rowHeight()));
        return true;
    }

private:
    int rowAt(int y) const
    {
        const int r = (y - 1) / rowHeight();
        return y >= 1 && r < static_cast<int>(m_counts.size()) ? r : -1;
    }

    void setHover(int r)
    {
        if (r == m_hover)
            return;
        m_hover = r;
        update();
    }

    int nameColumnWidth() const
    {
        const QFontMetrics fm = fontMetrics();
        int widest = 0;
        for (const QString& s : m_names)
            widest = std::max(widest, fm.horizontalAdvance(s));
        widest += 2; // elidedText elides a text given exactly its advance
        return std::max(
            std::min(widest, width() * 2 / 5), std::min(widest, fm.horizontalAdvance(QStringLiteral("MMMMM"))));
    }

    QStringList m_names;
    std::vector<int64_t> m_counts;
    int64_t m_largest = 0;
    int64_t m_total = 0;
    int m_hover = -1;
};

// Thumbnails grouped by class: a caption with the class name, then its thumbnails in rows
// that wrap. Cells are sized so that perClass of them fill a row (sides within
// kMinCell..kMaxCell) and have the images' aspect ratio; a tiny image gets an integer scale
// when that is at least 2×. Enlarged images are drawn with nearest neighbour, reduced ones
// smoothly. Images are converted from the dataset when first painted, and cached.
class ThumbnailGrid : public QWidget {
public:
    struct Group {
        QString name;
        std::vector<int64_t> samples;
    };

    explicit ThumbnailGrid(QWidget* parent)
        : QWidget(parent)
        , m_cache(48 * 1024) // cost in KiB
    {
        setObjectName(QStringLiteral("thumbnailGrid"));
        setMouseTracking(true);
        QSizePolicy sp(QSizePolicy::Preferred, QSizePolicy::Preferred);
        sp.setHeightForWidth(true);
        setSizePolicy(sp);
    }

    void setContent(std::shared_ptr<const Dataset> dataset, std::vector<Group> groups, int perClass)
    {
        m_dataset = std::move(dataset);
        m_groups = std::move(groups);
        m_perClass = std::max(1, perClass);
        m_samples.clear();
        m_groupOf.clear();
        for (size_t g = 0; g < m_groups.size(); ++g)
            for (int64_t s : m_groups[g].samples) {
                m_samples.push_back(s);
                m_groupOf.push_back(static_cast<int>(g));
            }
        m_cache.clear();
        m_hover = -1;
        relayout();
        updateGeometry();
        update();
    }

    const std::vector<int64_t>& samples() const { return m_samples; }
    QRect cellRect(int i) const { return i >= 0 && static_cast<size_t>(i) < m_cells.size() ? m_cells[i] : QRect(); }

    QImage image(int i) const
    {
        if (!m_dataset || i < 0 || static_cast<size_t>(i) >= m_samples.size())
            return {};
        if (const QImage* cached = m_cache.object(i))
            return *cached;
        QImage img = DatasetView::sampleImage(*m_dataset, m_samples[static_cast<size_t>(i)]);
        if (img.width() > kMaxCell || img.height() > kMaxCell)
            img = img.scaled(kMaxCell, kMaxCell, Qt::KeepAspectRatio, Qt::SmoothTransformation);
        m_cache.insert(i, new QImage(img), std::max<qsizetype>(1, img.sizeInBytes() / 1024));
        return img;
    }

    std::function<void(int64_t)> activated;

    bool hasHeightForWidth() const override { return true; }
    int heightForWidth(int w) const override { return layoutFor(w, nullptr, nullptr); }
    QSize sizeHint() const override { return { 320, heightForWidth(320) }; }
    QSize minimumSizeHint() const override { return { kMinCell + 4, 0 }; }

protected:
    void resizeEvent(QResizeEvent*) override { relayout(); }

    void paintEvent(QPaintEvent* event) override
    {
        QPainter p(this);
        const QFontMetrics fm = fontMetrics();
        for (size_t g = 0; g < m_groups.size(); ++g) {
            const QRect cap = m_captions[g];
            if (!cap.intersects(event->rect()))
                continue;
            QString text = fm.elidedText(m_groups[g].name, Qt::ElideRight, cap.width());
            p.setPen(kTextColor);
            p.drawText(cap, Qt::AlignLeft | Qt::AlignBottom, text);
            if (m_groups[g].samples.empty()) {
                const int x = cap.left() + fm.horizontalAdvance(text) + fm.horizontalAdvance(QLatin1Char(' '));
                p.setPen(kWarningTextColor);
                p.drawText(QRect(x, cap.top(), std::max(0, cap.right() - x), cap.height()),
                    Qt::AlignLeft | Qt::AlignBottom,
                    fm.elidedText(DatasetView::tr("— no samples"), Qt::ElideRight, std::max(0, cap.right() - x)));
            }
        }
        for (size_t i = 0; i < m_cells.size(); ++i) {
            const QRect cell = m_cells[i];
            if (!cell.intersects(event->rect()))
                continue;
            const QImage img = image(static_cast<int>(i));
            if (img.isNull())
                continue;
            const QRect target = fitted(img.size(), cell);
            // Nearest neighbour when enlarging keeps a 28×28 digit's pixels sharp.
            p.setRenderHint(QPainter::SmoothPixmapTransform, target.width() < img.width());
            p.drawImage(target, img);
            if (static_cast<int>(i) == m_hover) {
                p.setPen(QPen(kBarColor, 2));
                p.setBrush(Qt::NoBrush);
                p.drawRect(target.adjusted(-1, -1, 0, 0));
            }
        }
    }

    void mouseMoveEvent(QMouseEvent* event) override
    {
        const int i = indexAt(event->position().toPoint());
        if (i == m_hover)
            return;
        const int old = m_hover;
        m_hover = i;
        update(cellRect(old).adjusted(-2, -2, 2, 2));
        update(cellRect(i).adjusted(-2, -2, 2, 2));
    }

    void leaveEvent(QEvent*) override
    {
        update(cellRect(m_hover).adjusted(-2, -2, 2, 2));
        m_hover = -1;
    }

    void mouseDoubleClickEvent(QMouseEvent* event) override
    {
        const int i = indexAt(event->position().toPoint());
        if (i >= 0 && activated)
            activated(m_samples[static_cast<size_t>(i)]);
    }

    bool event(QEvent* event) override
    {
        if (event->type() != QEvent::ToolTip)
            return QWidget::event(event);
        auto* help = static_cast<QHelpEvent*>(event);
        const int i = indexAt(help->pos());
        if (i < 0 || !m_dataset) {
            QToolTip::hideText();
            event->ignore();
            return true;
        }
        const Dataset& d = *m_dataset;
        const int64_t s = m_samples[static_cast<size_t>(i)];
        QString tip = QStringLiteral("<b>%1</b><br>%2")
                          .arg(m_groups[static_cast<size_t>(m_groupOf[i])].name.toHtmlEscaped(),
                              DatasetView::tr("sample %1").arg(s));
        if (d.officialTestBegin >= 0 && s >= d.officialTestBegin)
            tip += DatasetView::tr(" (official test split)");
        if (static_cast<size_t>(s) < d.sources.size())
            tip += QStringLiteral("<br><span style='color:#76808e'>%1</span>")
                       .arg(QString::fromStdString(d.sources[static_cast<size_t>(s)]).toHtmlEscaped());
        QToolTip::showText(help->globalPos(), tip, this, cellRect(i));
        return true;
    }

private:
    // Aspect-fit and centred (cells already have the images' aspect ratio; this guards rounding).
    static QRect fitted(QSize image, const QRect& cell)
    {
        const QSize s = image.scaled(cell.size(), Qt::KeepAspectRatio);
        return QRect(cell.x() + (cell.width() - s.width()) / 2, cell.y() + (cell.height() - s.height()) / 2, s.width(),
            s.height());
    }

    int captionHeight() const { return fontMetrics().height() + 3; }

    // The cell of one thumbnail: an s×s box, s chosen so perClass fill the width, shrunk to
    // the images' aspect ratio (all samples share one geometry).
    QSize cellSize(int width) const
    {
        int s = (width - (m_perClass - 1) * kCellGap) / m_perClass;
        s = std::clamp(s, kMinCell, kMaxCell);
        if (!m_dataset || m_dataset->width <= 0 || m_dataset->height <= 0)
            return { s, s };
        const int source = std::max(m_dataset->height, m_dataset->width);
        if (s >= 2 * source)
            s = s / source * source;
        return QSize(m_dataset->width, m_dataset->height).scaled(s, s, Qt::KeepAspectRatio).expandedTo(QSize(1, 1));
    }

    // Lays the groups out for `width`; returns the height needed.
    int layoutFor(int width, std::vector<QRect>* cells, std::vector<QRect>* captions) const
    {
        if (m_groups.empty())
            return 0;
        const QSize s = cellSize(width);
        const int perRow = std::max(1, (width + kCellGap) / (s.width() + kCellGap));
        const int capH = captionHeight();
        int y = 0;
        for (const Group& g : m_groups) {
            if (captions)
                captions->push_back(QRect(0, y, width, capH));
            y += capH + 2;
            const int n = static_cast<int>(g.samples.size());
            for (int j = 0; j < n && cells; ++j)
                cells->push_back(QRect(
                    QPoint((j % perRow) * (s.width() + kCellGap), y + (j / perRow) * (s.height() + kCellGap)), s));
            const int rows = (n + perRow - 1) / perRow;
            y += rows > 0 ? rows * s.height() + (rows - 1) * kCellGap : 0;
            y += kGroupGap;
        }
        return y;
    }

    void relayout()
    {
        m_cells.clear();
        m_captions.clear();
        layoutFor(width(), &m_cells, &m_captions);
    }

    int indexAt(QPoint pos) const
    {
        for (size_t i = 0; i < m_cells.size(); ++i)
            if (m_cells[i].contains(pos))
                return static_cast<int>(i);
        return -1;
    }

    std::shared_ptr<const Dataset> m_dataset;
    std::vector<Group> m_groups;
    std::vector<int64_t> m_samples; // flattened, group by group
    std::vector<int> m_groupOf; // group of each flattened sample
    int m_perClass = 8;
    std::vector<QRect> m_cells;
    std::vector<QRect> m_captions;
    int m_hover = -1;
    mutable QCache<int, QImage> m_cache;
};

} // namespace datasetview

using datasetview::ClassBarChart;
using datasetview::ThumbnailGrid;

DatasetView::DatasetView(QWidget* parent)
    : QWidget(parent)
{
    auto* v = new QVBoxLayout(this);
    v->setContentsMargins(6, 6, 6, 6);
    v->setSpacing(0);

    m_placeholder = style::placeholderLabel(tr("No dataset loaded"), this);
    v->addWidget(m_placeholder, 1);

    m_content = new QWidget(this);
    v->addWidget(m_content, 1);
    auto* cv = new QVBoxLayout(m_content);
    cv->setContentsMargins(0, 0, 0, 0);
    cv->setSpacing(3);

    m_header = new QLabel(m_content);
    m_header->setObjectName(QStringLiteral("header"));
    m_header->setTextFormat(Qt::PlainText);
    m_header->setWordWrap(true);
    m_header->setStyleSheet(QStringLiteral("font-weight: bold; color: #3a414c;"));
    cv->addWidget(m_header);
    m_details = new QLabel(m_content);
    m_details->setTextFormat(Qt::PlainText);
    m_details->setWordWrap(true);
    m_details->setStyleSheet(QStringLiteral("color: #76808e;"));
    cv->addWidget(m_details);

    m_skippedToggle = new QToolButton(m_content);
    m_skippedToggle->setObjectName(QStringLiteral("skippedToggle"));
    m_skippedToggle->setCheckable(true);
    m_skippedToggle->setAutoRaise(true);
    m_skippedToggle->setArrowType(Qt::RightArrow);
    m_skippedToggle->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    m_skippedToggle->setStyleSheet(QStringLiteral("QToolButton { color: #b26b00; border: none; padding: 2px 0; }"));
    m_skippedToggle->setToolTip(tr("Files that could not be used. Click to list them."));
    cv->addWidget(m_skippedToggle, 0, Qt::AlignLeft);
    m_skippedList = new QListWidget(m_content);
    m_skippedList->setObjectName(QStringLiteral("skippedList"));
    m_skippedList->setTextElideMode(Qt::ElideMiddle);
    m_skippedList->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_skippedList->setUniformItemSizes(true);
    cv->addWidget(m_skippedList);
    connect(m_skippedToggle, &QToolButton::toggled, this, &DatasetView::setSkippedExpanded);

    cv->addWidget(sectionTitle(tr("Samples per class"), m_content));
    m_chart = new ClassBarChart(m_content);
    m_chartScroll = new QScrollArea(m_content);
    m_chartScroll->setFrameShape(QFrame::NoFrame);
    m_chartScroll->setWidgetResizable(true);
    m_chartScroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_chartScroll->setWidget(m_chart);
    cv->addWidget(m_chartScroll);
    m_chartNote = new QLabel(m_content);
    m_chartNote->setObjectName(QStringLiteral("chartNote"));
    m_chartNote->setWordWrap(true);
    cv->addWidget(m_chartNote);

    cv->addWidget(sectionTitle(tr("Examples"), m_content));
    m_thumbNote = new QLabel(m_content);
    m_thumbNote->setObjectName(QStringLiteral("thumbnailNote"));
    m_thumbNote->setWordWrap(true);
    m_thumbNote->setStyleSheet(QStringLiteral("color: #76808e;"));
    cv->addWidget(m_thumbNote);
    m_grid = new ThumbnailGrid(m_content);
    m_grid->activated = [this](int64_t sample) { emit thumbnailActivated(static_cast<qint64>(sample)); };
    m_thumbScroll = new QScrollArea(m_content);
    m_thumbScroll->setFrameShape(QFrame::NoFrame);
    m_thumbScroll->setWidgetResizable(true);
    m_thumbScroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_thumbScroll->setWidget(m_grid);
    cv->addWidget(m_thumbScroll, 1);
    cv->addStretch(0); // takes the room when there are no thumbnails

    rebuild();
}

DatasetView::~DatasetView() = default;

void DatasetView::setDataset(std::shared_ptr<const Dataset> dataset)
{
    m_dataset = std::move(dataset);
    rebuild();
}

void DatasetView::setThumbnailsPerClass(int k)
{
    k = std::max(1, k);
    if (k == m_perClass)
        return;
    m_perClass = k;
    rebuild();
}

QString DatasetView::headerText() const
{
    return m_headerText;
}

std::vector<int64_t> DatasetView::classCountsShown() const
{
    return m_chart->counts();
}

std::vector<int64_t> DatasetView::thumbnailSamples() const
{
    return m_grid->samples();
}

QImage DatasetView::thumbnailImage(int i) const
{
    return m_grid->image(i);
}

QRect DatasetView::thumbnailRect(int i) const
{
    const QRect r = m_grid->cellRect(i);
    return r.isNull() ? r : QRect(m_grid->mapTo(this, r.topLeft()), r.size());
}

QString DatasetView::thumbnailNote() const
{
    return m_thumbNote->isHidden() ? QString() : m_thumbNote->text();
}

QStringList DatasetView::skippedShown() const
{
    QStringList lines;
    for (int i = 0; i < m_skippedList->count(); ++i)
        lines << m_skippedList->item(i)->text();
    return lines;
}

QImage DatasetView::sampleImage(const Dataset& d, int64_t i)
{
    const int64_t n = d.sampleSize();
    if (i < 0 || i >= d.size() || n <= 0 || static_cast<int64_t>(d.pixels.size()) < (i + 1) * n)
        return {};
    const int w = d.width, h = d.height;
    const int64_t plane = static_cast<int64_t>(w) * h;
    const uint8_t* src = d.pixels.data() + i * n;
    if (d.channels == 3) {
        QImage img(w, h, QImage::Format_RGB888);
        for (int y = 0; y < h; ++y) {
            uchar* row = img.scanLine(y);
            const uint8_t* r = src + static_cast<int64_t>(y) * w;
            for (int x = 0; x < w; ++x) {
                row[3 * x] = r[x];
                row[3 * x + 1] = r[plane + x];
                row[3 * x + 2] = r[2 * plane + x];
            }
        }
        return img;
    }
    QImage img(w, h, QImage::Format_Grayscale8);
    for (int y = 0; y < h; ++y)
        std::memcpy(img.scanLine(y), src + static_cast<int64_t>(y) * w, static_cast<size_t>(w));
    return img;
}

void DatasetView::setSkippedExpanded(bool expanded)
{
    m_skippedToggle->setArrowType(expanded ? Qt::DownArrow : Qt::RightArrow);
    m_skippedList->setVisible(expanded && m_skippedList->count() > 0);
}

QString DatasetView::targetSummary(const Dataset& d) const
{
    const QLocale loc = numberLocale();
    double lo = 0, hi = 0, sum = 0;
    for (size_t i = 0; i < d.targets.size(); ++i) {
        const double v = static_cast<double>(d.targets[i]) * d.targetScale + d.targetOffset;
        lo = i == 0 ? v : std::min(lo, v);
        hi = i == 0 ? v : std::max(hi, v);
        sum += v;
    }
    const double mean = d.targets.empty() ? 0.0 : sum / static_cast<double>(d.targets.size());
    return tr("Real-valued targets from %1 to %2 (mean %3): trained with a regression loss; RMSE, MAE and R² "
              "replace accuracy.")
        .arg(loc.toString(lo, 'g', 4), loc.toString(hi, 'g', 4), loc.toString(mean, 'g', 4));
}

QString DatasetView::sequenceSummary(const Dataset& d) const
{
    const QLocale loc = numberLocale();
    std::vector<int32_t> lengths = d.sequenceLengths;
    std::sort(lengths.begin(), lengths.end());
    int64_t truncated = 0;
    for (int32_t n : lengths)
        truncated += n > d.width ? 1 : 0;
    QString text = tr("Vocabulary: %1 tokens from the training split (0 = padding, 1 = unknown).")
                       .arg(loc.toString(static_cast<qlonglong>(d.vocabulary.size())));
    if (!lengths.empty())
        text += QStringLiteral("\n")
            + tr("Lengths in tokens: shortest %1, median %2, 90%: %3, longest %4; %5 truncated to %6, the rest "
                 "padded.")
                  .arg(lengths.front())
                  .arg(lengths[lengths.size() / 2])
                  .arg(lengths[lengths.size() * 9 / 10])
                  .arg(lengths.back())
                  .arg(loc.toString(static_cast<qlonglong>(truncated)))
                  .arg(d.width);
    QStringList words;
    for (size_t k = 2; k < d.vocabulary.size() && k < 22; ++k)
        words << QString::fromStdString(d.vocabulary[k]).replace(QLatin1Char(' '), QChar(0x2423));
    if (!words.isEmpty())
        text += QStringLiteral("\n") + tr("Most frequent: %1").arg(words.join(QStringLiteral(" ")));
    text += QStringLiteral("\n") + tr("Examples:");
    for (size_t k = 0; k < d.examples.size() && k < 6; ++k) {
        QString e = QString::fromStdString(d.examples[k]);
        const int tab = e.indexOf(QLatin1Char('\t'));
        if (tab >= 0)
            e = e.left(tab) + QStringLiteral(" — ") + e.mid(tab + 1);
        e = e.simplified();
        if (e.size() > 110)
            e = e.left(110) + QChar(0x2026);
        text += QStringLiteral("\n  ") + e;
    }
    return text;
}

void DatasetView::rebuild()
{
    const bool shown = m_dataset != nullptr;
    m_placeholder->setVisible(!shown);
    m_content->setVisible(shown);
    m_skippedList->clear();
    m_skippedToggle->setChecked(false);
    if (!shown) {
        m_headerText.clear();
        m_header->clear();
        m_details->clear();
        m_skippedToggle->hide();
        m_skippedList->hide();
        m_chart->setData({}, {});
        m_chartNote->clear();
        m_grid->setContent(nullptr, {}, m_perClass);
        m_thumbNote->clear();
        return;
    }
    const Dataset& d = *m_dataset;
    const QLocale loc = numberLocale();

    // Header: "70,000 samples · 10 classes · 1×28×28 · idx", then where it came from.
    QString shape;
    if (d.isImages())
        shape = QStringLiteral("%1×%2×%3").arg(d.channels).arg(d.height).arg(d.width);
    else if (d.height == 1 && d.width == 1)
        shape = countText(d.channels, tr("feature"), tr("features"));
    else
        shape = tr("%1×%2×%3 features").arg(d.channels).arg(d.height).arg(d.width);
    if (d.tokenInputs)
        shape = countText(d.width, tr("token"), tr("tokens"));
    else if (d.seriesTargetFeature >= 0)
        shape = tr("%1 steps × %2").arg(d.height).arg(countText(d.width, tr("feature"), tr("features")));
    QStringList header { countText(d.size(), tr("sample"), tr("samples")),
        d.isRegression() ? tr("target %1").arg(QString::fromStdString(d.targetShape.toString()))
                         : countText(d.numClasses(), tr("class"), tr("classes")),
        shape };
    if (!d.format.empty())
        header << QString::fromStdString(d.format);
    m_headerText = header.join(QStringLiteral(" · "));
    // Wrap only between the parts: neither "70,000 samples" nor "csv-features" should break.
    for (QString& part : header)
        part.replace(QLatin1Char(' '), QChar(0x00A0)).replace(QLatin1Char('-'), QChar(0x2011));
    m_header->setText(header.join(QStringLiteral(" · ")));

    const QString root = QString::fromStdString(d.root);
    QStringList details;
    const QString rootName = QFileInfo(QDir::cleanPath(root)).fileName();
    if (!root.isEmpty())
        details << (rootName.isEmpty() ? root : rootName);
    if (d.officialTestBegin >= 0 && d.officialTestBegin < d.size())
        details << tr("official test split: the last %1")
                       .arg(loc.toString(static_cast<qlonglong>(d.size() - d.officialTestBegin)));
    for (const std::string& n : d.notes)
        details << QString::fromStdString(n);
    m_details->setText(details.join(QStringLiteral(" · ")));
    m_details->setToolTip(root);
    m_details->setVisible(!details.isEmpty());

    // Skipped files, listed relative to the root when under it.
    m_skippedToggle->setVisible(!d.skipped.empty());
    if (!d.skipped.empty()) {
        m_skippedToggle->setText(
            countText(static_cast<int64_t>(d.skipped.size()), tr("file skipped"), tr("files skipped")));
        const QDir rootDir(root);
        const QString rootPrefix = QDir::cleanPath(root) + QLatin1Char('/');
        const size_t listed = std::min<size_t>(d.skipped.size(), kMaxSkippedListed);
        for (size_t i = 0; i < listed; ++i) {
            const QString path = QString::fromStdString(d.skipped[i].path);
            const QString reason = QString::fromStdString(d.skipped[i].reason);
            const QString shownPath = !root.isEmpty() && QDir::cleanPath(path).startsWith(rootPrefix)
                ? rootDir.relativeFilePath(path)
                : path;
            auto* item = new QListWidgetItem(QStringLiteral("%1 — %2").arg(shownPath, reason), m_skippedList);
            item->setToolTip(QStringLiteral("%1\n%2").arg(path, reason));
        }
        if (d.skipped.size() > listed)
            new QListWidgetItem(
                tr("… and %1 more").arg(loc.toString(static_cast<qulonglong>(d.skipped.size() - listed))),
                m_skippedList);
        const int rows = std::min(m_skippedList->count(), 6);
        m_skippedList->setFixedHeight(rows * m_skippedList->sizeHintForRow(0) + 2 * m_skippedList->frameWidth() + 2);
    }
    setSkippedExpanded(false);

    // Samples per class, and the classes a user must notice.
    const std::vector<int64_t> counts = d.classCounts();
    QStringList names;
    for (const auto& n : d.classNames)
        names << QString::fromStdString(n);
    m_chart->setData(names, counts);
    m_chartScroll->verticalScrollBar()->setValue(0);
    m_thumbScroll->verticalScrollBar()->setValue(0);
    m_chartScroll->setFixedHeight(
        std::min(m_chart->contentHeight(), m_chart->rowHeight() * kVisibleChartRows + m_chart->rowHeight() / 2));
    m_chartScroll->setVisible(!counts.empty() && !d.isRegression());
    if (d.isRegression()) {
        m_chartNote->setText(targetSummary(d));
        m_chartNote->setStyleSheet(QStringLiteral("color: #76808e;"));
    } else if (counts.empty()) {
        m_chartNote->setText(tr("No classes."));
        m_chartNote->setStyleSheet(QStringLiteral("color: #76808e;"));
    } else {
        const auto [lo, hi] = std::minmax_element(counts.begin(), counts.end());
        QStringList minor;
        for (size_t c = 0; c < counts.size(); ++c)
            if (isMinor(counts[c], *hi))
                minor << names[static_cast<int>(c)];
        if (!minor.isEmpty()) {
            const int more = static_cast<int>(minor.size()) - kMinorNamesListed;
            QStringList listed = minor.mid(0, kMinorNamesListed);
            if (more > 0)
                listed << tr("%1 more").arg(more);
            m_chartNote->setText(
                (minor.size() == 1 ? tr("⚠ %1 class has under 10% of the largest class's %2 samples: %3")
                                   : tr("⚠ %1 classes have under 10% of the largest class's %2 samples: %3"))
                    .arg(loc.toString(static_cast<qlonglong>(minor.size())), loc.toString(static_cast<qlonglong>(*hi)),
                        listed.join(QStringLiteral(", "))));
            m_chartNote->setStyleSheet(QStringLiteral("color: #b26b00;"));
        } else {
            if (*lo == *hi)
                m_chartNote->setText(tr("Balanced: %1 per class").arg(loc.toString(static_cast<qlonglong>(*hi))));
            else
                m_chartNote->setText(
                    tr("From %1 (%2) to %3 (%4) per class")
                        .arg(loc.toString(static_cast<qlonglong>(*lo)), names[static_cast<int>(lo - counts.begin())],
                            loc.toString(static_cast<qlonglong>(*hi)), names[static_cast<int>(hi - counts.begin())]));
            m_chartNote->setStyleSheet(QStringLiteral("color: #76808e;"));
        }
    }

    // Example thumbnails.
    QString note;
    if (d.tokenInputs)
        note = sequenceSummary(d);
    else if (d.seriesTargetFeature >= 0)
        note = tr("Each sample is a window of %1 steps; it forecasts the next %2 value(s) of the target. "
                  "Windows are split in time order: training first, then validation, then test.")
                   .arg(d.height)
                   .arg(d.targetSize());
    else if (!d.isImages())
        note = tr("No thumbnails: the samples are numeric features (%1 values each), not images.")
                   .arg(loc.toString(static_cast<qlonglong>(d.sampleSize())));
    else if (d.size() == 0 || d.pixels.empty())
        note = tr("No samples to show.");
    if (note.isEmpty()) {
        const auto picks = pickThumbnails(d, counts, m_perClass);
        std::vector<ThumbnailGrid::Group> groups;
        for (size_t c = 0; c < picks.size(); ++c)
            groups.push_back({ names[static_cast<int>(c)], picks[c] });
        m_grid->setContent(m_dataset, std::move(groups), m_perClass);
    } else {
        m_grid->setContent(nullptr, {}, m_perClass);
    }
    m_thumbNote->setText(note);
    m_thumbNote->setVisible(!note.isEmpty());
    m_thumbScroll->setVisible(note.isEmpty());
}

} // namespace netcanvas::widgets
