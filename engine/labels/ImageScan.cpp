#include "engine/labels/ImageScan.h"

#include "engine/core/Error.h"

#include <algorithm>
#include <filesystem>

namespace netcanvas {

namespace fs = std::filesystem;

bool isLabelImageFileName(const std::string& name)
{
    std::string ext = fs::path(name).extension().string();
    std::transform(
        ext.begin(), ext.end(), ext.begin(), [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    return ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".bmp" || ext == ".tif" || ext == ".tiff"
        || ext == ".webp";
}

bool isValidUtf8(const std::string& s)
{
    size_t i = 0;
    const size_t n = s.size();
    while (i < n) {
        const auto c = static_cast<unsigned char>(s[i]);
        int len = 0;
        uint32_t cp = 0;
        if (c < 0x80) {
            ++i;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            len = 2;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (i + static_cast<size_t>(len) > n)
            return false;
        for (int k = 1; k < len; ++k) {
            const auto cc = static_cast<unsigned char>(s[i + static_cast<size_t>(k)]);
            if ((cc & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (cc & 0x3F);
        }
        // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF
            || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += static_cast<size_t>(len);
    }
    return true;
}

ImageScan scanImageFolder(const std::string& dir)
{
    ImageScan scan;
    std::error_code ec;
    const fs::path root(dir);
    if (!fs::is_directory(root, ec))
        throw IoError(dir + ": not a folder");
    const auto opts = fs::directory_options::skip_permission_denied;
    for (auto it = fs::recursive_directory_iterator(root, opts, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (!name.empty() && name[0] == '.') {
            if (it->is_directory(ec))
                it.disable_recursion_pending();
            continue;
        }
        if (!isLabelImageFileName(name) || !it->is_regular_file(ec))
            continue;
        std::string id = it->path().lexically_relative(root).generic_string();
        if (!isValidUtf8(id)) {
            scan.notes.push_back(it->path().string() + ": skipped: the file name is not valid UTF-8");
            continue;
        }
        scan.ids.push_back(std::move(id));
    }
    if (ec)
        throw IoError(dir + ": cannot list folder: " + ec.message());
    std::sort(scan.ids.begin(), scan.ids.end());
    scan.ids.erase(std::unique(scan.ids.begin(), scan.ids.end()), scan.ids.end());
    return scan;
}

} // namespace netcanvas
