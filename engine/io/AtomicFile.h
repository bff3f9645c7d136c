#pragma once
// Atomic writes for every file the user owns: write to "<path>.tmp-XXXX" in the same
// folder, flush, fsync, rename over the target. A crash leaves either the old or the new
// file, never half of one. Throws IoError naming the path.
#include <string>
#include <string_view>

namespace netcanvas {

void writeFileAtomic(const std::string& path, std::string_view bytes);
// Reads a whole file; throws IoError naming the path.
std::string readFile(const std::string& path);

} // namespace netcanvas
