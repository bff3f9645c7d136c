#include "engine/data/ImageDecode.h"

#include "engine/core/Error.h"
#include "engine/core/Limits.h"
#include "engine/data/ImageHeader.h"
#include "engine/io/AtomicFile.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <thread>

namespace netcanvas::detail {

namespace fs = std::filesystem;

namespace {

std::string lowerExtension(const std::string& name)
{
    std::string ext = fs::path(name).extension().string();
    std::transform(
        ext.begin(), ext.end(), ext.begin(), [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    return ext;
}

// Any depth → CV_8U with the channel count unchanged.
cv::Mat toEightBit(const cv::Mat& m)
{
    cv::Mat out;
    switch (m.depth()) {
    case CV_8U:
        return m;
    case CV_16U:
        m.convertTo(out, CV_8U, 1.0 / 257.0);
        return out;
    case CV_8S:
        m.convertTo(out, CV_8U, 1.0, 128.0);
        return out;
    case CV_16S:
        m.convertTo(out, CV_8U, 1.0 / 256.0, 128.0);
        return out;
    case CV_32F:
    case CV_64F:
        m.convertTo(out, CV_8U, 255.0); // float images are taken to be in [0, 1]
        return out;
    default: { // 32-bit integers: stretch the value range
        cv::Mat flat = m.reshape(1);
        cv::normalize(flat, out, 0, 255, cv::NORM_MINMAX, CV_8U);
        return out.reshape(m.channels());
    }
    }
}

// Composites the last channel (alpha) of an 8-bit 2- or 4-channel image over black.
cv::Mat dropAlpha(const cv::Mat& m)
{
    const int cn = m.channels();
    const int colors = cn - 1;
    cv::Mat out(m.rows, m.cols, CV_8UC(colors));
    for (int y = 0; y < m.rows; ++y) {
        const uint8_t* s = m.ptr<uint8_t>(y);
        uint8_t* d = out.ptr<uint8_t>(y);
        for (int x = 0; x < m.cols; ++x, s += cn, d += colors) {
            const unsigned a = s[colors];
            for (int c = 0; c < colors; ++c)
                d[c] = static_cast<uint8_t>((s[c] * a + 127u) / 255u);
        }
    }
    return out;
}

int interpolationFor(int srcW, int srcH, int dstW, int dstH)
{
    return static_cast<int64_t>(dstW) * dstH < static_cast<int64_t>(srcW) * srcH ? cv::INTER_AREA : cv::INTER_LINEAR;
}

cv::Mat resizeTo(const cv::Mat& img, int w, int h)
{
    if (img.cols == w && img.rows == h)
        return img;
    cv::Mat out;
    cv::resize(img, out, cv::Size(w, h), 0, 0, interpolationFor(img.cols, img.rows, w, h));
    return out;
}

int readFlags(bool jpeg, int wantChannels)
{
    if (!jpeg)
        return cv::IMREAD_UNCHANGED;
    return wantChannels == 1 ? cv::IMREAD_GRAYSCALE : wantChannels == 3 ? cv::IMREAD_COLOR : cv::IMREAD_ANYCOLOR;
}

// A decoded image (any depth, 1–4 channels, BGR order) → 8-bit gray or RGB as asked.
bool finishDecoded(cv::Mat m, int wantChannels, cv::Mat& out, std::string& reason)
{
    if (m.empty() || m.rows <= 0 || m.cols <= 0) {
        reason = "cannot decode image (corrupt or unsupported format)";
        return false;
    }
    try {
        m = toEightBit(m);
        if (m.channels() == 2 || m.channels() == 4)
            m = dropAlpha(m);
        if (m.channels() != 1 && m.channels() != 3) {
            reason = "unsupported channel count " + std::to_string(m.channels());
            return false;
        }
        // m is gray or BGR now.
        cv::Mat converted;
        if (m.channels() == 3) {
            if (wantChannels == 1)
                cv::cvtColor(m, converted, cv::COLOR_BGR2GRAY);
            else
                cv::cvtColor(m, converted, cv::COLOR_BGR2RGB);
        } else if (wantChannels == 3) {
            cv::cvtColor(m, converted, cv::COLOR_GRAY2RGB);
        } else {
            converted = m;
        }
        out = converted;
    } catch (const cv::Exception& e) {
        reason = "cannot convert image: " + e.msg;
        return false;
    }
    return true;
}

} // namespace

bool isImageFileName(const std::string& name)
{
    const std::string ext = lowerExtension(name);
    return ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".bmp" || ext == ".tif" || ext == ".tiff"
        || ext == ".webp"; // the same list as the label store's scan (engine/labels/ImageScan)
}

PixelBudget& decodeBudget()
{
    static PixelBudget budget(limits::kDecodePixelBudget);
    return budget;
}

PixelBudget::Share::Share(PixelBudget& budget, int64_t pixels)
    : m_budget(budget)
    , m_pixels(std::min(pixels, budget.m_capacity))
{
    std::unique_lock lock(m_budget.m_mutex);
    m_budget.m_freed.wait(lock, [&] { return m_budget.m_used + m_pixels <= m_budget.m_capacity; });
    m_budget.m_used += m_pixels;
}

PixelBudget::Share::~Share()
{
    {
        std::lock_guard lock(m_budget.m_mutex);
        m_budget.m_used -= m_pixels;
    }
    m_budget.m_freed.notify_all();
}

bool decodeImageFile(const std::string& path, int wantChannels, cv::Mat& out, std::string& reason)
{
    std::error_code ec;
    const auto status = fs::status(path, ec);
    if (ec || !fs::exists(status)) {
        reason = "file not found";
        return false;
    }
    if (!fs::is_regular_file(status)) {
        reason = "not a regular file";
        return false;
    }
    const auto bytes = fs::file_size(path, ec);
    if (ec) {
        reason = "cannot read file: " + ec.message();
        return false;
    }
    if (bytes == 0) {
        reason = "empty file (0 bytes)";
        return false;
    }

    if (bytes > static_cast<uintmax_t>(limits::kMaxImageFileBytes)) {
        reason = "file of " + std::to_string(bytes) + " bytes, more than an image file may have ("
            + std::to_string(limits::kMaxImageFileBytes >> 20) + " MiB)";
        return false;
    }
    std::string data;
    try {
        data = readFile(path);
    } catch (const Error& e) {
        reason = e.what();
        return false;
    }
    // The size the header declares, before anything is decoded: a small file may claim a
    // gigapixel image.
    const std::optional<int64_t> pixels = checkImageHeader(data, reason);
    if (!pixels)
        return false;
    // All decoding threads together hold at most kDecodePixelBudget pixels.
    const PixelBudget::Share share(decodeBudget(), std::max<int64_t>(*pixels, 1));

    // JPEG is always 8-bit and never has alpha: let OpenCV convert it and apply the EXIF
    // orientation. Other formats may carry 16 bits or alpha: read them unchanged.
    const std::string ext = lowerExtension(path);
    const bool jpeg = ext == ".jpg" || ext == ".jpeg";
    cv::Mat m;
    try {
        const cv::Mat buffer(1, static_cast<int>(data.size()), CV_8UC1, data.data());
        m = cv::imdecode(buffer, readFlags(jpeg, wantChannels));
    } catch (const cv::Exception& e) {
        reason = "cannot decode image: " + e.msg;
        return false;
    }
    return finishDecoded(m, wantChannels, out, reason);
}

bool decodeImageBytes(const uint8_t* bytes, size_t size, int wantChannels, cv::Mat& out, std::string& reason)
{
    if (size == 0) {
        reason = "empty image (0 bytes)";
        return false;
    }
    if (size > static_cast<size_t>(limits::kMaxImageFileBytes)) {
        reason = "image of " + std::to_string(size) + " bytes, more than an image file may have ("
            + std::to_string(limits::kMaxImageFileBytes >> 20) + " MiB)";
        return false;
    }
    // As for a file: the header's size first (an upload may claim a gigapixel image), then a
    // share of the process's decode budget.
    const std::optional<int64_t> pixels = checkImageHeader({ reinterpret_cast<const char*>(bytes), size }, reason);
    if (!pixels)
        return false;
    const PixelBudget::Share share(decodeBudget(), std::max<int64_t>(*pixels, 1));
    const bool jpeg = size >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF;
    cv::Mat m;
    try {
        const cv::Mat buffer(1, static_cast<int>(size), CV_8U, const_cast<uint8_t*>(bytes));
        m = cv::imdecode(buffer, readFlags(jpeg, wantChannels));
    } catch (const cv::Exception& e) {
        reason = "cannot decode image: " + e.msg;
        return false;
    }
    return finishDecoded(m, wantChannels, out, reason);
}

void fitImage(const cv::Mat& src, int channels, int height, int width, ResizePolicy policy, uint8_t* out)
{
    cv::Mat img = src;
    if (img.channels() == 3 && channels == 1)
        cv::cvtColor(src, img, cv::COLOR_RGB2GRAY);
    else if (img.channels() == 1 && channels == 3)
        cv::cvtColor(src, img, cv::COLOR_GRAY2RGB);

    cv::Mat fitted;
    const int sw = img.cols, sh = img.rows;
    switch (policy) {
    case ResizePolicy::Stretch:
        fitted = resizeTo(img, width, height);
        break;
    case ResizePolicy::Pad: {
        const double s = std::min(static_cast<double>(width) / sw, static_cast<double>(height) / sh);
        const int nw = std::clamp(static_cast<int>(std::lround(sw * s)), 1, width);
        const int nh = std::clamp(static_cast<int>(std::lround(sh * s)), 1, height);
        cv::Mat scaled = resizeTo(img, nw, nh);
        fitted = cv::Mat::zeros(height, width, img.type());
        scaled.copyTo(fitted(cv::Rect((width - nw) / 2, (height - nh) / 2, nw, nh)));
        break;
    }
    case ResizePolicy::CenterCrop: {
        const double s = std::max(static_cast<double>(width) / sw, static_cast<double>(height) / sh);
        const int nw = std::max(width, static_cast<int>(std::lround(sw * s)));
        const int nh = std::max(height, static_cast<int>(std::lround(sh * s)));
        cv::Mat scaled = resizeTo(img, nw, nh);
        fitted = scaled(cv::Rect((nw - width) / 2, (nh - height) / 2, width, height));
        break;
    }
    }

    const size_t plane = static_cast<size_t>(height) * static_cast<size_t>(width);
    if (channels == 1) {
        for (int y = 0; y < height; ++y)
            std::memcpy(out + static_cast<size_t>(y) * width, fitted.ptr<uint8_t>(y), static_cast<size_t>(width));
        return;
    }
    for (int y = 0; y < height; ++y) {
        const uint8_t* s = fitted.ptr<uint8_t>(y);
        uint8_t* r = out + static_cast<size_t>(y) * width;
        uint8_t* g = r + plane;
        uint8_t* b = g + plane;
        for (int x = 0; x < width; ++x, s += 3) {
            r[x] = s[0];
            g[x] = s[1];
            b[x] = s[2];
        }
    }
}

int workerCount(int64_t items)
{
    unsigned hw = std::thread::hardware_concurrency();
    if (hw == 0)
        hw = 2;
    const int64_t n = std::min<int64_t>({ static_cast<int64_t>(hw), 8, items });
    return static_cast<int>(std::max<int64_t>(1, n));
}

DecodedImages decodeImages(const std::vector<ImageJob>& jobs, const DatasetOptions& options, const std::string& what)
{
    DecodedImages r;
    const int64_t total = static_cast<int64_t>(jobs.size());
    int C = options.channels, H = options.height, W = options.width;
    if (C != 0 && C != 1 && C != 3)
        throw DataError(what + ": channels must be 1 (gray) or 3 (color), not " + std::to_string(C));
    if (H < 0 || W < 0)
        throw DataError(what + ": negative image size requested");

    std::vector<std::string> reasons(static_cast<size_t>(total));
    std::vector<char> ok(static_cast<size_t>(total), 0);

    // Geometry left open: take it from the first readable image (in the deterministic order).
    int64_t start = 0;
    cv::Mat first;
    if (C == 0 || H == 0 || W == 0) {
        for (; start < total; ++start) {
            const auto i = static_cast<size_t>(start);
            if (decodeImageFile(jobs[i].path, C, first, reasons[i]))
                break;
        }
        if (start == total) { // nothing readable
            for (int64_t i = 0; i < total; ++i)
                r.skipped.push_back({ jobs[static_cast<size_t>(i)].path, reasons[static_cast<size_t>(i)] });
            return r;
        }
        if (C == 0)
            C = first.channels();
        if (H == 0)
            H = first.rows;
        if (W == 0)
            W = first.cols;
    }
    r.channels = C;
    r.height = H;
    r.width = W;
    const size_t sampleSize = static_cast<size_t>(C) * H * W;
    r.pixels.resize(sampleSize * static_cast<size_t>(total));

    if (!first.empty()) {
        fitImage(first, C, H, W, options.resize, r.pixels.data() + sampleSize * static_cast<size_t>(start));
        ok[static_cast<size_t>(start)] = 1;
        ++start;
        first.release();
    }

    std::atomic<int64_t> nextJob { start };
    std::atomic<int64_t> done { start };
    std::atomic<bool> cancel { false };
    std::mutex mutex;
    std::condition_variable finished;
    int running = 0;

    auto work = [&] {
        cv::Mat img;
        while (!cancel.load(std::memory_order_relaxed)) {
            const int64_t i = nextJob.fetch_add(1);
            if (i >= total)
                break;
            const auto k = static_cast<size_t>(i);
            try {
                if (decodeImageFile(jobs[k].path, C, img, reasons[k])) {
                    fitImage(img, C, H, W, options.resize, r.pixels.data() + sampleSize * k);
                    ok[k] = 1;
                }
            } catch (const cv::Exception& e) {
                reasons[k] = "cannot resize image: " + e.msg;
            } catch (const std::exception& e) {
                reasons[k] = e.what();
            }
            done.fetch_add(1);
        }
        std::lock_guard lock(mutex);
        --running;
        finished.notify_all();
    };

    const int nWorkers = workerCount(total - start);
    std::vector<std::thread> threads;
    {
        std::lock_guard lock(mutex);
        running = nWorkers;
    }
    for (int t = 0; t < nWorkers; ++t)
        threads.emplace_back(work);

    bool cancelled = false;
    {
        std::unique_lock lock(mutex);
        while (running > 0) {
            finished.wait_for(lock, std::chrono::milliseconds(50));
            if (options.progress && !cancelled) {
                lock.unlock();
                const bool goOn = options.progress(done.load(), total);
                lock.lock();
                if (!goOn) {
                    cancelled = true;
                    cancel = true;
                }
            }
        }
    }
    for (auto& t : threads)
        t.join();
    if (cancelled)
        throw DataError(what + ": loading cancelled");
    if (options.progress && !options.progress(total, total))
        throw DataError(what + ": loading cancelled");

    // Compact in place, keeping the job order.
    size_t kept = 0;
    for (size_t i = 0; i < static_cast<size_t>(total); ++i) {
        if (!ok[i]) {
            r.skipped.push_back({ jobs[i].path, reasons[i] });
            continue;
        }
        if (kept != i)
            std::memmove(r.pixels.data() + kept * sampleSize, r.pixels.data() + i * sampleSize, sampleSize);
        r.labels.push_back(jobs[i].label);
        r.sources.push_back(jobs[i].path);
        ++kept;
    }
    r.pixels.resize(kept * sampleSize);
    if (kept * 2 < static_cast<size_t>(total))
        r.pixels.shrink_to_fit();
    return r;
}

} // namespace netcanvas::detail
