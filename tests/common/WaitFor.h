#pragma once
// waitFor: polls a condition that another thread makes true (a training thread's progress)
// until it holds or the time runs out. For tests only.
#include <chrono>
#include <thread>

namespace netcanvas::testing {

// True as soon as pred() is; false when timeoutMs pass first.
template <typename Pred> bool waitFor(Pred pred, int timeoutMs = 20000)
{
    const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
    while (!pred()) {
        if (std::chrono::steady_clock::now() > end)
            return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return true;
}

} // namespace netcanvas::testing
