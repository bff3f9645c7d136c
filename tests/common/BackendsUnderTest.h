#pragma once
// The backends every conformance test runs against: the CPU (the reference) first, then one
// entry per device backend this build knows. An entry whose backend is null could not be
// created here (no plugin, no driver, no device): its tests QSKIP with skipReason, so the
// same executable runs every case unchanged on a machine that has the device.
#include "engine/backend/Backend.h"

#include <memory>
#include <string>
#include <vector>

namespace netcanvas::test {

struct BackendUnderTest {
    std::string name;                 // "cpu", "cuda:0"
    std::unique_ptr<Backend> backend; // null when unavailable
    std::string skipReason;           // why it is unavailable
};

inline std::vector<BackendUnderTest> backendsUnderTest()
{
    std::vector<BackendUnderTest> list;
    list.push_back({ "cpu", createCpuBackend(2), {} });
    list.push_back({ "cuda", nullptr, "no CUDA device: the CUDA backend is not part of this build" });
    return list;
}

} // namespace netcanvas::test
