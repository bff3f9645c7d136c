#pragma once
// PropertyEditor: the parameters of the selected node as a form built from the registry's
// ParamSpec list (Int → spin box with the spec's range, Float → ScientificSpinBox, Bool →
// check box, Choice → combo box, String → line edit). Each edit pushes a SetParam command
// on the undo stack. Below the form: the node's input and output shapes, parameter count,
// FLOPs, and the engine's error in red when the node does not fit. The node's id is
// editable (a RenameNode command; a refused name says why under the field), and so is its
// "trainable" switch (unchecked: frozen in training — a SetTrainable command).
//
// Requires: model and undo stack outlive the editor.
#include <QHash>
#include <QWidget>

#include <nlohmann/json.hpp>

class QCheckBox;
class QFormLayout;
class QLineEdit;
class QLabel;
class QUndoStack;
class QVBoxLayout;

namespace netcanvas::widgets {

class GraphModel;

class PropertyEditor : public QWidget {
    Q_OBJECT
public:
    PropertyEditor(GraphModel* model, QUndoStack* undoStack, QWidget* parent = nullptr);

    const QString& nodeId() const { return m_id; }
    // The editor widget of parameter `key` of the shown node (nullptr when none).
    QWidget* editorFor(const QString& key) const { return m_editors.value(key); }
    QLabel* errorLabel() const { return m_error; }
    QLineEdit* idEdit() const { return m_idEdit; }
    // "trainable": unchecked freezes the node (a SetTrainable command); disabled for a kind
    // without parameters.
    QCheckBox* trainableBox() const { return m_trainable; }
    QLabel* outputLabel() const { return m_output; }

public slots:
    // Shows node `id` (empty: nothing selected).
    void setNode(const QString& id);

private:
    void rebuildForm();
    void refreshValues();
    void refreshAnalysis();
    void edit(const QString& key, const nlohmann::json& value);
    void renameTo(const QString& id);

    GraphModel* m_model;
    QUndoStack* m_undo;
    QString m_id;
    QLabel* m_title;
    QLabel* m_doc;
    QLineEdit* m_idEdit;
    QCheckBox* m_trainable;
    QLabel* m_idProblem;
    QWidget* m_formBox;
    QFormLayout* m_form;
    QLabel* m_noParams;
    QLabel* m_inputs;
    QLabel* m_output;
    QLabel* m_params;
    QLabel* m_flops;
    QLabel* m_error;
    QLabel* m_placeholder;
    QWidget* m_content;
    QHash<QString, QWidget*> m_editors;
};

} // namespace netcanvas::widgets
