#pragma once
// LabelBrowserModel: the images a LabelStore query selects, as a flat list model.
//
// What this represents: row r is image images()[r] of the store, in the query's order, with
// its path, label, prediction and thumbnail as roles. The thumbnail role reads the
// ThumbnailCache and asks it to decode what is missing (so only painted rows are decoded);
// until it arrives the role holds placeholderThumbnail() and ThumbnailStateRole says Loading.
// When a thumbnail arrives (or fails) its row's dataChanged is emitted.
//
// refresh() re-runs the query after the labels or predictions changed: when the same images
// are selected in the same order only dataChanged is emitted (the view keeps its selection
// and scroll position), otherwise the model is reset. Both are O(images) with small
// constants (a 100,000-image folder refreshes in a few milliseconds).
//
// Requires: the store outlives the model or is replaced first (setStore(nullptr)); use from
// the UI thread.
#include "engine/labels/LabelStore.h"

#include <QAbstractListModel>
#include <QImage>

#include <vector>

namespace netcanvas::widgets {

class ThumbnailCache;

class LabelBrowserModel : public QAbstractListModel {
    Q_OBJECT
public:
    enum Role {
        ImageRole = Qt::UserRole + 1, // int: the store's image index
        PathRole, // QString: the file's absolute path
        IdRole, // QString: the path relative to the folder ("field/IMG_0001.jpg")
        LabelNameRole, // QString: the class; "" when unlabeled
        LabelIndexRole, // int: the class index; -1 when unlabeled
        PredictedClassRole, // QString: the predicted class; "" without a prediction
        PredictedIndexRole, // int: the predicted class' index among the store's classes; -1 when none / not a class
        ConfidenceRole, // float: the prediction's probability; NaN without a prediction
        ThumbnailRole, // QImage: the thumbnail, or placeholderThumbnail() while it is decoded
        ThumbnailStateRole, // int: ThumbnailCache::State
        FailureRole, // QString: why the file cannot be read; "" when it can
    };

    explicit LabelBrowserModel(ThumbnailCache* cache, QObject* parent = nullptr);

    // Shows the query's images of `store` (not owned; nullptr = no rows). Resets.
    void setStore(const netcanvas::LabelStore* store);
    const netcanvas::LabelStore* store() const { return m_store; }
    // Runs `query` (resets).
    void setQuery(const netcanvas::LabelQuery& query);
    const netcanvas::LabelQuery& query() const { return m_query; }
    // Re-runs the query (see above). Returns true when the rows changed (a reset).
    bool refresh();

    const std::vector<int>& images() const { return m_images; }
    int imageAt(int row) const; // -1 out of range
    int rowOf(int image) const; // -1 when not shown
    int totalImages() const; // all images of the store

    ThumbnailCache* cache() const { return m_cache; }
    static QImage placeholderThumbnail();

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;

private:
    void run(); // m_images and m_rowOf from the query
    void thumbnailChanged(int image);

    ThumbnailCache* m_cache;
    const netcanvas::LabelStore* m_store = nullptr;
    netcanvas::LabelQuery m_query;
    std::vector<int> m_images;
    std::vector<int> m_rowOf; // per store image: its row or -1
};

} // namespace netcanvas::widgets
