#pragma once
// Finding the images of a folder, as the label store and `netcanvas-cli predict DIR` see them.
//
// What this represents: the image files under a folder, recursively, named by their path
// relative to it with '/' separators ("cats/001.png") — the stable id of an image in the
// label files. Hidden files and folders (a name starting with '.') are skipped, and so are
// file names that are not valid UTF-8 (they cannot be written to the JSON label files; they
// are reported in `notes`). Extensions (any case): png, jpg, jpeg, bmp, tif, tiff, webp.
#include <string>
#include <vector>

namespace netcanvas {

// True when the file name has an extension the label store lists as an image.
bool isLabelImageFileName(const std::string& name);

struct ImageScan {
    std::vector<std::string> ids; // sorted byte-wise, unique, '/'-separated, relative to the folder
    std::vector<std::string> notes; // files skipped, with the reason
};

// Scans `dir` recursively. Throws IoError naming the folder when it cannot be listed.
ImageScan scanImageFolder(const std::string& dir);

// True when `s` is well-formed UTF-8.
bool isValidUtf8(const std::string& s);

} // namespace netcanvas
