// Training sets and exports from the labeled images of a folder.
#include "engine/labels/LabeledImages.h"

#include "engine/io/Csv.h"

#include "engine/core/Error.h"
#include "engine/data/ImageDecode.h"
#include "engine/io/AtomicFile.h"

#include <filesystem>
#include <random>

namespace netcanvas {

namespace fs = std::filesystem;

std::vector<int64_t> LabeledImages::classCounts() const
{
    std::vector<int64_t> counts(classNames.size(), 0);
    for (int32_t l : labels)
        if (l >= 0 && static_cast<size_t>(l) < counts.size())
            ++counts[static_cast<size_t>(l)];
    return counts;
}

Dataset loadLabeledImages(const LabeledImages& set, const DatasetOptions& options)
{
    if (set.ids.empty())
        throw DataError(set.root + ": no image is labeled yet: label some images of each class first");
    std::vector<detail::ImageJob> jobs;
    jobs.reserve(set.size());
    for (size_t i = 0; i < set.size(); ++i)
        jobs.push_back({ set.path(i), set.labels[i] });

    detail::DecodedImages decoded = detail::decodeImages(jobs, options, set.root);
    Dataset ds;
    ds.format = "labels";
    ds.root = set.root;
    ds.classNames = set.classNames;
    ds.channels = decoded.channels;
    ds.height = decoded.height;
    ds.width = decoded.width;
    ds.pixels = std::move(decoded.pixels);
    ds.labels = std::move(decoded.labels);
    ds.sources = std::move(decoded.sources);
    ds.skipped = std::move(decoded.skipped);
    if (ds.labels.empty())
        throw DataError(set.root + ": none of the " + std::to_string(set.size()) + " labeled images could be read ("
            + ds.skipped.front().path + ": " + ds.skipped.front().reason + ")");
    return ds;
}

namespace {

bool isInside(const fs::path& inner, const fs::path& outer)
{
    const fs::path rel = inner.lexically_relative(outer);
    return !rel.empty() && *rel.begin() != "..";
}

} // namespace

ExportResult exportFolderPerClass(const LabeledImages& set, const std::string& target, const LabelProgress& progress)
{
    std::error_code ec;
    if (target.empty())
        throw IoError("export: no target folder given");
    const fs::path dest = fs::weakly_canonical(fs::absolute(target), ec);
    const fs::path root = fs::weakly_canonical(set.root, ec);
    if (dest == root || isInside(dest, root))
        throw DataError(target + ": the export folder cannot be inside the labeled folder " + set.root
            + " (its copies would be listed as new images)");
    const bool exists = fs::exists(dest, ec);
    if (exists) {
        if (!fs::is_directory(dest, ec))
            throw IoError(target + ": exists and is not a folder");
        if (!fs::is_empty(dest, ec))
            throw IoError(target + ": the folder is not empty; export needs a new or empty folder");
    }
    if (set.ids.empty())
        throw DataError(set.root + ": no image is labeled yet: nothing to export");
    const fs::path parent = dest.parent_path();
    fs::create_directories(parent, ec);
    if (ec)
        throw IoError(parent.string() + ": cannot create folder: " + ec.message());

    std::random_device rd;
    const fs::path tmp
        = parent / ("." + dest.filename().string() + ".netcanvas-export-" + std::to_string(rd() % 1000000));
    ExportResult result;
    result.target = dest.string();
    try {
        fs::create_directory(tmp, ec);
        if (ec)
            throw IoError(tmp.string() + ": cannot create folder: " + ec.message());
        const int64_t total = static_cast<int64_t>(set.size());
        for (size_t i = 0; i < set.size(); ++i) {
            if (progress && (i % 64 == 0) && !progress(static_cast<int64_t>(i), total))
                throw DataError(target + ": export cancelled");
            const fs::path to = tmp / set.classNames.at(static_cast<size_t>(set.labels[i])) / fs::path(set.ids[i]);
            fs::create_directories(to.parent_path(), ec);
            if (ec)
                throw IoError(to.parent_path().string() + ": cannot create folder: " + ec.message());
            if (!fs::copy_file(set.path(i), to, fs::copy_options::none, ec) || ec) {
                result.skipped.push_back({ set.path(i), "cannot copy: " + ec.message() });
                ec.clear();
                continue;
            }
            ++result.copied;
        }
        if (progress && !progress(total, total))
            throw DataError(target + ": export cancelled");
        // rename(2) replaces an empty folder: the export appears whole or not at all.
        fs::rename(tmp, dest, ec);
        if (ec)
            throw IoError(target + ": cannot move the finished export into place: " + ec.message());
    } catch (...) {
        fs::remove_all(tmp, ec);
        throw;
    }
    return result;
}

void exportLabelsCsv(const LabeledImages& set, const std::string& csvPath)
{
    std::error_code ec;
    const fs::path csv = fs::weakly_canonical(fs::absolute(csvPath), ec);
    const fs::path dir = csv.parent_path();
    std::string out = "path,label\n";
    for (size_t i = 0; i < set.size(); ++i) {
        const fs::path image = fs::path(set.path(i)).lexically_normal(); // the root is canonical already
        std::string rel = image.lexically_relative(dir).generic_string();
        if (rel.empty())
            rel = image.generic_string();
        out += csvField(rel) + "," + csvField(set.classNames.at(static_cast<size_t>(set.labels[i]))) + "\n";
    }
    writeFileAtomic(csvPath, out);
}

} // namespace netcanvas
