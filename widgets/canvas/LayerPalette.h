#pragma once
// LayerPalette: every layer kind of the LayerRegistry, grouped by category, with a search box
// filtering by name and documentation. Each kind's doc is its tooltip; dragging a kind starts
// a QDrag with MIME application/x-netcanvas-layer (payload: the type name) that GraphView
// accepts; double-click emits addRequested(type).
#include <QWidget>

class QLineEdit;
class QTreeWidget;
class QTreeWidgetItem;

namespace netcanvas::widgets {

class LayerPalette : public QWidget {
    Q_OBJECT
public:
    explicit LayerPalette(QWidget* parent = nullptr);

    QTreeWidget* tree() const { return m_tree; }
    QLineEdit* searchBox() const { return m_search; }
    // Shows only kinds whose name or doc contains `text` (case-insensitive).
    void setFilter(const QString& text);
    // Layer types currently visible (in palette order).
    QStringList visibleTypes() const;

signals:
    void addRequested(const QString& type);

private:
    void populate();

    QLineEdit* m_search;
    QTreeWidget* m_tree;
};

} // namespace netcanvas::widgets
