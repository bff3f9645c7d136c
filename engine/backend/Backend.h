#pragma once
// Backend: every numeric operation a Network performs, on the memory of one device.
//
// Layers, losses and optimizers never branch on the device: they hold Tensors allocated by
// their Network's backend (Tensor::data() is a device pointer on a device backend) and call
// the operations below. The CPU backend (backend/cpu) is the reference implementation; the
// CUDA backend (backend/cuda, a plugin loaded at run time — see DeviceManager.h) implements
// the same interface with cuDNN, cuBLAS and its own kernels, and the conformance tests
// (tests/engine/test_backend_conformance) compare every operation with the CPU's.
//
// Conventions
// - All pointers are memory of device(), float32, densely packed, row-major / NCHW, unless
//   a parameter says otherwise. Element counts are int64_t.
// - Operations are ordered: each sees the results of those issued before it on the same
//   backend (a device backend queues them on one stream). Only the functions that return a
//   value to the host (download, the loss and reduction functions) wait for the device.
// - Stateful operations (convolution, pooling, batch norm, dropout) are primitives created
//   once per layer from a descriptor: they own their descriptors, chosen algorithms,
//   workspaces and the state their backward needs (pooling argmax, batch-norm statistics,
//   dropout masks, im2col caches). A primitive belongs to the backend that created it and
//   must not outlive it.
// - Errors throw BackendError naming the operation (and, on a device, the failing call).
// - Ops that may fall back (the section of that name below): a new op lands CPU-first. Its
//   default here is correct on every backend — it downloads the inputs, runs the reference
//   math of kernels/ElementMath.h on the host and uploads the result — and records its name,
//   so the run's device note can say which ops ran on the host (fallbackNote()). A device
//   backend overrides it when it has its own kernel; nothing else changes. The defaults are
//   inline: the CUDA plugin links no engine code.
#include "engine/backend/Precision.h"
#include "engine/backend/kernels/ActivationTable.h"
#include "engine/backend/kernels/ElementMath.h"
#include "engine/backend/kernels/RecurrentMath.h"
#include "engine/core/Allocator.h"
#include "engine/core/Tensor.h"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace netcanvas {

// ActivationKind: one per row of kernels/ActivationTable.h.

// Geometry of a 2-D sliding window over an N×C×H×W batch (convolution or pooling). Padding
// may be asymmetric ("same" with an even window pads one more cell at the bottom/right).
struct WindowDesc {
    int64_t channels = 1, height = 1, width = 1; // input per sample
    int64_t kernelH = 1, kernelW = 1;
    int64_t strideH = 1, strideW = 1;
    int64_t padTop = 0, padLeft = 0, padBottom = 0, padRight = 0;
    int64_t outH = 1, outW = 1;
};

struct ConvDesc {
    WindowDesc window; // window.channels = input channels C
    int64_t filters = 1; // F; weight is [F, C, kernelH, kernelW], bias [F]
    bool bias = true;
};

enum class PoolKind { Max, Average }; // Average excludes padded cells from the count

struct PoolDesc {
    PoolKind kind = PoolKind::Max;
    WindowDesc window; // GlobalAvgPool2D: Average with the window = the whole plane
};

struct BatchNormDesc {
    int64_t channels = 1; // C: statistics per channel
    int64_t spatial = 1; // H·W per channel and sample (1 after a Dense layer: N×C)
    double epsilon = 1e-5;
    double momentum = 0.1; // running = (1 − momentum) · running + momentum · batch (unbiased var)
};

class ConvPrimitive {
public:
    virtual ~ConvPrimitive() = default;
    // y [N,F,outH,outW] = conv(x [N,C,H,W], w) + b. training = a backward will follow
    // (the primitive may keep what it needs, e.g. the CPU's im2col of x).
    virtual void forward(int64_t n, const float* x, const float* w, const float* b, float* y, bool training) = 0;
    // Overwrites dw [F,C,kh,kw], db [F] (when the desc has a bias) and dx [N,C,H,W] (dx may
    // be null: no input gradient wanted). x and w are the forward's.
    virtual void backward(int64_t n, const float* x, const float* w, const float* dy, float* dx, float* dw, float* db)
        = 0;
};

class PoolPrimitive {
public:
    virtual ~PoolPrimitive() = default;
    virtual void forward(int64_t n, const float* x, float* y, bool training) = 0;
    // Overwrites dx. x and y are the forward's (max pooling routes dy to each window's
    // first maximum, in row-major order).
    virtual void backward(int64_t n, const float* x, const float* y, const float* dy, float* dx) = 0;
};

class BatchNormPrimitive {
public:
    virtual ~BatchNormPrimitive() = default;
    // Training: normalizes with the batch's mean and biased variance, keeps them for backward
    // and updates runningMean/runningVar (unbiased variance). Inference: uses the running ones.
    virtual void forward(int64_t n, const float* x, float* y, const float* gamma, const float* beta, float* runningMean,
        float* runningVar, bool training)
        = 0;
    // Overwrites dgamma, dbeta and dx (dx may be null), from the last training forward.
    virtual void backward(
        int64_t n, const float* x, const float* dy, const float* gamma, float* dx, float* dgamma, float* dbeta)
        = 0;
};

class DropoutPrimitive {
public:
    virtual ~DropoutPrimitive() = default;
    // y = x · keep(seed, i) / (1 − rate), keep from dropoutKeep() in kernels/ElementMath.h,
    // so every backend draws the same mask for the same seed. Keeps the mask for backward.
    virtual void forward(int64_t count, const float* x, float* y, float rate, uint64_t seed) = 0;
    virtual void backward(int64_t count, const float* dy, float* dx) = 0;
};

// A run of float32 elements in a backend's memory (allFinite's argument).
struct FloatSpan {
    const float* data = nullptr;
    int64_t count = 0;
};

struct SgdParams {
    float lr = 0.01f, momentum = 0.9f; // momentum 0: w −= lr · g (velocity unused, may be null)
    bool nesterov = false;
    bool firstStep = false; // velocity = g instead of momentum · velocity + g (PyTorch's first step)
};
struct AdamParams {
    float lr = 0.001f, beta1 = 0.9f, beta2 = 0.999f, epsilon = 1e-8f;
    float weightDecay = 0.0f; // decoupled (AdamW): w −= lr · weightDecay · w; 0 for Adam
    int64_t step = 1; // 1-based, for the bias corrections
};
struct RmsPropParams {
    float lr = 0.01f, alpha = 0.99f, epsilon = 1e-8f, momentum = 0.0f; // momentum 0: velocity unused
};

class Backend {
public:
    virtual ~Backend() = default;

    virtual std::string name() const = 0; // "cpu", "cuda:0"
    virtual Device device() const = 0;
    // A one-line description for the user: "CPU, 2 threads (OpenBLAS)", "NVIDIA RTX 4090, 24 GB".
    virtual std::string description() const { return name(); }
    // The arithmetic of gemm() and the convolutions (Precision.h): what this backend really
    // runs, which may be less than was asked for (the CPU always computes in Fp32).
    virtual Precision mathPrecision() const { return Precision::Fp32; }

    // Worker threads used by this backend (>= 1; a device backend reports 1).
    virtual int threads() const = 0;
    virtual void setThreads(int n) = 0;

    // ---- memory ----------------------------------------------------------------------
    // Allocator of device() memory: Tensor(shape, backend.allocator()) lives on the device.
    virtual Allocator& allocator() = 0;
    virtual void upload(float* dst, const float* host, int64_t count) = 0; // host → device
    virtual void download(float* host, const float* src, int64_t count) = 0; // device → host, waits
    virtual void uploadBytes(void* dst, const void* host, int64_t bytes) = 0; // labels (int32)
    virtual void copy(float* dst, const float* src, int64_t count) = 0; // device → device
    // rows × cols block: dst[r·dstPitch + c] = src[r·srcPitch + c] (Concat, Flatten of views).
    virtual void copy2D(float* dst, int64_t dstPitch, const float* src, int64_t srcPitch, int64_t rows, int64_t cols)
        = 0;
    virtual void fill(float* x, int64_t count, float value) = 0;
    // Waits until every queued operation has finished (a no-op on the CPU).
    virtual void synchronize() { }

    // ---- dense algebra -----------------------------------------------------------------
    // C[M×N] = alpha · op(A) · op(B) + beta · C, row-major;
    // op(A) is M×K (A is K×M when transA), op(B) is K×N (B is N×K when transB).
    virtual void gemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
        int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc)
        = 0;
    // y[i, c, s] += bias[c] over N × channels × spatial.
    virtual void addBias(float* y, const float* bias, int64_t n, int64_t channels, int64_t spatial) = 0;
    // db[c] = Σ_{i,s} dy[i, c, s] (overwrites).
    virtual void biasGradient(const float* dy, float* db, int64_t n, int64_t channels, int64_t spatial) = 0;

    // ---- element-wise ------------------------------------------------------------------
    // The math of kernels/ActivationTable.h's row of `kind`; alpha: the row's parameter
    // (LeakyReLU's slope, ELU's alpha), ignored by kinds without one.
    virtual void activationForward(ActivationKind kind, float alpha, const float* x, float* y, int64_t count) = 0;
    // dx from the forward's x and y (each kind reads the one it needs).
    virtual void activationBackward(
        ActivationKind kind, float alpha, const float* x, const float* y, const float* dy, float* dx, int64_t count)
        = 0;
    virtual void add(const float* a, const float* b, float* y, int64_t count) = 0; // y = a + b (y may alias)
    virtual void axpy(float alpha, const float* x, float* y, int64_t count) = 0; // y += alpha · x
    virtual void scale(float alpha, float* x, int64_t count) = 0; // x *= alpha
    // Row-wise softmax over rows × cols (stable).
    virtual void softmaxForward(const float* x, float* y, int64_t rows, int64_t cols) = 0;
    virtual void softmaxBackward(const float* y, const float* dy, float* dx, int64_t rows, int64_t cols) = 0;

    // ---- primitives --------------------------------------------------------------------
    virtual std::unique_ptr<ConvPrimitive> createConv(const ConvDesc& desc) = 0;
    virtual std::unique_ptr<PoolPrimitive> createPool(const PoolDesc& desc) = 0;
    virtual std::unique_ptr<BatchNormPrimitive> createBatchNorm(const BatchNormDesc& desc) = 0;
    virtual std::unique_ptr<DropoutPrimitive> createDropout() = 0;

    // ---- losses and metrics (labels: int32 device memory, values in [0, cols)) -------------
    // Each returns the batch's mean loss and overwrites grad (rows × cols, already / rows).
    virtual float softmaxCrossEntropy(
        const float* logits, const int32_t* labels, float* grad, int64_t rows, int64_t cols)
        = 0;
    // Cross-entropy on probabilities (a model ending in Softmax); p_y clamped at 1e-30.
    virtual float crossEntropyOnProbabilities(
        const float* probs, const int32_t* labels, float* grad, int64_t rows, int64_t cols)
        = 0;
    // Mean over rows·cols of (out − onehot(label))².
    virtual float meanSquaredError(const float* out, const int32_t* labels, float* grad, int64_t rows, int64_t cols)
        = 0;
    // Rows whose arg-max (first maximum) equals the label.
    virtual int64_t countCorrect(const float* out, const int32_t* labels, int64_t rows, int64_t cols) = 0;
    // Σ|x| and Σx² in double (regularization penalties, reported with the loss).
    virtual double sumAbs(const float* x, int64_t count) = 0;
    virtual double sumSquares(const float* x, int64_t count) = 0;
    // Index of the first NaN/Inf element, or −1 when all are finite.
    virtual int64_t firstNonFinite(const float* x, int64_t count) = 0;
    // Whether every element of every span is finite: one answer for many tensors (the loss
    // scaler's overflow check of all gradients), for which a device backend waits once.
    virtual bool allFinite(const std::vector<FloatSpan>& spans)
    {
        for (const FloatSpan& s : spans)
            if (firstNonFinite(s.data, s.count) >= 0)
                return false;
        return true;
    }

    // ---- optimizer updates (per parameter tensor; state buffers zeroed at creation) -------
    // g += l1 · sign(w) + l2 · w (regularization and coupled weight decay folded into l2).
    virtual void addRegularization(const float* w, float* g, int64_t count, float l1, float l2) = 0;
    virtual void sgdUpdate(float* w, const float* g, float* velocity, int64_t count, const SgdParams& p) = 0;
    virtual void adamUpdate(float* w, const float* g, float* m, float* v, int64_t count, const AdamParams& p) = 0;
    virtual void rmsPropUpdate(
        float* w, const float* g, float* square, float* velocity, int64_t count, const RmsPropParams& p)
        = 0;

    // ---- host threading (CPU backend; a device backend runs fn inline) ----------------
    // Runs fn(begin, end) over [0, n) split into contiguous chunks across the backend's
    // threads. Chunks never overlap; fn must not throw. Runs inline when n is small or
    // already inside a parallel region. Only for host memory.
    virtual void parallelFor(int64_t n, const std::function<void(int64_t, int64_t)>& fn, int64_t minChunk = 1) = 0;

    // ---- ops that may fall back (a default on the host; see the conventions above) ---------
    // y = a ⊙ b, element-wise (gates of an LSTM/GRU). y may alias a or b.
    virtual void mul(const float* a, const float* b, float* y, int64_t count)
    {
        hostElementwise("mul", a, b, y, count, false, [](float av, float bv, float) { return kernels::mul(av, bv); });
    }
    // y += a ⊙ b, element-wise (an LSTM/GRU backward accumulating through a gate product).
    virtual void mulAccumulate(const float* a, const float* b, float* y, int64_t count)
    {
        hostElementwise("mulAccumulate", a, b, y, count, true,
            [](float av, float bv, float yv) { return kernels::mulAccumulate(av, bv, yv); });
    }

    // Recurrent cells over rows × hidden (one row per sample; kernels/RecurrentMath.h has the
    // math and the gate layouts). LSTM: gates [rows × 4H] pre-activations in, activations out;
    // c and h [rows × H] of this step from cPrev.
    virtual void lstmCellForward(float* gates, const float* cPrev, float* c, float* h, int64_t rows, int64_t hidden)
    {
        noteFallback("lstmCellForward");
        const int64_t nh = rows * hidden;
        std::vector<float> hg = hostCopy(gates, 4 * nh), hcp = hostCopy(cPrev, nh), hc(static_cast<size_t>(nh)),
                           hh(static_cast<size_t>(nh));
        for (int64_t r = 0; r < rows; ++r)
            for (int64_t j = 0; j < hidden; ++j)
                kernels::lstmCellForward(hg.data() + r * 4 * hidden, hcp[size_t(r * hidden + j)],
                    hc[size_t(r * hidden + j)], hh[size_t(r * hidden + j)], j, hidden);
        upload(gates, hg.data(), 4 * nh);
        upload(c, hc.data(), nh);
        upload(h, hh.data(), nh);
    }
    // Overwrites dGates [rows × 4H]; dc [rows × H]: dL/dc from the next step in, dL/dc_prev out.
    virtual void lstmCellBackward(const float* gates, const float* cPrev, const float* c, const float* dh, float* dc,
        float* dGates, int64_t rows, int64_t hidden)
    {
        noteFallback("lstmCellBackward");
        const int64_t nh = rows * hidden;
        std::vector<float> hg = hostCopy(gates, 4 * nh), hcp = hostCopy(cPrev, nh), hc = hostCopy(c, nh),
                           hdh = hostCopy(dh, nh), hdc = hostCopy(dc, nh), hdg(static_cast<size_t>(4 * nh));
        for (int64_t r = 0; r < rows; ++r)
            for (int64_t j = 0; j < hidden; ++j) {
                const size_t k = size_t(r * hidden + j);
                kernels::lstmCellBackward(
                    hg.data() + r * 4 * hidden, hcp[k], hc[k], hdh[k], hdc[k], hdg.data() + r * 4 * hidden, j, hidden);
            }
        upload(dc, hdc.data(), nh);
        upload(dGates, hdg.data(), 4 * nh);
    }
    // GRU: gates [rows × 3H] = the input part W_ih·x + b_ih in, activations r, z, n out;
    // gh [rows × 3H] = W_hh·h_prev + b_hh; h [rows × H] of this step.
    virtual void gruCellForward(
        float* gates, const float* gh, const float* hPrev, float* h, int64_t rows, int64_t hidden)
    {
        noteFallback("gruCellForward");
        const int64_t nh = rows * hidden;
        std::vector<float> hg = hostCopy(gates, 3 * nh), hgh = hostCopy(gh, 3 * nh), hhp = hostCopy(hPrev, nh),
                           hh(static_cast<size_t>(nh));
        for (int64_t r = 0; r < rows; ++r)
            for (int64_t j = 0; j < hidden; ++j)
                kernels::gruCellForward(hg.data() + r * 3 * hidden, hgh.data() + r * 3 * hidden,
                    hhp[size_t(r * hidden + j)], hh[size_t(r * hidden + j)], j, hidden);
        upload(gates, hg.data(), 3 * nh);
        upload(h, hh.data(), nh);
    }
    // Overwrites dGi and dGh [rows × 3H]; adds the z ⊙ dh path to dhPrev (skipped when null).
    virtual void gruCellBackward(const float* gates, const float* gh, const float* hPrev, const float* dh, float* dGi,
        float* dGh, float* dhPrev, int64_t rows, int64_t hidden)
    {
        noteFallback("gruCellBackward");
        const int64_t nh = rows * hidden;
        std::vector<float> hg = hostCopy(gates, 3 * nh), hgh = hostCopy(gh, 3 * nh), hhp = hostCopy(hPrev, nh),
                           hdh = hostCopy(dh, nh), hdgi(static_cast<size_t>(3 * nh)), hdgh(static_cast<size_t>(3 * nh));
        std::vector<float> hdhp = dhPrev ? hostCopy(dhPrev, nh) : std::vector<float>(size_t(nh));
        for (int64_t r = 0; r < rows; ++r)
            for (int64_t j = 0; j < hidden; ++j) {
                const size_t k = size_t(r * hidden + j);
                kernels::gruCellBackward(hg.data() + r * 3 * hidden, hgh.data() + r * 3 * hidden, hhp[k], hdh[k],
                    hdgi.data() + r * 3 * hidden, hdgh.data() + r * 3 * hidden, hdhp[k], j, hidden);
            }
        upload(dGi, hdgi.data(), 3 * nh);
        upload(dGh, hdgh.data(), 3 * nh);
        if (dhPrev)
            upload(dhPrev, hdhp.data(), nh);
    }
    // Embedding lookup: out[i, :] = table[round(ids[i]), :] for count ids, table [vocab × dim].
    // Ids are rounded to the nearest whole number. Returns the index of the first id outside
    // [0, vocab) (its row of out is then unspecified), or −1 when all are valid. Waits.
    virtual int64_t embeddingForward(
        const float* ids, const float* table, float* out, int64_t count, int64_t vocab, int64_t dim)
    {
        noteFallback("embeddingForward");
        std::vector<float> hid = hostCopy(ids, count), ht = hostCopy(table, vocab * dim),
                           ho(static_cast<size_t>(count * dim));
        int64_t bad = -1;
        for (int64_t i = 0; i < count; ++i) {
            const int64_t row = kernels::tokenRow(hid[size_t(i)], vocab);
            if (row < 0) {
                bad = bad < 0 ? i : bad;
                continue;
            }
            std::copy_n(ht.data() + row * dim, dim, ho.data() + i * dim);
        }
        upload(out, ho.data(), count * dim);
        return bad;
    }
    // dTable [vocab × dim] = Σ over the ids of their rows of dOut (overwrites; invalid ids add nothing).
    virtual void embeddingBackward(
        const float* ids, const float* dOut, float* dTable, int64_t count, int64_t vocab, int64_t dim)
    {
        noteFallback("embeddingBackward");
        std::vector<float> hid = hostCopy(ids, count), hdo = hostCopy(dOut, count * dim),
                           hdt(static_cast<size_t>(vocab * dim));
        for (int64_t i = 0; i < count; ++i) {
            const int64_t row = kernels::tokenRow(hid[size_t(i)], vocab);
            if (row >= 0)
                for (int64_t k = 0; k < dim; ++k)
                    hdt[size_t(row * dim + k)] += hdo[size_t(i * dim + k)];
        }
        upload(dTable, hdt.data(), vocab * dim);
    }
    // dst[b, c, r] = src[b, r, c]: batch matrices rows × cols, each transposed (Conv1D's
    // steps × features ↔ channels-first). The default is a composite of copy2D (one column
    // at a time, on the device: no host round trip).
    virtual void transpose(const float* src, float* dst, int64_t batch, int64_t rows, int64_t cols)
    {
        for (int64_t b = 0; b < batch; ++b)
            for (int64_t c = 0; c < cols; ++c)
                copy2D(dst + (b * cols + c) * rows, 1, src + b * rows * cols + c, cols, rows, 1);
    }

    // A host copy of count floats of this backend's memory (waits for the device).
    std::vector<float> hostCopyOf(const float* src, int64_t count)
    {
        std::vector<float> v(static_cast<size_t>(std::max<int64_t>(count, 0)));
        if (count > 0)
            download(v.data(), src, count);
        return v;
    }

    // The ops that have run through their host fallback on this backend so far, in the order
    // of their first use; empty when every op ran natively. Any thread.
    std::vector<std::string> fallbackOps() const
    {
        std::lock_guard<std::mutex> lock(m_fallbackMutex);
        return m_fallbackOps;
    }
    // For the run's device note: "ops on the host: mul, mulAccumulate", or "" when none fell back.
    std::string fallbackNote() const
    {
        const std::vector<std::string> ops = fallbackOps();
        std::string note;
        for (const std::string& op : ops)
            note += (note.empty() ? "ops on the host: " : ", ") + op;
        return note;
    }

protected:
    // Records that `op` ran through its host fallback (once per op name).
    void noteFallback(const char* op)
    {
        std::lock_guard<std::mutex> lock(m_fallbackMutex);
        if (std::find(m_fallbackOps.begin(), m_fallbackOps.end(), op) == m_fallbackOps.end())
            m_fallbackOps.emplace_back(op);
    }
    std::vector<float> hostCopy(const float* src, int64_t count) { return hostCopyOf(src, count); }
    // The host fallback of an element-wise op of two inputs: y[i] = f(a[i], b[i], y[i]), with
    // y downloaded first only when readY. Works on any backend through download()/upload().
    template <class F>
    void hostElementwise(const char* op, const float* a, const float* b, float* y, int64_t count, bool readY, F f)
    {
        if (count <= 0)
            return;
        noteFallback(op);
        const size_t n = static_cast<size_t>(count);
        std::vector<float> ha(n), hb(n), hy(n, 0.0f);
        download(ha.data(), a, count);
        download(hb.data(), b, count);
        if (readY)
            download(hy.data(), y, count);
        for (size_t i = 0; i < n; ++i)
            hy[i] = f(ha[i], hb[i], hy[i]);
        upload(y, hy.data(), count);
    }

private:
    mutable std::mutex m_fallbackMutex;
    std::vector<std::string> m_fallbackOps;
};

// The CPU backend: GEMMs through OpenBLAS (one OpenBLAS thread) or Eigen, split over its own
// ThreadPool (one pool for everything). threads <= 0 means all cores.
std::unique_ptr<Backend> createCpuBackend(int threads = 0);

} // namespace netcanvas
