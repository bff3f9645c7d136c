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
    // What the samples are for (docs/datasets.md): "" = classification as the format gives it;
    // "regression" = numeric CSV with a real-valued target; "series" = windows of a time-series
    // CSV (SequenceData.h); "text" = token sequences from a lines file or a folder per class.
    std::string task;
    // CSV target column, by header name or 1-based index ("" = the last column). Also picks the
    // label column of a classification CSV of numeric features.
    std::string target;
    // series: value columns (names or 1-based indices, "" = every numeric column but a date);
    // window length and horizon (forecast the next `horizon` values of the target).
    std::vector<std::string> columns;
    int window = 24;
    int horizon = 1;
    // series: the model sees the changes from one row to the next and forecasts the change
    // from the window's last value (for a trending series, whose later values leave the
    // training range; the naive forecast is then "no change").
    bool differences = false;
    // text: "char" | "word" tokens, the padded/truncated length, the largest vocabulary.
    std::string tokens = "word";
    int sequenceLength = 64;
    int maxVocabulary = 20000;
    // series and text split the data themselves (time order; the vocabulary and the scaling
    // come from the training part only): these are their fractions and seed.
    double validationFraction = 0.1;
    double testFraction = 0.2;
    uint64_t seed = 1;
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
    std::vector<std::string> notes; // what the reader did to the data (e.g. values interpolated)
    std::string format; // "idx", "folder", "csv-images", "csv-features"
    std::string root; // the path it was opened from

    // Real-valued targets (regression, forecasts; an autoencoder's input): N × targetShape,
    // stored in units whose value × targetScale + targetOffset is the original. Empty for
    // classification (labels are then all 0 and classNames is empty).
    std::vector<float> targets;
    Shape targetShape;
    float targetScale = 1.0f, targetOffset = 0.0f;
    // Inputs are token ids (text): never normalized.
    bool tokenInputs = false;
    // Per sample 0 = train, 1 = validation, 2 = test, when the reader made the split (time order,
    // a vocabulary from the training part); empty: splitDataset decides.
    std::vector<int8_t> presetSplit;
    // series: the target column over time in the data's units; sample i forecasts its values
    // from row targetTime[i]; the target's feature index within a window's F features; with
    // seriesDifferenced the features are row-to-row changes and the targets the changes from
    // the value at row targetTime[i] − 1 (the window's last value).
    std::vector<float> series;
    std::vector<int64_t> targetTime;
    int seriesTargetFeature = -1;
    bool seriesDifferenced = false;
    // text: the vocabulary (0 = padding, 1 = unknown), each sample's length in tokens before
    // padding or truncation, and a few example texts.
    std::vector<std::string> vocabulary;
    std::vector<int32_t> sequenceLengths;
    std::vector<std::string> examples;

    int64_t size() const { return static_cast<int64_t>(labels.size()); }
    bool isRegression() const { return !targets.empty(); }
    int64_t targetSize() const { return targetShape.numel(); }
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
