#pragma once
// Direct convolution for stride-1 layers with a small weight matrix (few channels and
// filters: LeNet's 1→6 and 6→16 5×5 layers, a VGG's 3-channel first layer), where the
// im2col + GEMM route spends more time building, packing and scattering matrices than
// multiplying them.
//
// The "extended row" layout makes every tap one contiguous, vectorizable loop: each input
// plane is zero-padded to Hp×Wp (Hp = H + padTop + padBottom, Wp = W + padLeft + padRight)
// and read as one flat row; output position i = oh·Wp + ow of the extended output (Wp wide,
// its last kW − 1 columns are discarded) is Σ_taps w·xp[i + kh·Wp + kw]. So:
//   forward  y_ext[f][i]  = b[f] + Σ_{c,kh,kw} w[f,c,kh,kw] · xp[c][i + kh·Wp + kw]
//   dW       dW[f,c,kh,kw] = Σ_{samples, i} dy_ext[f][i] · xp[c][i + kh·Wp + kw]   (dy_ext zero in the discarded
//   columns) dX       dxp[c][j]   = Σ_{f,kh,kw} w[f,c,kh,kw] · dy_ext[f][j − kh·Wp − kw]  (then cropped to H×W)
// The kernels keep blocks of outputs in registers (filters × 8-wide chunks, or filters ×
// taps for dW) and are written with GCC vector extensions, so a build for a CPU without AVX
// still compiles them (to SSE). Samples are split into one contiguous chunk per thread; dW
// and db are summed per chunk and then added in chunk order (deterministic for a thread
// count). Buffers are per-thread members that only grow.
#include "engine/backend/Backend.h"

#include <vector>

namespace netcanvas {

class CpuBackend;

class DirectConv {
public:
    // True for stride-1 layers whose extended rows waste at most half as much again as the
    // real outputs (kW − 1 extra columns per row of Wp); anyWaste: every stride-1 layer.
    static bool suits(const ConvDesc& desc, bool anyWaste = false);

    // weightsByGemm: dW by one GEMM per sample on an im2col (for layers with a large weight
    // matrix, where that GEMM is efficient) instead of the direct dW kernel.
    DirectConv(CpuBackend& backend, const ConvDesc& desc, bool weightsByGemm);
    void forward(int64_t n, const float* x, const float* w, const float* b, float* y);
    // dx may be null (the network's first layer); dw and db are overwritten.
    void backward(int64_t n, const float* x, const float* w, const float* dy, float* dx, float* dw, float* db);

private:
    struct Work {
        std::vector<float> xp; // [group][C][planeX]: padded input planes (borders stay zero)
        std::vector<float> dy; // [group][F][planeY]: extended dY (margin and discarded columns zero)
        std::vector<float> out; // [F][lenOut] forward result, or [C][lenIn] padded dX
        std::vector<float> dw; // [F][C·kH·kW] partial sums of this chunk
        std::vector<float> db; // [F]
        std::vector<float> col; // [C·kH·kW, P]: im2col of one sample (dW by GEMM)
    };
    void chunking(int64_t n, int64_t& chunks, int64_t& perChunk);
    void padInput(const float* x, float* xp) const;
    void extendGradient(const float* dy, float* ext) const;

    CpuBackend& m_backend;
    WindowDesc m_w;
    int64_t m_channels, m_filters;
    bool m_bias;
    int64_t m_hp, m_wp; // padded input size
    int64_t m_taps; // kH·kW
    int64_t m_lenOut; // extended output length, rounded up to the forward block
    int64_t m_planeX; // stride of a padded input plane (≥ every index a kernel reads)
    int64_t m_margin; // zeros in front of an extended dY plane: (kH−1)·Wp + kW−1
    int64_t m_lenIn; // padded dX length, rounded up to the dX block
    int64_t m_planeY; // stride of an extended dY plane
    bool m_gemmWeights = false;
    std::vector<int64_t> m_tapOffset; // kh·Wp + kw, tap t = kh·kW + kw
    std::vector<int64_t> m_xOffset; // [C·taps]: c·planeX + tapOffset[t] (forward and dW)
    std::vector<int64_t> m_dyOffset; // [F·taps]: f·planeY + margin − tapOffset[t] (dX)
    std::vector<float> m_transposed; // [C][F·taps]: W with f and c swapped (dX)
    std::vector<Work> m_work;
};

} // namespace netcanvas
