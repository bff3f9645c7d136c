#pragma once
// The backends every conformance test runs against: the CPU (the reference) first, then one
// entry per CUDA device DeviceManager finds. An entry whose backend is null could not be
// created here (no plugin, no driver, no device, an unusable device): its tests QSKIP with
// skipReason, so the same executable runs every case unchanged on a machine that has a GPU.
#include "engine/backend/Backend.h"
#include "engine/backend/DeviceManager.h"

#include <memory>
#include <string>
#include <vector>

namespace netcanvas::test {

struct BackendUnderTest {
    std::string name; // "cpu", "cuda:0"
    std::unique_ptr<Backend> backend; // null when unavailable
    std::string skipReason; // why it is unavailable
};

inline std::vector<BackendUnderTest> backendsUnderTest()
{
    std::vector<BackendUnderTest> list;
    list.push_back({ "cpu", createCpuBackend(2), {} });
    const DeviceList devices = listDevices(2);
    bool anyCuda = false;
    for (const DeviceInfo& d : devices.devices) {
        if (d.kind != Device::Cuda)
            continue;
        anyCuda = true;
        if (!d.usable) {
            list.push_back(
                { d.spec, nullptr, "no CUDA device: " + d.spec + " " + d.name + " is unusable (" + d.reason + ")" });
            continue;
        }
        CreatedBackend created = createBackend(d.spec, 2);
        if (created.backend->device() == Device::Cuda)
            list.push_back({ d.spec, std::move(created.backend), {} });
        else
            list.push_back({ d.spec, nullptr, "no CUDA device: " + created.note });
    }
    if (!anyCuda)
        list.push_back({ "cuda", nullptr, "no CUDA device: " + devices.cudaStatus });
    return list;
}

} // namespace netcanvas::test
