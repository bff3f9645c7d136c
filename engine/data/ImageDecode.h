#pragma once
// Internal to engine/data (not a public engine header): decoding image files with OpenCV,
// fitting them to a target C×H×W geometry, and decoding many files in parallel while
// keeping the order deterministic. Shared by the folder, CSV and IDX loaders and by
// loadImageSample.
#include "engine/data/Dataset.h"

#include <opencv2/core.hpp>

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace netcanvas::detail {

// True when the file name has an image extension we decode: png, jpg, jpeg, bmp, tif, tiff
// (case-insensitive).
bool isImageFileName(const std::string& name);

// Pixels held by decodes in flight, shared by every decoding thread of the process: a decode
// takes its image's share (capped at the capacity, so one image always fits) and waits while
// others hold too much, so eight workers cannot sum to gigabytes.
class PixelBudget {
public:
    explicit PixelBudget(int64_t capacity)
        : m_capacity(capacity)
    {
    }
    class Share {
    public:
        Share(PixelBudget& budget, int64_t pixels);
        ~Share();
        Share(const Share&) = delete;
        Share& operator=(const Share&) = delete;

    private:
        PixelBudget& m_budget;
        int64_t m_pixels;
    };

private:
    const int64_t m_capacity;
    int64_t m_used = 0;
    std::mutex m_mutex;
    std::condition_variable m_freed;
};
// The process's budget (limits::kDecodePixelBudget).
PixelBudget& decodeBudget();

// Decodes `path` to an 8-bit image with 1 channel (gray) or 3 channels (RGB order).
//   wantChannels: 1 or 3 converts to that; 0 keeps gray sources gray and makes the rest RGB.
// 16-bit and float images are scaled to 8 bits; an alpha channel is composited over black.
// The image's size is read from its header first (ImageHeader.h): a file over
// limits::kMaxImageFileBytes or an image over limits::kMaxImagePixels is refused undecoded.
// Returns false with `reason` set (never throws) when the file cannot be used.
bool decodeImageFile(const std::string& path, int wantChannels, cv::Mat& out, std::string& reason);
// The same for an encoded image held in memory (an upload): the format is taken from its bytes.
bool decodeImageBytes(const uint8_t* bytes, size_t size, int wantChannels, cv::Mat& out, std::string& reason);

// Converts an 8-bit gray or RGB image to `channels` (1 or 3) and resizes it to height×width
// with `policy`, writing C×H×W uint8 to `out` (channels*height*width bytes).
void fitImage(const cv::Mat& src, int channels, int height, int width, ResizePolicy policy, uint8_t* out);

// One file to decode, with its label and the name it is reported under.
struct ImageJob {
    std::string path;
    int32_t label = 0;
};

struct DecodedImages {
    int channels = 0, height = 0, width = 0;
    std::vector<uint8_t> pixels; // kept samples, N×C×H×W, in job order
    std::vector<int32_t> labels; // kept samples
    std::vector<std::string> sources;
    std::vector<SkippedFile> skipped; // in job order
};

// Decodes `jobs` in parallel (order of the result = order of the jobs, minus the skipped
// ones). Geometry: options.channels/height/width, each 0 taken from the first readable image.
// Calls options.progress(done, total) from the calling thread; cancel → DataError
// "<what>: loading cancelled".
DecodedImages decodeImages(const std::vector<ImageJob>& jobs, const DatasetOptions& options, const std::string& what);

// A worker count for `items` independent items: at least 1, at most the hardware threads (≤ 8).
int workerCount(int64_t items);

} // namespace netcanvas::detail
