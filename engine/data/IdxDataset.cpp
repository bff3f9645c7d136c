// MNIST-style IDX files (gzipped or plain): readIdxFile and loadIdxDataset.
#include "engine/core/Error.h"
#include "engine/core/Limits.h"
#include "engine/data/Dataset.h"
#include "engine/data/ImageDecode.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <thread>

namespace netcanvas {

namespace fs = std::filesystem;

namespace {

struct GzCloser {
    void operator()(gzFile f) const
    {
        if (f)
            gzclose(f);
    }
};
using GzHandle = std::unique_ptr<gzFile_s, GzCloser>;

// Reads up to n bytes; returns the count read (less than n only at the end of the data).
// Throws FormatError for a corrupt or truncated gzip stream.
size_t readUpTo(gzFile f, uint8_t* dst, size_t n, const std::string& path)
{
    size_t got = 0;
    while (got < n) {
        const unsigned chunk = static_cast<unsigned>(std::min<size_t>(n - got, size_t(1) << 30));
        const int r = gzread(f, dst + got, chunk);
        if (r < 0) {
            int code = 0;
            const char* msg = gzerror(f, &code);
            throw FormatError(path + ": truncated or corrupt data after " + std::to_string(got) + " bytes ("
                + (msg ? msg : "read error") + ")");
        }
        if (r == 0)
            break;
        got += static_cast<size_t>(r);
    }
    return got;
}

std::string lower(std::string s)
{
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    return s;
}

bool endsWith(const std::string& s, const std::string& suffix)
{
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The IDX files of a folder: role ("train"/"test") × kind ("images"/"labels") → path.
struct IdxFiles {
    std::string trainImages, trainLabels, testImages, testLabels;
};

// Classifies a file name; returns false when it is not an IDX file we use.
bool classifyIdxName(const std::string& fileName, bool& isTrain, bool& isImages, bool& gz)
{
    std::string name = lower(fileName);
    gz = endsWith(name, ".gz");
    if (gz)
        name.resize(name.size() - 3);
    if (endsWith(name, "idx3-ubyte") || endsWith(name, "idx3.ubyte"))
        isImages = true;
    else if (endsWith(name, "idx1-ubyte") || endsWith(name, "idx1.ubyte"))
        isImages = false;
    else
        return false;
    // "train-images-idx3-ubyte", but also "emnist-digits-train-images-idx3-ubyte".
    if (name.find("train") != std::string::npos)
        isTrain = true;
    else if (name.find("t10k") != std::string::npos || name.find("test") != std::string::npos)
        isTrain = false;
    else
        return false;
    return true;
}

IdxFiles findIdxFiles(const std::string& dir)
{
    IdxFiles files;
    std::error_code ec;
    std::vector<fs::path> entries;
    for (const auto& e : fs::directory_iterator(dir, ec))
        if (e.is_regular_file(ec))
            entries.push_back(e.path());
    if (ec)
        throw IoError(dir + ": cannot list folder: " + ec.message());
    std::sort(entries.begin(), entries.end());
    for (const auto& p : entries) {
        bool isTrain = false, isImages = false, gz = false;
        if (!classifyIdxName(p.filename().string(), isTrain, isImages, gz))
            continue;
        std::string& slot = isTrain ? (isImages ? files.trainImages : files.trainLabels)
                                    : (isImages ? files.testImages : files.testLabels);
        // Prefer the plain file over the gzipped one when both are present (faster).
        if (slot.empty() || (!gz && slot == p.string() + ".gz"))
            slot = p.string();
    }
    return files;
}

const char* const kFashionNames[]
    = { "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot" };

std::vector<std::string> readClassesFile(const std::string& path)
{
    std::ifstream in(path);
    if (!in)
        throw IoError(path + ": cannot open");
    std::vector<std::string> names;
    std::string line;
    while (std::getline(in, line)) {
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
            line.pop_back();
        size_t b = 0;
        while (b < line.size() && (line[b] == ' ' || line[b] == '\t'))
            ++b;
        if (b < line.size())
            names.push_back(line.substr(b));
    }
    if (names.empty())
        throw FormatError(path + ": no class names (expected one name per line)");
    return names;
}

std::string dimsText(const std::vector<int>& dims)
{
    std::string t;
    for (int d : dims)
        t += (t.empty() ? "" : "\u00d7") + std::to_string(d);
    return t;
}

} // namespace

IdxArray readIdxFile(const std::string& path)
{
    GzHandle f(gzopen(path.c_str(), "rb"));
    if (!f)
        throw IoError(path + ": cannot open: " + std::strerror(errno));
    gzbuffer(f.get(), 1u << 20);

    uint8_t head[4];
    const size_t gotHead = readUpTo(f.get(), head, 4, path);
    if (gotHead < 4)
        throw FormatError(
            path + ": truncated: the 4-byte IDX header is incomplete (" + std::to_string(gotHead) + " bytes)");
    if (head[0] != 0 || head[1] != 0 || head[3] == 0 || head[3] > 4) {
        char hex[16];
        std::snprintf(hex, sizeof hex, "%02x%02x%02x%02x", head[0], head[1], head[2], head[3]);
        throw FormatError(path + ": not an IDX file (bad magic number 0x" + hex + ")");
    }
    if (head[2] != 0x08) {
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02x", head[2]);
        throw FormatError(path + ": IDX element type " + hex + " is not supported (only unsigned bytes, 0x08)");
    }

    IdxArray a;
    const int rank = head[3];
    uint8_t dimBytes[16];
    if (readUpTo(f.get(), dimBytes, static_cast<size_t>(4 * rank), path) < static_cast<size_t>(4 * rank))
        throw FormatError(path + ": truncated: the IDX dimensions are incomplete");
    uint64_t count = 1;
    for (int d = 0; d < rank; ++d) {
        const uint8_t* b = dimBytes + 4 * d;
        const uint32_t v = (uint32_t(b[0]) << 24) | (uint32_t(b[1]) << 16) | (uint32_t(b[2]) << 8) | uint32_t(b[3]);
        if (v > static_cast<uint32_t>(INT_MAX))
            throw FormatError(
                path + ": IDX dimension " + std::to_string(d) + " is too large (" + std::to_string(v) + ")");
        a.dims.push_back(static_cast<int>(v));
        count *= v; // ≤ 2^31 per factor and checked after each: no overflow
        if (count > static_cast<uint64_t>(limits::kMaxIdxBytes))
            throw FormatError(path + ": the IDX header claims " + std::to_string(count) + "+ bytes of data, more than "
                + std::to_string(limits::kMaxIdxBytes) + " (the largest IDX array NetCanvas reads)");
    }
    // What the header claims is checked against the data before it is allocated: a plain
    // file against its length; a gzip stream as it is read (the array grows chunk by chunk,
    // so a header claiming millions of images in a few bytes allocates a few bytes).
    const uint64_t headerBytes = 4 + 4 * static_cast<uint64_t>(rank);
    std::error_code ec;
    if (gzdirect(f.get())) {
        const uint64_t fileBytes = fs::file_size(path, ec);
        if (!ec && fileBytes - headerBytes < count)
            throw FormatError(path + ": truncated: the header claims " + std::to_string(count) + " data bytes ("
                + dimsText(a.dims) + "), the file holds " + std::to_string(fileBytes - headerBytes));
    }
    constexpr size_t kChunk = size_t(64) << 20;
    size_t got = 0;
    while (got < count) {
        const size_t want = std::min<size_t>(static_cast<size_t>(count) - got, kChunk);
        a.data.resize(got + want);
        const size_t n = readUpTo(f.get(), a.data.data() + got, want, path);
        got += n;
        if (n < want)
            break;
    }
    if (got < count)
        throw FormatError(path + ": truncated: expected " + std::to_string(count) + " data bytes (" + dimsText(a.dims)
            + "), found " + std::to_string(got));
    uint8_t extra;
    if (readUpTo(f.get(), &extra, 1, path) != 0)
        throw FormatError(
            path + ": unexpected data after the end of the IDX array (dimensions do not match the file size)");
    return a;
}

Dataset loadIdxDataset(const std::string& dir, const DatasetOptions& options)
{
    const IdxFiles files = findIdxFiles(dir);
    if (files.trainImages.empty())
        throw DataError(dir + ": no train-images-idx3-ubyte[.gz] file in this folder");
    if (files.trainLabels.empty())
        throw DataError(dir + ": " + files.trainImages + " has no matching train-labels-idx1-ubyte[.gz] file");
    const bool hasTest = !files.testImages.empty() || !files.testLabels.empty();
    if (hasTest && files.testLabels.empty())
        throw DataError(dir + ": " + files.testImages + " has no matching t10k-labels-idx1-ubyte[.gz] file");
    if (hasTest && files.testImages.empty())
        throw DataError(dir + ": " + files.testLabels + " has no matching t10k-images-idx3-ubyte[.gz] file");

    if (options.progress && !options.progress(0, 1))
        throw DataError(dir + ": loading cancelled");

    // The (up to) four files are decompressed in parallel.
    auto read = [](const std::string& p) { return std::async(std::launch::async, readIdxFile, p); };
    auto fTrainImages = read(files.trainImages);
    auto fTrainLabels = read(files.trainLabels);
    std::future<IdxArray> fTestImages, fTestLabels;
    if (hasTest) {
        fTestImages = read(files.testImages);
        fTestLabels = read(files.testLabels);
    }
    IdxArray trainImages = fTrainImages.get();
    IdxArray trainLabels = fTrainLabels.get();
    IdxArray testImages, testLabels;
    if (hasTest) {
        testImages = fTestImages.get();
        testLabels = fTestLabels.get();
    }

    auto checkPair = [](const IdxArray& images, const std::string& imagesPath, const IdxArray& labels,
                         const std::string& labelsPath) {
        if (images.dims.size() != 3)
            throw FormatError(imagesPath + ": expected 3 dimensions (count × rows × columns), found "
                + std::to_string(images.dims.size()));
        if (labels.dims.size() != 1)
            throw FormatError(
                labelsPath + ": expected 1 dimension (count), found " + std::to_string(labels.dims.size()));
        if (images.dims[0] != labels.dims[0])
            throw DataError(imagesPath + " holds " + std::to_string(images.dims[0]) + " images but " + labelsPath
                + " holds " + std::to_string(labels.dims[0]) + " labels");
        if (images.dims[1] <= 0 || images.dims[2] <= 0)
            throw FormatError(imagesPath + ": empty image size " + std::to_string(images.dims[1]) + "×"
                + std::to_string(images.dims[2]));
    };
    checkPair(trainImages, files.trainImages, trainLabels, files.trainLabels);
    if (hasTest) {
        checkPair(testImages, files.testImages, testLabels, files.testLabels);
        if (testImages.dims[1] != trainImages.dims[1] || testImages.dims[2] != trainImages.dims[2])
            throw FormatError(files.testImages + ": images are " + std::to_string(testImages.dims[1]) + "×"
                + std::to_string(testImages.dims[2]) + " but " + files.trainImages + " has "
                + std::to_string(trainImages.dims[1]) + "×" + std::to_string(trainImages.dims[2]));
    }

    Dataset ds;
    ds.format = "idx";
    ds.root = dir;

    // Class names: classes.txt, else Fashion-MNIST's when the path says so, else digits.
    const std::string classesPath = (fs::path(dir) / "classes.txt").string();
    std::error_code ec;
    int maxLabel = -1;
    for (uint8_t l : trainLabels.data)
        maxLabel = std::max<int>(maxLabel, l);
    for (uint8_t l : testLabels.data)
        maxLabel = std::max<int>(maxLabel, l);
    if (fs::is_regular_file(classesPath, ec)) {
        ds.classNames = readClassesFile(classesPath);
    } else {
        std::string absolute = lower(fs::absolute(fs::path(dir), ec).lexically_normal().string());
        if (absolute.find("fashion") != std::string::npos) {
            ds.classNames.assign(std::begin(kFashionNames), std::end(kFashionNames));
        } else {
            const int n = std::max(10, maxLabel + 1);
            for (int i = 0; i < n; ++i)
                ds.classNames.push_back(std::to_string(i));
        }
    }
    const int numClasses = static_cast<int>(ds.classNames.size());
    auto checkLabels = [numClasses](const IdxArray& labels, const std::string& path) {
        for (size_t i = 0; i < labels.data.size(); ++i)
            if (labels.data[i] >= numClasses)
                throw DataError(path + ": label " + std::to_string(labels.data[i]) + " of sample " + std::to_string(i)
                    + " is out of range (" + std::to_string(numClasses) + " classes)");
    };
    checkLabels(trainLabels, files.trainLabels);
    if (hasTest)
        checkLabels(testLabels, files.testLabels);

    const int64_t nTrain = trainImages.dims[0];
    const int64_t nTest = hasTest ? testImages.dims[0] : 0;
    const int64_t n = nTrain + nTest;
    const int srcH = trainImages.dims[1], srcW = trainImages.dims[2];

    ds.labels.resize(static_cast<size_t>(n));
    std::copy(trainLabels.data.begin(), trainLabels.data.end(), ds.labels.begin());
    std::copy(testLabels.data.begin(), testLabels.data.end(), ds.labels.begin() + nTrain);
    ds.officialTestBegin = hasTest ? nTrain : -1;

    ds.sources.reserve(static_cast<size_t>(n));
    for (int64_t i = 0; i < nTrain; ++i)
        ds.sources.push_back(files.trainImages + "#" + std::to_string(i));
    for (int64_t i = 0; i < nTest; ++i)
        ds.sources.push_back(files.testImages + "#" + std::to_string(i));

    const int C = options.channels == 0 ? 1 : options.channels;
    const int H = options.height == 0 ? srcH : options.height;
    const int W = options.width == 0 ? srcW : options.width;
    if (C != 1 && C != 3)
        throw DataError(dir + ": channels must be 1 (gray) or 3 (color), not " + std::to_string(C));
    if (H < 0 || W < 0)
        throw DataError(dir + ": negative image size requested");
    ds.channels = C;
    ds.height = H;
    ds.width = W;

    if (C == 1 && H == srcH && W == srcW) {
        ds.pixels = std::move(trainImages.data);
        ds.pixels.insert(ds.pixels.end(), testImages.data.begin(), testImages.data.end());
    } else {
        // Another geometry was asked for: fit every sample (in parallel).
        const size_t srcSize = static_cast<size_t>(srcH) * srcW;
        const size_t dstSize = static_cast<size_t>(C) * H * W;
        ds.pixels.resize(dstSize * static_cast<size_t>(n));
        const int workers = detail::workerCount(n / 256 + 1);
        std::vector<std::thread> threads;
        std::vector<std::exception_ptr> errors(static_cast<size_t>(workers));
        for (int t = 0; t < workers; ++t) {
            threads.emplace_back([&, t] {
                try {
                    for (int64_t i = t; i < n; i += workers) {
                        const uint8_t* src = i < nTrain
                            ? trainImages.data.data() + srcSize * static_cast<size_t>(i)
                            : testImages.data.data() + srcSize * static_cast<size_t>(i - nTrain);
                        const cv::Mat m(srcH, srcW, CV_8UC1, const_cast<uint8_t*>(src));
                        detail::fitImage(
                            m, C, H, W, options.resize, ds.pixels.data() + dstSize * static_cast<size_t>(i));
                    }
                } catch (...) {
                    errors[static_cast<size_t>(t)] = std::current_exception();
                }
            });
        }
        for (auto& t : threads)
            t.join();
        for (auto& e : errors)
            if (e)
                std::rethrow_exception(e);
    }

    if (options.progress && !options.progress(1, 1))
        throw DataError(dir + ": loading cancelled");
    return ds;
}

} // namespace netcanvas
