#include "engine/backend/DeviceManager.h"

#include "engine/backend/CudaPluginAbi.h"
#include "engine/core/Error.h"
#include "engine/core/Limits.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#ifndef NETCANVAS_INSTALL_LIBDIR
#define NETCANVAS_INSTALL_LIBDIR ""
#endif
#ifndef NETCANVAS_BACKEND_INTERFACE
#define NETCANVAS_BACKEND_INTERFACE "unknown"
#endif

namespace netcanvas {
namespace {

constexpr const char* kPluginFile = "libnetcanvas_cuda.so";

struct Plugin {
    std::string path; // the file loaded (or tried)
    std::string error; // why it cannot be used; empty when usable
    NcCudaProbeFn probe = nullptr;
    NcCudaCreateFn create = nullptr;
};

std::string executableDirectory()
{
    std::error_code ec;
    const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    return ec ? std::string() : exe.parent_path().string();
}

// The candidate files, in search order; `fromEnvironment` when the user named one.
std::vector<std::string> candidates(bool& fromEnvironment)
{
    fromEnvironment = false;
    if (const char* env = std::getenv("NETCANVAS_CUDA_PLUGIN"); env && *env) {
        fromEnvironment = true;
        return { env };
    }
    std::vector<std::string> list;
    const std::string exeDir = executableDirectory();
    if (!exeDir.empty()) {
        list.push_back(exeDir + "/" + kPluginFile);
        list.push_back(exeDir + "/../lib/" + kPluginFile);
    }
    if (*NETCANVAS_INSTALL_LIBDIR)
        list.push_back(std::string(NETCANVAS_INSTALL_LIBDIR) + "/" + kPluginFile);
    return list;
}

// Loads (once per path; the library stays loaded for the process: backends it created must
// never lose their code) and checks the plugin's version and interface.
Plugin loadPlugin(const std::string& path)
{
    static std::mutex mutex;
    static std::map<std::string, Plugin> loaded;
    std::lock_guard lock(mutex);
    if (auto it = loaded.find(path); it != loaded.end())
        return it->second;
    Plugin p;
    p.path = path;
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        const char* why = dlerror();
        p.error = "cannot load " + path + ": " + (why ? why : "unknown dlopen error");
        return loaded[path] = p;
    }
    auto abi = reinterpret_cast<NcCudaAbiVersionFn>(dlsym(handle, "netcanvas_cuda_abi_version"));
    auto iface = reinterpret_cast<NcCudaInterfaceFn>(dlsym(handle, "netcanvas_cuda_backend_interface"));
    p.probe = reinterpret_cast<NcCudaProbeFn>(dlsym(handle, "netcanvas_cuda_probe"));
    p.create = reinterpret_cast<NcCudaCreateFn>(dlsym(handle, "netcanvas_cuda_create"));
    if (!abi || !iface || !p.probe || !p.create)
        p.error = path + " is not a NetCanvas CUDA plugin (entry points missing)";
    else if (abi() != NETCANVAS_CUDA_PLUGIN_ABI_VERSION)
        p.error = path + " has plugin ABI " + std::to_string(abi()) + ", this program needs "
            + std::to_string(NETCANVAS_CUDA_PLUGIN_ABI_VERSION);
    else if (std::string(iface()) != NETCANVAS_BACKEND_INTERFACE)
        p.error = path + " was built for another NetCanvas version (backend interface " + iface() + ", this program "
            + NETCANVAS_BACKEND_INTERFACE + ")";
    if (!p.error.empty()) {
        p.probe = nullptr;
        p.create = nullptr;
    }
    return loaded[path] = p;
}

// The plugin to use, or one with the reason in error.
Plugin findPlugin()
{
    bool fromEnvironment = false;
    const std::vector<std::string> files = candidates(fromEnvironment);
    if (fromEnvironment) {
        const std::string& file = files.front();
        std::error_code ec;
        if (!std::filesystem::exists(file, ec)) {
            Plugin p;
            p.path = file;
            p.error = "NETCANVAS_CUDA_PLUGIN names " + file + ", which does not exist";
            return p;
        }
        return loadPlugin(file);
    }
    for (const std::string& file : files) {
        std::error_code ec;
        if (std::filesystem::exists(file, ec))
            return loadPlugin(std::filesystem::weakly_canonical(file, ec).string());
    }
    Plugin p;
    p.error = std::string("the CUDA plugin ") + kPluginFile
        + " was not found (this build has no CUDA support, or it is not installed next to the program)";
    return p;
}

int cpuThreads(int threads)
{
    return limits::resolveThreads(threads);
}

std::string gigabytes(int64_t bytes)
{
    char text[32];
    std::snprintf(text, sizeof text, "%.1f GB", static_cast<double>(bytes) / double(int64_t(1) << 30));
    return text;
}

struct Probe {
    Plugin plugin;
    NcCudaProbe result {};
    bool ran = false;
};

Probe probeCuda()
{
    Probe p;
    p.plugin = findPlugin();
    if (p.plugin.probe) {
        p.plugin.probe(&p.result);
        p.result.status[sizeof p.result.status - 1] = '\0';
        p.ran = true;
    }
    return p;
}

DeviceInfo cudaDeviceInfo(const NcCudaDeviceInfo& d)
{
    DeviceInfo info;
    info.kind = Device::Cuda;
    info.index = d.index;
    info.spec = "cuda:" + std::to_string(d.index);
    info.name.assign(d.name, strnlen(d.name, sizeof d.name));
    info.usable = d.usable != 0;
    info.reason.assign(d.reason, strnlen(d.reason, sizeof d.reason));
    info.totalBytes = static_cast<int64_t>(d.totalBytes);
    info.usedBytes = d.memoryUsageKnown ? static_cast<int64_t>(d.usedBytes) : -1;
    info.ccMajor = d.ccMajor;
    info.ccMinor = d.ccMinor;
    info.threads = 1;
    return info;
}

} // namespace

std::string DeviceInfo::label() const
{
    if (kind == Device::Cpu)
        return "CPU (" + std::to_string(threads) + (threads == 1 ? " thread)" : " threads)");
    std::string text = spec + " " + name;
    if (totalBytes > 0) {
        text += ", " + gigabytes(totalBytes);
        if (usedBytes >= 0)
            text += " (" + gigabytes(usedBytes) + " in use)";
    }
    text += ", compute " + std::to_string(ccMajor) + "." + std::to_string(ccMinor);
    if (!usable)
        text += ": unusable (" + reason + ")";
    return text;
}

DeviceList listDevices(int threads)
{
    DeviceList list;
    DeviceInfo cpu;
    cpu.spec = "cpu";
    cpu.name = "CPU";
    cpu.threads = cpuThreads(threads);
    list.devices.push_back(cpu);

    const Probe p = probeCuda();
    list.pluginPath = p.plugin.error.empty() ? p.plugin.path : std::string();
    if (!p.ran) {
        list.cudaReason = p.plugin.error;
    } else if (!p.result.cudaUsable) {
        list.cudaReason = p.result.status;
    } else {
        for (int i = 0; i < p.result.deviceCount && i < NETCANVAS_CUDA_MAX_DEVICES; ++i) {
            list.devices.push_back(cudaDeviceInfo(p.result.devices[i]));
            list.cudaUsable = list.cudaUsable || list.devices.back().usable;
        }
        if (!list.cudaUsable)
            list.cudaReason
                = p.result.deviceCount == 1 ? "the only CUDA device is unusable" : "no CUDA device is usable";
    }
    list.cudaStatus
        = list.cudaUsable ? "cuda: " + std::string(p.result.status) : "cuda: unavailable (" + list.cudaReason + ")";
    return list;
}

DeviceSpec parseDeviceSpec(const std::string& spec)
{
    DeviceSpec d;
    if (spec == "auto")
        return d;
    if (spec == "cpu") {
        d.kind = DeviceSpec::Kind::Cpu;
        return d;
    }
    if (spec == "cuda") {
        d.kind = DeviceSpec::Kind::Cuda;
        return d;
    }
    const std::string prefix = "cuda:";
    if (spec.size() > prefix.size() && spec.size() <= prefix.size() + 3
        && spec.compare(0, prefix.size(), prefix) == 0) {
        int index = 0;
        bool digits = true;
        for (size_t i = prefix.size(); i < spec.size(); ++i) {
            if (spec[i] < '0' || spec[i] > '9')
                digits = false;
            else
                index = index * 10 + (spec[i] - '0');
        }
        if (digits) {
            d.kind = DeviceSpec::Kind::Cuda;
            d.index = index;
            return d;
        }
    }
    throw FormatError("device '" + spec + "': expected auto, cpu, cuda or cuda:N (N the GPU's number, from 0)");
}

std::string withOutOfMemoryAdvice(const std::string& message, int64_t batchSize, const std::string& cpuHint)
{
    if (message.find("out of memory") == std::string::npos)
        return message;
    std::string advice = message + "; training with batch size " + std::to_string(batchSize) + ": try ";
    if (batchSize > 1)
        advice += "a smaller batch (" + std::to_string(batchSize / 2) + ") or ";
    return advice + cpuHint;
}

std::string precisionNote(Precision wanted, const Backend& backend)
{
    const Precision runs = backend.mathPrecision();
    if (runs == wanted)
        return {};
    if (backend.device() == Device::Cpu)
        return std::string(precisionLabel(wanted)) + " applies to GPUs only: the CPU computes in "
            + precisionLabel(runs);
    return backend.name() + " has no " + precisionLabel(wanted) + " (" + backend.description() + "): it computes in "
        + precisionLabel(runs);
}

namespace {

unsigned pluginFlags(Precision p)
{
    switch (p) {
    case Precision::Tf32:
        return NETCANVAS_CUDA_TF32;
    case Precision::Fp16:
        return NETCANVAS_CUDA_FP16;
    case Precision::Fp32:
        break;
    }
    return 0u;
}

// The backend for spec without the precision note (createBackend adds it).
CreatedBackend createForSpec(const std::string& spec, int threads, const BackendOptions& options)
{
    const DeviceSpec wanted = parseDeviceSpec(spec);
    CreatedBackend out;
    auto cpuFallback = [&](const std::string& why) {
        out.backend = createCpuBackend(threads);
        const int n = out.backend->threads();
        out.note = why + "; training on the CPU (" + std::to_string(n) + (n == 1 ? " thread)" : " threads)");
        return std::move(out);
    };
    if (wanted.kind == DeviceSpec::Kind::Cpu) {
        out.backend = createCpuBackend(threads);
        return out;
    }

    const Probe p = probeCuda();
    if (!p.ran)
        return cpuFallback("cuda: unavailable (" + p.plugin.error + ")");
    if (!p.result.cudaUsable)
        return cpuFallback("cuda: unavailable (" + std::string(p.result.status) + ")");
    out.gpuPresent = p.result.deviceCount > 0;

    int index = wanted.index;
    if (index < 0) { // "auto" / "cuda": the first usable device
        for (int i = 0; i < p.result.deviceCount && index < 0; ++i)
            if (p.result.devices[i].usable)
                index = i;
        if (index < 0)
            return cpuFallback("cuda: unavailable (no usable CUDA device: "
                + (p.result.deviceCount > 0 ? std::string(p.result.devices[0].name) + ": " + p.result.devices[0].reason
                                            : std::string("none found"))
                + ")");
    }
    char error[512] = {};
    void* created = p.plugin.create(index, pluginFlags(options.precision), error, sizeof error);
    if (!created) {
        error[sizeof error - 1] = '\0';
        return cpuFallback("cuda:" + std::to_string(index) + ": unavailable (" + error + ")");
    }
    out.backend.reset(static_cast<Backend*>(created));
    return out;
}

} // namespace

CreatedBackend createBackend(const std::string& spec, int threads, const BackendOptions& options)
{
    CreatedBackend out = createForSpec(spec, threads, options);
    const std::string precision = precisionNote(options.precision, *out.backend);
    if (!precision.empty())
        out.note = out.note.empty() ? precision : out.note + "; " + precision;
    return out;
}

} // namespace netcanvas
