#include "widgets/inspect/MetricsTable.h"

#include "widgets/canvas/CanvasStyle.h"

#include <QHeaderView>
#include <QLabel>
#include <QPainter>
#include <QStyledItemDelegate>
#include <QTableWidget>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace netcanvas::widgets {

namespace {

constexpr int kValueRole = Qt::UserRole; // the number behind a cell (class index in the first column)
constexpr int kBarRole = Qt::UserRole + 1; // bar length in [0, 1]; absent: no bar
constexpr int kWeakRole = Qt::UserRole + 2; // true: tinted as a weak value

// Sorts by the number behind the cell, not its text.
class NumberItem : public QTableWidgetItem {
public:
    NumberItem(const QString& text, double value, double bar)
        : QTableWidgetItem(text)
    {
        setData(kValueRole, value);
        if (bar >= 0.0)
            setData(kBarRole, bar);
        setFlags(Qt::ItemIsEnabled | Qt::ItemIsSelectable);
    }
    bool operator<(const QTableWidgetItem& other) const override
    {
        return data(kValueRole).toDouble() < other.data(kValueRole).toDouble();
    }
};

// Support: a light bar behind the number, its length the share of the largest class (class
// imbalance at a glance). Metrics: a light red tint on weak values (more than one standard
// deviation under their column's mean) — bars over [0, 1] would all look alike at 0.9.
class BarDelegate : public QStyledItemDelegate {
public:
    using QStyledItemDelegate::QStyledItemDelegate;
    void paint(QPainter* p, const QStyleOptionViewItem& option, const QModelIndex& index) const override
    {
        if (!(option.state & QStyle::State_Selected)) {
            const QRect r = option.rect.adjusted(2, 3, -2, -3);
            if (const QVariant bar = index.data(kBarRole); bar.isValid())
                p->fillRect(QRectF(r.left(), r.top(), r.width() * std::clamp(bar.toDouble(), 0.0, 1.0), r.height()),
                    QColor(0xe3, 0xe7, 0xed));
            if (index.data(kWeakRole).toBool())
                p->fillRect(r, QColor(0xf8, 0xdc, 0xd8));
        }
        QStyledItemDelegate::paint(p, option, index);
    }
};

QString metricText(double v)
{
    return QString::number(v, 'f', 3);
}

QString percent(double fraction)
{
    return QString::number(100.0 * fraction, 'f', 2) + QLatin1Char('%');
}

} // namespace

MetricsTable::MetricsTable(QWidget* parent)
    : QWidget(parent)
{
    auto* v = new QVBoxLayout(this);
    v->setContentsMargins(0, 0, 0, 0);
    v->setSpacing(2);
    m_summary = new QLabel(this);
    m_summary->setObjectName(QStringLiteral("summary"));
    m_summary->setTextFormat(Qt::PlainText);
    m_summary->setWordWrap(true);
    m_summary->setStyleSheet(QStringLiteral("font-weight: bold; color: #252b36; padding: 6px 8px 0 8px;"));
    v->addWidget(m_summary);
    m_averages = new QLabel(this);
    m_averages->setObjectName(QStringLiteral("averages"));
    m_averages->setTextFormat(Qt::PlainText);
    m_averages->setWordWrap(true);
    m_averages->setStyleSheet(QStringLiteral("color: #76808e; padding: 0 8px 4px 8px;"));
    v->addWidget(m_averages);

    m_table = new QTableWidget(0, ColumnCount, this);
    m_table->setObjectName(QStringLiteral("metricsTable"));
    m_table->setHorizontalHeaderLabels({ tr("Class"), tr("Precision"), tr("Recall"), tr("F1"), tr("Support") });
    m_table->horizontalHeaderItem(ClassColumn)->setTextAlignment(Qt::AlignLeft | Qt::AlignVCenter);
    m_table->horizontalHeaderItem(PrecisionColumn)
        ->setToolTip(tr("Of the samples predicted as this class, the share that truly are"));
    m_table->horizontalHeaderItem(RecallColumn)->setToolTip(tr("Of the samples of this class, the share found"));
    m_table->horizontalHeaderItem(F1Column)->setToolTip(tr("Harmonic mean of precision and recall"));
    m_table->horizontalHeaderItem(SupportColumn)->setToolTip(tr("Samples of this class"));
    m_table->verticalHeader()->hide();
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 8);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setShowGrid(false);
    m_table->setAlternatingRowColors(false);
    m_table->setWordWrap(false);
    m_table->setItemDelegate(new BarDelegate(m_table));
    auto* h = m_table->horizontalHeader();
    h->setSectionResizeMode(ClassColumn, QHeaderView::Stretch);
    const QFontMetrics fm = m_table->fontMetrics();
    for (int c = PrecisionColumn; c < ColumnCount; ++c) {
        h->setSectionResizeMode(c, QHeaderView::Fixed);
        h->resizeSection(c,
            std::max(fm.horizontalAdvance(m_table->horizontalHeaderItem(c)->text()),
                fm.horizontalAdvance(QStringLiteral("100,000")))
                + 34);
    }
    h->setDefaultAlignment(Qt::AlignRight | Qt::AlignVCenter);
    h->setSortIndicatorShown(true);
    h->setSortIndicator(ClassColumn, Qt::AscendingOrder); // class order until a header is clicked
    m_table->setSortingEnabled(true);
    v->addWidget(m_table, 1);
    connect(m_table, &QTableWidget::cellDoubleClicked, this, [this](int row, int) {
        if (const QTableWidgetItem* item = m_table->item(row, ClassColumn))
            emit classActivated(item->data(kValueRole).toInt());
    });
    clear();
}

MetricsTable::~MetricsTable() = default;

void MetricsTable::setEvaluation(const inspect::Evaluation& evaluation, QStringList classNames)
{
    fill(evaluation.confusion, std::move(classNames), evaluation.accuracy, evaluation.topK, evaluation.topKAccuracy);
}

void MetricsTable::setMatrix(const ConfusionMatrix& matrix, QStringList classNames)
{
    fill(matrix, std::move(classNames), matrix.accuracy(), 0, 0.0);
}

void MetricsTable::clear()
{
    fill(ConfusionMatrix(0), {}, 0.0, 0, 0.0);
}

void MetricsTable::fill(const ConfusionMatrix& m, QStringList names, double accuracy, int topK, double topKAccuracy)
{
    const int n = m.classes();
    const int sortColumn = m_table->horizontalHeader()->sortIndicatorSection();
    const Qt::SortOrder order = m_table->horizontalHeader()->sortIndicatorOrder();
    m_table->setSortingEnabled(false);
    m_table->clearContents();
    m_table->setRowCount(n);
    int64_t largest = 0;
    for (int c = 0; c < n; ++c)
        largest = std::max(largest, m.support(c));
    double sumP = 0.0, sumR = 0.0, sumF = 0.0;
    for (int c = 0; c < n; ++c) {
        const QString name = c < names.size() && !names[c].isEmpty() ? names[c] : QString::number(c);
        auto* cls = new NumberItem(name, c, -1.0);
        cls->setTextAlignment(Qt::AlignLeft | Qt::AlignVCenter);
        cls->setToolTip(tr("Class %1: %2").arg(c).arg(name));
        m_table->setItem(c, ClassColumn, cls);
        int64_t predicted = 0;
        for (int t = 0; t < n; ++t)
            predicted += m.at(t, c);
        const double p = m.precision(c), r = m.recall(c), f = m.f1(c);
        const int64_t support = m.support(c);
        sumP += p;
        sumR += r;
        sumF += f;
        auto* pi = new NumberItem(predicted > 0 ? metricText(p) : QStringLiteral("–"), p, -1.0);
        if (predicted == 0)
            pi->setToolTip(tr("Never predicted: precision undefined"));
        else
            pi->setToolTip(tr("%1 of the %2 samples predicted as %3 are %3")
                               .arg(style::groupDigits(m.at(c, c)), style::groupDigits(predicted), name));
        auto* ri = new NumberItem(metricText(r), r, -1.0);
        ri->setToolTip(
            tr("%1 of the %2 %3 samples found").arg(style::groupDigits(m.at(c, c)), style::groupDigits(support), name));
        auto* fi = new NumberItem(metricText(f), f, -1.0);
        fi->setToolTip(tr("Harmonic mean of precision (%1) and recall (%2)").arg(metricText(p), metricText(r)));
        auto* si = new NumberItem(style::groupDigits(support), static_cast<double>(support),
            largest > 0 ? static_cast<double>(support) / static_cast<double>(largest) : -1.0);
        for (QTableWidgetItem* item : { static_cast<QTableWidgetItem*>(pi), static_cast<QTableWidgetItem*>(ri),
                 static_cast<QTableWidgetItem*>(fi), static_cast<QTableWidgetItem*>(si) })
            item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        m_table->setItem(c, PrecisionColumn, pi);
        m_table->setItem(c, RecallColumn, ri);
        m_table->setItem(c, F1Column, fi);
        m_table->setItem(c, SupportColumn, si);
    }
    // Weak values: more than one standard deviation under the column's mean.
    for (int col = PrecisionColumn; col <= F1Column && n > 2; ++col) {
        double sum = 0.0, sq = 0.0;
        for (int r = 0; r < n; ++r) {
            const double v = m_table->item(r, col)->data(kValueRole).toDouble();
            sum += v;
            sq += v * v;
        }
        const double mean = sum / n, sd = std::sqrt(std::max(0.0, sq / n - mean * mean));
        for (int r = 0; r < n; ++r) {
            QTableWidgetItem* item = m_table->item(r, col);
            if (sd > 1e-9 && item->data(kValueRole).toDouble() < mean - sd) {
                item->setData(kWeakRole, true);
                item->setToolTip(item->toolTip()
                    + tr("\nWeak: more than one standard deviation under the mean (%1)").arg(metricText(mean)));
            }
        }
    }
    m_table->setSortingEnabled(true);
    m_table->sortByColumn(sortColumn >= 0 && sortColumn < ColumnCount ? sortColumn : ClassColumn, order);
    m_table->setCurrentCell(-1, -1);

    if (n == 0) {
        m_summary->setText(tr("No evaluation yet"));
        m_averages->clear();
        m_averages->hide();
        return;
    }
    QStringList parts { tr("Accuracy %1").arg(percent(accuracy)) };
    if (topK > 1)
        parts << tr("top-%1 accuracy %2").arg(topK).arg(percent(topKAccuracy));
    parts << tr("%1 samples").arg(style::groupDigits(m.total()));
    m_summary->setText(parts.join(QStringLiteral(" · ")));
    m_averages->setText(tr("Macro average: precision %1 · recall %2 · F1 %3")
                            .arg(metricText(sumP / n), metricText(sumR / n), metricText(sumF / n)));
    m_averages->show();
}

int MetricsTable::rowOfClass(int cls) const
{
    for (int r = 0; r < m_table->rowCount(); ++r)
        if (const QTableWidgetItem* item = m_table->item(r, ClassColumn); item && item->data(kValueRole).toInt() == cls)
            return r;
    return -1;
}

double MetricsTable::value(int cls, Column column) const
{
    const int r = rowOfClass(cls);
    const QTableWidgetItem* item = r >= 0 ? m_table->item(r, column) : nullptr;
    return item ? item->data(kValueRole).toDouble() : 0.0;
}

QString MetricsTable::text(int cls, Column column) const
{
    const int r = rowOfClass(cls);
    const QTableWidgetItem* item = r >= 0 ? m_table->item(r, column) : nullptr;
    return item ? item->text() : QString();
}

QString MetricsTable::summaryText() const
{
    return m_summary->text();
}

} // namespace netcanvas::widgets
