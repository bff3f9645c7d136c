#include "Devices.h"

#include "engine/backend/DeviceManager.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>

namespace netcanvas::cli {

int runDevices(bool json, int threads)
{
    const DeviceList list = listDevices(threads);
    if (json) {
        nlohmann::ordered_json devices = nlohmann::ordered_json::array();
        for (const DeviceInfo& d : list.devices) {
            nlohmann::ordered_json j;
            j["spec"] = d.spec;
            j["name"] = d.name;
            j["kind"] = d.kind == Device::Cpu ? "cpu" : "cuda";
            j["usable"] = d.usable;
            if (!d.usable)
                j["reason"] = d.reason;
            if (d.kind == Device::Cpu) {
                j["threads"] = d.threads;
            } else {
                j["compute_capability"] = std::to_string(d.ccMajor) + "." + std::to_string(d.ccMinor);
                j["memory_bytes"] = d.totalBytes;
                if (d.usedBytes >= 0)
                    j["memory_used_bytes"] = d.usedBytes;
            }
            devices.push_back(j);
        }
        nlohmann::ordered_json out;
        out["devices"] = devices;
        out["cuda"] = { { "usable", list.cudaUsable }, { "status", list.cudaStatus }, { "reason", list.cudaReason },
            { "plugin", list.pluginPath } };
        std::cout << out.dump() << "\n";
        return 0;
    }
    for (const DeviceInfo& d : list.devices)
        std::cout << (d.kind == Device::Cpu ? "cpu      " : "") << d.label() << "\n";
    std::cout << list.cudaStatus << "\n";
    return 0;
}

Precision precisionOption(const std::string& value)
{
    return parsePrecision(value, "--precision");
}

std::unique_ptr<Backend> backendForDevice(const std::string& device, int threads, Precision precision)
{
    BackendOptions options;
    options.precision = precision;
    CreatedBackend created = createBackend(device, threads, options);
    if (!created.note.empty() && (device != "auto" || created.gpuPresent || precision != Precision::Fp32)) {
        std::fprintf(stderr, "netcanvas-cli: note: %s\n", created.note.c_str());
        std::fflush(stderr);
    }
    return std::move(created.backend);
}

} // namespace netcanvas::cli
