#pragma once
// DeviceManager: which devices this machine can train on, and the backend for a device spec.
//
// The CPU is always there. GPUs come from the CUDA backend plugin (libnetcanvas_cuda.so, see
// docs/gpu.md), loaded at run time with dlopen so that the same executable starts on machines
// without CUDA. The plugin is looked for, in order:
//   1. the file named by the environment variable NETCANVAS_CUDA_PLUGIN (only there, when set);
//   2. the running executable's directory;
//   3. ../lib next to the executable's directory, then the install lib directory.
// Nothing here throws for an unusable GPU: listing reports the reason, creating falls back to
// the CPU with a one-line note for the user.
#include "engine/backend/Backend.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace netcanvas {

struct DeviceInfo {
    std::string spec; // "cpu", "cuda:0": what createBackend accepts
    Device kind = Device::Cpu;
    int index = 0; // CUDA device ordinal
    std::string name; // "CPU", "NVIDIA GeForce RTX 4090"
    bool usable = true;
    std::string reason; // why not, when !usable ("compute capability 6.1 is below 7.5")
    int threads = 0; // CPU: worker threads a backend would use
    int64_t totalBytes = 0; // GPU memory
    int64_t usedBytes = -1; // in use by all processes; −1 when unknown
    int ccMajor = 0, ccMinor = 0;

    // One line for a menu: "CPU (2 threads)", "cuda:0 NVIDIA GeForce RTX 4090, 24.0 GB (1.3 GB in use), compute 8.9".
    std::string label() const;
};

struct DeviceList {
    std::vector<DeviceInfo> devices; // the CPU first, then each CUDA device found (usable or not)
    bool cudaUsable = false; // at least one CUDA device can be used
    // One line: "cuda: CUDA 13.0 (driver 13.1), cuDNN 9.19.0" or "cuda: unavailable (reason)".
    std::string cudaStatus;
    std::string cudaReason; // the reason alone when unusable ("no NVIDIA driver: ...")
    std::string pluginPath; // the plugin loaded, empty when none
};

// Probes every time (memory use changes); loading the plugin happens once per path.
// cpuThreads <= 0: all cores.
DeviceList listDevices(int cpuThreads = 0);

// "auto" | "cpu" | "cuda" | "cuda:N". Anything else throws FormatError naming the spec.
struct DeviceSpec {
    enum class Kind { Auto, Cpu, Cuda };
    Kind kind = Kind::Auto;
    int index = -1; // cuda:N; −1 for "cuda" (the first usable device)
};
DeviceSpec parseDeviceSpec(const std::string& spec);

struct BackendOptions {
    // The math of GEMMs and convolutions on a GPU (Precision.h): TF32 needs compute
    // capability ≥ 8.0, FP16 ≥ 7.0. The CPU computes in FP32 whatever is asked for.
    Precision precision = Precision::Fp32;
};

struct CreatedBackend {
    std::unique_ptr<Backend> backend; // never null
    // Empty, or one line telling the user why the requested GPU is not used:
    // "cuda: unavailable (no NVIDIA driver: libcuda.so.1 not found); training on the CPU (2 threads)",
    // and/or that the requested precision is not what the backend runs:
    // "FP16 mixed precision applies to GPUs only: the CPU computes in FP32".
    std::string note;
    // A CUDA device exists (usable or not). With "auto" and no GPU at all, falling back to the
    // CPU is the expected outcome: a command-line tool may keep the note to itself then.
    bool gpuPresent = false;
};

// The backend for spec: "cpu" the CPU with `threads` (<= 0: all cores); "cuda[:N]" that GPU;
// "auto" the first usable GPU, else the CPU. A GPU that cannot be used gives the CPU and a note;
// so does a precision the backend cannot run (backend->mathPrecision() != options.precision).
// Throws FormatError for a malformed spec only.
CreatedBackend createBackend(const std::string& spec, int threads = 0, const BackendOptions& options = {});

// Empty when `backend` runs `wanted`; otherwise one line saying what it computes in instead:
// "FP16 mixed precision applies to GPUs only: the CPU computes in FP32",
// "cuda:0 has no TF32 (NVIDIA T4, ..., compute capability 7.5): it computes in FP32".
std::string precisionNote(Precision wanted, const Backend& backend);

// A device's out-of-memory error (BackendError "cuda:0: out of memory allocating ...") with what
// to do about it: "...; training with batch size 256: try a smaller batch (128) or <cpuHint>".
// Other messages come back unchanged.
std::string withOutOfMemoryAdvice(const std::string& message, int64_t batchSize, const std::string& cpuHint);

} // namespace netcanvas
