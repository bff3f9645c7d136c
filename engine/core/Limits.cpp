#include "engine/core/Limits.h"

#include <algorithm>
#include <thread>

namespace netcanvas::limits {

int resolveThreads(int requested, const std::string& what)
{
    if (requested < 0 || requested > kMaxThreads)
        throw DataError(what + ": " + std::to_string(requested) + " threads is out of range (0 = all cores, at most "
            + std::to_string(kMaxThreads) + ")");
    if (requested > 0)
        return requested;
    return static_cast<int>(std::clamp<unsigned>(std::thread::hardware_concurrency(), 1u, kMaxThreads));
}

} // namespace netcanvas::limits
