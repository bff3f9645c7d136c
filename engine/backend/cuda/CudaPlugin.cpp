// The plugin's C entry points (engine/backend/CudaPluginAbi.h): probing the devices without
// creating a backend, and creating one. Nothing here throws across the boundary: every failure
// becomes text for the user ("no NVIDIA driver: libcuda.so.1 not found").
#include "engine/backend/CudaPluginAbi.h"
#include "engine/backend/cuda/CudaBackend.h"

#include <cudnn.h>
#include <dlfcn.h>

#include <cstdio>
#include <cstring>
#include <string>

#ifndef NETCANVAS_BACKEND_INTERFACE
#error "NETCANVAS_BACKEND_INTERFACE must be defined by the build (CMakeLists.txt)"
#endif

#define NC_PLUGIN_EXPORT extern "C" __attribute__((visibility("default")))

namespace netcanvas::cuda {
namespace {

// The oldest architecture this build compiles for (CMAKE_CUDA_ARCHITECTURES starts at 75).
constexpr int kMinMajor = 7, kMinMinor = 5;

void copyText(char* dst, size_t size, const std::string& text)
{
    if (!dst || size == 0)
        return;
    const size_t n = text.size() < size - 1 ? text.size() : size - 1;
    std::memcpy(dst, text.data(), n);
    dst[n] = '\0';
}

std::string cudaVersionText(int v)
{
    return std::to_string(v / 1000) + "." + std::to_string((v % 1000) / 10);
}

std::string cudnnVersionText(size_t v)
{
    // cuDNN 9: major·10000 + minor·100 + patch.
    return std::to_string(v / 10000) + "." + std::to_string((v % 10000) / 100) + "." + std::to_string(v % 100);
}

// NVML (part of the driver) reports every process's memory use without creating a CUDA
// context; loaded at run time, only the four functions below are used.
struct Nvml {
    using Device = struct nvmlDevice_st*;
    struct Memory {
        unsigned long long total, free, used;
    };
    int (*init)() = nullptr;
    int (*shutdown)() = nullptr;
    int (*byPciBusId)(const char*, Device*) = nullptr;
    int (*memoryInfo)(Device, Memory*) = nullptr;
    void* library = nullptr;
    bool ready = false;

    Nvml()
    {
        library = dlopen("libnvidia-ml.so.1", RTLD_LAZY | RTLD_LOCAL);
        if (!library)
            return;
        init = reinterpret_cast<int (*)()>(dlsym(library, "nvmlInit_v2"));
        shutdown = reinterpret_cast<int (*)()>(dlsym(library, "nvmlShutdown"));
        byPciBusId
            = reinterpret_cast<int (*)(const char*, Device*)>(dlsym(library, "nvmlDeviceGetHandleByPciBusId_v2"));
        memoryInfo = reinterpret_cast<int (*)(Device, Memory*)>(dlsym(library, "nvmlDeviceGetMemoryInfo"));
        ready = init && shutdown && byPciBusId && memoryInfo && init() == 0;
    }
    ~Nvml()
    {
        if (ready)
            shutdown();
        if (library)
            dlclose(library);
    }
    bool used(int cudaDevice, unsigned long long& bytes) const
    {
        char busId[32] = {};
        Device device = nullptr;
        Memory memory {};
        if (!ready || cudaDeviceGetPCIBusId(busId, sizeof busId, cudaDevice) != cudaSuccess)
            return false;
        if (byPciBusId(busId, &device) != 0 || memoryInfo(device, &memory) != 0)
            return false;
        bytes = memory.used;
        return true;
    }
};

void probe(NcCudaProbe& out)
{
    out = NcCudaProbe {};
    // The driver's library first: without it the runtime can only say "insufficient driver",
    // which would send a user without any NVIDIA driver to update one.
    if (!dlopen("libcuda.so.1", RTLD_LAZY | RTLD_LOCAL)) {
        copyText(out.status, sizeof out.status, "no NVIDIA driver: libcuda.so.1 not found");
        return;
    }
    int runtime = 0, driver = 0;
    cudaRuntimeGetVersion(&runtime);
    cudaDriverGetVersion(&driver);
    const size_t cudnn = cudnnGetVersion();
    int count = 0;
    const cudaError_t e = cudaGetDeviceCount(&count);
    if (e != cudaSuccess) {
        cudaGetLastError();
        std::string why;
        if (e == cudaErrorInsufficientDriver)
            why = "the NVIDIA driver supports CUDA " + cudaVersionText(driver) + ", this build needs CUDA "
                + cudaVersionText(runtime) + " or newer: update the driver";
        else if (e == cudaErrorNoDevice)
            why = "no CUDA device found (driver for CUDA " + cudaVersionText(driver) + ")";
        else
            why = "cudaGetDeviceCount failed: " + cudaStatusString(e);
        copyText(out.status, sizeof out.status, why);
        return;
    }
    if (count == 0) {
        copyText(
            out.status, sizeof out.status, "no CUDA device found (driver for CUDA " + cudaVersionText(driver) + ")");
        return;
    }
    if (cudnn / 10000 != CUDNN_MAJOR) {
        copyText(out.status, sizeof out.status,
            "cuDNN " + cudnnVersionText(cudnn) + " is loaded, this build needs cuDNN " + std::to_string(CUDNN_MAJOR));
        return;
    }
    out.cudaUsable = 1;
    copyText(out.status, sizeof out.status,
        "CUDA " + cudaVersionText(runtime) + " (driver " + cudaVersionText(driver) + "), cuDNN "
            + cudnnVersionText(cudnn));
    const Nvml nvml;
    out.deviceCount = count < NETCANVAS_CUDA_MAX_DEVICES ? count : NETCANVAS_CUDA_MAX_DEVICES;
    for (int i = 0; i < out.deviceCount; ++i) {
        NcCudaDeviceInfo& d = out.devices[i];
        d.index = i;
        cudaDeviceProp prop {};
        const cudaError_t pe = cudaGetDeviceProperties(&prop, i);
        if (pe != cudaSuccess) {
            cudaGetLastError();
            copyText(d.name, sizeof d.name, "CUDA device " + std::to_string(i));
            copyText(d.reason, sizeof d.reason, "cudaGetDeviceProperties failed: " + cudaStatusString(pe));
            continue;
        }
        copyText(d.name, sizeof d.name, prop.name);
        d.ccMajor = prop.major;
        d.ccMinor = prop.minor;
        d.totalBytes = prop.totalGlobalMem;
        unsigned long long used = 0;
        if (nvml.used(i, used)) {
            d.usedBytes = used;
            d.memoryUsageKnown = 1;
        }
        if (prop.major < kMinMajor || (prop.major == kMinMajor && prop.minor < kMinMinor))
            copyText(d.reason, sizeof d.reason,
                "compute capability " + std::to_string(prop.major) + "." + std::to_string(prop.minor) + " is below "
                    + std::to_string(kMinMajor) + "." + std::to_string(kMinMinor));
        else if (int mode = 0; cudaDeviceGetAttribute(&mode, cudaDevAttrComputeMode, i) == cudaSuccess
                 && mode == cudaComputeModeProhibited)
            copyText(d.reason, sizeof d.reason, "the device's compute mode is 'prohibited'");
        else
            d.usable = 1;
    }
}

} // namespace
} // namespace netcanvas::cuda

NC_PLUGIN_EXPORT int netcanvas_cuda_abi_version(void)
{
    return NETCANVAS_CUDA_PLUGIN_ABI_VERSION;
}

NC_PLUGIN_EXPORT const char* netcanvas_cuda_backend_interface(void)
{
    return NETCANVAS_BACKEND_INTERFACE;
}

NC_PLUGIN_EXPORT void netcanvas_cuda_probe(NcCudaProbe* out)
{
    if (!out)
        return;
    try {
        netcanvas::cuda::probe(*out);
    } catch (const std::exception& e) {
        *out = NcCudaProbe {};
        netcanvas::cuda::copyText(out->status, sizeof out->status, std::string("probe failed: ") + e.what());
    } catch (...) {
        *out = NcCudaProbe {};
        netcanvas::cuda::copyText(out->status, sizeof out->status, "probe failed");
    }
}

NC_PLUGIN_EXPORT void* netcanvas_cuda_create(int device, unsigned flags, char* error, size_t errorSize)
{
    using namespace netcanvas::cuda;
    copyText(error, errorSize, "");
    try {
        NcCudaProbe p;
        probe(p);
        if (!p.cudaUsable) {
            copyText(error, errorSize, p.status);
            return nullptr;
        }
        if (device < 0 || device >= p.deviceCount) {
            copyText(error, errorSize,
                "no CUDA device " + std::to_string(device) + " (" + std::to_string(p.deviceCount)
                    + (p.deviceCount == 1 ? " device" : " devices") + " found)");
            return nullptr;
        }
        if (!p.devices[device].usable) {
            copyText(error, errorSize, std::string(p.devices[device].name) + ": " + p.devices[device].reason);
            return nullptr;
        }
        netcanvas::Backend* backend = new CudaBackend(device, flags);
        return static_cast<void*>(backend);
    } catch (const std::exception& e) {
        copyText(error, errorSize, e.what());
    } catch (...) {
        copyText(error, errorSize, "unknown error creating the CUDA backend");
    }
    return nullptr;
}
