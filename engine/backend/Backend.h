#pragma once
// Backend: the narrow set of numeric operations layers are written against.
// Layers never branch on the device; they call these operations. The CPU backend
// (backend/cpu) is the reference implementation; a device backend implements the same
// interface and reports what it supports through supportsOp(), falling back to the CPU
// for the rest.
//
// All matrices are row-major float32. Pointers refer to memory of device().
#include "engine/core/Tensor.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace netcanvas {

class Backend {
public:
    virtual ~Backend() = default;

    virtual std::string name() const = 0; // "cpu", "cuda:0"
    virtual Device device() const = 0;
    virtual bool supportsOp(const std::string& op) const = 0;

    // Worker threads used by this backend (>= 1).
    virtual int threads() const = 0;
    virtual void setThreads(int n) = 0;

    // C[M×N] = alpha · op(A) · op(B) + beta · C, row-major;
    // op(A) is M×K (A is K×M when transA), op(B) is K×N (B is N×K when transB).
    virtual void gemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha,
                      const float* A, int64_t lda, const float* B, int64_t ldb, float beta,
                      float* C, int64_t ldc) = 0;

    // Runs fn(begin, end) over [0, n) split into contiguous chunks across the backend's
    // threads. Chunks never overlap; fn must not throw. Runs inline when n is small or
    // already inside a parallel region.
    virtual void parallelFor(int64_t n, const std::function<void(int64_t, int64_t)>& fn,
                             int64_t minChunk = 1) = 0;
};

// The CPU backend: GEMMs through OpenBLAS (one OpenBLAS thread) or Eigen, split over its own
// ThreadPool (one pool for everything). threads <= 0 means all cores.
std::unique_ptr<Backend> createCpuBackend(int threads = 0);

} // namespace netcanvas
