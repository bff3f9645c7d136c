#pragma once
// CpuBackend: the reference backend. Its memory is host memory (allocator() is
// hostAllocator()), so on this backend upload/download/copy are memcpy and a CPU network's
// tensors are plain host tensors.
//
// GEMM through OpenBLAS when the build found it (one OpenBLAS thread; matrix·vector shapes
// through Eigen's GEMV), otherwise through Eigen (single-threaded kernels); either way split
// across the backend's own ThreadPool when large enough, and parallelFor on the same pool —
// one pool, so nothing competes for the cores. Each backend has its own pool: two backends
// with different thread counts do not interfere. NETCANVAS_GEMM=eigen|openblas|<minimum
// M·N·K> in the environment overrides the library choice (for A/B measurements,
// docs/benchmarks.md).
//
// The operations live in one file per family: CpuBackend.cpp (memory, GEMM, threading),
// CpuElementwise.cpp (bias, activations, add/axpy/scale, mul, softmax), CpuConv.cpp (+ CpuIm2col),
// CpuPool.cpp, CpuRecurrent.cpp (LSTM/GRU cells, embedding, transpose), CpuBatchNorm.cpp, CpuDropout.cpp, CpuLoss.cpp
// (losses and reductions), CpuOptimizer.cpp. Per-element math comes from backend/kernels/ElementMath.h, shared with the
// device backends.
#include "engine/backend/Backend.h"
#include "engine/core/ThreadPool.h"

#include <memory>

namespace netcanvas {

class CpuBackend final : public Backend {
public:
    explicit CpuBackend(int threads);
    ~CpuBackend() override;
    std::string name() const override { return "cpu"; }
    Device device() const override { return Device::Cpu; }
    std::string description() const override;
    int threads() const override { return m_threads; }
    void setThreads(int n) override;

    Allocator& allocator() override { return hostAllocator(); }
    void upload(float* dst, const float* host, int64_t count) override;
    void download(float* host, const float* src, int64_t count) override;
    void uploadBytes(void* dst, const void* host, int64_t bytes) override;
    void copy(float* dst, const float* src, int64_t count) override;
    void copy2D(float* dst, int64_t dstPitch, const float* src, int64_t srcPitch, int64_t rows, int64_t cols) override;
    void fill(float* x, int64_t count, float value) override;

    void gemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
        const float* B, int64_t ldb, float beta, float* C, int64_t ldc) override;
    void addBias(float* y, const float* bias, int64_t n, int64_t channels, int64_t spatial) override;
    void biasGradient(const float* dy, float* db, int64_t n, int64_t channels, int64_t spatial) override;

    void activationForward(ActivationKind kind, float alpha, const float* x, float* y, int64_t count) override;
    void activationBackward(ActivationKind kind, float alpha, const float* x, const float* y, const float* dy,
        float* dx, int64_t count) override;
    void add(const float* a, const float* b, float* y, int64_t count) override;
    void axpy(float alpha, const float* x, float* y, int64_t count) override;
    void scale(float alpha, float* x, int64_t count) override;
    void mul(const float* a, const float* b, float* y, int64_t count) override;
    void mulAccumulate(const float* a, const float* b, float* y, int64_t count) override;
    void softmaxForward(const float* x, float* y, int64_t rows, int64_t cols) override;
    void lstmCellForward(float* gates, const float* cPrev, float* c, float* h, int64_t rows, int64_t hidden) override;
    void lstmCellBackward(const float* gates, const float* cPrev, const float* c, const float* dh, float* dc,
        float* dGates, int64_t rows, int64_t hidden) override;
    void gruCellForward(
        float* gates, const float* gh, const float* hPrev, float* h, int64_t rows, int64_t hidden) override;
    void gruCellBackward(const float* gates, const float* gh, const float* hPrev, const float* dh, float* dGi,
        float* dGh, float* dhPrev, int64_t rows, int64_t hidden) override;
    int64_t embeddingForward(
        const float* ids, const float* table, float* out, int64_t count, int64_t vocab, int64_t dim) override;
    void embeddingBackward(
        const float* ids, const float* dOut, float* dTable, int64_t count, int64_t vocab, int64_t dim) override;
    void transpose(const float* src, float* dst, int64_t batch, int64_t rows, int64_t cols) override;
    void softmaxBackward(const float* y, const float* dy, float* dx, int64_t rows, int64_t cols) override;

    std::unique_ptr<ConvPrimitive> createConv(const ConvDesc& desc) override;
    std::unique_ptr<PoolPrimitive> createPool(const PoolDesc& desc) override;
    std::unique_ptr<BatchNormPrimitive> createBatchNorm(const BatchNormDesc& desc) override;
    std::unique_ptr<DropoutPrimitive> createDropout() override;

    float softmaxCrossEntropy(
        const float* logits, const int32_t* labels, float* grad, int64_t rows, int64_t cols) override;
    float crossEntropyOnProbabilities(
        const float* probs, const int32_t* labels, float* grad, int64_t rows, int64_t cols) override;
    float meanSquaredError(const float* out, const int32_t* labels, float* grad, int64_t rows, int64_t cols) override;
    int64_t countCorrect(const float* out, const int32_t* labels, int64_t rows, int64_t cols) override;
    double sumAbs(const float* x, int64_t count) override;
    double sumSquares(const float* x, int64_t count) override;
    int64_t firstNonFinite(const float* x, int64_t count) override;

    void addRegularization(const float* w, float* g, int64_t count, float l1, float l2) override;
    void sgdUpdate(float* w, const float* g, float* velocity, int64_t count, const SgdParams& p) override;
    void adamUpdate(float* w, const float* g, float* m, float* v, int64_t count, const AdamParams& p) override;
    void rmsPropUpdate(
        float* w, const float* g, float* square, float* velocity, int64_t count, const RmsPropParams& p) override;

    void parallelFor(int64_t n, const std::function<void(int64_t, int64_t)>& fn, int64_t minChunk = 1) override;

    // parallelFor without a heap-allocated std::function per call: f is passed by reference
    // through a lambda with a single captured reference, which std::function stores inline.
    template <class F> void parallelRange(int64_t n, int64_t minChunk, const F& f)
    {
        parallelFor(
            n, [&f](int64_t b, int64_t e) { f(b, e); }, minChunk);
    }

private:
    int m_threads = 1;
    std::unique_ptr<ThreadPool> m_pool;
};

// Element-wise ops split into chunks of at least this many elements.
constexpr int64_t kCpuElementChunk = 32768;

} // namespace netcanvas
