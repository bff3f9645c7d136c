#include "widgets/labels/ThumbnailCache.h"

#include "engine/core/Limits.h"
#include "engine/data/ImageHeader.h"

#include <QFile>
#include <QFileInfo>
#include <QImageReader>
#include <QMutexLocker>
#include <QThread>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

namespace netcanvas::widgets {

namespace {

// Any depth to 8 bits: 16-bit by 1/257 (full range to full range); float in [0, 1] by 255;
// anything else stretched from its min to its max.
cv::Mat to8Bit(const cv::Mat& m)
{
    if (m.depth() == CV_8U)
        return m;
    cv::Mat out;
    if (m.depth() == CV_16U) {
        m.convertTo(out, CV_8U, 1.0 / 257.0);
        return out;
    }
    double lo = 0, hi = 0;
    cv::minMaxLoc(m.reshape(1), &lo, &hi);
    if ((m.depth() == CV_32F || m.depth() == CV_64F) && lo >= 0 && hi <= 1) {
        m.convertTo(out, CV_8U, 255.0);
        return out;
    }
    const double scale = hi > lo ? 255.0 / (hi - lo) : 0.0;
    m.convertTo(out, CV_8U, scale, -lo * scale);
    return out;
}

// An 8-bit Mat of 1, 3 (BGR) or 4 (BGRA, premultiplied) channels as a QImage of its own.
QImage toQImage(const cv::Mat& m)
{
    const QImage::Format format = m.channels() == 1 ? QImage::Format_Grayscale8
        : m.channels() == 3                         ? QImage::Format_BGR888
                                                    : QImage::Format_RGBA8888_Premultiplied;
    const QImage view(m.data, m.cols, m.rows, static_cast<qsizetype>(m.step), format);
    return view.convertToFormat(m.channels() == 4 ? QImage::Format_ARGB32_Premultiplied : QImage::Format_RGB32);
}

} // namespace

ThumbnailCache::ThumbnailCache(QObject* parent)
    : QObject(parent)
    , m_cache(kDefaultBudgetBytes)
{
    m_pool.setMaxThreadCount(kMaxThreads);
    m_pool.setThreadPriority(QThread::LowPriority);
    m_pool.setObjectName(QStringLiteral("thumbnails"));
}

ThumbnailCache::~ThumbnailCache()
{
    {
        QMutexLocker lock(&m_mutex);
        m_stopping = true;
        m_queue.clear();
        m_queued.clear();
    }
    m_pool.waitForDone();
}

void ThumbnailCache::setSource(std::function<QString(int)> pathOf)
{
    m_pathOf = std::move(pathOf);
    clear();
}

void ThumbnailCache::clear()
{
    {
        QMutexLocker lock(&m_mutex);
        ++m_generation; // results of decodes in flight are dropped on arrival
        m_queue.clear();
        m_queued.clear();
        m_inFlight.clear();
    }
    m_cache.clear();
    m_failed.clear();
}

void ThumbnailCache::setThumbnailSide(int side)
{
    side = std::clamp(side, 16, 1024);
    if (side == m_side)
        return;
    m_side = side;
    QMutexLocker lock(&m_mutex);
    m_workerSide = side;
    // What is queued was asked for at the old side; the view asks again as it repaints.
    m_queue.clear();
    m_queued.clear();
}

void ThumbnailCache::setBudgetBytes(qint64 bytes)
{
    m_cache.setMaxCost(std::max<qint64>(bytes, 1 << 20));
}

QImage ThumbnailCache::thumbnail(int image) const
{
    const Entry* e = m_cache.object(image);
    return e ? e->image : QImage();
}

ThumbnailCache::State ThumbnailCache::state(int image) const
{
    if (m_failed.contains(image))
        return State::Failed;
    if (m_cache.contains(image))
        return State::Ready;
    QMutexLocker lock(&m_mutex);
    return m_queued.contains(image) || m_inFlight.contains(image) ? State::Loading : State::Missing;
}

bool ThumbnailCache::needsDecode(int image) const
{
    if (image < 0 || !m_pathOf || m_failed.contains(image))
        return false;
    const Entry* e = m_cache.object(image);
    return !e || (!e->complete && e->side < m_side);
}

bool ThumbnailCache::enqueueLocked(int image, bool front)
{
    if (m_inFlight.contains(image))
        return false;
    if (m_queued.contains(image)) {
        if (!front)
            return false;
        // Move it to the front: it is wanted now.
        const auto it = std::find_if(m_queue.begin(), m_queue.end(), [&](const Job& j) { return j.image == image; });
        if (it != m_queue.end()) {
            Job j = std::move(*it);
            m_queue.erase(it);
            m_queue.push_front(std::move(j));
        }
        return false;
    }
    Job j { image, m_pathOf(image) };
    if (front)
        m_queue.push_front(std::move(j));
    else
        m_queue.push_back(std::move(j));
    m_queued.insert(image);
    return true;
}

void ThumbnailCache::request(int image)
{
    if (!needsDecode(image))
        return;
    QMutexLocker lock(&m_mutex);
    if (m_queued.contains(image) || m_inFlight.contains(image))
        return; // already coming (no reordering here: request() runs per painted tile)
    enqueueLocked(image, true);
    startWorkers();
}

void ThumbnailCache::setVisibleImages(const std::vector<int>& visible, const std::vector<int>& ahead)
{
    QMutexLocker lock(&m_mutex);
    m_queue.clear();
    m_queued.clear();
    for (const std::vector<int>* list : { &visible, &ahead })
        for (int image : *list) {
            lock.unlock(); // needsDecode reads the cache only (UI thread), not the shared state
            const bool need = needsDecode(image);
            lock.relock();
            if (need)
                enqueueLocked(image, false);
        }
    startWorkers();
}

int ThumbnailCache::pendingCount() const
{
    QMutexLocker lock(&m_mutex);
    return static_cast<int>(m_queue.size() + static_cast<size_t>(m_inFlight.size()));
}

void ThumbnailCache::startWorkers()
{
    while (!m_stopping && m_running < kMaxThreads && m_running < static_cast<int>(m_queue.size())) {
        ++m_running;
        m_pool.start([this] { work(); });
    }
}

void ThumbnailCache::work()
{
    for (;;) {
        Job job;
        Result r;
        {
            QMutexLocker lock(&m_mutex);
            if (m_stopping || m_queue.empty()) {
                --m_running;
                return;
            }
            job = std::move(m_queue.front());
            m_queue.pop_front();
            m_queued.remove(job.image);
            m_inFlight.insert(job.image);
            r.side = m_workerSide;
            r.generation = m_generation;
        }
        r.index = job.image;
        r.pixels = decode(job.path, r.side, &r.reason);
        // decode() never enlarges: a thumbnail under the box is the whole source.
        r.complete = !r.pixels.isNull() && std::max(r.pixels.width(), r.pixels.height()) < r.side;
        QMetaObject::invokeMethod(
            this, [this, r = std::move(r)] { deliver(r); }, Qt::QueuedConnection);
    }
}

void ThumbnailCache::deliver(const Result& r)
{
    {
        QMutexLocker lock(&m_mutex);
        if (r.generation != m_generation)
            return; // decoded for a source or cache that is gone
        m_inFlight.remove(r.index);
    }
    if (r.pixels.isNull()) {
        m_failed.insert(r.index, r.reason);
        m_cache.remove(r.index);
        emit thumbnailFailed(r.index, r.reason);
        return;
    }
    const Entry* old = m_cache.object(r.index);
    if (old && old->side > r.side)
        return; // a larger one arrived meanwhile
    m_cache.insert(r.index, new Entry { r.pixels, r.side, r.complete }, std::max<qsizetype>(r.pixels.sizeInBytes(), 1));
    emit thumbnailReady(r.index);
}

QImage ThumbnailCache::decode(const QString& path, int side, QString* reason)
{
    auto fail = [&](const QString& why) {
        if (reason)
            *reason = why;
        return QImage();
    };
    const QFileInfo info(path);
    if (!info.exists())
        return fail(tr("file not found"));
    if (!info.isReadable())
        return fail(tr("no permission to read"));
    if (info.size() == 0)
        return fail(tr("empty file"));
    if (info.size() > netcanvas::limits::kMaxImageFileBytes)
        return fail(tr("file of %1 MiB, more than an image file may have (%2 MiB)")
                        .arg(info.size() >> 20)
                        .arg(netcanvas::limits::kMaxImageFileBytes >> 20));
    side = std::max(side, 1);

    // The whole file, then the size its header declares before anything is decoded: a small
    // file may claim a gigapixel image (the same check and limit as the datasets' decoder).
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return fail(tr("cannot be read: %1").arg(file.errorString()));
    const QByteArray bytes = file.readAll();
    file.close();
    {
        std::string why;
        if (!netcanvas::checkImageHeader({ bytes.constData(), static_cast<size_t>(bytes.size()) }, why))
            return fail(QString::fromStdString(why));
    }

    // Read the header only (Qt knows png, jpeg, bmp; others give an invalid size) to pick a
    // reduced decode for large files. A file with alpha is read whole (IMREAD_REDUCED_* drops it).
    int flags = cv::IMREAD_UNCHANGED;
    {
        QImageReader reader(path);
        const QSize full = reader.size();
        const QImage::Format format = reader.imageFormat();
        const bool alpha = format != QImage::Format_Invalid && QImage(1, 1, format).hasAlphaChannel();
        const bool gray = format == QImage::Format_Grayscale8 || format == QImage::Format_Grayscale16
            || format == QImage::Format_Mono || format == QImage::Format_MonoLSB;
        const int big = full.isValid() ? std::max(full.width(), full.height()) : 0;
        if (!alpha && big >= 2 * side) {
            const int r = big >= 8 * side ? 8 : big >= 4 * side ? 4 : 2;
            if (gray)
                flags = r == 8 ? cv::IMREAD_REDUCED_GRAYSCALE_8
                    : r == 4   ? cv::IMREAD_REDUCED_GRAYSCALE_4
                               : cv::IMREAD_REDUCED_GRAYSCALE_2;
            else
                flags = r == 8 ? cv::IMREAD_REDUCED_COLOR_8
                    : r == 4   ? cv::IMREAD_REDUCED_COLOR_4
                               : cv::IMREAD_REDUCED_COLOR_2;
        }
    }

    cv::Mat m;
    try {
        const cv::Mat buffer(1, static_cast<int>(bytes.size()), CV_8U, const_cast<char*>(bytes.constData()));
        m = cv::imdecode(buffer, flags);
    } catch (const cv::Exception& e) {
        return fail(tr("cannot be decoded: %1").arg(QString::fromStdString(e.msg).trimmed()));
    }
    if (m.empty() || m.cols <= 0 || m.rows <= 0)
        return fail(tr("cannot be decoded (not an image, or damaged)"));

    try {
        m = to8Bit(m);
        switch (m.channels()) {
        case 1:
        case 3:
            break;
        case 2: { // gray + alpha
            cv::Mat planes[2];
            cv::split(m, planes);
            cv::Mat bgra;
            cv::merge(std::vector<cv::Mat> { planes[0], planes[0], planes[0], planes[1] }, bgra);
            m = bgra;
            [[fallthrough]];
        }
        case 4: {
            cv::Mat rgba;
            cv::cvtColor(m, rgba, cv::COLOR_BGRA2RGBA);
            cv::cvtColor(rgba, m, cv::COLOR_RGBA2mRGBA); // premultiplied: resizes without dark fringes
            break;
        }
        default:
            return fail(tr("%1 channels are not shown").arg(m.channels()));
        }
        const int big = std::max(m.cols, m.rows);
        if (big > side) {
            const double scale = static_cast<double>(side) / big;
            const int w = std::max(1, static_cast<int>(std::lround(m.cols * scale)));
            const int h = std::max(1, static_cast<int>(std::lround(m.rows * scale)));
            cv::Mat small;
            cv::resize(m, small, cv::Size(w, h), 0, 0, cv::INTER_AREA);
            m = small;
        }
    } catch (const cv::Exception& e) {
        return fail(tr("cannot be converted: %1").arg(QString::fromStdString(e.msg).trimmed()));
    }
    if (!m.isContinuous())
        m = m.clone();
    return toQImage(m);
}

} // namespace netcanvas::widgets
