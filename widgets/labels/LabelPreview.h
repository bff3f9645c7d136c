#pragma once
// LabelPreview: the current image, large, with what is known about it — its file name (and
// sub-folder), size, label (in the class color, with its key) and the model's prediction with
// its confidence as a bar. The picture is decoded off the UI thread (ThumbnailCache::decode
// at up to 1024 px, on Qt's global pool); a newer showImage() wins over a decode in flight.
// Tiny images are enlarged by a whole factor with nearest neighbour, so pixels stay sharp.
#include <QImage>
#include <QWidget>

class QLabel;

namespace netcanvas {
class LabelStore;
}

namespace netcanvas::widgets {

namespace labelpreview { // private to LabelPreview.cpp
class Picture;
}

class LabelPreview : public QWidget {
    Q_OBJECT
public:
    static constexpr int kDecodeSide = 1024;

    explicit LabelPreview(QWidget* parent = nullptr);
    ~LabelPreview() override;

    void setStore(const netcanvas::LabelStore* store); // not owned; clears
    // Shows image `image` of the store (-1: nothing). Decodes in the background.
    void showImage(int image);
    int image() const { return m_image; }
    // Re-reads the label and prediction (after a change).
    void refresh();

    // What is shown, for tests and tools.
    QImage picture() const; // null until decoded (or when unreadable)
    QString titleText() const;
    QString detailText() const;

signals:
    // The picture of `image` was decoded (or found unreadable: `ok` false).
    void pictureReady(int image, bool ok);

private:
    const netcanvas::LabelStore* m_store = nullptr;
    int m_image = -1;
    quint64 m_request = 0;
    QSize m_sourceSize;
    QString m_failure;
    labelpreview::Picture* m_picture;
    QLabel* m_title;
    QLabel* m_folder;
    QLabel* m_detail;
};

} // namespace netcanvas::widgets
