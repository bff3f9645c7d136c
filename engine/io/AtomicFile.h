#pragma once
// Atomic writes for every file the user owns: write to "<path>.tmp-XXXX" in the same
// folder, flush, fsync, rename over the target. A crash leaves either the old or the new
// file, never half of one (the folder is fsync'd after the rename). Partial files of the same
// target left by a killed process (older than 5 s) are removed after a successful write.
// Throws IoError naming the path.
#include <string>
#include <string_view>

namespace netcanvas {

void writeFileAtomic(const std::string& path, std::string_view bytes);
// Removes every partial file ("*.tmp-N") in `folder` — for a folder that one run owns, at its
// start. Returns how many were removed.
int removePartialFiles(const std::string& folder);
// Reads a whole file; throws IoError naming the path.
std::string readFile(const std::string& path);

} // namespace netcanvas
