// Direct stride-1 convolution for small weight matrices (see CpuConvDirect.h).
#include "engine/backend/cpu/CpuConvDirect.h"

#include "engine/backend/cpu/CpuBackend.h"
#include "engine/backend/cpu/CpuIm2col.h"
#include "engine/backend/cpu/CpuSupport.h"

#include <algorithm>
#include <cstring>

namespace netcanvas {

namespace {

using cpu::ensure;

// Eight floats; GCC lowers the operations to AVX (or to two SSE halves on older targets).
typedef float v8 __attribute__((vector_size(32)));

inline v8 load(const float* p)
{
    v8 v;
    std::memcpy(&v, p, sizeof v);
    return v;
}
inline void store(float* p, v8 v)
{
    std::memcpy(p, &v, sizeof v);
}
inline v8 splat(float s)
{
    return v8 { s, s, s, s, s, s, s, s };
}
inline float hsum(v8 v)
{
    return ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7]));
}

constexpr int kChunks = 3; // 8-wide chunks per block of the forward and dX kernels
constexpr int kBlock = 8 * kChunks;
constexpr int kMaxRows = 4; // output planes per block (forward: filters, dX: channels)
constexpr int kTile = 8 * kBlock; // positions of every plane computed before moving on
constexpr int kGroup = 4; // samples whose dW contributions are summed in registers

int64_t roundUp(int64_t v, int64_t m)
{
    return (v + m - 1) / m * m;
}

// out[o][i] = init[o] + Σ_k coef[o][k] · src[offset[k] + i] for R planes (len apart) and i
// in [i0, i1) (multiples of kBlock): R × kChunks vectors stay in registers while the K terms
// stream by.
template <int R>
void planeBlock(const float* src, const int64_t* offset, int64_t K, const float* coef, const float* init, float* out,
    int64_t len, int64_t i0, int64_t i1)
{
    for (int64_t i = i0; i < i1; i += kBlock) {
        v8 acc[R][kChunks];
#pragma GCC unroll 4
        for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
            for (int j = 0; j < kChunks; ++j)
                acc[r][j] = splat(init ? init[r] : 0.0f);
        for (int64_t k = 0; k < K; ++k) {
            const float* s = src + offset[k] + i;
            v8 x[kChunks];
#pragma GCC unroll 4
            for (int j = 0; j < kChunks; ++j)
                x[j] = load(s + 8 * j);
#pragma GCC unroll 4
            for (int r = 0; r < R; ++r) {
                const v8 c = splat(coef[r * K + k]);
#pragma GCC unroll 4
                for (int j = 0; j < kChunks; ++j)
                    acc[r][j] += c * x[j];
            }
        }
#pragma GCC unroll 4
        for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
            for (int j = 0; j < kChunks; ++j)
                store(out + r * len + i + 8 * j, acc[r][j]);
    }
}

// All `rows` planes of out, in blocks of up to kMaxRows of near-equal size (6 rows: 3 + 3,
// not 4 + 2, whose 2-row block would be bound by its loads); coef rows K apart, out planes
// len apart. Tiles of kTile positions go through every block in turn, so the source window
// of a tile (every plane's few rows) is read from the near caches by all blocks, also when
// the planes are large.
void planes(const float* src, const int64_t* offset, int64_t K, const float* coef, const float* init, int64_t rows,
    float* out, int64_t len, int64_t begin = 0, int64_t end = -1)
{
    const int64_t blocks = (rows + kMaxRows - 1) / kMaxRows;
    if (end < 0)
        end = len;
    for (int64_t i0 = begin; i0 < end; i0 += kTile) {
        const int64_t i1 = std::min(end, i0 + kTile);
        for (int64_t blk = 0, r0 = 0; blk < blocks; ++blk) {
            const int64_t size = rows / blocks + (blk < rows % blocks ? 1 : 0);
            const float* c = coef + r0 * K;
            const float* b = init ? init + r0 : nullptr;
            float* o = out + r0 * len;
            switch (size) {
            case 4:
                planeBlock<4>(src, offset, K, c, b, o, len, i0, i1);
                break;
            case 3:
                planeBlock<3>(src, offset, K, c, b, o, len, i0, i1);
                break;
            case 2:
                planeBlock<2>(src, offset, K, c, b, o, len, i0, i1);
                break;
            default:
                planeBlock<1>(src, offset, K, c, b, o, len, i0, i1);
                break;
            }
            r0 += size;
        }
    }
}

// Copies n floats (short rows: an inline loop instead of a call to memcpy per row).
inline void copyRow(float* dst, const float* src, int64_t n)
{
    int64_t k = 0;
    for (; k + 8 <= n; k += 8)
        store(dst + k, load(src + k));
    for (; k < n; ++k)
        dst[k] = src[k];
}

// dw[f][r] += Σ_g Σ_i dy[g][f][i] · x[g][offset[r] + i] for FB filters × TB rows, summed over
// `group` samples in registers (dy planes dyStride apart, samples dyGroup / xGroup apart).
template <int FB, int TB>
void weightBlock(const float* dy, int64_t dyStride, int64_t dyGroup, const float* x, int64_t xGroup,
    const int64_t* offset, int64_t group, int64_t len, float* dw, int64_t ldw)
{
    v8 acc[FB][TB];
#pragma GCC unroll 4
    for (int f = 0; f < FB; ++f)
#pragma GCC unroll 4
        for (int t = 0; t < TB; ++t)
            acc[f][t] = splat(0.0f);
    for (int64_t g = 0; g < group; ++g) {
        const float* d = dy + g * dyGroup;
        const float* xs = x + g * xGroup;
        for (int64_t i = 0; i < len; i += 8) {
            v8 dv[FB], xv[TB];
#pragma GCC unroll 4
            for (int f = 0; f < FB; ++f)
                dv[f] = load(d + f * dyStride + i);
#pragma GCC unroll 4
            for (int t = 0; t < TB; ++t)
                xv[t] = load(xs + offset[t] + i);
#pragma GCC unroll 4
            for (int f = 0; f < FB; ++f)
#pragma GCC unroll 4
                for (int t = 0; t < TB; ++t)
                    acc[f][t] += dv[f] * xv[t];
        }
    }
#pragma GCC unroll 4
    for (int f = 0; f < FB; ++f)
#pragma GCC unroll 4
        for (int t = 0; t < TB; ++t)
            dw[f * ldw + t] += hsum(acc[f][t]);
}

// All rows of FB filters' dW, TB rows at a time: FB·TB accumulators (≤ 12 of the 16 vector
// registers) and FB + TB loads per FB·TB multiply-adds.
template <int FB>
void weightRows(const float* dy, int64_t dyStride, int64_t dyGroup, const float* x, int64_t xGroup,
    const int64_t* offset, int64_t rows, int64_t group, int64_t len, float* dw)
{
    constexpr int TB = FB == 4 ? 3 : FB == 3 ? 4 : FB == 2 ? 5 : 6;
    int64_t r = 0;
    for (; r + TB <= rows; r += TB)
        weightBlock<FB, TB>(dy, dyStride, dyGroup, x, xGroup, offset + r, group, len, dw + r, rows);
    for (; r < rows; ++r)
        weightBlock<FB, 1>(dy, dyStride, dyGroup, x, xGroup, offset + r, group, len, dw + r, rows);
}

} // namespace

bool DirectConv::suits(const ConvDesc& desc, bool anyWaste)
{
    const WindowDesc& w = desc.window;
    const int64_t wp = w.width + w.padLeft + w.padRight, hp = w.height + w.padTop + w.padBottom;
    if (w.strideH != 1 || w.strideW != 1 || w.kernelH > hp || w.kernelW > wp || w.outH != hp - w.kernelH + 1
        || w.outW != wp - w.kernelW + 1)
        return false;
    // The extended rows compute kW − 1 discarded columns per row (and round up to a block):
    // beyond half as much again as the real outputs, the GEMM route wastes less.
    const int64_t computed = roundUp(w.outH * wp, kBlock);
    return anyWaste || 2 * computed <= 3 * w.outH * w.outW;
}

DirectConv::DirectConv(CpuBackend& backend, const ConvDesc& desc, bool weightsByGemm)
    : m_backend(backend)
    , m_w(desc.window)
    , m_channels(desc.window.channels)
    , m_filters(desc.filters)
    , m_bias(desc.bias)
{
    m_hp = m_w.height + m_w.padTop + m_w.padBottom;
    m_wp = m_w.width + m_w.padLeft + m_w.padRight;
    m_taps = m_w.kernelH * m_w.kernelW;
    m_tapOffset.resize(static_cast<size_t>(m_taps));
    for (int64_t kh = 0; kh < m_w.kernelH; ++kh)
        for (int64_t kw = 0; kw < m_w.kernelW; ++kw)
            m_tapOffset[static_cast<size_t>(kh * m_w.kernelW + kw)] = kh * m_wp + kw;
    m_margin = (m_w.kernelH - 1) * m_wp + (m_w.kernelW - 1);
    m_lenOut = roundUp(m_w.outH * m_wp, kBlock);
    m_planeX = roundUp(std::max(m_hp * m_wp, m_lenOut + m_margin), 8);
    m_lenIn = roundUp(m_hp * m_wp, kBlock);
    m_planeY = roundUp(m_margin + std::max(m_lenIn, m_lenOut), 8);
    m_gemmWeights = weightsByGemm;
    m_xOffset.resize(static_cast<size_t>(m_channels * m_taps));
    for (int64_t c = 0; c < m_channels; ++c)
        for (int64_t t = 0; t < m_taps; ++t)
            m_xOffset[static_cast<size_t>(c * m_taps + t)] = c * m_planeX + m_tapOffset[static_cast<size_t>(t)];
    m_dyOffset.resize(static_cast<size_t>(m_filters * m_taps));
    for (int64_t f = 0; f < m_filters; ++f)
        for (int64_t t = 0; t < m_taps; ++t)
            m_dyOffset[static_cast<size_t>(f * m_taps + t)]
                = f * m_planeY + m_margin - m_tapOffset[static_cast<size_t>(t)];
}

void DirectConv::chunking(int64_t n, int64_t& chunks, int64_t& perChunk)
{
    chunks = std::max<int64_t>(1, std::min<int64_t>(m_backend.threads(), n));
    perChunk = (n + chunks - 1) / chunks;
    chunks = (n + perChunk - 1) / perChunk;
    if (static_cast<int64_t>(m_work.size()) < chunks)
        m_work.resize(static_cast<size_t>(chunks));
}

// Copies the sample's planes into the interior of the padded planes; borders and the slack
// after each plane were zeroed when the buffer grew and are never written.
void DirectConv::padInput(const float* x, float* xp) const
{
    const int64_t h = m_w.height, w = m_w.width;
    for (int64_t c = 0; c < m_channels; ++c)
        for (int64_t row = 0; row < h; ++row)
            copyRow(xp + c * m_planeX + (row + m_w.padTop) * m_wp + m_w.padLeft, x + (c * h + row) * w, w);
}

// dY [F, outH, outW] into extended planes (row stride Wp after a zero margin); the discarded
// columns, the margin and the tail stay zero.
void DirectConv::extendGradient(const float* dy, float* ext) const
{
    const int64_t oh = m_w.outH, ow = m_w.outW;
    for (int64_t f = 0; f < m_filters; ++f)
        for (int64_t row = 0; row < oh; ++row)
            copyRow(ext + f * m_planeY + m_margin + row * m_wp, dy + (f * oh + row) * ow, ow);
}

void DirectConv::forward(int64_t n, const float* x, const float* weight, const float* b, float* y)
{
    // Work units are (sample, tile of kTile positions), split into contiguous chunks: with a
    // batch of at least one sample per thread every chunk is whole samples; a single sample
    // (batch-1 inference) is shared by the threads tile by tile.
    const int64_t tiles = (m_lenOut + kTile - 1) / kTile;
    const int64_t units = n * tiles;
    int64_t chunks, perChunk;
    chunking(units, chunks, perChunk);
    const int64_t K = m_channels * m_taps;
    const int64_t inSize = m_channels * m_w.height * m_w.width;
    const int64_t oh = m_w.outH, ow = m_w.outW, outSize = m_filters * oh * ow;
    const float* bias = m_bias ? b : nullptr;
    m_backend.parallelRange(chunks, 1, [&](int64_t c0, int64_t c1) {
        for (int64_t chunk = c0; chunk < c1; ++chunk) {
            Work& work = m_work[static_cast<size_t>(chunk)];
            float* xp = ensure(work.xp, m_channels * m_planeX);
            float* out = ensure(work.out, std::max(m_filters * m_lenOut, m_channels * m_lenIn));
            const int64_t begin = chunk * perChunk, end = std::min(units, begin + perChunk);
            int64_t padded = -1;
            for (int64_t u = begin; u < end; ++u) {
                const int64_t s = u / tiles, i0 = (u % tiles) * kTile, i1 = std::min(m_lenOut, i0 + kTile);
                if (s != padded) {
                    padInput(x + s * inSize, xp);
                    padded = s;
                }
                planes(xp, m_xOffset.data(), K, weight, bias, m_filters, out, m_lenOut, i0, i1);
                // The real outputs among positions [i0, i1).
                float* ys = y + s * outSize;
                const int64_t last = std::min(i1, oh * m_wp);
                for (int64_t row = i0 / m_wp; row * m_wp < last; ++row) {
                    const int64_t start = row * m_wp, from = std::max<int64_t>(i0 - start, 0);
                    const int64_t to = std::min(last - start, ow);
                    if (from < to)
                        for (int64_t f = 0; f < m_filters; ++f)
                            copyRow(ys + (f * oh + row) * ow + from, out + f * m_lenOut + start + from, to - from);
                }
            }
        }
    });
}

void DirectConv::backward(
    int64_t n, const float* x, const float* weight, const float* dy, float* dx, float* dWeight, float* dBias)
{
    int64_t chunks, perChunk;
    chunking(n, chunks, perChunk);
    const int64_t rows = m_channels * m_taps; // dW columns
    const int64_t inSize = m_channels * m_w.height * m_w.width;
    const int64_t oh = m_w.outH, ow = m_w.outW, outSize = m_filters * oh * ow, plane = oh * ow;
    const int64_t xGroup = m_channels * m_planeX, dyGroup = m_filters * m_planeY;

    // dX as a convolution of the extended dY with coefficients wT[c][f·taps + t] = W[f, c, t].
    float* wT = dx ? ensure(m_transposed, m_channels * m_filters * m_taps) : nullptr;
    if (dx)
        for (int64_t f = 0; f < m_filters; ++f)
            for (int64_t c = 0; c < m_channels; ++c)
                for (int64_t t = 0; t < m_taps; ++t)
                    wT[(c * m_filters + f) * m_taps + t] = weight[(f * m_channels + c) * m_taps + t];

    m_backend.parallelRange(chunks, 1, [&](int64_t c0, int64_t c1) {
        for (int64_t chunk = c0; chunk < c1; ++chunk) {
            Work& work = m_work[static_cast<size_t>(chunk)];
            float* xp = m_gemmWeights ? nullptr : ensure(work.xp, kGroup * xGroup);
            float* ext = ensure(work.dy, kGroup * dyGroup);
            float* out = ensure(work.out, std::max(m_filters * m_lenOut, m_channels * m_lenIn));
            float* dw = ensure(work.dw, m_filters * rows);
            float* db = ensure(work.db, m_filters);
            std::fill(dw, dw + m_filters * rows, 0.0f);
            std::fill(db, db + m_filters, 0.0f);
            const int64_t begin = chunk * perChunk, end = std::min(n, begin + perChunk);
            for (int64_t s0 = begin; s0 < end; s0 += kGroup) {
                const int64_t group = std::min<int64_t>(kGroup, end - s0);
                for (int64_t g = 0; g < group; ++g) {
                    const float* dys = dy + (s0 + g) * outSize;
                    if (!m_gemmWeights)
                        padInput(x + (s0 + g) * inSize, xp + g * xGroup);
                    if (dx || !m_gemmWeights) // read by the dX kernel and the direct dW kernel
                        extendGradient(dys, ext + g * dyGroup);
                    if (m_bias)
                        for (int64_t f = 0; f < m_filters; ++f)
                            db[f] += cpu::rowSum(dys + f * plane, plane);
                }
                if (m_gemmWeights) {
                    // dW += dY_s · im2col(x_s)ᵀ, one GEMM per sample.
                    float* col = ensure(work.col, rows * plane);
                    for (int64_t g = 0; g < group; ++g) {
                        cpu::im2col(x + (s0 + g) * inSize, m_channels, m_w, col, plane);
                        m_backend.gemm(false, true, m_filters, rows, plane, 1.0f, dy + (s0 + g) * outSize, plane, col,
                            plane, 1.0f, dw, rows);
                    }
                } else {
                    // Filters in blocks of up to 4 of near-equal size (6: 3 + 3).
                    const float* dyBase = ext + m_margin;
                    const int64_t blocks = (m_filters + 3) / 4;
                    for (int64_t blk = 0, f0 = 0; blk < blocks; ++blk) {
                        const int64_t size = m_filters / blocks + (blk < m_filters % blocks ? 1 : 0);
                        const float* d = dyBase + f0 * m_planeY;
                        float* out = dw + f0 * rows;
                        const int64_t* off = m_xOffset.data();
                        switch (size) {
                        case 4:
                            weightRows<4>(d, m_planeY, dyGroup, xp, xGroup, off, rows, group, m_lenOut, out);
                            break;
                        case 3:
                            weightRows<3>(d, m_planeY, dyGroup, xp, xGroup, off, rows, group, m_lenOut, out);
                            break;
                        case 2:
                            weightRows<2>(d, m_planeY, dyGroup, xp, xGroup, off, rows, group, m_lenOut, out);
                            break;
                        default:
                            weightRows<1>(d, m_planeY, dyGroup, xp, xGroup, off, rows, group, m_lenOut, out);
                            break;
                        }
                        f0 += size;
                    }
                }
                if (!dx)
                    continue;
                for (int64_t g = 0; g < group; ++g) {
                    planes(ext + g * dyGroup, m_dyOffset.data(), m_filters * m_taps, wT, nullptr, m_channels, out,
                        m_lenIn);
                    float* img = dx + (s0 + g) * inSize;
                    for (int64_t c = 0; c < m_channels; ++c)
                        for (int64_t row = 0; row < m_w.height; ++row)
                            copyRow(img + (c * m_w.height + row) * m_w.width,
                                out + c * m_lenIn + (row + m_w.padTop) * m_wp + m_w.padLeft, m_w.width);
                }
            }
        }
    });

    // The chunks' partial sums, added in chunk order.
    cpu::sumChunks(
        dWeight, m_filters * rows, chunks, [&](int64_t c) { return m_work[static_cast<size_t>(c)].dw.data(); });
    if (m_bias && dBias)
        cpu::sumChunks(dBias, m_filters, chunks, [&](int64_t c) { return m_work[static_cast<size_t>(c)].db.data(); });
}

} // namespace netcanvas
