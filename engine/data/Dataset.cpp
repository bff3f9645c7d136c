// Dataset basics, format detection, folder-per-class loading and single-image loading.
#include "engine/data/Dataset.h"
#include "engine/data/SequenceData.h"

#include "engine/core/Error.h"
#include "engine/data/ImageDecode.h"

#include <algorithm>
#include <filesystem>

namespace netcanvas {

namespace fs = std::filesystem;

namespace {

bool isHidden(const fs::path& p)
{
    const std::string name = p.filename().string();
    return !name.empty() && name[0] == '.';
}

bool hasIdxFiles(const fs::path& dir)
{
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
        if (!e.is_regular_file(ec))
            continue;
        std::string name = e.path().filename().string();
        std::transform(name.begin(), name.end(), name.begin(),
            [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
        if (name.find("idx3-ubyte") != std::string::npos || name.find("idx3.ubyte") != std::string::npos)
            return true;
    }
    return false;
}

std::vector<fs::path> subfolders(const fs::path& dir)
{
    std::vector<fs::path> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec))
        if (e.is_directory(ec) && !isHidden(e.path()))
            out.push_back(e.path());
    if (ec)
        throw IoError(dir.string() + ": cannot list folder: " + ec.message());
    std::sort(out.begin(), out.end(),
        [](const fs::path& a, const fs::path& b) { return a.filename().string() < b.filename().string(); });
    return out;
}

std::string lowerExt(const fs::path& p)
{
    std::string ext = p.extension().string();
    std::transform(
        ext.begin(), ext.end(), ext.begin(), [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    return ext;
}

} // namespace

void Dataset::sampleToFloat(int64_t i, float* out) const
{
    const size_t n = static_cast<size_t>(sampleSize());
    const size_t offset = n * static_cast<size_t>(i);
    if (!features.empty()) {
        std::copy_n(features.data() + offset, n, out);
        return;
    }
    const uint8_t* p = pixels.data() + offset;
    constexpr float scale = 1.0f / 255.0f;
    for (size_t k = 0; k < n; ++k)
        out[k] = static_cast<float>(p[k]) * scale;
}

std::vector<int64_t> Dataset::classCounts() const
{
    std::vector<int64_t> counts(classNames.size(), 0);
    for (int32_t l : labels)
        if (l >= 0 && static_cast<size_t>(l) < counts.size())
            ++counts[static_cast<size_t>(l)];
    return counts;
}

ResizePolicy resizePolicyFromString(const std::string& s)
{
    std::string v = s;
    std::transform(v.begin(), v.end(), v.begin(), [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    if (v == "stretch")
        return ResizePolicy::Stretch;
    if (v == "pad" || v == "letterbox")
        return ResizePolicy::Pad;
    if (v == "crop" || v == "centercrop" || v == "center-crop")
        return ResizePolicy::CenterCrop;
    throw FormatError("resize policy '" + s + "' is not one of stretch, pad, crop");
}

namespace {
Dataset openDatasetUnchecked(const std::string& path, const DatasetOptions& options);
}

Dataset openDataset(const std::string& path, const DatasetOptions& options)
{
    try {
        return openDatasetUnchecked(path, options);
    } catch (const std::bad_alloc&) {
        throw DataError(path + ": out of memory while loading the dataset (" + std::to_string(options.channels)
            + "\u00d7" + std::to_string(options.height) + "\u00d7" + std::to_string(options.width)
            + " per sample requested): use a smaller image size or fewer samples");
    }
}

namespace {

Dataset openDatasetUnchecked(const std::string& path, const DatasetOptions& options)
{
    std::error_code ec;
    const fs::path p(path);
    const auto status = fs::status(p, ec);
    if (ec || !fs::exists(status))
        throw IoError(path + ": no such file or folder");
    if (options.task == "series")
        return loadTimeSeriesCsv(path, options);
    if (options.task == "text")
        return loadTextDataset(path, options);
    if (!options.task.empty() && options.task != "regression" && options.task != "classification")
        throw DataError(path + ": unknown task '" + options.task + "' (classification, regression, series, text)");

    if (fs::is_regular_file(status)) {
        const std::string ext = lowerExt(p);
        if (ext == ".csv" || ext == ".tsv" || ext == ".txt")
            return loadCsvDataset(path, options);
        std::string name = p.filename().string();
        std::transform(name.begin(), name.end(), name.begin(),
            [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
        if (name.find("idx3-ubyte") != std::string::npos || name.find("idx1-ubyte") != std::string::npos)
            return loadIdxDataset(p.parent_path().empty() ? std::string(".") : p.parent_path().string(), options);
        throw FormatError(path
            + ": not a dataset (expected a .csv file, a folder of IDX files, or a folder with one subfolder per "
              "class)");
    }
    if (!fs::is_directory(status))
        throw IoError(path + ": neither a file nor a folder");

    if (hasIdxFiles(p))
        return loadIdxDataset(path, options);
    if (subfolders(p).empty()) {
        // A folder holding exactly one CSV file and no class folders: that CSV.
        std::vector<fs::path> csvs;
        for (const auto& e : fs::directory_iterator(p, ec))
            if (e.is_regular_file(ec) && lowerExt(e.path()) == ".csv")
                csvs.push_back(e.path());
        if (csvs.size() == 1)
            return loadCsvDataset(csvs.front().string(), options);
    }
    return loadImageFolder(path, options);
}

} // namespace

Dataset loadImageFolder(const std::string& dir, const DatasetOptions& options)
{
    std::error_code ec;
    if (!fs::is_directory(dir, ec))
        throw IoError(dir + ": not a folder");

    const std::vector<fs::path> classDirs = subfolders(dir);
    if (classDirs.empty())
        throw DataError(dir
            + ": no class folders found. Expected one subfolder per class holding that class's images, "
              "e.g. "
            + (fs::path(dir) / "cat" / "001.png").string() + " and " + (fs::path(dir) / "dog" / "001.jpg").string()
            + " (png, jpg, jpeg, bmp, tif, tiff)");

    Dataset ds;
    ds.format = "folder";
    ds.root = dir;
    std::vector<detail::ImageJob> jobs;
    for (size_t k = 0; k < classDirs.size(); ++k) {
        ds.classNames.push_back(classDirs[k].filename().string());
        std::vector<std::string> files;
        const auto opts = fs::directory_options::skip_permission_denied;
        for (auto it = fs::recursive_directory_iterator(classDirs[k], opts, ec);
             !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
            if (isHidden(it->path())) {
                if (it->is_directory(ec))
                    it.disable_recursion_pending();
                continue;
            }
            if (it->is_regular_file(ec) && detail::isImageFileName(it->path().filename().string()))
                files.push_back(it->path().string());
        }
        if (ec)
            throw IoError(classDirs[k].string() + ": cannot list folder: " + ec.message());
        std::sort(files.begin(), files.end());
        for (auto& f : files)
            jobs.push_back({ std::move(f), static_cast<int32_t>(k) });
    }

    detail::DecodedImages decoded = detail::decodeImages(jobs, options, dir);
    ds.channels = decoded.channels;
    ds.height = decoded.height;
    ds.width = decoded.width;
    ds.pixels = std::move(decoded.pixels);
    ds.labels = std::move(decoded.labels);
    ds.sources = std::move(decoded.sources);
    ds.skipped = std::move(decoded.skipped);

    const std::vector<int64_t> counts = ds.classCounts();
    for (size_t k = 0; k < counts.size(); ++k) {
        if (counts[k] > 0)
            continue;
        std::string why = "no image files (png, jpg, jpeg, bmp, tif, tiff)";
        int64_t skippedHere = 0;
        std::string firstReason;
        const std::string prefix = classDirs[k].string() + "/";
        for (const auto& s : ds.skipped)
            if (s.path.rfind(prefix, 0) == 0) {
                if (skippedHere++ == 0)
                    firstReason = s.path + ": " + s.reason;
            }
        if (skippedHere > 0)
            why = "none of its " + std::to_string(skippedHere) + " image files could be read (" + firstReason + ")";
        throw DataError(
            classDirs[k].string() + ": class folder '" + ds.classNames[k] + "' has no readable image: " + why);
    }
    return ds;
}

namespace {

std::vector<uint8_t> fitSample(
    const cv::Mat& img, const std::string& what, int channels, int height, int width, ResizePolicy resize)
{
    const int c = channels == 0 ? img.channels() : channels;
    const int h = height <= 0 ? img.rows : height;
    const int w = width <= 0 ? img.cols : width;
    std::vector<uint8_t> out(static_cast<size_t>(c) * h * w);
    try {
        detail::fitImage(img, c, h, w, resize, out.data());
    } catch (const cv::Exception& e) {
        throw DataError(what + ": cannot resize image: " + e.msg);
    }
    return out;
}

void checkChannels(const std::string& what, int channels)
{
    if (channels != 0 && channels != 1 && channels != 3)
        throw DataError(what + ": channels must be 1 (gray) or 3 (color), not " + std::to_string(channels));
}

} // namespace

std::vector<uint8_t> loadImageSample(const std::string& path, int channels, int height, int width, ResizePolicy resize)
{
    checkChannels(path, channels);
    cv::Mat img;
    std::string reason;
    if (!detail::decodeImageFile(path, channels, img, reason))
        throw DataError(path + ": cannot load image: " + reason);
    return fitSample(img, path, channels, height, width, resize);
}

std::vector<uint8_t> decodeImageSample(const uint8_t* bytes, size_t size, const std::string& what, int channels,
    int height, int width, ResizePolicy resize)
{
    checkChannels(what, channels);
    cv::Mat img;
    std::string reason;
    if (!detail::decodeImageBytes(bytes, size, channels, img, reason))
        throw DataError(what + ": " + reason);
    return fitSample(img, what, channels, height, width, resize);
}

} // namespace netcanvas
