// CPU recurrent cells (LSTM, GRU), embedding lookups and batched transposes. The cells run a
// row (one sample) at a time with Eigen's vectorized logistic/tanh (a few ulps from the
// scalar kernels/RecurrentMath.h the host fallback runs; the backward is the same algebra
// written on arrays), rows split across the pool.
#include "engine/backend/cpu/CpuBackend.h"

#include <Eigen/Core>
#include <algorithm>
#include <cstring>

namespace netcanvas {

namespace {

using Arr = Eigen::Map<Eigen::ArrayXf>;
using CArr = Eigen::Map<const Eigen::ArrayXf>;

// Rows per parallel chunk: about 16k elements of work.
int64_t rowChunk(int64_t hidden)
{
    return std::max<int64_t>(1, 16384 / std::max<int64_t>(1, 4 * hidden));
}

} // namespace

void CpuBackend::lstmCellForward(float* gates, const float* cPrev, float* c, float* h, int64_t rows, int64_t hidden)
{
    const int64_t H = hidden;
    parallelRange(rows, rowChunk(H), [=](int64_t r0, int64_t r1) {
        for (int64_t r = r0; r < r1; ++r) {
            float* g = gates + r * 4 * H;
            Arr i(g, H), f(g + H, H), gg(g + 2 * H, H), o(g + 3 * H, H);
            i = i.logistic();
            f = f.logistic();
            gg = gg.tanh();
            o = o.logistic();
            Arr cr(c + r * H, H);
            cr = f * CArr(cPrev + r * H, H) + i * gg;
            Arr(h + r * H, H) = o * cr.tanh();
        }
    });
}

void CpuBackend::lstmCellBackward(const float* gates, const float* cPrev, const float* c, const float* dh, float* dc,
    float* dGates, int64_t rows, int64_t hidden)
{
    const int64_t H = hidden;
    parallelRange(rows, rowChunk(H), [=](int64_t r0, int64_t r1) {
        Eigen::ArrayXf tc(H), dct(H);
        for (int64_t r = r0; r < r1; ++r) {
            const float* g = gates + r * 4 * H;
            CArr i(g, H), f(g + H, H), gg(g + 2 * H, H), o(g + 3 * H, H);
            CArr dhr(dh + r * H, H);
            Arr dcr(dc + r * H, H);
            float* d = dGates + r * 4 * H;
            tc = CArr(c + r * H, H).tanh();
            dct = dcr + dhr * o * (1.0f - tc * tc);
            Arr(d, H) = dct * gg * i * (1.0f - i);
            Arr(d + H, H) = dct * CArr(cPrev + r * H, H) * f * (1.0f - f);
            Arr(d + 2 * H, H) = dct * i * (1.0f - gg * gg);
            Arr(d + 3 * H, H) = dhr * tc * o * (1.0f - o);
            dcr = dct * f;
        }
    });
}

void CpuBackend::gruCellForward(
    float* gates, const float* gh, const float* hPrev, float* h, int64_t rows, int64_t hidden)
{
    const int64_t H = hidden;
    parallelRange(rows, rowChunk(H), [=](int64_t r0, int64_t r1) {
        for (int64_t r = r0; r < r1; ++r) {
            float* g = gates + r * 3 * H;
            const float* q = gh + r * 3 * H;
            Arr rg(g, H), z(g + H, H), n(g + 2 * H, H);
            rg = (rg + CArr(q, H)).logistic();
            z = (z + CArr(q + H, H)).logistic();
            n = (n + rg * CArr(q + 2 * H, H)).tanh();
            Arr(h + r * H, H) = (1.0f - z) * n + z * CArr(hPrev + r * H, H);
        }
    });
}

void CpuBackend::gruCellBackward(const float* gates, const float* gh, const float* hPrev, const float* dh, float* dGi,
    float* dGh, float* dhPrev, int64_t rows, int64_t hidden)
{
    const int64_t H = hidden;
    parallelRange(rows, rowChunk(H), [=](int64_t r0, int64_t r1) {
        Eigen::ArrayXf dn(H);
        for (int64_t r = r0; r < r1; ++r) {
            const float* g = gates + r * 3 * H;
            CArr rg(g, H), z(g + H, H), n(g + 2 * H, H);
            CArr dhr(dh + r * H, H), hp(hPrev + r * H, H), ghn(gh + r * 3 * H + 2 * H, H);
            float* di = dGi + r * 3 * H;
            float* dq = dGh + r * 3 * H;
            dn = dhr * (1.0f - z) * (1.0f - n * n);
            Arr(di, H) = dn * ghn * rg * (1.0f - rg);
            Arr(dq, H) = CArr(di, H);
            Arr(di + H, H) = dhr * (hp - n) * z * (1.0f - z);
            Arr(dq + H, H) = CArr(di + H, H);
            Arr(di + 2 * H, H) = dn;
            Arr(dq + 2 * H, H) = dn * rg;
            if (dhPrev)
                Arr(dhPrev + r * H, H) += dhr * z;
        }
    });
}

int64_t CpuBackend::embeddingForward(
    const float* ids, const float* table, float* out, int64_t count, int64_t vocab, int64_t dim)
{
    for (int64_t i = 0; i < count; ++i)
        if (kernels::tokenRow(ids[i], vocab) < 0)
            return i;
    parallelRange(count, std::max<int64_t>(1, 8192 / std::max<int64_t>(1, dim)), [=](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i)
            std::memcpy(out + i * dim, table + kernels::tokenRow(ids[i], vocab) * dim, sizeof(float) * size_t(dim));
    });
    return -1;
}

void CpuBackend::embeddingBackward(
    const float* ids, const float* dOut, float* dTable, int64_t count, int64_t vocab, int64_t dim)
{
    // Serial in id order: the sum for a repeated token is the same for any thread count.
    std::fill(dTable, dTable + vocab * dim, 0.0f);
    for (int64_t i = 0; i < count; ++i) {
        const int64_t row = kernels::tokenRow(ids[i], vocab);
        if (row < 0)
            continue;
        float* d = dTable + row * dim;
        const float* s = dOut + i * dim;
        for (int64_t k = 0; k < dim; ++k)
            d[k] += s[k];
    }
}

void CpuBackend::transpose(const float* src, float* dst, int64_t batch, int64_t rows, int64_t cols)
{
    parallelRange(batch, 1, [=](int64_t b0, int64_t b1) {
        for (int64_t b = b0; b < b1; ++b) {
            const float* s = src + b * rows * cols;
            float* d = dst + b * rows * cols;
            constexpr int64_t kTile = 16;
            for (int64_t r0 = 0; r0 < rows; r0 += kTile)
                for (int64_t c0 = 0; c0 < cols; c0 += kTile)
                    for (int64_t r = r0; r < std::min(rows, r0 + kTile); ++r)
                        for (int64_t c = c0; c < std::min(cols, c0 + kTile); ++c)
                            d[c * rows + r] = s[r * cols + c];
        }
    });
}

} // namespace netcanvas
