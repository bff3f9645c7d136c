#pragma once
// CudaBackend: the Backend interface on one NVIDIA GPU, through cuDNN (convolution, pooling,
// batch norm, softmax, ReLU/sigmoid/tanh/ELU), cuBLAS (GEMM) and the plugin's own kernels
// (Kernels.h) for the rest.
//
// Requires: created on a device the probe reported usable (CudaPlugin.cpp). Every operation is
// queued on one compute stream, in order; only download(), the losses, the metrics and the
// reductions wait for it. Any thread may call it (one at a time): each entry makes the device
// current on the calling thread first.
//
// Memory: device buffers come from the stream-ordered allocator (cudaMallocAsync on the compute
// stream, pool kept across steps); freeing is stream-ordered too, so a tensor may be destroyed
// while kernels that use it are still queued. Out of memory throws BackendError naming the
// device, the size and the free memory.
//
// Uploads: the host data is copied into a pinned staging buffer (one of two, reused in turn) and
// from there to a device staging buffer on a separate copy stream, then moved to the destination
// on the compute stream. The host does not wait: the PCIe transfer of the next batch overlaps
// what is still queued of the current one (its backward pass and update, after the loss came
// back), and the destination is written only after the operations queued before the upload
// (which may still be reading it) have run.
#include "engine/backend/Backend.h"
#include "engine/backend/cuda/CudaCheck.h"
#include "engine/backend/cuda/Kernels.h"

#include <cublas_v2.h>
#include <cudnn.h>

#include <array>
#include <cstddef>
#include <string>

namespace netcanvas::cuda {

class CudaBackend;

// Device memory from the backend's stream-ordered pool.
class DeviceAllocator final : public Allocator {
public:
    explicit DeviceAllocator(CudaBackend& backend)
        : m_backend(backend)
    {
    }
    Device device() const override { return Device::Cuda; }
    void* allocate(size_t bytes) override;
    void deallocate(void* p) noexcept override;

private:
    CudaBackend& m_backend;
};

// A growable device buffer owned by a primitive or the backend (stream-ordered allocation).
class DeviceBuffer {
public:
    explicit DeviceBuffer(Allocator& allocator)
        : m_allocator(&allocator)
    {
    }
    ~DeviceBuffer() { release(); }
    DeviceBuffer(const DeviceBuffer&) = delete;
    DeviceBuffer& operator=(const DeviceBuffer&) = delete;
    // At least `bytes` bytes; contents are not kept when it grows.
    void* ensure(size_t bytes);
    template <typename T> T* as(size_t count) { return static_cast<T*>(ensure(count * sizeof(T))); }
    void release() noexcept;

private:
    Allocator* m_allocator;
    void* m_data = nullptr;
    size_t m_bytes = 0;
};

class CudaBackend final : public Backend {
public:
    // Throws BackendError naming the failing call when the device cannot be used.
    CudaBackend(int device, unsigned flags);
    ~CudaBackend() override;
    CudaBackend(const CudaBackend&) = delete;
    CudaBackend& operator=(const CudaBackend&) = delete;

    std::string name() const override { return m_name; }
    Device device() const override { return Device::Cuda; }
    std::string description() const override { return m_description; }
    Precision mathPrecision() const override { return m_precision; }
    int threads() const override { return 1; }
    void setThreads(int) override { }

    Allocator& allocator() override { return m_allocator; }
    void upload(float* dst, const float* host, int64_t count) override;
    void download(float* host, const float* src, int64_t count) override;
    void uploadBytes(void* dst, const void* host, int64_t bytes) override;
    void copy(float* dst, const float* src, int64_t count) override;
    void copy2D(float* dst, int64_t dstPitch, const float* src, int64_t srcPitch, int64_t rows, int64_t cols) override;
    void fill(float* x, int64_t count, float value) override;
    void synchronize() override;

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
    void softmaxForward(const float* x, float* y, int64_t rows, int64_t cols) override;
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
    bool allFinite(const std::vector<FloatSpan>& spans) override;

    void addRegularization(const float* w, float* g, int64_t count, float l1, float l2) override;
    void sgdUpdate(float* w, const float* g, float* velocity, int64_t count, const SgdParams& p) override;
    void adamUpdate(float* w, const float* g, float* m, float* v, int64_t count, const AdamParams& p) override;
    void rmsPropUpdate(
        float* w, const float* g, float* square, float* velocity, int64_t count, const RmsPropParams& p) override;

    void parallelFor(int64_t n, const std::function<void(int64_t, int64_t)>& fn, int64_t minChunk = 1) override;

    // ---- for the primitives and the allocator ----------------------------------------------
    // Makes this backend's device current on the calling thread (cheap when it already is).
    void bind() const;
    cudaStream_t stream() const { return m_stream; }
    cudnnHandle_t cudnn() const { return m_cudnn; }
    // The math GEMMs and convolutions run with: the requested one where the device has it
    // (TF32: compute capability >= 8.0; FP16: >= 7.0), else Fp32.
    Precision precision() const { return m_precision; }
    // Compute capability >= 8.0: cuDNN's default math may use TF32 for float32 data here.
    bool tensorCoresForTf32() const { return m_ccMajor >= 8; }
    // Scratch device memory shared by every operation of this backend: safe because all of them
    // run in order on the one compute stream. slot < kScratchSlots; contents are not kept.
    static constexpr int kScratchSlots = 4;
    void* scratch(int slot, size_t bytes);
    void* workspace(size_t bytes) { return bytes == 0 ? nullptr : m_workspace.ensure(bytes); }
    void* allocateDevice(size_t bytes);
    void freeDevice(void* p) noexcept;
    // "cuda:0: " — the prefix of this backend's error messages.
    std::string prefix() const { return m_name + ": "; }

private:
    struct StagingSlot {
        void* pinned = nullptr;
        void* device = nullptr;
        size_t bytes = 0;
        cudaEvent_t copied = nullptr; // host → device staging done (copy stream)
        cudaEvent_t consumed = nullptr; // staging → destination done (compute stream)
    };
    struct HostScalars { // pinned mirror of DeviceScalars
        double sum;
        unsigned long long index;
        unsigned long long counter;
    };
    void releaseAll() noexcept;
    void uploadStaged(void* dst, const void* host, size_t bytes);
    void setFlatDescriptor(cudnnTensorDescriptor_t desc, int64_t count);
    // Runs the copy of the device scalars to the host and waits for the stream.
    HostScalars readScalars();
    void resetScalarIndex();
    [[noreturn]] void throwBadLabel(const char* what, const int32_t* labels, unsigned long long row, int64_t cols);
    float rowLoss(const char* what, const int32_t* labels, int64_t rows, int64_t cols, double divisor);
    double sum(launch::SumKind kind, const float* x, int64_t count);

    int m_device = 0;
    int m_ccMajor = 0, m_ccMinor = 0;
    Precision m_precision = Precision::Fp32;
    bool m_memoryPools = false;
    std::string m_name, m_description, m_deviceName;
    cudaStream_t m_stream = nullptr; // compute
    cudaStream_t m_copyStream = nullptr; // uploads
    cublasHandle_t m_cublas = nullptr;
    cudnnHandle_t m_cudnn = nullptr;
    cudnnTensorDescriptor_t m_descA = nullptr, m_descB = nullptr;
    cudnnActivationDescriptor_t m_activation = nullptr;
    DeviceAllocator m_allocator;
    DeviceBuffer m_workspace;
    std::array<DeviceBuffer, kScratchSlots> m_scratch;
    DeviceBuffer m_rowLoss, m_partials, m_scalars; // loss per row, reduction partials, DeviceScalars
    HostScalars* m_hostScalars = nullptr; // pinned
    std::array<StagingSlot, 2> m_staging;
    int m_nextStaging = 0;
};

} // namespace netcanvas::cuda
