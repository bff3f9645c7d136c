#pragma once
// Experiment ▸ Compare…: the variable (activation, initializer, dropout, batch norm, optimizer,
// learning rate, batch size, weight decay, L1, L2, depth, width), its values (comma-separated,
// prefilled with the variable's suggestions), the epochs and how many runs at once. A preview
// lists the variants the values make of the canvas's model — or why a value cannot apply —
// before anything runs.
#include "engine/graph/ModelGraph.h"
#include "engine/session/Experiment.h"

#include <QDialog>

class QComboBox;
class QLabel;
class QLineEdit;
class QSpinBox;
class QDialogButtonBox;

namespace netcanvas::app {

class CompareDialog : public QDialog {
    Q_OBJECT
public:
    CompareDialog(const ModelGraph& graph, const TrainConfig& config, QWidget* parent = nullptr);

    Variation variation() const;
    int epochs() const;
    int parallel() const;
    // Sets the variable by its name ("learning_rate") and, when given, the values.
    void setVariable(const QString& name, const QString& values = {});
    QString preview() const; // the preview's text

private:
    void updatePreview();

    ModelGraph m_graph;
    TrainConfig m_config;
    QComboBox* m_variable;
    QLineEdit* m_values;
    QLabel* m_doc;
    QSpinBox* m_epochs;
    QSpinBox* m_parallel;
    QLabel* m_preview;
    QDialogButtonBox* m_buttons;
};

} // namespace netcanvas::app
