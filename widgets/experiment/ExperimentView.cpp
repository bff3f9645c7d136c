#include "widgets/experiment/ExperimentView.h"

#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLegendMarker>
#include <QLineSeries>
#include <QPushButton>
#include <QSplitter>
#include <QStackedWidget>
#include <QTableWidget>
#include <QVBoxLayout>
#include <QValueAxis>

#include <cmath>

namespace netcanvas::widgets {

namespace {

// Okabe–Ito: distinct on white and for the common color-vision deficiencies (the HTML
// report uses the same order).
const QColor kColors[] = { QColor("#0072B2"), QColor("#D55E00"), QColor("#009E73"), QColor("#CC79A7"),
    QColor("#E69F00"), QColor("#56B4E9"), QColor("#000000"), QColor("#F0E442") };
QColor colorOf(int i)
{
    return kColors[i % 8];
}

QString pct(double v)
{
    return std::isfinite(v) ? QString::number(100 * v, 'f', 1) + "%" : QStringLiteral("–");
}

QTableWidgetItem* cell(const QString& text, bool right = true)
{
    auto* item = new QTableWidgetItem(text);
    item->setTextAlignment((right ? Qt::AlignRight : Qt::AlignLeft) | Qt::AlignVCenter);
    item->setFlags(item->flags() & ~Qt::ItemIsEditable);
    return item;
}

} // namespace

ExperimentView::ExperimentView(QWidget* parent)
    : QWidget(parent)
{
    auto* v = new QVBoxLayout(this);
    v->setContentsMargins(8, 6, 8, 6);
    v->setSpacing(4);

    auto* header = new QHBoxLayout;
    m_title = new QLabel(tr("No experiment yet: Experiment ▸ Compare… or Experiment ▸ Lessons"), this);
    m_title->setObjectName(QStringLiteral("experimentTitle"));
    QFont f = m_title->font();
    f.setBold(true);
    f.setPointSizeF(f.pointSizeF() * 1.2);
    m_title->setFont(f);
    header->addWidget(m_title, 1);
    m_run = new QPushButton(tr("Run"), this);
    m_stop = new QPushButton(tr("Stop"), this);
    m_export = new QPushButton(tr("Export Report…"), this);
    m_run->setToolTip(tr("Train every variant (one click runs the whole lesson)"));
    for (QPushButton* b : { m_run, m_stop, m_export })
        header->addWidget(b);
    v->addLayout(header);

    m_text = new QLabel(this);
    m_text->setWordWrap(true);
    m_lookAt = new QLabel(this);
    m_lookAt->setWordWrap(true);
    m_lookAt->setStyleSheet(
        QStringLiteral("QLabel { background: #f7f7e8; border-left: 4px solid #c9b400; padding: 4px 8px; }"));
    m_controlled = new QLabel(this);
    m_controlled->setWordWrap(true);
    m_controlled->setStyleSheet(QStringLiteral("QLabel { color: #35506b; }"));
    m_message = new QLabel(this);
    m_message->setWordWrap(true);
    for (QLabel* l : { m_text, m_lookAt, m_controlled, m_message }) {
        l->setTextInteractionFlags(Qt::TextSelectableByMouse);
        l->setVisible(false);
        v->addWidget(l);
    }

    auto* split = new QSplitter(Qt::Horizontal, this);
    // One chart at a time (accuracy or loss), so that the ranking table beside it has room
    // for every column.
    m_charts = new QWidget(split);
    auto* ch = new QVBoxLayout(m_charts);
    ch->setContentsMargins(0, 0, 0, 0);
    m_accChart = makeChart(tr("Accuracy (validation solid, training dashed)"), m_accX, m_accY);
    m_accY->setRange(0, 1);
    m_accY->setLabelFormat(QStringLiteral("%.1f"));
    m_lossChart = makeChart(tr("Loss (validation solid, training dashed)"), m_lossX, m_lossY);
    m_curves = new QComboBox(m_charts);
    m_curves->addItems({ tr("Accuracy"), tr("Loss") });
    m_curves->setToolTip(tr("Which curves to show"));
    header->insertWidget(1, m_curves);
    auto* stack = new QStackedWidget(m_charts);
    for (QChart* c : { m_accChart, m_lossChart }) {
        auto* view = new QChartView(c, stack);
        view->setRenderHint(QPainter::Antialiasing);
        view->setMinimumSize(260, 200);
        stack->addWidget(view);
    }
    ch->addWidget(stack);
    connect(m_curves, &QComboBox::currentIndexChanged, stack, &QStackedWidget::setCurrentIndex);
    auto* right = new QWidget(split);
    auto* rv = new QVBoxLayout(right);
    rv->setContentsMargins(0, 0, 0, 0);
    m_table = new QTableWidget(0, 10, right);
    m_table->setObjectName(QStringLiteral("rankingTable"));
    m_table->setHorizontalHeaderLabels({ tr("#"), tr("Variant"), tr("State"), tr("Best val.\nacc."),
        tr("Best val.\nloss"), tr("Train\nacc."), tr("Gap"), tr("Over-\nfitting"), tr("Time"), tr("Params") });
    m_table->horizontalHeaderItem(6)->setToolTip(tr("Final training accuracy minus final validation accuracy"));
    m_table->horizontalHeaderItem(7)->setToolTip(
        tr("Training accuracy over 10 points above validation, or validation loss up 10% from its best while "
           "training loss still falls"));
    m_table->verticalHeader()->setVisible(false);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setStretchLastSection(true);
    rv->addWidget(m_table, 1);
    auto* buttons = new QHBoxLayout;
    m_show = new QPushButton(tr("Show on Canvas"), right);
    m_show->setToolTip(tr("Put the selected variant on the canvas (Edit ▸ Undo gives the original back)"));
    m_restore = new QPushButton(tr("Restore Original"), right);
    buttons->addWidget(m_show);
    buttons->addWidget(m_restore);
    buttons->addStretch(1);
    rv->addLayout(buttons);
    split->addWidget(m_charts);
    split->addWidget(right);
    split->setStretchFactor(0, 2);
    split->setStretchFactor(1, 3);
    split->setSizes({ 400, 600 });
    v->addWidget(split, 1);

    connect(m_run, &QPushButton::clicked, this, &ExperimentView::runRequested);
    connect(m_stop, &QPushButton::clicked, this, &ExperimentView::stopRequested);
    connect(m_export, &QPushButton::clicked, this, &ExperimentView::exportRequested);
    connect(m_restore, &QPushButton::clicked, this, &ExperimentView::restoreOriginalRequested);
    connect(m_show, &QPushButton::clicked, this, [this] {
        const int row = m_table->currentRow();
        if (row >= 0 && m_table->item(row, 1))
            emit showVariantRequested(m_table->item(row, 1)->data(Qt::UserRole).toInt());
    });
    setRunning(false);
    m_run->setEnabled(false);
    m_export->setEnabled(false);
}

QChart* ExperimentView::makeChart(const QString& title, QValueAxis*& x, QValueAxis*& y)
{
    auto* c = new QChart;
    c->setTitle(title);
    c->legend()->setAlignment(Qt::AlignBottom);
    c->setMargins(QMargins(4, 4, 4, 4));
    x = new QValueAxis(c);
    x->setTitleText(tr("epoch"));
    x->setLabelFormat(QStringLiteral("%d"));
    y = new QValueAxis(c);
    c->addAxis(x, Qt::AlignBottom);
    c->addAxis(y, Qt::AlignLeft);
    return c;
}

void ExperimentView::start(const QString& title, const QString& text, const QString& lookAt, const QString& controlled,
    const QStringList& labels, int epochs)
{
    m_title->setText(title);
    m_text->setText(text);
    m_text->setVisible(!text.isEmpty());
    m_lookAt->setText(lookAt.isEmpty() ? QString() : tr("<b>What to look at:</b> %1").arg(lookAt.toHtmlEscaped()));
    m_lookAt->setVisible(!lookAt.isEmpty());
    m_controlled->setText(controlled);
    m_controlled->setVisible(!controlled.isEmpty());
    setMessage({});
    m_labels = labels;
    // Labels "variable = value" sharing one variable: the legend and the table show the
    // values, the chart titles and the table's header name the variable.
    QString variable;
    QStringList shortNames = labels;
    if (!labels.isEmpty() && labels.front().contains(QStringLiteral(" = "))) {
        variable = labels.front().section(QStringLiteral(" = "), 0, 0);
        for (QString& n : shortNames)
            if (n.startsWith(variable + QStringLiteral(" = ")))
                n = n.mid(variable.size() + 3);
    }
    m_accChart->setTitle(variable.isEmpty() ? tr("Accuracy (validation solid, training dashed)")
                                            : tr("Accuracy by %1 (validation solid, training dashed)").arg(variable));
    m_lossChart->setTitle(variable.isEmpty() ? tr("Loss (validation solid, training dashed)")
                                             : tr("Loss by %1 (validation solid, training dashed)").arg(variable));
    m_table->horizontalHeaderItem(1)->setText(variable.isEmpty() ? tr("Variant") : variable);
    m_shortNames = shortNames;
    for (QChart* c : { m_accChart, m_lossChart })
        c->removeAllSeries();
    m_accVal.clear();
    m_accTrain.clear();
    m_lossVal.clear();
    m_lossTrain.clear();
    m_outcomes.assign(static_cast<size_t>(labels.size()), VariantOutcome {});
    m_done.assign(static_cast<size_t>(labels.size()), false);
    m_lossMax = 0.0;
    for (int i = 0; i < labels.size(); ++i) {
        m_outcomes[static_cast<size_t>(i)].label = labels[i].toStdString();
        m_outcomes[static_cast<size_t>(i)].state = VariantOutcome::State::Queued;
        m_outcomes[static_cast<size_t>(i)].bestValidationAccuracy = std::nan("");
        m_outcomes[static_cast<size_t>(i)].bestValidationLoss = std::nan("");
        auto add = [&](QChart* chart, QValueAxis* x, QValueAxis* y, bool dashed) {
            auto* s = new QLineSeries(chart);
            s->setName(shortNames[i]);
            QPen pen(colorOf(i));
            pen.setWidthF(dashed ? 1.5 : 2.5);
            if (dashed)
                pen.setStyle(Qt::DashLine);
            s->setPen(pen);
            chart->addSeries(s);
            s->attachAxis(x);
            s->attachAxis(y);
            if (dashed) // one legend entry per variant: its validation curve
                for (QLegendMarker* m : chart->legend()->markers(s))
                    m->setVisible(false);
            return s;
        };
        m_accVal.push_back(add(m_accChart, m_accX, m_accY, false));
        m_accTrain.push_back(add(m_accChart, m_accX, m_accY, true));
        m_lossVal.push_back(add(m_lossChart, m_lossX, m_lossY, false));
        m_lossTrain.push_back(add(m_lossChart, m_lossX, m_lossY, true));
    }
    for (QValueAxis* x : { m_accX, m_lossX }) {
        x->setRange(1, std::max(2, epochs));
        x->setTickCount(std::min(std::max(2, epochs), 11));
    }
    m_lossY->setRange(0, 1);
    rebuildTable();
    m_run->setEnabled(!labels.isEmpty());
    m_export->setEnabled(false);
}

QString ExperimentView::legendLabel(int variant) const
{
    return variant >= 0 && variant < static_cast<int>(m_accVal.size()) ? m_accVal[static_cast<size_t>(variant)]->name()
                                                                       : QString();
}

void ExperimentView::setVariantState(int variant, const QString& state)
{
    if (variant < 0 || variant >= static_cast<int>(m_outcomes.size()))
        return;
    m_outcomes[static_cast<size_t>(variant)].state
        = state == QLatin1String("running") ? VariantOutcome::State::Running : VariantOutcome::State::Queued;
    rebuildTable();
}

void ExperimentView::addEpoch(int variant, const EpochEvent& e)
{
    if (variant < 0 || variant >= static_cast<int>(m_accVal.size()))
        return;
    const size_t i = static_cast<size_t>(variant);
    const double x = e.epoch + 1;
    auto append = [](QLineSeries* s, double x, double y) {
        if (std::isfinite(y))
            s->append(x, y);
    };
    append(m_accVal[i], x, e.validationAccuracy);
    append(m_accTrain[i], x, e.trainAccuracy);
    append(m_lossVal[i], x, e.validationLoss);
    append(m_lossTrain[i], x, e.trainLoss);
    for (double l : { e.validationLoss, e.trainLoss })
        if (std::isfinite(l))
            m_lossMax = std::max(m_lossMax, std::min(l, 20.0));
    m_lossY->setRange(0, std::max(0.1, m_lossMax * 1.05));
    if (x > m_accX->max()) {
        m_accX->setMax(x);
        m_lossX->setMax(x);
    }
    VariantOutcome& o = m_outcomes[i];
    o.history.push_back(e);
    o.state = VariantOutcome::State::Running;
    if (std::isfinite(e.validationAccuracy)
        && (!std::isfinite(o.bestValidationAccuracy) || e.validationAccuracy > o.bestValidationAccuracy))
        o.bestValidationAccuracy = e.validationAccuracy;
    if (std::isfinite(e.validationLoss)
        && (!std::isfinite(o.bestValidationLoss) || e.validationLoss < o.bestValidationLoss))
        o.bestValidationLoss = e.validationLoss;
    o.finalTrainAccuracy = e.trainAccuracy;
    o.finalValidationAccuracy = e.validationAccuracy;
    o.epochs = e.epoch + 1;
    flagOverfitting(o);
    rebuildTable();
}

void ExperimentView::setOutcome(int variant, const VariantOutcome& outcome)
{
    if (variant < 0 || variant >= static_cast<int>(m_outcomes.size()))
        return;
    m_outcomes[static_cast<size_t>(variant)] = outcome;
    m_done[static_cast<size_t>(variant)] = true;
    rebuildTable();
    bool all = true;
    for (bool d : m_done)
        all = all && d;
    m_export->setEnabled(all);
}

void ExperimentView::setRunning(bool running)
{
    m_run->setEnabled(!running && !m_labels.isEmpty());
    m_stop->setEnabled(running);
    m_show->setEnabled(!running);
    m_restore->setEnabled(!running);
}

void ExperimentView::setMessage(const QString& text)
{
    m_message->setText(text);
    m_message->setVisible(!text.isEmpty());
}

void ExperimentView::rebuildTable()
{
    const std::vector<int> order = rankOutcomes(m_outcomes);
    m_table->setRowCount(static_cast<int>(order.size()));
    int row = 0;
    for (int i : order) {
        const VariantOutcome& o = m_outcomes[static_cast<size_t>(i)];
        const bool any = !o.history.empty();
        auto* name = cell(i < m_shortNames.size() ? m_shortNames[i] : QString::fromStdString(o.label), false);
        name->setToolTip(QString::fromStdString(o.label));
        name->setData(Qt::UserRole, i);
        name->setData(Qt::DecorationRole, colorOf(i));
        m_table->setItem(row, 0, cell(QString::number(row + 1)));
        m_table->setItem(row, 1, name);
        // The state in the cell, its reason (a diverged run's node, a failure) in the tooltip.
        auto* stateCell = cell(QString::fromLatin1(stateName(o.state)), false);
        if (!o.message.empty())
            stateCell->setToolTip(QString::fromStdString(o.message));
        m_table->setItem(row, 2, stateCell);
        m_table->setItem(row, 3, cell(pct(o.bestValidationAccuracy)));
        m_table->setItem(row, 4,
            cell(std::isfinite(o.bestValidationLoss) ? QString::number(o.bestValidationLoss, 'f', 4)
                                                     : QStringLiteral("–")));
        m_table->setItem(row, 5, cell(any ? pct(o.finalTrainAccuracy) : QStringLiteral("–")));
        m_table->setItem(row, 6, cell(any ? QString::number(100 * o.gap, 'f', 1) + tr(" pts") : QStringLiteral("–")));
        auto* over = cell(any ? (o.overfitting ? tr("yes") : tr("no")) : QStringLiteral("–"));
        if (o.overfitting)
            over->setForeground(QColor("#b00020"));
        m_table->setItem(row, 7, over);
        m_table->setItem(row, 8, cell(o.seconds > 0 ? QString::number(o.seconds, 'f', 1) + " s" : QStringLiteral("–")));
        m_table->setItem(
            row, 9, cell(o.parameters > 0 ? QLocale().toString(static_cast<qlonglong>(o.parameters)) : "–"));
        ++row;
    }
}

} // namespace netcanvas::widgets
