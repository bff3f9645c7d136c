#pragma once
#include "engine/backend/Backend.h"
#include "engine/core/ThreadPool.h"

#include <memory>

namespace netcanvas {

// CpuBackend: the reference backend. GEMM through OpenBLAS when the build found it (one
// OpenBLAS thread; matrix·vector shapes through Eigen's GEMV), otherwise through Eigen
// (single-threaded kernels); either way split across the backend's own ThreadPool when large
// enough, and parallelFor on the same pool — one pool, so nothing competes for the cores.
// Each backend has its own pool: two backends with different thread counts do not
// interfere. NETCANVAS_GEMM=eigen|openblas|<minimum M·N·K> in the environment overrides the
// library choice (for A/B measurements, docs/benchmarks.md).
class CpuBackend final : public Backend {
public:
    explicit CpuBackend(int threads);
    ~CpuBackend() override;
    std::string name() const override { return "cpu"; }
    Device device() const override { return Device::Cpu; }
    bool supportsOp(const std::string&) const override { return true; }
    int threads() const override { return m_threads; }
    void setThreads(int n) override;
    void gemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha,
              const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
              int64_t ldc) override;
    void parallelFor(int64_t n, const std::function<void(int64_t, int64_t)>& fn,
                     int64_t minChunk = 1) override;

private:
    int m_threads = 1;
    std::unique_ptr<ThreadPool> m_pool;
};

} // namespace netcanvas
