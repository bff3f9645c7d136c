#pragma once
// LabelFilterBar: which images the labeling grid shows, and in what order — one line above it:
//   Show [All images | Unlabeled | Labeled | cat | dog …]   Predicted [any | with a prediction | cat …]
//   Confidence [0.00]–[1.00]   Order [File path | Least confident first | Most confident first]
//   "312 of 10,000 shown"
// It edits a LabelQuery and emits queryChanged(); it never reads the store itself (the owner
// passes the classes and the counts).
#include "engine/labels/LabelStore.h"

#include <QStringList>
#include <QWidget>

class QComboBox;
class QDoubleSpinBox;
class QLabel;

namespace netcanvas::widgets {

class LabelFilterBar : public QWidget {
    Q_OBJECT
public:
    explicit LabelFilterBar(QWidget* parent = nullptr);

    // The classes offered under Show and Predicted. A chosen class that is gone falls back
    // to All / any (and emits queryChanged).
    void setClasses(const QStringList& classes);
    // Whether any image has a prediction: the prediction controls are enabled only then.
    void setHasPredictions(bool any);

    netcanvas::LabelQuery query() const;
    // Sets every control (emits queryChanged once when the query differs).
    void setQuery(const netcanvas::LabelQuery& query);

    void setCounts(qint64 shown, qint64 total);
    QString countText() const;

signals:
    void queryChanged();

private:
    void changed();
    void fillCombos();

    QStringList m_classes;
    bool m_hasPredictions = false;
    bool m_updating = false;
    QComboBox* m_show;
    QComboBox* m_predicted;
    QDoubleSpinBox* m_min;
    QDoubleSpinBox* m_max;
    QComboBox* m_order;
    QLabel* m_count;
};

} // namespace netcanvas::widgets
