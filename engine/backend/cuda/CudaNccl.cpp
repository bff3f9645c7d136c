// NCCL for data-parallel training on GPUs (CudaPluginAbi.h, docs/distributed.md): the plugin's
// optional entry points. libnccl.so.2 (shipped with the CUDA toolkit) is loaded with dlopen the
// first time it is asked for, as the plugin treats NVML: a machine without NCCL, or without a
// GPU, loads the plugin and runs; the probe says why NCCL is unavailable. The types come from
// nccl.h; no NCCL symbol is linked.
#include "engine/backend/CudaPluginAbi.h"

#include <cuda_runtime.h>
#include <dlfcn.h>
#include <nccl.h>

#include <cstring>
#include <string>
#include <type_traits>

#define NC_PLUGIN_EXPORT extern "C" __attribute__((visibility("default")))

namespace netcanvas::cuda {
namespace {

static_assert(sizeof(ncclUniqueId) == NETCANVAS_NCCL_UNIQUE_ID_BYTES, "ncclUniqueId is 128 bytes");

void copyText(char* dst, size_t size, const std::string& text)
{
    if (!dst || size == 0)
        return;
    const size_t n = text.size() < size - 1 ? text.size() : size - 1;
    std::memcpy(dst, text.data(), n);
    dst[n] = '\0';
}

struct Nccl {
    void* library = nullptr;
    std::string error;
    ncclResult_t (*getVersion)(int*) = nullptr;
    ncclResult_t (*getUniqueId)(ncclUniqueId*) = nullptr;
    ncclResult_t (*commInitRank)(ncclComm_t*, int, ncclUniqueId, int) = nullptr;
    ncclResult_t (*allReduce)(const void*, void*, size_t, ncclDataType_t, ncclRedOp_t, ncclComm_t, cudaStream_t)
        = nullptr;
    ncclResult_t (*commDestroy)(ncclComm_t) = nullptr;
    const char* (*errorString)(ncclResult_t) = nullptr;

    Nccl()
    {
        library = dlopen("libnccl.so.2", RTLD_NOW | RTLD_LOCAL);
        if (!library) {
            const char* why = dlerror();
            error = std::string("NCCL unavailable: ") + (why ? why : "libnccl.so.2 not found");
            return;
        }
        auto load = [this](auto& fn, const char* name) {
            fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(dlsym(library, name));
            if (!fn && error.empty())
                error = std::string("NCCL unavailable: libnccl.so.2 lacks ") + name;
        };
        load(getVersion, "ncclGetVersion");
        load(getUniqueId, "ncclGetUniqueId");
        load(commInitRank, "ncclCommInitRank");
        load(allReduce, "ncclAllReduce");
        load(commDestroy, "ncclCommDestroy");
        load(errorString, "ncclGetErrorString");
    }
    bool ready() const { return library && error.empty(); }
    std::string why(ncclResult_t r) const
    {
        return std::string("NCCL: ") + (errorString ? errorString(r) : "error " + std::to_string(int(r)));
    }
};

Nccl& nccl()
{
    static Nccl instance; // loaded once, on first use, never at plugin load
    return instance;
}

} // namespace
} // namespace netcanvas::cuda

using netcanvas::cuda::copyText;
using netcanvas::cuda::nccl;

NC_PLUGIN_EXPORT int netcanvas_cuda_nccl_probe(char* status, size_t size)
{
    auto& n = nccl();
    if (!n.ready()) {
        copyText(status, size, n.error);
        return 0;
    }
    int v = 0;
    if (n.getVersion(&v) != ncclSuccess) {
        copyText(status, size, "NCCL unavailable: ncclGetVersion failed");
        return 0;
    }
    // NCCL 2.9+: major·10000 + minor·100 + patch.
    copyText(status, size,
        "NCCL " + std::to_string(v / 10000) + "." + std::to_string((v % 10000) / 100) + "." + std::to_string(v % 100));
    return 1;
}

NC_PLUGIN_EXPORT int netcanvas_cuda_nccl_unique_id(void* id, char* error, size_t errorSize)
{
    auto& n = nccl();
    if (!n.ready()) {
        copyText(error, errorSize, n.error);
        return 0;
    }
    ncclUniqueId u;
    const ncclResult_t r = n.getUniqueId(&u);
    if (r != ncclSuccess) {
        copyText(error, errorSize, n.why(r));
        return 0;
    }
    std::memcpy(id, &u, sizeof u);
    return 1;
}

NC_PLUGIN_EXPORT void* netcanvas_cuda_nccl_init(
    const void* id, int ranks, int rank, int device, char* error, size_t errorSize)
{
    auto& n = nccl();
    if (!n.ready()) {
        copyText(error, errorSize, n.error);
        return nullptr;
    }
    if (cudaSetDevice(device) != cudaSuccess) {
        copyText(error, errorSize, "NCCL: cannot use CUDA device " + std::to_string(device));
        return nullptr;
    }
    ncclUniqueId u;
    std::memcpy(&u, id, sizeof u);
    ncclComm_t comm = nullptr;
    const ncclResult_t r = n.commInitRank(&comm, ranks, u, rank);
    if (r != ncclSuccess) {
        copyText(error, errorSize, n.why(r));
        return nullptr;
    }
    return comm;
}

NC_PLUGIN_EXPORT int netcanvas_cuda_nccl_allreduce_sum(
    void* comm, float* deviceData, size_t count, char* error, size_t errorSize)
{
    auto& n = nccl();
    if (!n.ready() || !comm) {
        copyText(error, errorSize, n.ready() ? std::string("NCCL: no communicator") : n.error);
        return 0;
    }
    // The backend's work runs on the legacy default stream: the gradients are complete there.
    const ncclResult_t r
        = n.allReduce(deviceData, deviceData, count, ncclFloat32, ncclSum, static_cast<ncclComm_t>(comm), nullptr);
    if (r != ncclSuccess) {
        copyText(error, errorSize, n.why(r));
        return 0;
    }
    if (cudaStreamSynchronize(nullptr) != cudaSuccess) {
        copyText(error, errorSize, "NCCL: the all-reduce failed on the device");
        return 0;
    }
    return 1;
}

NC_PLUGIN_EXPORT void netcanvas_cuda_nccl_destroy(void* comm)
{
    if (comm && nccl().ready())
        nccl().commDestroy(static_cast<ncclComm_t>(comm));
}
