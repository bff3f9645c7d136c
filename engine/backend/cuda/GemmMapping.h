#pragma once
// Row-major GEMM through a column-major BLAS (cuBLAS), as pure logic a host test can check.
//
// A row-major R×C matrix with leading dimension ld is, read column-major, its C×R transpose
// with the same ld. So row-major C = op(A)·op(B) is column-major Cᵀ = op(B)ᵀ·op(A)ᵀ: call the
// column-major GEMM with the operands swapped, each with its own transpose flag, and m = N,
// n = M. No data moves.
#include <cstdint>

namespace netcanvas::cuda {

struct ColMajorGemm {
    bool transFirst = false, transSecond = false; // cuBLAS transa, transb
    int64_t m = 0, n = 0, k = 0;
    const float* first = nullptr; // cuBLAS A
    int64_t ldFirst = 0;
    const float* second = nullptr; // cuBLAS B
    int64_t ldSecond = 0;
    int64_t ldResult = 0; // cuBLAS ldc
};

// C[M×N] = alpha·op(A)·op(B) + beta·C, row-major (Backend::gemm's contract).
inline ColMajorGemm rowMajorGemmAsColMajor(bool transA, bool transB, int64_t M, int64_t N, int64_t K, const float* A,
    int64_t lda, const float* B, int64_t ldb, int64_t ldc)
{
    ColMajorGemm g;
    g.transFirst = transB;
    g.transSecond = transA;
    g.m = N;
    g.n = M;
    g.k = K;
    g.first = B;
    g.ldFirst = ldb;
    g.second = A;
    g.ldSecond = lda;
    g.ldResult = ldc;
    return g;
}

// Column-major leading-dimension rules of a BLAS GEMM (lda ≥ max(1, rows of the stored A), ...):
// true when the call is valid, so a bad row-major call fails with our message, not cuBLAS's.
inline bool colMajorGemmValid(const ColMajorGemm& g)
{
    auto atLeast = [](int64_t ld, int64_t rows) { return ld >= (rows > 1 ? rows : 1); };
    const int64_t firstRows = g.transFirst ? g.k : g.m;
    const int64_t secondRows = g.transSecond ? g.n : g.k;
    return g.m >= 0 && g.n >= 0 && g.k >= 0 && atLeast(g.ldFirst, firstRows) && atLeast(g.ldSecond, secondRows)
        && atLeast(g.ldResult, g.m);
}

} // namespace netcanvas::cuda
