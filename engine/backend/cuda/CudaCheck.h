#pragma once
// Status checks for every CUDA runtime, cuBLAS and cuDNN call of the plugin: a failure throws
// BackendError "cudnnConvolutionForward(...) failed: CUDNN_STATUS_BAD_PARAM (CudaConv.cpp:120)",
// naming the call, the library's status string and where it was made.
#include "engine/core/Error.h"

#include <cuda_runtime_api.h>

#include <string>

namespace netcanvas::cuda {

[[noreturn]] inline void throwCallFailed(const char* call, const std::string& status, const char* file, int line)
{
    const char* base = file;
    for (const char* p = file; *p; ++p)
        if (*p == '/')
            base = p + 1;
    throw BackendError(std::string(call) + " failed: " + status + " (" + base + ":" + std::to_string(line) + ")");
}

inline std::string cudaStatusString(cudaError_t e)
{
    return std::string(cudaGetErrorName(e)) + ": " + cudaGetErrorString(e);
}

} // namespace netcanvas::cuda

#define NC_CUDA_CHECK(call)                                                                                            \
    do {                                                                                                               \
        const cudaError_t nc_status_ = (call);                                                                         \
        if (nc_status_ != cudaSuccess)                                                                                 \
            ::netcanvas::cuda::throwCallFailed(                                                                        \
                #call, ::netcanvas::cuda::cudaStatusString(nc_status_), __FILE__, __LINE__);                           \
    } while (0)

// After a kernel launch: a bad launch configuration is reported by cudaGetLastError (errors
// while the kernel runs surface at the next synchronizing call, which is checked too).
#define NC_CUDA_CHECK_LAUNCH(kernel)                                                                                   \
    do {                                                                                                               \
        const cudaError_t nc_status_ = cudaGetLastError();                                                             \
        if (nc_status_ != cudaSuccess)                                                                                 \
            ::netcanvas::cuda::throwCallFailed(                                                                        \
                #kernel "<<<...>>>", ::netcanvas::cuda::cudaStatusString(nc_status_), __FILE__, __LINE__);             \
    } while (0)

// The two below expand only where cublas_v2.h / cudnn.h are included.
#define NC_CUBLAS_CHECK(call)                                                                                          \
    do {                                                                                                               \
        const cublasStatus_t nc_status_ = (call);                                                                      \
        if (nc_status_ != CUBLAS_STATUS_SUCCESS)                                                                       \
            ::netcanvas::cuda::throwCallFailed(#call, cublasGetStatusString(nc_status_), __FILE__, __LINE__);          \
    } while (0)

#define NC_CUDNN_CHECK(call)                                                                                           \
    do {                                                                                                               \
        const cudnnStatus_t nc_status_ = (call);                                                                       \
        if (nc_status_ != CUDNN_STATUS_SUCCESS)                                                                        \
            ::netcanvas::cuda::throwCallFailed(#call, cudnnGetErrorString(nc_status_), __FILE__, __LINE__);            \
    } while (0)
