#include "widgets/labels/LabelFilterBar.h"

#include "widgets/labels/LabelStyle.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QPainter>
#include <QPixmap>

#include <algorithm>

namespace netcanvas::widgets {

namespace {

// Item data of the Show combo: "all", "unlabeled", "labeled" or "class:<name>"; of the
// Predicted combo: "", "any" or "class:<name>".
const QString kClassPrefix = QStringLiteral("class:");

QIcon swatch(int index)
{
    QPixmap pm(12, 12);
    pm.fill(Qt::transparent);
    QPainter p(&pm);
    p.setRenderHint(QPainter::Antialiasing);
    p.setPen(Qt::NoPen);
    p.setBrush(labelstyle::classColor(index));
    p.drawRoundedRect(QRectF(1, 1, 10, 10), 2, 2);
    return QIcon(pm);
}

QString grouped(qint64 n)
{
    QLocale loc;
    loc.setNumberOptions(loc.numberOptions() & ~QLocale::OmitGroupSeparator);
    return loc.toString(n);
}

QLabel* caption(const QString& text, QWidget* parent)
{
    auto* l = new QLabel(text, parent);
    l->setStyleSheet(QStringLiteral("color: #5a6270;"));
    return l;
}

} // namespace

LabelFilterBar::LabelFilterBar(QWidget* parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("filterBar"));
    auto* h = new QHBoxLayout(this);
    h->setContentsMargins(8, 6, 8, 6);
    h->setSpacing(6);

    m_show = new QComboBox(this);
    m_show->setObjectName(QStringLiteral("showFilter"));
    m_show->setToolTip(tr("Which images to show"));
    m_show->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_predicted = new QComboBox(this);
    m_predicted->setObjectName(QStringLiteral("predictedFilter"));
    m_predicted->setToolTip(tr("Only images the model predicts as this class"));
    m_predicted->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_min = new QDoubleSpinBox(this);
    m_max = new QDoubleSpinBox(this);
    for (QDoubleSpinBox* s : { m_min, m_max }) {
        s->setRange(0.0, 1.0);
        s->setDecimals(2);
        s->setSingleStep(0.05);
        s->setKeyboardTracking(false);
        s->setToolTip(tr("Only images whose prediction's confidence is in this range (narrowing it leaves out images "
                         "without a prediction)"));
    }
    m_min->setValue(0.0);
    m_max->setValue(1.0);
    m_order = new QComboBox(this);
    m_order->setObjectName(QStringLiteral("orderFilter"));
    m_order->addItem(tr("File path"));
    m_order->addItem(tr("Least confident first"));
    m_order->addItem(tr("Most confident first"));
    m_order->setToolTip(
        tr("Least confident first: label what the model is unsure of (images without a prediction last)"));
    m_count = new QLabel(this);
    m_count->setObjectName(QStringLiteral("shownCount"));
    m_count->setStyleSheet(QStringLiteral("color: #5a6270;"));
    m_count->setAlignment(Qt::AlignRight | Qt::AlignVCenter);

    h->addWidget(caption(tr("Show"), this));
    h->addWidget(m_show);
    h->addSpacing(6);
    h->addWidget(caption(tr("Predicted"), this));
    h->addWidget(m_predicted);
    h->addSpacing(6);
    h->addWidget(caption(tr("Confidence"), this));
    h->addWidget(m_min);
    h->addWidget(caption(QStringLiteral("–"), this));
    h->addWidget(m_max);
    h->addSpacing(6);
    h->addWidget(caption(tr("Order"), this));
    h->addWidget(m_order);
    h->addStretch(1);
    h->addWidget(m_count);

    fillCombos();
    connect(m_show, &QComboBox::currentIndexChanged, this, &LabelFilterBar::changed);
    connect(m_predicted, &QComboBox::currentIndexChanged, this, &LabelFilterBar::changed);
    connect(m_order, &QComboBox::currentIndexChanged, this, &LabelFilterBar::changed);
    connect(m_min, &QDoubleSpinBox::valueChanged, this, [this](double v) {
        if (m_max->value() < v) {
            const QSignalBlocker block(m_max);
            m_max->setValue(v);
        }
        changed();
    });
    connect(m_max, &QDoubleSpinBox::valueChanged, this, [this](double v) {
        if (m_min->value() > v) {
            const QSignalBlocker block(m_min);
            m_min->setValue(v);
        }
        changed();
    });
    setHasPredictions(false);
}

void LabelFilterBar::fillCombos()
{
    const QString show = m_show->currentData().toString();
    const QString predicted = m_predicted->currentData().toString();
    m_updating = true;
    m_show->clear();
    m_show->addItem(tr("All images"), QStringLiteral("all"));
    m_show->addItem(tr("Unlabeled"), QStringLiteral("unlabeled"));
    m_show->addItem(tr("Labeled"), QStringLiteral("labeled"));
    if (!m_classes.isEmpty())
        m_show->insertSeparator(m_show->count());
    for (int i = 0; i < m_classes.size(); ++i)
        m_show->addItem(swatch(i), m_classes[i], kClassPrefix + m_classes[i]);
    m_predicted->clear();
    m_predicted->addItem(tr("any or none"), QString());
    m_predicted->addItem(tr("with a prediction"), QStringLiteral("any"));
    if (!m_classes.isEmpty())
        m_predicted->insertSeparator(m_predicted->count());
    for (int i = 0; i < m_classes.size(); ++i)
        m_predicted->addItem(swatch(i), m_classes[i], kClassPrefix + m_classes[i]);
    const int s = m_show->findData(show.isEmpty() ? QStringLiteral("all") : show);
    m_show->setCurrentIndex(std::max(s, 0));
    const int p = m_predicted->findData(predicted);
    m_predicted->setCurrentIndex(std::max(p, 0));
    m_updating = false;
}

void LabelFilterBar::setClasses(const QStringList& classes)
{
    if (classes == m_classes)
        return;
    const LabelQuery before = query();
    m_classes = classes;
    fillCombos();
    const LabelQuery after = query();
    if (after.labels != before.labels || after.className != before.className
        || after.predictedClass != before.predictedClass || after.predictedOnly != before.predictedOnly)
        emit queryChanged();
}

void LabelFilterBar::setHasPredictions(bool any)
{
    m_hasPredictions = any;
    // Kept enabled while a prediction filter is set, so it can be cleared.
    const bool predictionFilter = !m_predicted->currentData().toString().isEmpty() || m_min->value() > 0.0
        || m_max->value() < 1.0 || m_order->currentIndex() != 0;
    const bool on = any || predictionFilter;
    for (QWidget* w : std::initializer_list<QWidget*> { m_predicted, m_min, m_max, m_order })
        w->setEnabled(on);
}

LabelQuery LabelFilterBar::query() const
{
    LabelQuery q;
    const QString show = m_show->currentData().toString();
    if (show == QStringLiteral("unlabeled"))
        q.labels = LabelQuery::Labels::Unlabeled;
    else if (show == QStringLiteral("labeled"))
        q.labels = LabelQuery::Labels::Labeled;
    else if (show.startsWith(kClassPrefix)) {
        q.labels = LabelQuery::Labels::Class;
        q.className = show.mid(kClassPrefix.size()).toStdString();
    }
    const QString predicted = m_predicted->currentData().toString();
    if (predicted == QStringLiteral("any"))
        q.predictedOnly = true;
    else if (predicted.startsWith(kClassPrefix))
        q.predictedClass = predicted.mid(kClassPrefix.size()).toStdString();
    q.minConfidence = static_cast<float>(m_min->value());
    q.maxConfidence = static_cast<float>(m_max->value());
    q.order = m_order->currentIndex() == 1 ? LabelQuery::Order::LeastConfident
        : m_order->currentIndex() == 2     ? LabelQuery::Order::MostConfident
                                           : LabelQuery::Order::Path;
    return q;
}

void LabelFilterBar::setQuery(const LabelQuery& q)
{
    m_updating = true;
    QString show = QStringLiteral("all");
    if (q.labels == LabelQuery::Labels::Unlabeled)
        show = QStringLiteral("unlabeled");
    else if (q.labels == LabelQuery::Labels::Labeled)
        show = QStringLiteral("labeled");
    else if (q.labels == LabelQuery::Labels::Class)
        show = kClassPrefix + QString::fromStdString(q.className);
    m_show->setCurrentIndex(std::max(0, m_show->findData(show)));
    QString predicted;
    if (!q.predictedClass.empty())
        predicted = kClassPrefix + QString::fromStdString(q.predictedClass);
    else if (q.predictedOnly)
        predicted = QStringLiteral("any");
    m_predicted->setCurrentIndex(std::max(0, m_predicted->findData(predicted)));
    m_min->setValue(static_cast<double>(q.minConfidence));
    m_max->setValue(static_cast<double>(q.maxConfidence));
    m_order->setCurrentIndex(q.order == LabelQuery::Order::LeastConfident ? 1
            : q.order == LabelQuery::Order::MostConfident                 ? 2
                                                                          : 0);
    m_updating = false;
    setHasPredictions(m_hasPredictions);
    emit queryChanged();
}

void LabelFilterBar::setCounts(qint64 shown, qint64 total)
{
    m_count->setText(shown == total ? tr("%1 images").arg(grouped(total))
                                    : tr("%1 of %2 shown").arg(grouped(shown), grouped(total)));
}

QString LabelFilterBar::countText() const
{
    return m_count->text();
}

void LabelFilterBar::changed()
{
    if (m_updating)
        return;
    setHasPredictions(m_hasPredictions);
    emit queryChanged();
}

} // namespace netcanvas::widgets
