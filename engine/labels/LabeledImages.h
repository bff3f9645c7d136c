#pragma once
// LabeledImages: the labeled images of a folder at one moment, as a plain value — what
// training and export need, taken from the LabelStore on its thread (cheap) and used on a
// worker thread without touching the store.
#include "engine/data/Dataset.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace netcanvas {

struct LabeledImages {
    std::string root; // the labeled folder (absolute)
    std::vector<std::string> classNames; // every class of the store, in its order
    std::vector<std::string> ids; // labeled images present in the folder, sorted
    std::vector<int32_t> labels; // per id: index into classNames

    std::string path(size_t i) const { return root + "/" + ids[i]; }
    size_t size() const { return ids.size(); }
    std::vector<int64_t> classCounts() const;
};

// Progress of a long job: (done, total); return false to cancel.
using LabelProgress = std::function<bool(int64_t, int64_t)>;

// Decodes the labeled images into a Dataset at the options' geometry (0 = from the first
// image), in parallel, with options.progress. Classes keep the store's order (a class with
// no image yet is kept: the model's outputs match the store's classes by index). Unreadable
// images are skipped and listed in Dataset::skipped, never fatal. format "labels", sources =
// image paths. Throws DataError when nothing is labeled, none could be read, or on cancel.
Dataset loadLabeledImages(const LabeledImages& set, const DatasetOptions& options);

struct ExportResult {
    std::string target;
    int64_t copied = 0;
    std::vector<SkippedFile> skipped; // images that could not be copied (gone, unreadable)
};

// Copies the labeled images to `target`/<class>/<image id> (the id's folders kept, so names
// never collide), byte for byte; the originals are never moved. `target` must not exist or
// be an empty folder, and must not be inside the labeled folder. Atomic: the copy is made in
// a hidden sibling folder renamed to `target` at the end, so a crash or cancel leaves no
// half-exported folder. Only classes with images get a folder (openDataset reads it back).
// Throws IoError/DataError naming the path; DataError "cancelled" when progress says stop.
ExportResult exportFolderPerClass(
    const LabeledImages& set, const std::string& target, const LabelProgress& progress = {});

// Writes `path,label` rows (header "path,label"; paths relative to the CSV's folder with '/',
// quoted when needed), atomically. openDataset(csvPath) reads it back.
void exportLabelsCsv(const LabeledImages& set, const std::string& csvPath);

} // namespace netcanvas
