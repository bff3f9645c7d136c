#include "widgets/canvas/PropertyEditor.h"

#include "widgets/canvas/CanvasStyle.h"
#include "widgets/canvas/GraphCommands.h"
#include "widgets/canvas/GraphModel.h"
#include "widgets/canvas/ScientificSpinBox.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QFrame>
#include <QLabel>
#include <QLineEdit>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QUndoStack>
#include <QVBoxLayout>

#include <climits>
#include <cmath>

namespace netcanvas::widgets {

namespace {

QLabel* sectionLabel(const QString& text, QWidget* parent)
{
    auto* l = new QLabel(text.toUpper(), parent);
    QFont f = l->font();
    f.setBold(true);
    f.setPointSizeF(f.pointSizeF() * 0.85);
    l->setFont(f);
    l->setStyleSheet(QStringLiteral("color: #76808e; padding-top: 8px;"));
    return l;
}

// Every form of the editor uses this label width, so their fields line up.
constexpr int kLabelWidth = 74;

QLabel* formLabel(const QString& text, QWidget* parent)
{
    auto* l = new QLabel(text, parent);
    l->setMinimumWidth(kLabelWidth);
    l->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
    return l;
}

QString shapeText(const Shape& s)
{
    return QString::fromStdString(s.toString());
}

} // namespace

PropertyEditor::PropertyEditor(GraphModel* model, QUndoStack* undoStack, QWidget* parent)
    : QWidget(parent)
    , m_model(model)
    , m_undo(undoStack)
{
    auto* outer = new QVBoxLayout(this);
    outer->setContentsMargins(10, 10, 10, 10);
    m_placeholder = new QLabel(tr("Select a node to edit its parameters."), this);
    m_placeholder->setWordWrap(true);
    m_placeholder->setStyleSheet(QStringLiteral("color: #76808e;"));
    outer->addWidget(m_placeholder);

    m_content = new QWidget(this);
    auto* v = new QVBoxLayout(m_content);
    v->setContentsMargins(0, 0, 0, 0);
    v->setSpacing(4);
    m_title = new QLabel(m_content);
    m_title->setTextFormat(Qt::RichText);
    m_doc = new QLabel(m_content);
    m_doc->setWordWrap(true);
    m_doc->setStyleSheet(QStringLiteral("color: #5d6673;"));
    v->addWidget(m_title);
    v->addWidget(m_doc);
    auto* idRow = new QFormLayout;
    idRow->setContentsMargins(0, 6, 0, 0);
    idRow->setLabelAlignment(Qt::AlignRight | Qt::AlignVCenter);
    idRow->setHorizontalSpacing(10);
    m_idEdit = new QLineEdit(m_content);
    m_idEdit->setToolTip(tr("The node's name: used in messages, the model file and weight names"));
    idRow->addRow(formLabel(tr("name"), m_content), m_idEdit);
    m_trainable = new QCheckBox(tr("train this layer's weights"), m_content);
    m_trainable->setToolTip(tr("Unchecked: the layer is frozen — training leaves its weights (and batch norm's "
                               "running statistics) as they are, as when fine-tuning a pretrained model"));
    idRow->addRow(formLabel(tr("trainable"), m_content), m_trainable);
    v->addLayout(idRow);
    connect(m_trainable, &QCheckBox::toggled, this, [this](bool on) {
        const GraphNode* n = m_model->node(m_id);
        if (n && n->trainable != on)
            m_undo->push(new SetTrainableCommand(m_model, { m_id }, on));
    });
    m_idProblem = new QLabel(m_content);
    m_idProblem->setWordWrap(true);
    m_idProblem->setStyleSheet(QStringLiteral("color: #b23a3a;"));
    m_idProblem->hide();
    v->addWidget(m_idProblem);
    connect(m_idEdit, &QLineEdit::editingFinished, this, [this] { renameTo(m_idEdit->text().trimmed()); });

    v->addWidget(sectionLabel(tr("Parameters"), m_content));
    m_formBox = new QWidget(m_content);
    m_form = new QFormLayout(m_formBox);
    m_form->setContentsMargins(0, 2, 0, 2);
    m_form->setLabelAlignment(Qt::AlignRight | Qt::AlignVCenter);
    m_form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    m_form->setHorizontalSpacing(10);
    m_form->setVerticalSpacing(6);
    v->addWidget(m_formBox);
    m_noParams = new QLabel(tr("This layer has no parameters."), m_content);
    m_noParams->setStyleSheet(QStringLiteral("color: #76808e;"));
    v->addWidget(m_noParams);

    v->addWidget(sectionLabel(tr("Shapes and cost"), m_content));
    auto* info = new QFormLayout;
    info->setContentsMargins(0, 2, 0, 2);
    info->setLabelAlignment(Qt::AlignRight | Qt::AlignVCenter);
    info->setHorizontalSpacing(10);
    info->setVerticalSpacing(4);
    m_inputs = new QLabel(m_content);
    m_output = new QLabel(m_content);
    m_params = new QLabel(m_content);
    m_flops = new QLabel(m_content);
    for (QLabel* l : { m_inputs, m_output, m_params, m_flops })
        l->setTextInteractionFlags(Qt::TextSelectableByMouse);
    info->addRow(formLabel(tr("input"), m_content), m_inputs);
    info->addRow(formLabel(tr("output"), m_content), m_output);
    info->addRow(formLabel(tr("parameters"), m_content), m_params);
    info->addRow(formLabel(tr("FLOPs"), m_content), m_flops);
    v->addLayout(info);
    m_error = new QLabel(m_content);
    m_error->setWordWrap(true);
    m_error->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_error->setStyleSheet(QStringLiteral(
        "color: #a52f2f; background: #fdefef; border: 1px solid #efc4c4; border-radius: 5px; padding: 6px;"));
    v->addSpacing(6);
    v->addWidget(m_error);
    v->addStretch(1);
    outer->addWidget(m_content);
    outer->addStretch(1);

    connect(model, &GraphModel::nodeUpdated, this, [this](const QString& id) {
        if (id == m_id)
            refreshValues();
    });
    connect(model, &GraphModel::nodeDeleted, this, [this](const QString& id) {
        if (id == m_id)
            setNode({});
    });
    connect(model, &GraphModel::modelReset, this, [this] { setNode({}); });
    connect(model, &GraphModel::nodeRenamed, this, [this](const QString&, const QString& newId) { setNode(newId); });
    connect(model, &GraphModel::analysisChanged, this, &PropertyEditor::refreshAnalysis);
    setNode({});
}

void PropertyEditor::setNode(const QString& id)
{
    m_id = m_model->contains(id) ? id : QString();
    m_placeholder->setVisible(m_id.isEmpty());
    m_content->setVisible(!m_id.isEmpty());
    rebuildForm();
    refreshAnalysis();
}

void PropertyEditor::rebuildForm()
{
    while (m_form->rowCount() > 0)
        m_form->removeRow(0);
    m_editors.clear();
    m_idEdit->setText(m_id);
    m_idProblem->hide();
    const GraphNode* n = m_model->node(m_id);
    if (!n)
        return;
    const LayerInfo* info = LayerRegistry::builtin().find(n->type);
    const QString type = QString::fromStdString(n->type);
    const QColor color = style::categoryColor(info ? QString::fromStdString(info->category) : QString());
    m_title->setText(QStringLiteral("<span style='color:%1; font-size:15pt'>&#9632;</span> "
                                    "<span style='font-size:12pt; font-weight:600'>%2</span> "
                                    "<span style='color:#76808e'>&nbsp;%3</span>")
                         .arg(color.name(), type.toHtmlEscaped(), m_id.toHtmlEscaped()));
    m_doc->setText(info ? QString::fromStdString(info->doc) : tr("Unknown layer type."));
    m_noParams->setVisible(!info || info->params.empty());
    if (!info)
        return;

    for (const ParamSpec& spec : info->params) {
        const QString key = QString::fromStdString(spec.name);
        QWidget* editor = nullptr;
        switch (spec.type) {
        case ParamType::Int: {
            auto* sb = new QSpinBox(m_formBox);
            sb->setRange(static_cast<int>(std::max<double>(spec.min, INT_MIN)),
                static_cast<int>(std::min<double>(spec.max, INT_MAX)));
            sb->setKeyboardTracking(false);
            connect(sb, &QSpinBox::valueChanged, this, [this, key](int v) { edit(key, static_cast<int64_t>(v)); });
            editor = sb;
            break;
        }
        case ParamType::Float: {
            auto* sb = new ScientificSpinBox(m_formBox);
            sb->setRange(std::max(spec.min, -1e300), std::min(spec.max, 1e300));
            const double def = spec.defaultValue.is_number() ? spec.defaultValue.get<double>() : 0.0;
            sb->setSingleStep(std::abs(def) >= 1 ? 0.1 : 0.01);
            connect(sb, &QDoubleSpinBox::valueChanged, this, [this, key](double v) { edit(key, v); });
            editor = sb;
            break;
        }
        case ParamType::Bool: {
            auto* cb = new QCheckBox(m_formBox);
            connect(cb, &QCheckBox::toggled, this, [this, key](bool v) { edit(key, v); });
            editor = cb;
            break;
        }
        case ParamType::Choice: {
            auto* combo = new QComboBox(m_formBox);
            for (const auto& c : spec.choices)
                combo->addItem(QString::fromStdString(c));
            connect(
                combo, &QComboBox::textActivated, this, [this, key](const QString& v) { edit(key, v.toStdString()); });
            editor = combo;
            break;
        }
        case ParamType::String: {
            auto* le = new QLineEdit(m_formBox);
            connect(le, &QLineEdit::editingFinished, this, [this, key, le] { edit(key, le->text().toStdString()); });
            editor = le;
            break;
        }
        }
        editor->setToolTip(QString::fromStdString(spec.doc));
        auto* label = formLabel(key, m_formBox);
        label->setToolTip(QString::fromStdString(spec.doc));
        m_form->addRow(label, editor);
        m_editors.insert(key, editor);
    }
    refreshValues();
}

void PropertyEditor::refreshValues()
{
    const GraphNode* n = m_model->node(m_id);
    const LayerInfo* info = n ? LayerRegistry::builtin().find(n->type) : nullptr;
    if (!info)
        return;
    for (const ParamSpec& spec : info->params) {
        QWidget* editor = m_editors.value(QString::fromStdString(spec.name));
        if (!editor)
            continue;
        auto it = n->params.find(spec.name);
        const nlohmann::json v = it != n->params.end() ? *it : spec.defaultValue;
        const QSignalBlocker block(editor);
        try {
            switch (spec.type) {
            case ParamType::Int:
                if (v.is_number())
                    static_cast<QSpinBox*>(editor)->setValue(static_cast<int>(v.get<double>()));
                break;
            case ParamType::Float:
                if (v.is_number())
                    static_cast<QDoubleSpinBox*>(editor)->setValue(v.get<double>());
                break;
            case ParamType::Bool:
                if (v.is_boolean())
                    static_cast<QCheckBox*>(editor)->setChecked(v.get<bool>());
                break;
            case ParamType::Choice:
                if (v.is_string())
                    static_cast<QComboBox*>(editor)->setCurrentText(QString::fromStdString(v.get<std::string>()));
                break;
            case ParamType::String:
                if (v.is_string())
                    static_cast<QLineEdit*>(editor)->setText(QString::fromStdString(v.get<std::string>()));
                break;
            }
        } catch (const nlohmann::json::exception&) {
            // A hand-written file with a value of the wrong type: the analysis reports it.
        }
    }
}

void PropertyEditor::refreshAnalysis()
{
    if (m_id.isEmpty())
        return;
    const NodeAnalysis* a = m_model->nodeAnalysis(m_id);
    const GraphNode* n = m_model->node(m_id);
    if (n) {
        const QSignalBlocker block(m_trainable);
        m_trainable->setChecked(n->trainable);
        // A kind without parameters has nothing to freeze (unless a file froze it already).
        m_trainable->setEnabled(!n->trainable || (a && a->params > 0));
    }
    QStringList ins;
    if (a)
        for (const auto& s : a->inputShapes)
            ins << shapeText(s);
    m_inputs->setText(
        ins.isEmpty() ? (n && n->inputs.empty() ? tr("none") : QStringLiteral("—")) : ins.join(QStringLiteral(", ")));
    const bool ok = a && a->ok;
    m_output->setText(ok ? shapeText(a->outputShape) : QStringLiteral("—"));
    m_params->setText(ok ? style::groupDigits(a->params) : QStringLiteral("—"));
    m_flops->setText(ok ? (a->flops > 0 ? style::compactCount(static_cast<double>(a->flops)) : QStringLiteral("0"))
                        : QStringLiteral("—"));
    const QString err = a && !a->ok && n
        ? style::tidyNodeMessage(QString::fromStdString(a->error), m_id, QString::fromStdString(n->type))
        : QString();
    m_error->setText(err);
    m_error->setVisible(!err.isEmpty());
}

void PropertyEditor::renameTo(const QString& id)
{
    if (m_id.isEmpty() || id == m_id) {
        m_idProblem->hide();
        return;
    }
    const ConnectCheck check = m_model->canRename(m_id, id);
    if (!check.ok) {
        m_idProblem->setText(check.reason);
        m_idProblem->show();
        const QSignalBlocker block(m_idEdit);
        m_idEdit->setText(m_id);
        return;
    }
    m_idProblem->hide();
    m_undo->push(new RenameNodeCommand(m_model, m_id, id));
}

void PropertyEditor::edit(const QString& key, const nlohmann::json& value)
{
    const GraphNode* n = m_model->node(m_id);
    if (!n)
        return;
    const LayerInfo* info = LayerRegistry::builtin().find(n->type);
    const ParamSpec* spec = info ? info->param(key.toStdString()) : nullptr;
    auto it = n->params.find(key.toStdString());
    const nlohmann::json current = it != n->params.end() ? *it : (spec ? spec->defaultValue : nlohmann::json());
    if (current == value)
        return;
    m_undo->push(new SetParamCommand(m_model, m_id, key, value));
}

} // namespace netcanvas::widgets
