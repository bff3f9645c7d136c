#include "engine/backend/cpu/CpuBackend.h"
#include "engine/core/Limits.h"

#include <Eigen/Core>
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>

#ifdef NETCANVAS_HAVE_OPENBLAS
#include <cblas.h>
#endif

namespace netcanvas {

namespace {
#ifdef NETCANVAS_HAVE_OPENBLAS
// GEMMs with at least this many multiply-adds (M·N·K) go to OpenBLAS, smaller ones to
// Eigen. 0: every GEMM (sending the small ones to Eigen gained nothing: docs/benchmarks.md). The environment variable
// NETCANVAS_GEMM overrides it for A/B measurements (docs/benchmarks.md): "eigen" (Eigen everywhere), "openblas"
// (OpenBLAS everywhere) or a number (the threshold).
constexpr int64_t kDefaultBlasMinWork = 0;
int64_t g_blasMinWork = 0; // written once, before any GEMM (initOpenBlas)

void initOpenBlas()
{
    static std::once_flag once;
    std::call_once(once, [] {
        // One pool: OpenBLAS computes on the calling thread, our ThreadPool splits the work.
        // Debian's default libopenblas0-pthread keeps its own (then idle, sleeping) threads;
        // libopenblas0-serial would not have them but is a system-wide alternative we do not
        // impose. This setting is process-wide.
        openblas_set_num_threads(1);
        g_blasMinWork = kDefaultBlasMinWork;
        if (const char* v = std::getenv("NETCANVAS_GEMM")) {
            const std::string mode(v);
            if (mode == "eigen")
                g_blasMinWork = INT64_MAX;
            else if (mode == "openblas")
                g_blasMinWork = 0;
            else if (!mode.empty() && mode.find_first_not_of("0123456789") == std::string::npos)
                g_blasMinWork = std::stoll(mode);
        }
    });
}
#endif

using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Stride = Eigen::OuterStride<>;
using ConstMap = Eigen::Map<const RowMat, Eigen::Unaligned, Stride>;
using Map = Eigen::Map<RowMat, Eigen::Unaligned, Stride>;

// One single-threaded GEMM: C[M×N] = alpha·op(A)·op(B) + beta·C.
void gemmSerial(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
    const float* B, int64_t ldb, float beta, float* C, int64_t ldc)
{
#ifdef NETCANVAS_HAVE_OPENBLAS
    // Matrix-vector shapes (one row or one column, e.g. a Dense layer on one sample) stay
    // with Eigen's GEMV: OpenBLAS's GEMM would pack the whole weight matrix on every call
    // (docs/benchmarks.md has the batch-1 latencies).
    if (K > 0 && M > 1 && N > 1 && M * N * K >= g_blasMinWork) {
        if (beta == 0.0f) {
            // OpenBLAS would clear C in its own scaling pass (sgemm_beta, a visible share of a
            // small network's step: docs/benchmarks.md);
            // clearing the rows here and accumulating is the same result, faster.
            for (int64_t r = 0; r < M; ++r)
                std::memset(C + r * ldc, 0, sizeof(float) * static_cast<size_t>(N));
            beta = 1.0f;
        }
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
            static_cast<blasint>(M), static_cast<blasint>(N), static_cast<blasint>(K), alpha, A,
            static_cast<blasint>(lda), B, static_cast<blasint>(ldb), beta, C, static_cast<blasint>(ldc));
        return;
    }
#endif
    Map c(C, M, N, Stride(ldc));
    if (beta == 0.0f)
        c.setZero();
    else if (beta != 1.0f)
        c *= beta;
    if (K == 0)
        return;
    const ConstMap a(A, transA ? K : M, transA ? M : K, Stride(lda));
    const ConstMap b(B, transB ? N : K, transB ? K : N, Stride(ldb));
    if (!transA && !transB)
        c.noalias() += alpha * a * b;
    else if (transA && !transB)
        c.noalias() += alpha * a.transpose() * b;
    else if (!transA && transB)
        c.noalias() += alpha * a * b.transpose();
    else
        c.noalias() += alpha * a.transpose() * b.transpose();
}
} // namespace

std::unique_ptr<Backend> createCpuBackend(int threads)
{
    return std::make_unique<CpuBackend>(threads);
}

CpuBackend::CpuBackend(int threads)
{
#ifdef NETCANVAS_HAVE_OPENBLAS
    initOpenBlas();
#endif
    setThreads(threads);
}

CpuBackend::~CpuBackend() = default;

void CpuBackend::setThreads(int n)
{
    n = limits::resolveThreads(n);
    if (m_pool && n == m_threads)
        return;
    m_threads = n;
    m_pool = std::make_unique<ThreadPool>(n);
}

std::string CpuBackend::description() const
{
#ifdef NETCANVAS_HAVE_OPENBLAS
    const char* blas = " (OpenBLAS)";
#else
    const char* blas = " (Eigen)";
#endif
    return "CPU, " + std::to_string(m_threads) + (m_threads == 1 ? " thread" : " threads") + blas;
}

// ---- memory: host memory, so every transfer is a memcpy ---------------------------------

void CpuBackend::upload(float* dst, const float* host, int64_t count)
{
    copy(dst, host, count);
}

void CpuBackend::download(float* host, const float* src, int64_t count)
{
    copy(host, src, count);
}

void CpuBackend::uploadBytes(void* dst, const void* host, int64_t bytes)
{
    if (bytes > 0 && dst != host)
        std::memcpy(dst, host, static_cast<size_t>(bytes));
}

void CpuBackend::copy(float* dst, const float* src, int64_t count)
{
    if (count > 0 && dst != src)
        std::memcpy(dst, src, sizeof(float) * static_cast<size_t>(count));
}

void CpuBackend::copy2D(float* dst, int64_t dstPitch, const float* src, int64_t srcPitch, int64_t rows, int64_t cols)
{
    for (int64_t r = 0; r < rows; ++r)
        std::memcpy(dst + r * dstPitch, src + r * srcPitch, sizeof(float) * static_cast<size_t>(cols));
}

void CpuBackend::fill(float* x, int64_t count, float value)
{
    if (count > 0)
        std::fill(x, x + count, value);
}

void CpuBackend::gemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
    int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc)
{
    if (M == 0 || N == 0)
        return;
    // Split the larger output dimension across the pool when there is enough work
    // (each piece still a full GEMM over K, so results do not depend on the split).
    const int64_t work = M * N * std::max<int64_t>(K, 1);
    int parts = static_cast<int>(std::min<int64_t>(m_threads, work / (64 * 64 * 64)));
    if (parts <= 1) {
        gemmSerial(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        return;
    }
    const bool splitRows = M >= N;
    const int64_t extent = splitRows ? M : N;
    parts = static_cast<int>(std::min<int64_t>(parts, (extent + 7) / 8));
    const int64_t per = ((extent + parts - 1) / parts + 7) / 8 * 8;
    m_pool->run(parts, [&](int p) {
        const int64_t b = p * per;
        const int64_t e = std::min(extent, b + per);
        if (b >= e)
            return;
        if (splitRows) {
            // Rows b..e of op(A): A + b*lda (no trans) or columns b..e of A (trans).
            const float* a = transA ? A + b : A + b * lda;
            gemmSerial(transA, transB, e - b, N, K, alpha, a, lda, B, ldb, beta, C + b * ldc, ldc);
        } else {
            // Columns b..e of op(B): B + b (no trans) or rows b..e of B (trans).
            const float* bp = transB ? B + b * ldb : B + b;
            gemmSerial(transA, transB, M, e - b, K, alpha, A, lda, bp, ldb, beta, C + b, ldc);
        }
    });
}

void CpuBackend::parallelFor(int64_t n, const std::function<void(int64_t, int64_t)>& fn, int64_t minChunk)
{
    if (n <= 0)
        return;
    minChunk = std::max<int64_t>(1, minChunk);
    const int64_t chunks = std::min<int64_t>(m_threads, (n + minChunk - 1) / minChunk);
    if (chunks <= 1) {
        fn(0, n);
        return;
    }
    const int64_t per = (n + chunks - 1) / chunks;
    m_pool->run(static_cast<int>(chunks), [&](int c) {
        const int64_t b = c * per;
        const int64_t e = std::min(n, b + per);
        if (b < e)
            fn(b, e);
    });
}

} // namespace netcanvas
