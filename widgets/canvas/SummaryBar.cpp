#include "widgets/canvas/SummaryBar.h"

#include "widgets/canvas/CanvasStyle.h"
#include "widgets/canvas/GraphModel.h"

#include <QFontMetrics>
#include <QHBoxLayout>
#include <QLabel>
#include <QRegularExpression>
#include <QSpinBox>

#include <algorithm>

namespace netcanvas::widgets {

namespace {
QLabel* caption(const QString& text, QWidget* parent)
{
    auto* l = new QLabel(text, parent);
    l->setStyleSheet(QStringLiteral("color: #76808e;"));
    return l;
}
} // namespace

SummaryBar::SummaryBar(GraphModel* model, QWidget* parent)
    : QWidget(parent)
    , m_model(model)
{
    auto* h = new QHBoxLayout(this);
    h->setContentsMargins(12, 5, 12, 5);
    h->setSpacing(6);
    m_params = new QLabel(this);
    m_flops = new QLabel(this);
    m_memory = new QLabel(this);
    m_batch = new QSpinBox(this);
    m_batch->setRange(1, 65536);
    m_batch->setValue(64);
    m_batch->setToolTip(tr("Batch size for the memory estimate"));
    m_batch->setAccessibleName(tr("Batch size for the memory estimate"));
    m_status = new QLabel(this);
    m_status->setTextFormat(Qt::PlainText);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_status->setMinimumWidth(60);
    m_status->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);

    h->addWidget(m_status, 1);
    h->addSpacing(12);
    auto add = [&](const QString& text, QWidget* value, const QString& tip) {
        QLabel* c = caption(text, this);
        c->setToolTip(tip);
        value->setToolTip(tip);
        h->addWidget(c);
        h->addWidget(value);
    };
    add(tr("Params"), m_params, tr("Trainable parameters and running statistics"));
    h->addSpacing(12);
    add(tr("FLOPs"), m_flops, tr("Forward floating-point operations per sample (a multiply-add counts 2)"));
    h->addSpacing(12);
    add(tr("Memory"), m_memory,
        tr("Estimated training memory: weights, gradients and two optimizer moments, plus activations and their "
           "gradients for one batch"));
    add(tr("× batch"), m_batch, tr("Batch size for the memory estimate"));

    connect(model, &GraphModel::analysisChanged, this, &SummaryBar::refresh);
    connect(model, &GraphModel::modelReset, this, [this] {
        const auto& t = m_model->graph().training;
        if (t.is_object() && t.contains("batch_size") && t["batch_size"].is_number_integer())
            m_batch->setValue(t["batch_size"].get<int>());
    });
    connect(m_batch, &QSpinBox::valueChanged, this, &SummaryBar::refresh);
    refresh();
}

int64_t SummaryBar::trainingMemoryBytes(int64_t params, int64_t activationElements, int batch)
{
    return params * 4 * 4 + activationElements * batch * 4 * 2;
}

void SummaryBar::refresh()
{
    const GraphAnalysis& a = m_model->analysis();
    int64_t activations = 0;
    int64_t params = 0, flops = 0;
    for (const auto& [id, na] : a.nodes)
        if (na.ok) {
            activations += na.outputShape.numel();
            params += na.params;
            flops += na.flops;
        }
    if (a.frozenParams > 0) {
        m_params->setText(tr("%1 trainable · %2 frozen")
                              .arg(style::groupDigits(params - a.frozenParams), style::groupDigits(a.frozenParams)));
        m_params->setToolTip(tr("%1 parameters: %2 in trainable layers, %3 in frozen layers (not trained)")
                                 .arg(style::groupDigits(params), style::groupDigits(params - a.frozenParams),
                                     style::groupDigits(a.frozenParams)));
    } else {
        m_params->setText(style::groupDigits(params));
        m_params->setToolTip(tr("Parameters (all trainable)"));
    }
    m_flops->setText(style::compactCount(static_cast<double>(flops)));
    m_memory->setText(QStringLiteral("≈ ")
        + style::bytes(static_cast<double>(trainingMemoryBytes(params, activations, m_batch->value()))));
    if (a.ok) {
        m_statusText = tr("✓  Valid   %1 → %2")
                           .arg(QString::fromStdString(a.inputShape.toString()),
                               QString::fromStdString(a.outputShape.toString()));
        m_status->setStyleSheet(QStringLiteral("color: #2e7d4f;"));
        m_status->setToolTip({});
    } else {
        // The engine sometimes names the node twice ("node 'c' (T): c (T): ..."): once is enough.
        static const QRegularExpression twice(QStringLiteral("^node '([^']+)' \\(([^)]+)\\): \\1 \\(\\2\\): "));
        QString err = QString::fromStdString(a.error);
        err.replace(twice, QStringLiteral("node '\\1' (\\2): "));
        m_statusText = QStringLiteral("⚠  ") + err;
        m_status->setStyleSheet(QStringLiteral("color: #b23a3a;"));
        m_status->setToolTip(QString::fromStdString(a.error));
    }
    showStatus();
}

void SummaryBar::resizeEvent(QResizeEvent* event)
{
    QWidget::resizeEvent(event);
    showStatus();
}

void SummaryBar::showStatus()
{
    const int w = std::max(40, m_status->width());
    m_status->setText(m_status->fontMetrics().elidedText(m_statusText, Qt::ElideRight, w));
}

} // namespace netcanvas::widgets
