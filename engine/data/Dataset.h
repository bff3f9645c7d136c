#pragma once
// Dataset: labeled samples decoded once and kept in memory — images as uint8 (N×C×H×W),
// numeric CSV features as float. Opened from a folder of class folders, MNIST-style IDX
// files, or a CSV file (see docs/datasets.md).
//
// Bad input never reaches training: an unreadable image is skipped and listed in
// `skipped`; an empty class, a label out of range, a truncated IDX file or a malformed CSV
// line throws DataError/FormatError naming the file (and line).
#include "engine/core/Shape.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace netcanvas {

struct SkippedFile {
    std::string path;
    std::string reason;
};

enum class ResizePolicy {
    Stretch, // resize to the target size, ignoring aspect ratio
    Pad, // keep aspect ratio, fit inside, pad with black (letterbox)
    CenterCrop, // keep aspect ratio, fill, crop the centre
};
ResizePolicy resizePolicyFromString(const std::string& s); // "stretch" | "pad" | "crop"; throws FormatError

struct DatasetOptions {
    // Target sample geometry; 0 keeps what the data has (images of one folder dataset must
    // then all have the same size as the first one, or they are resized to it).
    // Decoding: 16-bit images are scaled to 8 bits, an alpha channel is composited over black.
    // IDX samples are fitted to a geometry given here too (e.g. 1×32×32 or 3×28×28).
    // CSV features take C×H×W from here only when C·H·W equals the feature count (else n×1×1).
    int channels = 0; // 1 = grayscale, 3 = color (BGR decoded, stored RGB)
    int height = 0;
    int width = 0;
    ResizePolicy resize = ResizePolicy::Stretch;
    // Called now and then while loading: (done, total); return false to cancel (DataError "cancelled").
    std::function<bool(int64_t, int64_t)> progress;
};

class Dataset {
public:
    int channels = 0, height = 0, width = 0;
    std::vector<std::string> classNames;
    std::vector<uint8_t> pixels; // N×C×H×W, when the samples are images
    std::vector<float> features; // N×C×H×W, when the samples are numeric (CSV features)
    std::vector<int32_t> labels; // N, each in [0, classNames.size())
    std::vector<std::string> sources; // N: image path, or "file#index" / "file:line"
    int64_t officialTestBegin = -1; // samples [officialTestBegin, N) are the format's own test split
    std::vector<SkippedFile> skipped; // files that could not be used, with the reason
    std::string format; // "idx", "folder", "csv-images", "csv-features"
    std::string root; // the path it was opened from

    int64_t size() const { return static_cast<int64_t>(labels.size()); }
    int64_t sampleSize() const { return static_cast<int64_t>(channels) * height * width; }
    Shape sampleShape() const { return Shape { channels, height, width }; }
    bool isImages() const { return !pixels.empty() || features.empty(); }
    int numClasses() const { return static_cast<int>(classNames.size()); }
    // Sample i as floats: uint8 pixels scaled to [0, 1], features as stored.
    void sampleToFloat(int64_t i, float* out) const;
    std::vector<int64_t> classCounts() const;
};

// Opens a dataset, detecting the format: a folder holding *-idx3-ubyte[.gz] files → IDX
// (train + official t10k test); a folder of class folders → folder-per-class; a .csv
// file → CSV. Throws DataError/FormatError/IoError naming the path.
Dataset openDataset(const std::string& path, const DatasetOptions& options = {});

Dataset loadIdxDataset(const std::string& dir, const DatasetOptions& options = {});
Dataset loadImageFolder(const std::string& dir, const DatasetOptions& options = {});
// CSV: either "path,label" rows (image paths relative to the CSV's folder) or numeric
// features with the label in the last column; an optional header row is detected.
Dataset loadCsvDataset(const std::string& path, const DatasetOptions& options = {});

// Reads one IDX file (gzipped or not) — exposed for tests and tools.
struct IdxArray {
    std::vector<int> dims;
    std::vector<uint8_t> data;
};
IdxArray readIdxFile(const std::string& path);

// Decodes one image file to C×H×W uint8 with the dataset's geometry (for predict).
// Throws DataError naming the path when it cannot be read.
std::vector<uint8_t> loadImageSample(
    const std::string& path, int channels, int height, int width, ResizePolicy resize = ResizePolicy::Stretch);
// The same for an encoded image in memory (PNG, JPEG, BMP, TIFF, WebP, PNM bytes, e.g. an
// upload); DataError naming `what` when it cannot be decoded. Decodes without a size check of
// its own: a caller taking bytes from outside checks the header first (engine/serve/ImageProbe).
std::vector<uint8_t> decodeImageSample(const uint8_t* bytes, size_t size, const std::string& what, int channels,
    int height, int width, ResizePolicy resize = ResizePolicy::Stretch);

} // namespace netcanvas
