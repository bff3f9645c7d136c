#include "app/CompareDialog.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QThread>
#include <QVBoxLayout>

namespace netcanvas::app {

CompareDialog::CompareDialog(const ModelGraph& graph, const TrainConfig& config, QWidget* parent)
    : QDialog(parent)
    , m_graph(graph)
    , m_config(config)
{
    setWindowTitle(tr("Compare Variants"));
    auto* v = new QVBoxLayout(this);
    auto* form = new QFormLayout;
    m_variable = new QComboBox(this);
    for (const VariationInfo& k : variationKinds())
        m_variable->addItem(QString::fromUtf8(k.label), QString::fromUtf8(k.name));
    m_values = new QLineEdit(this);
    m_values->setPlaceholderText(tr("comma-separated values"));
    m_doc = new QLabel(this);
    m_doc->setWordWrap(true);
    m_doc->setStyleSheet(QStringLiteral("color: #555;"));
    m_epochs = new QSpinBox(this);
    m_epochs->setRange(1, 1000);
    m_epochs->setValue(config.epochs);
    m_parallel = new QSpinBox(this);
    m_parallel->setRange(1, std::max(1, QThread::idealThreadCount()));
    m_parallel->setValue(std::min(2, m_parallel->maximum()));
    m_parallel->setToolTip(tr("Runs at once; together they use the cores, each with its share of threads"));
    form->addRow(tr("Variable:"), m_variable);
    form->addRow(QString(), m_doc);
    form->addRow(tr("Values:"), m_values);
    form->addRow(tr("Epochs:"), m_epochs);
    form->addRow(tr("Runs at once:"), m_parallel);
    v->addLayout(form);
    m_preview = new QLabel(this);
    m_preview->setWordWrap(true);
    m_preview->setObjectName(QStringLiteral("comparePreview"));
    m_preview->setMinimumWidth(420);
    v->addWidget(m_preview);
    m_buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    m_buttons->button(QDialogButtonBox::Ok)->setText(tr("Make Variants"));
    v->addWidget(m_buttons);
    connect(m_buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_variable, &QComboBox::currentIndexChanged, this, [this](int i) {
        const VariationInfo& k = variationKinds()[static_cast<size_t>(i)];
        QStringList values;
        for (const std::string& s : k.suggestedValues)
            values << QString::fromStdString(s);
        m_values->setText(values.join(QStringLiteral(", ")));
        m_doc->setText(QString::fromUtf8(k.doc));
        updatePreview();
    });
    connect(m_values, &QLineEdit::textChanged, this, &CompareDialog::updatePreview);
    m_variable->setCurrentIndex(1);
    m_variable->setCurrentIndex(0);
}

Variation CompareDialog::variation() const
{
    Variation v;
    v.kind = variationKinds()[static_cast<size_t>(std::max(0, m_variable->currentIndex()))].kind;
    for (QString s : m_values->text().split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        s = s.trimmed();
        if (!s.isEmpty())
            v.values.push_back(s.toStdString());
    }
    return v;
}

int CompareDialog::epochs() const
{
    return m_epochs->value();
}
int CompareDialog::parallel() const
{
    return m_parallel->value();
}
QString CompareDialog::preview() const
{
    return m_preview->text();
}

void CompareDialog::setVariable(const QString& name, const QString& values)
{
    const int i = m_variable->findData(name);
    if (i >= 0)
        m_variable->setCurrentIndex(i);
    if (!values.isEmpty())
        m_values->setText(values);
}

void CompareDialog::updatePreview()
{
    QString text;
    bool ok = false;
    try {
        const std::vector<Variant> variants = makeVariants(m_graph, m_config, variation());
        QStringList lines;
        const int64_t base = m_graph.analyze().totalParams;
        for (const Variant& x : variants) {
            const int64_t params = x.graph.analyze().totalParams;
            QString line = QStringLiteral("• ") + QString::fromStdString(x.label);
            if (params != base)
                line += tr(" — %1 parameters (model: %2)").arg(params).arg(base);
            if (x.graph.nodes().size() != m_graph.nodes().size())
                line += tr(", %1 nodes").arg(x.graph.nodes().size());
            lines << line;
        }
        text = tr("%n variant(s); the model on the canvas stays as it is:", nullptr, static_cast<int>(variants.size()))
            + QStringLiteral("\n") + lines.join(QLatin1Char('\n')) + QStringLiteral("\n")
            + QString::fromStdString(controlledFor(variants));
        ok = true;
    } catch (const std::exception& e) {
        text = QString::fromStdString(e.what());
    }
    m_preview->setText(text);
    m_preview->setStyleSheet(ok ? QString() : QStringLiteral("color: #b00020;"));
    m_buttons->button(QDialogButtonBox::Ok)->setEnabled(ok);
}

} // namespace netcanvas::app
