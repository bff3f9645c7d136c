#pragma once
// LabelingPanel: label a folder of images by hand, with a model in the loop.
//
// What this represents: a view of one LabelStore (not owned) — from top to bottom and left to
// right:
//   - the model bar: Train on labeled, Predict unlabeled, "Accept predictions ≥ [0.90]
//     [Accept 123]", Export…, the model's status line, and a busy text with a progress bar
//     while the app runs a job;
//   - the class bar (LabelClassBar): classes with their keys 1–9 and 0, colors and counts,
//     "Unlabeled: N", create / rename / merge / move / delete, the key legend;
//   - the filter bar (LabelFilterBar) over the thumbnail grid (LabelGridView, painted by
//     ThumbnailDelegate from a LabelBrowserModel, thumbnails from a ThumbnailCache), with the
//     selection count and the thumbnail size slider (64–192 px) below it;
//   - the preview (LabelPreview) of the current image; Space shows or hides it.
// Without a store it shows "Open a folder of images to label" and a button.
//
// Keys while the grid has focus: 1–9 and 0 label the selection with the 1st–10th class and move
// to the next image; Backspace / Delete unlabel; A accepts the selection's predictions (and moves on); Space
// toggles the preview; arrows move; Ctrl+A selects all shown; Ctrl+Z / Ctrl+Shift+Z undo/redo.
//
// Every change of labels or classes made here is a LabelChangeCommand on undoStack(), applied
// to the store when made (the store journals it at once). A change the store refuses
// (DataError, IoError) leaves store and stack as they were and is reported by errorOccurred.
// After each change, undo and redo the panel re-reads the store and emits labelsChanged().
//
// Requires: the store outlives the panel, or setStore(nullptr) (or another store) first.
#include "engine/labels/LabelStore.h"

#include <QWidget>

#include <functional>
#include <vector>

class QDoubleSpinBox;
class QLabel;
class QProgressBar;
class QPushButton;
class QSlider;
class QSplitter;
class QStackedWidget;
class QTimer;
class QUndoStack;

namespace netcanvas::widgets {

class LabelBrowserModel;
class LabelClassBar;
class LabelFilterBar;
class LabelGridView;
class LabelPreview;
class ThumbnailCache;

class LabelingPanel : public QWidget {
    Q_OBJECT
public:
    explicit LabelingPanel(QWidget* parent = nullptr);
    ~LabelingPanel() override;

    // Shows this store (not owned; nullptr = none: shows a placeholder "Open a folder of images to label" with a
    // button). Clears the undo stack.
    void setStore(netcanvas::LabelStore* store);
    netcanvas::LabelStore* store() const;
    QUndoStack* undoStack() const;
    // Re-reads the store after predictions or labels changed outside the panel (counts, badges, order, filter).
    void refresh();
    std::vector<int> selectedImages() const;
    // One line in the model bar, e.g. "Model: trained on 412 labeled · validation accuracy 87.5% (+4.1)".
    void setModelStatus(const QString& text);
    // While a background job runs: Train/Predict disabled, the text and a progress bar shown (total 0 = busy
    // indicator).
    void setBusy(bool busy, const QString& what = {});
    void setProgress(int done, int total);

    // ---- Additions ---------------------------------------------------------------------
    // Predict unlabeled is enabled only when the app has a model (default true).
    void setPredictEnabled(bool enabled);
    // A change the app made on the store itself (e.g. store->importFolderPerClass()), put on
    // the undo stack as already applied. Empty changes are ignored.
    void pushAppliedChange(const netcanvas::LabelChange& change);

    // What the keys and buttons do, callable directly. Each returns whether labels changed.
    bool assignToSelection(const QString& className); // label, then select the next image
    bool unlabelSelection();
    bool acceptSelection(); // accept the selection's predictions, then select the next image
    bool acceptAbove(float threshold); // every unlabeled image predicted with at least this confidence
    double acceptThreshold() const;
    void setAcceptThreshold(double threshold);
    int acceptableCount() const; // what "Accept" would label at the current threshold

    // Selects the shown ones of `images` (the first becomes current and is scrolled to).
    void selectImages(const std::vector<int>& images);
    int currentImage() const; // -1 when none

    netcanvas::LabelQuery query() const;
    void setQuery(const netcanvas::LabelQuery& query);
    std::vector<int> shownImages() const; // in grid order

    void setPreviewVisible(bool visible);
    bool isPreviewVisible() const;
    void setThumbnailSide(int side); // 64..192 px
    int thumbnailSide() const;

    QString modelStatus() const;
    bool isBusy() const { return m_busy; }
    QString hintText() const; // the line under the grid (selection, or the last key's hint)

    LabelClassBar* classBar() const { return m_classBar; }
    LabelFilterBar* filterBar() const { return m_filterBar; }
    LabelGridView* grid() const { return m_grid; }
    LabelBrowserModel* browserModel() const { return m_model; }
    ThumbnailCache* thumbnailCache() const { return m_cache; }
    LabelPreview* preview() const { return m_preview; }

signals:
    void openFolderRequested();
    void trainRequested(); // "Train on labeled" button (the app fine-tunes when a model exists)
    void predictRequested(); // "Predict unlabeled" button
    void exportRequested(); // "Export…" button
    void imageActivated(int image); // double-click on a thumbnail
    void errorOccurred(const QString& message);
    void labelsChanged(); // after any change to labels or classes

private:
    bool perform(const QString& what, const std::function<netcanvas::LabelChange()>& change);
    void stackChanged();
    void reloadRows(int preferImage);
    void restoreSelection(const std::vector<int>& images, int current);
    int nextImageAfterSelection() const;
    void advance(const std::vector<int>& before, int next);
    void updateCounts();
    void updateButtons();
    void updateVisible();
    void scheduleVisible();
    void showHint(const QString& text);
    void updateSelectionHint();
    void queryChanged();

    netcanvas::LabelStore* m_store = nullptr;
    QUndoStack* m_undo;
    std::function<void()> m_pendingFix;
    bool m_busy = false;
    bool m_predictEnabled = true;
    bool m_anyPrediction = false;
    int m_acceptable = 0;
    int m_beforeRow = 0; // the first selected row before a change (to move on from)

    ThumbnailCache* m_cache;
    LabelBrowserModel* m_model;

    QPushButton* m_train;
    QPushButton* m_predict;
    QDoubleSpinBox* m_threshold;
    QPushButton* m_acceptAbove;
    QPushButton* m_export;
    QLabel* m_status;
    QLabel* m_busyText;
    QProgressBar* m_progress;

    QStackedWidget* m_pages;
    QSplitter* m_split;
    LabelClassBar* m_classBar;
    LabelFilterBar* m_filterBar;
    LabelGridView* m_grid;
    LabelPreview* m_preview;
    QLabel* m_hint;
    QSlider* m_size;
    QTimer* m_visibleTimer;
    QTimer* m_previewTimer;
    QTimer* m_hintTimer;
};

} // namespace netcanvas::widgets
