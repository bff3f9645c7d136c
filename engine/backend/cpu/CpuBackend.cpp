#include "engine/backend/cpu/CpuBackend.h"

#include <Eigen/Core>
#include <algorithm>
#include <thread>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace netcanvas {

namespace {
using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Stride = Eigen::OuterStride<>;
using ConstMap = Eigen::Map<const RowMat, Eigen::Unaligned, Stride>;
using Map = Eigen::Map<RowMat, Eigen::Unaligned, Stride>;
} // namespace

std::unique_ptr<Backend> createCpuBackend(int threads) { return std::make_unique<CpuBackend>(threads); }

CpuBackend::CpuBackend(int threads) { setThreads(threads); }

void CpuBackend::setThreads(int n)
{
    if (n <= 0)
        n = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    m_threads = n;
#ifdef _OPENMP
    omp_set_num_threads(n);
#endif
    Eigen::setNbThreads(n);
}

void CpuBackend::gemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha,
                      const float* A, int64_t lda, const float* B, int64_t ldb, float beta,
                      float* C, int64_t ldc)
{
    if (M == 0 || N == 0)
        return;
    Map c(C, M, N, Stride(ldc));
    if (K == 0) {
        if (beta == 0.0f)
            c.setZero();
        else
            c *= beta;
        return;
    }
    const ConstMap a(A, transA ? K : M, transA ? M : K, Stride(lda));
    const ConstMap b(B, transB ? N : K, transB ? K : N, Stride(ldb));
    if (beta == 0.0f)
        c.setZero();
    else if (beta != 1.0f)
        c *= beta;
    if (!transA && !transB)
        c.noalias() += alpha * a * b;
    else if (transA && !transB)
        c.noalias() += alpha * a.transpose() * b;
    else if (!transA && transB)
        c.noalias() += alpha * a * b.transpose();
    else
        c.noalias() += alpha * a.transpose() * b.transpose();
}

void CpuBackend::parallelFor(int64_t n, const std::function<void(int64_t, int64_t)>& fn, int64_t minChunk)
{
    if (n <= 0)
        return;
    minChunk = std::max<int64_t>(1, minChunk);
    int64_t chunks = std::min<int64_t>(m_threads, (n + minChunk - 1) / minChunk);
#ifdef _OPENMP
    if (omp_in_parallel())
        chunks = 1;
#else
    chunks = 1;
#endif
    if (chunks <= 1) {
        fn(0, n);
        return;
    }
    const int64_t per = (n + chunks - 1) / chunks;
#pragma omp parallel for num_threads(static_cast<int>(chunks)) schedule(static, 1)
    for (int64_t c = 0; c < chunks; ++c) {
        const int64_t b = c * per;
        const int64_t e = std::min(n, b + per);
        if (b < e)
            fn(b, e);
    }
}

} // namespace netcanvas
