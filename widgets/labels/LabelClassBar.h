#pragma once
// LabelClassBar: the classes of a LabelStore, for labeling with a click and for editing them.
//
// From top to bottom: "Classes"; one row per class in the store's order — the key that
// assigns it (1–9, then 0) in the class color, its name and its image count; "⌫ Unlabeled 9,200";
// "+ New class"; "Import sub-folders as classes" while the folder has sub-folders that are
// not classes yet; then the legend of the grid's keys.
//
// A click on a class row asks to assign it to the selected images (assignRequested). Each
// row's "⋯" button and right-click menu: Rename…, Merge into ▸, Move up, Move down, Show only
// this class, Delete… (asks first: its images become unlabeled).
//
// The bar never changes the store itself: the edit functions below (the menus call them; so
// may tests and tools) emit a request that the owner (LabelingPanel) turns into an undoable
// change, then calls refresh().
#include <QStringList>
#include <QWidget>

#include <cstdint>
#include <vector>

class QLabel;
class QPushButton;
class QVBoxLayout;

namespace netcanvas {
class LabelStore;
}

namespace netcanvas::widgets {

namespace labelclassbar { // private to LabelClassBar.cpp
class ClassRow;
}

class LabelClassBar : public QWidget {
    Q_OBJECT
public:
    explicit LabelClassBar(QWidget* parent = nullptr);
    ~LabelClassBar() override;

    // Shows `store`'s classes (not owned; nullptr = none).
    void setStore(const netcanvas::LabelStore* store);
    // Re-reads classes and counts.
    void refresh();

    // Requests (emit the matching signal; names are passed as given).
    void createClass(const QString& name);
    void renameClass(const QString& from, const QString& to);
    void mergeClass(const QString& from, const QString& into);
    void deleteClass(const QString& name); // without asking (the menu asks first)
    void moveClass(const QString& name, int position);
    void assignClass(const QString& name); // as a click on its row

    // The dialogs behind the buttons and menus.
    void promptCreate();
    void promptRename(const QString& name);
    void confirmDelete(const QString& name);

    // What is shown, for tests and tools.
    QStringList classNamesShown() const;
    QString rowText(int i) const; // "1 cat 412"
    QString unlabeledText() const; // "Unlabeled 9,200"
    QWidget* classRow(int i) const;
    bool importShown() const;

signals:
    void assignRequested(const QString& name);
    void unlabelRequested();
    void createRequested(const QString& name);
    void renameRequested(const QString& from, const QString& to);
    void mergeRequested(const QString& from, const QString& into);
    void deleteRequested(const QString& name);
    void moveRequested(const QString& name, int position);
    void showClassRequested(const QString& name);
    void importFoldersRequested();

private:
    void rebuildRows();
    void showMenu(int row, const QPoint& globalPos);

    const netcanvas::LabelStore* m_store = nullptr;
    QStringList m_classes;
    QStringList m_folderClasses; // first-level sub-folders with images
    std::vector<labelclassbar::ClassRow*> m_rows;
    QVBoxLayout* m_rowsLayout;
    labelclassbar::ClassRow* m_unlabeled;
    QLabel* m_empty;
    QPushButton* m_create;
    QPushButton* m_import;
    QLabel* m_legend;
};

} // namespace netcanvas::widgets
