#pragma once
// ThumbnailCache: small images of a folder's image files, decoded off the UI thread.
//
// What this represents: for each image index (the LabelStore's), a thumbnail that fits a
// side×side box, decoded with OpenCV on a dedicated pool of at most two threads (never the
// UI thread) and kept in a least-recently-used cache bounded by bytes. A large file is read
// with cv::IMREAD_REDUCED_* (JPEG decodes at 1/2, 1/4 or 1/8 scale for the price of it) and
// then resized; 16-bit and float images are scaled to 8 bits, gray stays gray, an alpha
// channel is kept (premultiplied). Images smaller than the box are kept at their size (the
// view enlarges them).
//
// Budget: budgetBytes() (default kDefaultBudgetBytes = 96 MB) bounds the decoded pixels held:
// at 4 bytes per pixel that is ~1,600 thumbnails of 128×128, or ~650 of the largest (192×192),
// several screens' worth. The least recently drawn go first.
//
// Requests: the view asks for what it paints (request()) and tells the cache what is on screen
// after each scroll (setVisibleImages()): queued requests for anything else are dropped, so a
// fast scroll through 100,000 images decodes only where it stops. The latest request is
// decoded first. A file that cannot be decoded is remembered (state Failed, with the reason)
// and not tried again until clear().
//
// Requires: use from the UI thread (the thread it lives in). Results arrive as queued calls.
#include <QCache>
#include <QHash>
#include <QImage>
#include <QMutex>
#include <QObject>
#include <QSet>
#include <QThreadPool>

#include <deque>
#include <functional>
#include <vector>

namespace netcanvas::widgets {

class ThumbnailCache : public QObject {
    Q_OBJECT
public:
    static constexpr qint64 kDefaultBudgetBytes = qint64 { 96 } << 20;
    static constexpr int kMaxThreads = 2;

    enum class State { Missing, Loading, Ready, Failed };

    explicit ThumbnailCache(QObject* parent = nullptr);
    // Drops the queue and waits for the (at most two) decodes in progress.
    ~ThumbnailCache() override;

    // Where image i's file is (called on this thread when a request is queued). Clears the
    // cache, the queue and the remembered failures; decodes in flight are discarded.
    void setSource(std::function<QString(int)> pathOf);
    void clear();

    // The box side in device pixels (16..1024). Cached thumbnails decoded for a smaller box
    // are still returned (and drawn scaled) until their larger version arrives.
    void setThumbnailSide(int side);
    int thumbnailSide() const { return m_side; }

    void setBudgetBytes(qint64 bytes);
    qint64 budgetBytes() const { return m_cache.maxCost(); }
    qint64 usedBytes() const { return m_cache.totalCost(); }
    int cachedCount() const { return static_cast<int>(m_cache.count()); }

    // The cached thumbnail (marks it recently used); null when there is none yet.
    QImage thumbnail(int image) const;
    State state(int image) const;
    bool isFailed(int image) const { return m_failed.contains(image); }
    QString failureReason(int image) const { return m_failed.value(image); }
    const QHash<int, QString>& failures() const { return m_failed; }

    // Queues a decode of `image` unless it is cached at the current side, has failed, or is
    // queued or being decoded. Decoded before earlier requests.
    void request(int image);
    // `visible` (in order) is what is on screen, `ahead` what comes next (decoded after it):
    // queued requests for any other image are dropped.
    void setVisibleImages(const std::vector<int>& visible, const std::vector<int>& ahead = {});
    int pendingCount() const; // queued + being decoded

    // Decodes `path` to fit a side×side box (RGB32, or ARGB32_Premultiplied with alpha).
    // Any thread. Null with `reason` set when the file cannot be read.
    static QImage decode(const QString& path, int side, QString* reason);

signals:
    void thumbnailReady(int image);
    void thumbnailFailed(int image, const QString& reason);

private:
    struct Entry {
        QImage image;
        int side = 0; // the box it was decoded for
        bool complete = false; // the source fits that box: no larger version exists
    };
    struct Job {
        int image = -1;
        QString path;
    };
    struct Result {
        int index = -1;
        int side = 0;
        quint64 generation = 0;
        QImage pixels; // null when the file could not be decoded (reason says why)
        QString reason;
        bool complete = false;
    };

    bool needsDecode(int image) const;
    bool enqueueLocked(int image, bool front); // requires m_mutex
    void startWorkers(); // requires m_mutex
    void work();
    void deliver(const Result& r);

    std::function<QString(int)> m_pathOf;
    int m_side = 128;
    mutable QCache<int, Entry> m_cache;
    QHash<int, QString> m_failed;

    // Shared with the workers, under m_mutex.
    mutable QMutex m_mutex;
    std::deque<Job> m_queue;
    QSet<int> m_queued;
    QSet<int> m_inFlight;
    quint64 m_generation = 0;
    int m_workerSide = 128;
    int m_running = 0;
    bool m_stopping = false;

    QThreadPool m_pool; // last: destroyed (joined) first
};

} // namespace netcanvas::widgets
