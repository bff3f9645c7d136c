#include "widgets/inspect/ConfusionMatrixView.h"

#include "widgets/canvas/CanvasStyle.h"

#include <QButtonGroup>
#include <QHBoxLayout>
#include <QHelpEvent>
#include <QLabel>
#include <QMouseEvent>
#include <QPainter>
#include <QPushButton>
#include <QToolTip>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace netcanvas::widgets {

namespace {

constexpr int kMinCell = 14;
constexpr int kMaxCell = 96;
constexpr int kMargin = 8;
constexpr int kManyClasses = 12; // from here on: empty cells without "0", shorter column names

// Column names are elided to this many px when slanted or vertical.
int maxColumnLabel(int classes)
{
    return classes > kManyClasses ? 84 : 110;
}

const QColor kEmptyCell(0xf3, 0xf4, 0xf6);
const QColor kLightCell(0xfb, 0xfc, 0xfd);
const QColor kDiagonal(0x25, 0x63, 0xa8);
const QColor kMistake(0xc8, 0x3a, 0x3a);

QColor blend(const QColor& a, const QColor& b, double t)
{
    t = std::clamp(t, 0.0, 1.0);
    return QColor::fromRgbF(static_cast<float>(a.redF() + (b.redF() - a.redF()) * t),
        static_cast<float>(a.greenF() + (b.greenF() - a.greenF()) * t),
        static_cast<float>(a.blueF() + (b.blueF() - a.blueF()) * t));
}

QString compactCount(int64_t n)
{
    if (n < 1000)
        return QString::number(n);
    if (n < 10000)
        return QString::number(static_cast<double>(n) / 1000.0, 'f', 1) + QLatin1Char('k');
    if (n < 1000000)
        return QString::number(std::llround(static_cast<double>(n) / 1000.0)) + QLatin1Char('k');
    return QString::number(static_cast<double>(n) / 1e6, 'f', 1) + QLatin1Char('M');
}

} // namespace

namespace confusionmatrixview {

class MatrixCanvas : public QWidget {
public:
    explicit MatrixCanvas(ConfusionMatrixView* view)
        : QWidget(view)
        , m_view(view)
    {
        setObjectName(QStringLiteral("matrixCanvas"));
        setMouseTracking(true);
        setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
    }

    void reset()
    {
        m_hoverT = m_hoverP = -1;
        relayout();
        updateGeometry();
        update();
    }

    QRect cellRect(int t, int p) const
    {
        const int n = classes();
        if (t < 0 || p < 0 || t >= n || p >= n || m_cell <= 0)
            return {};
        return QRect(m_origin.x() + p * m_cell, m_origin.y() + t * m_cell, m_cell, m_cell);
    }

    QSize sizeHint() const override { return { 520, 460 }; }
    QSize minimumSizeHint() const override
    {
        const int n = std::max(2, classes());
        return { 120 + n * kMinCell, 120 + n * kMinCell };
    }

protected:
    void resizeEvent(QResizeEvent*) override { relayout(); }

    void paintEvent(QPaintEvent*) override
    {
        QPainter p(this);
        const int n = classes();
        if (n == 0) {
            p.setPen(style::mutedText());
            p.drawText(rect(), Qt::AlignCenter, ConfusionMatrixView::tr("No evaluation yet"));
            return;
        }
        const QFontMetrics fm = fontMetrics();
        QFont bold = font();
        bold.setBold(true);

        // Cells.
        QFont cellFont = font();
        const double px = std::min<double>(QFontInfo(font()).pixelSize() * 1.15, m_cell * 0.36);
        cellFont.setPixelSize(std::max(7, static_cast<int>(px)));
        p.setFont(cellFont);
        const QFontMetrics cfm(cellFont);
        for (int t = 0; t < n; ++t)
            for (int c = 0; c < n; ++c) {
                const QRect r = cellRect(t, c);
                const QColor bg = m_view->cellColor(t, c);
                p.fillRect(r.adjusted(0, 0, -1, -1), bg);
                if (t == c) {
                    p.setPen(QPen(kDiagonal, 1));
                    p.setBrush(Qt::NoBrush);
                    p.drawRect(r.adjusted(0, 0, -2, -2));
                }
                const bool zero = m_view->matrix().at(t, c) == 0;
                if (zero && n > kManyClasses)
                    continue; // many classes: empty cells are just gray
                const QString text = fittingText(t, c, cfm, r.width() - 4);
                if (text.isEmpty())
                    continue;
                const bool dark = qGray(bg.rgb()) < 150;
                p.setPen(dark ? Qt::white : (zero ? QColor(0xb8, 0xbe, 0xc7) : style::text()));
                p.drawText(r.adjusted(0, 0, -1, -1), Qt::AlignCenter, text);
            }

        // Hover: the row and the column outlined, the cell more strongly.
        if (m_hoverT >= 0) {
            QColor band = style::selection();
            band.setAlpha(110);
            p.setBrush(Qt::NoBrush);
            p.setPen(QPen(band, 1.5));
            p.drawRect(QRectF(cellRect(m_hoverT, 0).united(cellRect(m_hoverT, n - 1))).adjusted(0.5, 0.5, -1.5, -1.5));
            p.drawRect(QRectF(cellRect(0, m_hoverP).united(cellRect(n - 1, m_hoverP))).adjusted(0.5, 0.5, -1.5, -1.5));
            p.setPen(QPen(style::selection(), 2.5));
            p.drawRect(QRectF(cellRect(m_hoverT, m_hoverP)).adjusted(1, 1, -2, -2));
        }

        // Row names (true classes), right-aligned at the left of the rows.
        const QFont labelFont = m_labelFont;
        QFont labelBold = labelFont;
        labelBold.setBold(true);
        for (int t = 0; t < n; ++t) {
            const QRect r = cellRect(t, 0);
            const bool hot = t == m_hoverT;
            p.setFont(hot ? labelBold : labelFont);
            p.setPen(hot ? style::selection() : style::text());
            const QRect lr(m_origin.x() - m_rowLabelW - 6, r.top(), m_rowLabelW, r.height());
            p.drawText(lr, Qt::AlignRight | Qt::AlignVCenter,
                QFontMetrics(p.font()).elidedText(m_view->name(t), Qt::ElideRight, m_rowLabelW));
        }
        // Column names (predicted classes): straight when they fit under their column, else
        // slanted at 45°, else (narrow columns) vertical.
        const int labelTop = m_origin.y() + n * m_cell + 4;
        for (int c = 0; c < n; ++c) {
            const QRect r = cellRect(0, c);
            const bool hot = c == m_hoverP;
            p.setFont(hot ? labelBold : labelFont);
            p.setPen(hot ? style::selection() : style::text());
            const QFontMetrics lfm(p.font());
            if (m_columnLabels == Straight) {
                p.drawText(QRect(r.left() - 2, labelTop, r.width() + 4, lfm.height()), Qt::AlignHCenter | Qt::AlignTop,
                    m_view->name(c));
                continue;
            }
            const QString text = lfm.elidedText(m_view->name(c), Qt::ElideRight, maxColumnLabel(n));
            const int w = lfm.horizontalAdvance(text) + 2;
            p.save();
            if (m_columnLabels == Slanted) {
                p.translate(r.center().x() + 0.35 * lfm.ascent(), labelTop + 2);
                p.rotate(-45);
                p.drawText(QRect(-w, -lfm.ascent(), w, lfm.height()), Qt::AlignRight | Qt::AlignTop, text);
            } else {
                p.translate(r.center().x(), labelTop);
                p.rotate(-90);
                p.drawText(QRect(-w, -lfm.height() / 2, w, lfm.height()), Qt::AlignRight | Qt::AlignVCenter, text);
            }
            p.restore();
        }
        // Axis titles.
        p.setFont(bold);
        p.setPen(style::mutedText());
        const int matrixH = n * m_cell;
        p.save();
        p.translate(m_titleX, m_origin.y() + matrixH / 2.0);
        p.rotate(-90);
        p.drawText(QRect(-matrixH / 2, 0, matrixH, fm.height()), Qt::AlignCenter, ConfusionMatrixView::tr("True"));
        p.restore();
        p.drawText(QRect(m_origin.x(), m_predictedTitleY, n * m_cell, fm.height()), Qt::AlignHCenter | Qt::AlignTop,
            ConfusionMatrixView::tr("Predicted"));
    }

    void mouseMoveEvent(QMouseEvent* event) override
    {
        const auto [t, c] = cellAt(event->position().toPoint());
        if (t == m_hoverT && c == m_hoverP)
            return;
        m_hoverT = t;
        m_hoverP = c;
        update();
    }

    void leaveEvent(QEvent*) override
    {
        m_hoverT = m_hoverP = -1;
        update();
    }

    void mousePressEvent(QMouseEvent* event) override
    {
        if (event->button() != Qt::LeftButton)
            return;
        const auto [t, c] = cellAt(event->position().toPoint());
        if (t >= 0)
            emit m_view->cellActivated(t, c);
    }

    bool event(QEvent* event) override
    {
        if (event->type() != QEvent::ToolTip)
            return QWidget::event(event);
        auto* help = static_cast<QHelpEvent*>(event);
        const auto [t, c] = cellAt(help->pos());
        if (t < 0) {
            QToolTip::hideText();
            event->ignore();
            return true;
        }
        QToolTip::showText(help->globalPos(), m_view->cellToolTip(t, c), this, cellRect(t, c));
        return true;
    }

private:
    int classes() const { return m_view->matrix().classes(); }

    std::pair<int, int> cellAt(QPoint pos) const
    {
        const int n = classes();
        if (n == 0 || m_cell <= 0)
            return { -1, -1 };
        const QPoint d = pos - m_origin;
        if (d.x() < 0 || d.y() < 0)
            return { -1, -1 };
        const int t = d.y() / m_cell, c = d.x() / m_cell;
        return t < n && c < n ? std::pair { t, c } : std::pair { -1, -1 };
    }

    // The cell's text as it fits: full, then compact ("87", "1.2k"), then nothing.
    QString fittingText(int t, int c, const QFontMetrics& fm, int room) const
    {
        const QString full = m_view->cellText(t, c);
        if (fm.horizontalAdvance(full) <= room && fm.height() <= m_cell)
            return full;
        if (fm.height() > m_cell)
            return {};
        QString compact;
        const int64_t count = m_view->matrix().at(t, c);
        if (m_view->isNormalized()) {
            const int64_t total = m_view->rowTotal(t);
            compact = total > 0
                ? QString::number(std::lround(100.0 * static_cast<double>(count) / static_cast<double>(total)))
                : full;
        } else {
            compact = compactCount(count);
        }
        return fm.horizontalAdvance(compact) <= room ? compact : QString();
    }

    void relayout()
    {
        const int n = classes();
        m_cell = 0;
        if (n == 0)
            return;
        const QFontMetrics fm = fontMetrics();
        const auto widestName = [&](const QFont& f) {
            const QFontMetrics lfm(f);
            int widest = 0;
            for (int c = 0; c < n; ++c)
                widest = std::max(widest, lfm.horizontalAdvance(m_view->name(c)));
            return widest + 2;
        };
        const int titleW = fm.height() + 6;
        const int titleH = fm.height() + 6;
        const auto cellFor = [&](int left, int labelsH) {
            const int availW = width() - left - kMargin;
            const int availH = height() - kMargin - labelsH - titleH - kMargin;
            return std::clamp(std::min(availW, availH) / n, kMinCell, kMaxCell);
        };
        // Try the normal font, then a smaller one so names keep up with small cells.
        m_labelFont = font();
        for (int attempt = 0; attempt < 2; ++attempt) {
            const QFontMetrics lfm(m_labelFont);
            const int widest = widestName(m_labelFont);
            m_rowLabelW = std::min(widest, std::max(56, width() * 28 / 100));
            const int left = kMargin + titleW + m_rowLabelW + 6;
            const int capped = std::min(widest, maxColumnLabel(n));
            const int straightH = lfm.height() + 6;
            const int slantedH = static_cast<int>(0.71 * (capped + lfm.height())) + 8;
            const int verticalH = capped + 8;
            m_cell = cellFor(left, straightH);
            m_columnLabels = Straight;
            m_labelsH = straightH;
            if (widest > m_cell - 2) {
                m_cell = cellFor(left, slantedH);
                m_columnLabels = Slanted;
                m_labelsH = slantedH;
                if (m_cell < lfm.height() * 1.4) { // slanted names would overlap
                    m_cell = cellFor(left, verticalH);
                    m_columnLabels = Vertical;
                    m_labelsH = verticalH;
                }
            }
            if (lfm.height() <= m_cell + 1 || attempt == 1)
                break;
            m_labelFont.setPixelSize(std::max(8, m_cell - 3));
        }
        const int left = kMargin + titleW + m_rowLabelW + 6;
        // Centre the composition horizontally.
        const int usedW = left + n * m_cell + kMargin;
        const int dx = std::max(0, (width() - usedW) / 2);
        m_origin = QPoint(left + dx, kMargin);
        m_titleX = m_origin.x() - 6 - m_rowLabelW - titleW + 2;
        m_predictedTitleY = m_origin.y() + n * m_cell + m_labelsH;
    }

    ConfusionMatrixView* m_view;
    enum ColumnLabels { Straight, Slanted, Vertical };
    int m_cell = 0;
    int m_rowLabelW = 0;
    ColumnLabels m_columnLabels = Straight;
    int m_labelsH = 0;
    QFont m_labelFont;
    QPoint m_origin;
    int m_titleX = 0;
    int m_predictedTitleY = 0;
    int m_hoverT = -1, m_hoverP = -1;
};

} // namespace confusionmatrixview

using confusionmatrixview::MatrixCanvas;

ConfusionMatrixView::ConfusionMatrixView(QWidget* parent)
    : QWidget(parent)
{
    auto* v = new QVBoxLayout(this);
    v->setContentsMargins(0, 0, 0, 0);
    v->setSpacing(0);
    auto* header = new QHBoxLayout;
    header->setContentsMargins(8, 6, 8, 2);
    header->setSpacing(4);
    m_summary = new QLabel(this);
    m_summary->setObjectName(QStringLiteral("summary"));
    m_summary->setTextFormat(Qt::PlainText);
    m_summary->setStyleSheet(QStringLiteral("color: #252b36; font-weight: bold;"));
    header->addWidget(m_summary, 1);
    m_countsButton = new QPushButton(tr("Counts"), this);
    m_countsButton->setObjectName(QStringLiteral("countsButton"));
    m_countsButton->setToolTip(tr("Number of samples in each cell"));
    m_percentButton = new QPushButton(tr("Row %"), this);
    m_percentButton->setObjectName(QStringLiteral("percentButton"));
    m_percentButton->setToolTip(tr("Share of each true class (every row sums to 100%)"));
    auto* group = new QButtonGroup(this);
    for (QPushButton* b : { m_countsButton, m_percentButton }) {
        b->setCheckable(true);
        b->setFocusPolicy(Qt::TabFocus);
        group->addButton(b);
        header->addWidget(b);
    }
    m_countsButton->setChecked(true);
    connect(m_percentButton, &QPushButton::toggled, this, &ConfusionMatrixView::setNormalized);
    v->addLayout(header);
    m_canvas = new MatrixCanvas(this);
    v->addWidget(m_canvas, 1);
    clear();
}

ConfusionMatrixView::~ConfusionMatrixView() = default;

void ConfusionMatrixView::setMatrix(const ConfusionMatrix& matrix, QStringList classNames)
{
    m_matrix = matrix;
    m_names = std::move(classNames);
    const int n = m_matrix.classes();
    m_rowTotals.assign(static_cast<size_t>(n), 0);
    for (int t = 0; t < n; ++t)
        for (int p = 0; p < n; ++p)
            m_rowTotals[static_cast<size_t>(t)] += m_matrix.at(t, p);
    if (n == 0) {
        m_summary->clear();
    } else {
        const int64_t total = m_matrix.total();
        m_summary->setText(tr("%1 samples · accuracy %2%")
                               .arg(style::groupDigits(total))
                               .arg(QString::number(100.0 * m_matrix.accuracy(), 'f', 1)));
    }
    m_countsButton->setEnabled(n > 0);
    m_percentButton->setEnabled(n > 0);
    m_canvas->reset();
}

void ConfusionMatrixView::clear()
{
    setMatrix(ConfusionMatrix(0), {});
}

void ConfusionMatrixView::setNormalized(bool normalized)
{
    if (normalized == m_normalized)
        return;
    m_normalized = normalized;
    m_percentButton->setChecked(normalized);
    m_countsButton->setChecked(!normalized);
    m_canvas->update();
    emit normalizedChanged(normalized);
}

QString ConfusionMatrixView::name(int c) const
{
    return c >= 0 && c < m_names.size() && !m_names[c].isEmpty() ? m_names[c] : QString::number(c);
}

int64_t ConfusionMatrixView::rowTotal(int truth) const
{
    return truth >= 0 && static_cast<size_t>(truth) < m_rowTotals.size() ? m_rowTotals[static_cast<size_t>(truth)] : 0;
}

double ConfusionMatrixView::rowFraction(int truth, int predicted) const
{
    const int64_t total = rowTotal(truth);
    return total > 0 ? static_cast<double>(m_matrix.at(truth, predicted)) / static_cast<double>(total) : 0.0;
}

QRect ConfusionMatrixView::cellRect(int truth, int predicted) const
{
    const QRect r = m_canvas->cellRect(truth, predicted);
    return r.isNull() ? r : QRect(m_canvas->mapTo(this, r.topLeft()), r.size());
}

QString ConfusionMatrixView::cellText(int truth, int predicted) const
{
    const int n = m_matrix.classes();
    if (truth < 0 || predicted < 0 || truth >= n || predicted >= n)
        return {};
    const int64_t count = m_matrix.at(truth, predicted);
    if (!m_normalized)
        return style::groupDigits(count);
    const int64_t total = rowTotal(truth);
    if (total == 0)
        return QStringLiteral("–");
    if (count == 0)
        return QStringLiteral("0%");
    if (count == total)
        return QStringLiteral("100%");
    return QString::number(100.0 * static_cast<double>(count) / static_cast<double>(total), 'f', 1) + QLatin1Char('%');
}

QColor ConfusionMatrixView::cellColor(int truth, int predicted) const
{
    const int n = m_matrix.classes();
    if (truth < 0 || predicted < 0 || truth >= n || predicted >= n)
        return {};
    if (m_matrix.at(truth, predicted) == 0)
        return kEmptyCell;
    const double f = rowFraction(truth, predicted);
    if (truth == predicted)
        return blend(kLightCell, kDiagonal, 0.12 + 0.88 * f);
    // Mistakes: visible from the first sample, saturated from 30% of the row.
    return blend(kLightCell, kMistake, 0.05 + 0.95 * std::sqrt(std::min(1.0, f / 0.3)));
}

QString ConfusionMatrixView::summaryText() const
{
    return m_summary->text();
}

QString ConfusionMatrixView::cellToolTip(int truth, int predicted) const
{
    const int n = m_matrix.classes();
    if (truth < 0 || predicted < 0 || truth >= n || predicted >= n)
        return {};
    const int64_t count = m_matrix.at(truth, predicted);
    const int64_t total = rowTotal(truth);
    QString tip = tr("True: %1\nPredicted: %2\n").arg(name(truth), name(predicted));
    tip += count == 1 ? tr("1 sample") : tr("%1 samples").arg(style::groupDigits(count));
    if (total > 0)
        tip += tr(" · %1% of the %2 %3 samples")
                   .arg(QString::number(100.0 * static_cast<double>(count) / static_cast<double>(total), 'f', 1),
                       style::groupDigits(total), name(truth));
    if (count > 0)
        tip += QLatin1Char('\n') + tr("Click to see them");
    return tip;
}

} // namespace netcanvas::widgets
