#pragma once
// The C entry points of the CUDA backend plugin (libnetcanvas_cuda.so, engine/backend/cuda),
// looked up with dlsym by DeviceManager. Plain C types only, so that nothing CUDA leaks into the
// engine and no C++ exception crosses the boundary: failures come back as text.
//
// Versioning: the engine first calls netcanvas_cuda_abi_version() and
// netcanvas_cuda_backend_interface(); a plugin whose ABI version or interface hash (a hash of
// Backend.h, Allocator.h and this file, computed by CMake) differs from the engine's is not used
// (the user sees "cuda: unavailable (plugin built for another NetCanvas version)").
#include <stddef.h>
#include <stdint.h>

#define NETCANVAS_CUDA_PLUGIN_ABI_VERSION 2 // 2: the NETCANVAS_CUDA_FP16 flag
#define NETCANVAS_CUDA_MAX_DEVICES 16

#ifdef __cplusplus
extern "C" {
#endif

typedef struct NcCudaDeviceInfo {
    int index; // CUDA device ordinal
    char name[256]; // "NVIDIA GeForce RTX 4090"
    int ccMajor, ccMinor; // compute capability
    uint64_t totalBytes; // device memory
    uint64_t usedBytes; // in use by every process (NVML); 0 when memoryUsageKnown is 0
    int memoryUsageKnown;
    int usable; // 1 when a backend can be created on it
    char reason[256]; // why not, when usable is 0 ("compute capability 6.1 < 7.5")
} NcCudaDeviceInfo;

typedef struct NcCudaProbe {
    int cudaUsable; // 1 when the driver and runtime work (even with 0 usable devices)
    char status[512]; // one line: "CUDA 13.0 (driver 13.1), cuDNN 9.19.0" or the reason
    int deviceCount; // entries filled in devices[] (at most NETCANVAS_CUDA_MAX_DEVICES)
    NcCudaDeviceInfo devices[NETCANVAS_CUDA_MAX_DEVICES];
} NcCudaProbe;

// Options of a created backend (bit flags; at most one of the two math flags is set, none
// meaning exact FP32 math).
#define NETCANVAS_CUDA_TF32 1u // TF32 tensor-core math for GEMM and convolution (compute capability >= 8.0)
#define NETCANVAS_CUDA_FP16 2u // FP16 tensor-core math, FP32 accumulation, for GEMM and convolution (>= 7.0)

// int netcanvas_cuda_abi_version(void): NETCANVAS_CUDA_PLUGIN_ABI_VERSION of the plugin.
typedef int (*NcCudaAbiVersionFn)(void);
// const char* netcanvas_cuda_backend_interface(void): the interface hash it was built with.
typedef const char* (*NcCudaInterfaceFn)(void);
// void netcanvas_cuda_probe(NcCudaProbe* out): fills *out; never fails, never creates a context.
typedef void (*NcCudaProbeFn)(NcCudaProbe* out);
// void* netcanvas_cuda_create(int device, unsigned flags, char* error, size_t errorSize):
// a new netcanvas::Backend* (owned by the caller, deleted through its virtual destructor),
// or null with the reason written to error (always NUL-terminated).
typedef void* (*NcCudaCreateFn)(int device, unsigned flags, char* error, size_t errorSize);

// NCCL between the GPUs of a data-parallel run (docs/distributed.md). Optional symbols: the
// plugin loads libnccl.so.2 with dlopen only when asked, so a machine without NCCL still runs;
// every function reports failure as text. The unique id is NCCL's 128-byte ncclUniqueId, which
// rank 0 creates and the caller distributes (over MPI).
#define NETCANVAS_NCCL_UNIQUE_ID_BYTES 128
// int netcanvas_cuda_nccl_probe(char* status, size_t size): 1 when NCCL loads ("NCCL 2.27.3"),
// else 0 with the reason ("libnccl.so.2 not found").
typedef int (*NcNcclProbeFn)(char* status, size_t size);
// int netcanvas_cuda_nccl_unique_id(void* id, char* error, size_t errorSize): 1 on success.
typedef int (*NcNcclUniqueIdFn)(void* id, char* error, size_t errorSize);
// void* netcanvas_cuda_nccl_init(const void* id, int ranks, int rank, int device, char* error,
// size_t errorSize): a communicator on CUDA device `device`, or null with the reason.
typedef void* (*NcNcclInitFn)(const void* id, int ranks, int rank, int device, char* error, size_t errorSize);
// int netcanvas_cuda_nccl_allreduce_sum(void* comm, float* deviceData, size_t count, char* error,
// size_t errorSize): in-place sum over the ranks of `count` floats in device memory; returns
// when the result is in place. 1 on success.
typedef int (*NcNcclAllReduceFn)(void* comm, float* deviceData, size_t count, char* error, size_t errorSize);
// void netcanvas_cuda_nccl_destroy(void* comm)
typedef void (*NcNcclDestroyFn)(void* comm);

#ifdef __cplusplus
}
#endif
