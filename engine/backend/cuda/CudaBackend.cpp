#include "engine/backend/cuda/CudaBackend.h"

#include "engine/backend/CudaPluginAbi.h"
#include "engine/backend/cuda/CudaPrimitives.h"
#include "engine/backend/cuda/GemmMapping.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>

namespace netcanvas::cuda {
namespace {

// Uploads larger than this go through the staging buffers in pieces.
constexpr size_t kStagingChunk = size_t(16) << 20;

// The device-side block the loss/metric/reduction kernels write; copied to the pinned mirror.
struct DeviceScalars {
    double sum;
    unsigned long long index;
    unsigned long long counter;
};

// The current device is per host thread, and the backend may be called from any thread (the
// training worker, the UI thread creating it): every entry makes its device current through
// this one function, whose per-thread cache keeps that a comparison when it already is.
cudaError_t makeCurrent(int device)
{
    thread_local int current = -1;
    if (current == device)
        return cudaSuccess;
    const cudaError_t e = cudaSetDevice(device);
    current = e == cudaSuccess ? device : -1;
    return e;
}

std::string megabytes(size_t bytes)
{
    return std::to_string((bytes + (size_t(1) << 20) - 1) >> 20) + " MB";
}

int checkedInt(int64_t v, const char* what)
{
    if (v < 0 || v > std::numeric_limits<int>::max())
        throw BackendError(std::string(what) + ": " + std::to_string(v) + " does not fit a cuDNN dimension (int)");
    return static_cast<int>(v);
}

} // namespace

// ---- memory ---------------------------------------------------------------------------------

void* DeviceAllocator::allocate(size_t bytes)
{
    return m_backend.allocateDevice(bytes);
}
void DeviceAllocator::deallocate(void* p) noexcept
{
    m_backend.freeDevice(p);
}

void* DeviceBuffer::ensure(size_t bytes)
{
    if (bytes <= m_bytes && m_data)
        return m_data;
    release();
    m_data = m_allocator->allocate(bytes == 0 ? 1 : bytes);
    m_bytes = bytes;
    return m_data;
}

void DeviceBuffer::release() noexcept
{
    if (m_data)
        m_allocator->deallocate(m_data);
    m_data = nullptr;
    m_bytes = 0;
}

void* CudaBackend::allocateDevice(size_t bytes)
{
    bind();
    void* p = nullptr;
    for (int attempt = 0; attempt < 2; ++attempt) {
        const cudaError_t e = m_memoryPools ? cudaMallocAsync(&p, bytes, m_stream) : cudaMalloc(&p, bytes);
        if (e == cudaSuccess)
            return p;
        if (e != cudaErrorMemoryAllocation)
            throwCallFailed(m_memoryPools ? "cudaMallocAsync" : "cudaMalloc", cudaStatusString(e), __FILE__, __LINE__);
        cudaGetLastError(); // out of memory is not sticky: clear it
        // Blocks freed on the stream but not yet returned: wait for them once, then retry.
        if (attempt == 0)
            NC_CUDA_CHECK(cudaStreamSynchronize(m_stream));
    }
    size_t freeBytes = 0, totalBytes = 0;
    std::string memory;
    if (cudaMemGetInfo(&freeBytes, &totalBytes) == cudaSuccess)
        memory = " (" + megabytes(freeBytes) + " free of " + megabytes(totalBytes) + " on " + m_deviceName + ")";
    cudaGetLastError();
    throw BackendError(prefix() + "out of memory allocating " + megabytes(bytes) + memory);
}

void CudaBackend::freeDevice(void* p) noexcept
{
    if (!p)
        return;
    // No error can be reported from here (deallocate is noexcept); a failure here means the
    // context is already broken, which the next checked call reports.
    if (makeCurrent(m_device) != cudaSuccess)
        return;
    if (m_memoryPools)
        cudaFreeAsync(p, m_stream);
    else
        cudaFree(p);
}

void* CudaBackend::scratch(int slot, size_t bytes)
{
    return m_scratch[static_cast<size_t>(slot)].ensure(bytes);
}

// ---- lifetime -------------------------------------------------------------------------------

CudaBackend::CudaBackend(int device, unsigned flags)
    : m_device(device)
    , m_allocator(*this)
    , m_workspace(m_allocator)
    , m_scratch { { DeviceBuffer { m_allocator }, DeviceBuffer { m_allocator }, DeviceBuffer { m_allocator },
          DeviceBuffer { m_allocator } } }
    , m_rowLoss(m_allocator)
    , m_partials(m_allocator)
    , m_scalars(m_allocator)
{
    m_name = "cuda:" + std::to_string(device);
    try {
        NC_CUDA_CHECK(makeCurrent(device));
        cudaDeviceProp prop {};
        NC_CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
        m_deviceName = prop.name;
        m_ccMajor = prop.major;
        m_ccMinor = prop.minor;
        // FP16 tensor cores from Volta (7.0) on, TF32 from Ampere (8.0) on; otherwise exact FP32.
        if ((flags & NETCANVAS_CUDA_FP16) != 0 && m_ccMajor >= 7)
            m_precision = Precision::Fp16;
        else if ((flags & NETCANVAS_CUDA_TF32) != 0 && m_ccMajor >= 8)
            m_precision = Precision::Tf32;
        int pools = 0;
        NC_CUDA_CHECK(cudaDeviceGetAttribute(&pools, cudaDevAttrMemoryPoolsSupported, device));
        m_memoryPools = pools != 0;
        if (m_memoryPools) {
            // Keep freed blocks in the pool across steps instead of returning them to the driver
            // at every synchronization (the default threshold is 0).
            cudaMemPool_t pool = nullptr;
            NC_CUDA_CHECK(cudaDeviceGetDefaultMemPool(&pool, device));
            uint64_t threshold = std::numeric_limits<uint64_t>::max();
            NC_CUDA_CHECK(cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &threshold));
        }
        NC_CUDA_CHECK(cudaStreamCreateWithFlags(&m_stream, cudaStreamNonBlocking));
        NC_CUDA_CHECK(cudaStreamCreateWithFlags(&m_copyStream, cudaStreamNonBlocking));
        for (StagingSlot& s : m_staging) {
            NC_CUDA_CHECK(cudaEventCreateWithFlags(&s.copied, cudaEventDisableTiming));
            NC_CUDA_CHECK(cudaEventCreateWithFlags(&s.consumed, cudaEventDisableTiming));
        }
        NC_CUBLAS_CHECK(cublasCreate(&m_cublas));
        NC_CUBLAS_CHECK(cublasSetStream(m_cublas, m_stream));
        // Default math is full FP32; TF32 tensor cores only when asked for and available. FP16
        // does not go through the math mode (its CUBLAS_TENSOR_OP_MATH is deprecated): gemm()
        // asks for it per call with the compute type CUBLAS_COMPUTE_32F_FAST_16F.
        NC_CUBLAS_CHECK(cublasSetMathMode(
            m_cublas, m_precision == Precision::Tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH));
        NC_CUDNN_CHECK(cudnnCreate(&m_cudnn));
        NC_CUDNN_CHECK(cudnnSetStream(m_cudnn, m_stream));
        NC_CUDNN_CHECK(cudnnCreateTensorDescriptor(&m_descA));
        NC_CUDNN_CHECK(cudnnCreateTensorDescriptor(&m_descB));
        NC_CUDNN_CHECK(cudnnCreateActivationDescriptor(&m_activation));
        NC_CUDA_CHECK(cudaMallocHost(reinterpret_cast<void**>(&m_hostScalars), sizeof(HostScalars)));
        m_scalars.ensure(sizeof(DeviceScalars));
        m_partials.ensure(sizeof(double) * launch::reducePartialsCount());
        const double gib = static_cast<double>(prop.totalGlobalMem) / double(1ull << 30);
        char memory[32];
        std::snprintf(memory, sizeof memory, "%.1f GB", gib);
        m_description = m_deviceName + ", " + memory + ", compute capability " + std::to_string(m_ccMajor) + "."
            + std::to_string(m_ccMinor)
            + (m_precision == Precision::Tf32        ? ", TF32"
                    : m_precision == Precision::Fp16 ? ", FP16 mixed"
                                                     : "");
    } catch (...) {
        releaseAll();
        throw;
    }
}

CudaBackend::~CudaBackend()
{
    releaseAll();
}

void CudaBackend::releaseAll() noexcept
{
    if (makeCurrent(m_device) != cudaSuccess)
        return; // nothing can be released without the device
    if (m_stream)
        cudaStreamSynchronize(m_stream);
    if (m_copyStream)
        cudaStreamSynchronize(m_copyStream);
    m_workspace.release();
    for (DeviceBuffer& b : m_scratch)
        b.release();
    m_rowLoss.release();
    m_partials.release();
    m_scalars.release();
    for (StagingSlot& s : m_staging) {
        if (s.pinned)
            cudaFreeHost(s.pinned);
        if (s.device)
            freeDevice(s.device);
        if (s.copied)
            cudaEventDestroy(s.copied);
        if (s.consumed)
            cudaEventDestroy(s.consumed);
        s = StagingSlot {};
    }
    if (m_hostScalars)
        cudaFreeHost(m_hostScalars);
    m_hostScalars = nullptr;
    if (m_activation)
        cudnnDestroyActivationDescriptor(m_activation);
    if (m_descA)
        cudnnDestroyTensorDescriptor(m_descA);
    if (m_descB)
        cudnnDestroyTensorDescriptor(m_descB);
    if (m_cudnn)
        cudnnDestroy(m_cudnn);
    if (m_cublas)
        cublasDestroy(m_cublas);
    if (m_stream)
        cudaStreamSynchronize(m_stream); // the stream-ordered frees above
    if (m_copyStream)
        cudaStreamDestroy(m_copyStream);
    if (m_stream)
        cudaStreamDestroy(m_stream);
    m_activation = nullptr;
    m_descA = m_descB = nullptr;
    m_cudnn = nullptr;
    m_cublas = nullptr;
    m_stream = m_copyStream = nullptr;
}

void CudaBackend::bind() const
{
    NC_CUDA_CHECK(makeCurrent(m_device));
}

// ---- copies ---------------------------------------------------------------------------------

void CudaBackend::uploadStaged(void* dst, const void* host, size_t bytes)
{
    bind();
    auto* out = static_cast<char*>(dst);
    const auto* in = static_cast<const char*>(host);
    while (bytes > 0) {
        const size_t chunk = bytes < kStagingChunk ? bytes : kStagingChunk;
        StagingSlot& s = m_staging[static_cast<size_t>(m_nextStaging)];
        m_nextStaging = (m_nextStaging + 1) % static_cast<int>(m_staging.size());
        // The slot's previous upload must have left both staging buffers.
        NC_CUDA_CHECK(cudaEventSynchronize(s.consumed));
        if (s.bytes < chunk) {
            if (s.pinned)
                NC_CUDA_CHECK(cudaFreeHost(s.pinned));
            s.pinned = nullptr;
            freeDevice(s.device);
            s.device = nullptr;
            s.bytes = 0;
            NC_CUDA_CHECK(cudaMallocHost(&s.pinned, chunk));
            s.device = allocateDevice(chunk);
            s.bytes = chunk;
            // The device staging buffer comes from the compute stream's pool: make the copy
            // stream wait until that allocation is ordered before its use there.
            NC_CUDA_CHECK(cudaEventRecord(s.consumed, m_stream));
            NC_CUDA_CHECK(cudaStreamWaitEvent(m_copyStream, s.consumed, 0));
        }
        std::memcpy(s.pinned, in, chunk);
        NC_CUDA_CHECK(cudaMemcpyAsync(s.device, s.pinned, chunk, cudaMemcpyHostToDevice, m_copyStream));
        NC_CUDA_CHECK(cudaEventRecord(s.copied, m_copyStream));
        NC_CUDA_CHECK(cudaStreamWaitEvent(m_stream, s.copied, 0));
        NC_CUDA_CHECK(cudaMemcpyAsync(out, s.device, chunk, cudaMemcpyDeviceToDevice, m_stream));
        NC_CUDA_CHECK(cudaEventRecord(s.consumed, m_stream));
        out += chunk;
        in += chunk;
        bytes -= chunk;
    }
}

void CudaBackend::upload(float* dst, const float* host, int64_t count)
{
    if (count > 0)
        uploadStaged(dst, host, static_cast<size_t>(count) * sizeof(float));
}

void CudaBackend::uploadBytes(void* dst, const void* host, int64_t bytes)
{
    if (bytes > 0)
        uploadStaged(dst, host, static_cast<size_t>(bytes));
}

void CudaBackend::download(float* host, const float* src, int64_t count)
{
    if (count <= 0)
        return;
    bind();
    NC_CUDA_CHECK(
        cudaMemcpyAsync(host, src, static_cast<size_t>(count) * sizeof(float), cudaMemcpyDeviceToHost, m_stream));
    NC_CUDA_CHECK(cudaStreamSynchronize(m_stream));
}

void CudaBackend::copy(float* dst, const float* src, int64_t count)
{
    if (count <= 0 || dst == src)
        return;
    bind();
    NC_CUDA_CHECK(
        cudaMemcpyAsync(dst, src, static_cast<size_t>(count) * sizeof(float), cudaMemcpyDeviceToDevice, m_stream));
}

void CudaBackend::copy2D(float* dst, int64_t dstPitch, const float* src, int64_t srcPitch, int64_t rows, int64_t cols)
{
    if (rows <= 0 || cols <= 0)
        return;
    bind();
    NC_CUDA_CHECK(cudaMemcpy2DAsync(dst, static_cast<size_t>(dstPitch) * sizeof(float), src,
        static_cast<size_t>(srcPitch) * sizeof(float), static_cast<size_t>(cols) * sizeof(float),
        static_cast<size_t>(rows), cudaMemcpyDeviceToDevice, m_stream));
}

void CudaBackend::fill(float* x, int64_t count, float value)
{
    bind();
    launch::fill(x, count, value, m_stream);
}

void CudaBackend::synchronize()
{
    bind();
    NC_CUDA_CHECK(cudaStreamSynchronize(m_stream));
}

// ---- dense algebra --------------------------------------------------------------------------

void CudaBackend::gemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
    int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc)
{
    if (M <= 0 || N <= 0)
        return;
    const ColMajorGemm g = rowMajorGemmAsColMajor(transA, transB, M, N, K, A, lda, B, ldb, ldc);
    if (!colMajorGemmValid(g))
        throw BackendError(prefix() + "gemm: invalid leading dimensions (M " + std::to_string(M) + ", N "
            + std::to_string(N) + ", K " + std::to_string(K) + ", lda " + std::to_string(lda) + ", ldb "
            + std::to_string(ldb) + ", ldc " + std::to_string(ldc) + ")");
    bind();
    const cublasOperation_t first = g.transFirst ? CUBLAS_OP_T : CUBLAS_OP_N;
    const cublasOperation_t second = g.transSecond ? CUBLAS_OP_T : CUBLAS_OP_N;
    if (m_precision == Precision::Fp16) {
        // FP32 matrices in memory and FP32 alpha/beta/accumulation; the compute type lets
        // cuBLAS round the inputs to FP16 (or TF32) for tensor cores.
        NC_CUBLAS_CHECK(cublasGemmEx_64(m_cublas, first, second, g.m, g.n, g.k, &alpha, g.first, CUDA_R_32F, g.ldFirst,
            g.second, CUDA_R_32F, g.ldSecond, &beta, C, CUDA_R_32F, g.ldResult, CUBLAS_COMPUTE_32F_FAST_16F,
            CUBLAS_GEMM_DEFAULT));
        return;
    }
    NC_CUBLAS_CHECK(cublasSgemm_64(m_cublas, first, second, g.m, g.n, g.k, &alpha, g.first, g.ldFirst, g.second,
        g.ldSecond, &beta, C, g.ldResult));
}

void CudaBackend::addBias(float* y, const float* bias, int64_t n, int64_t channels, int64_t spatial)
{
    bind();
    launch::addBias(y, bias, n, channels, spatial, m_stream);
}

void CudaBackend::biasGradient(const float* dy, float* db, int64_t n, int64_t channels, int64_t spatial)
{
    bind();
    launch::biasGradient(dy, db, n, channels, spatial, m_stream);
}

// ---- element-wise ---------------------------------------------------------------------------

void CudaBackend::setFlatDescriptor(cudnnTensorDescriptor_t desc, int64_t count)
{
    NC_CUDNN_CHECK(cudnnSetTensor4dDescriptor(
        desc, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, checkedInt(count, "activation"), 1, 1, 1));
}

namespace {

// The cuDNN mode of the kind's table row; false when cuDNN has none (our own kernel runs it).
bool cudnnActivationMode(ActivationKind kind, cudnnActivationMode_t& mode)
{
    switch (activationInfo(kind).cudnn) {
    case CudnnActivation::Relu:
        mode = CUDNN_ACTIVATION_RELU;
        return true;
    case CudnnActivation::Sigmoid:
        mode = CUDNN_ACTIVATION_SIGMOID;
        return true;
    case CudnnActivation::Tanh:
        mode = CUDNN_ACTIVATION_TANH;
        return true;
    case CudnnActivation::Elu:
        mode = CUDNN_ACTIVATION_ELU;
        return true;
    case CudnnActivation::None:
        return false;
    }
    return false;
}

// cuDNN dimensions are int: element-wise work goes in pieces of at most 2^30 elements.
constexpr int64_t kFlatPiece = int64_t(1) << 30;

} // namespace

void CudaBackend::activationForward(ActivationKind kind, float alpha, const float* x, float* y, int64_t count)
{
    if (count <= 0)
        return;
    bind();
    cudnnActivationMode_t mode {};
    if (!cudnnActivationMode(kind, mode)) {
        launch::activationForward(kind, alpha, x, y, count, m_stream);
        return;
    }
    // coef is ELU's alpha (ignored by the other modes).
    NC_CUDNN_CHECK(cudnnSetActivationDescriptor(m_activation, mode, CUDNN_PROPAGATE_NAN, static_cast<double>(alpha)));
    const float one = 1.0f, zero = 0.0f;
    for (int64_t at = 0; at < count; at += kFlatPiece) {
        const int64_t piece = count - at < kFlatPiece ? count - at : kFlatPiece;
        setFlatDescriptor(m_descA, piece);
        NC_CUDNN_CHECK(cudnnActivationForward(m_cudnn, m_activation, &one, m_descA, x + at, &zero, m_descA, y + at));
    }
}

void CudaBackend::activationBackward(
    ActivationKind kind, float alpha, const float* x, const float* y, const float* dy, float* dx, int64_t count)
{
    if (count <= 0)
        return;
    bind();
    cudnnActivationMode_t mode {};
    if (!cudnnActivationMode(kind, mode)) {
        launch::activationBackward(kind, alpha, x, y, dy, dx, count, m_stream);
        return;
    }
    NC_CUDNN_CHECK(cudnnSetActivationDescriptor(m_activation, mode, CUDNN_PROPAGATE_NAN, static_cast<double>(alpha)));
    const float one = 1.0f, zero = 0.0f;
    for (int64_t at = 0; at < count; at += kFlatPiece) {
        const int64_t piece = count - at < kFlatPiece ? count - at : kFlatPiece;
        setFlatDescriptor(m_descA, piece);
        NC_CUDNN_CHECK(cudnnActivationBackward(
            m_cudnn, m_activation, &one, m_descA, y + at, m_descA, dy + at, m_descA, x + at, &zero, m_descA, dx + at));
    }
}

void CudaBackend::add(const float* a, const float* b, float* y, int64_t count)
{
    bind();
    launch::add(a, b, y, count, m_stream);
}

void CudaBackend::axpy(float alpha, const float* x, float* y, int64_t count)
{
    bind();
    launch::axpy(alpha, x, y, count, m_stream);
}

void CudaBackend::scale(float alpha, float* x, int64_t count)
{
    bind();
    launch::scale(alpha, x, count, m_stream);
}

void CudaBackend::softmaxForward(const float* x, float* y, int64_t rows, int64_t cols)
{
    if (rows <= 0 || cols <= 0)
        return;
    bind();
    NC_CUDNN_CHECK(cudnnSetTensor4dDescriptor(m_descA, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT,
        checkedInt(rows, "softmax rows"), checkedInt(cols, "softmax cols"), 1, 1));
    const float one = 1.0f, zero = 0.0f;
    // ACCURATE subtracts the row maximum; INSTANCE normalizes over C·H·W of each row.
    NC_CUDNN_CHECK(cudnnSoftmaxForward(
        m_cudnn, CUDNN_SOFTMAX_ACCURATE, CUDNN_SOFTMAX_MODE_INSTANCE, &one, m_descA, x, &zero, m_descA, y));
}

void CudaBackend::softmaxBackward(const float* y, const float* dy, float* dx, int64_t rows, int64_t cols)
{
    if (rows <= 0 || cols <= 0)
        return;
    bind();
    NC_CUDNN_CHECK(cudnnSetTensor4dDescriptor(m_descA, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT,
        checkedInt(rows, "softmax rows"), checkedInt(cols, "softmax cols"), 1, 1));
    const float one = 1.0f, zero = 0.0f;
    NC_CUDNN_CHECK(cudnnSoftmaxBackward(m_cudnn, CUDNN_SOFTMAX_ACCURATE, CUDNN_SOFTMAX_MODE_INSTANCE, &one, m_descA, y,
        m_descA, dy, &zero, m_descA, dx));
}

// ---- primitives -----------------------------------------------------------------------------

std::unique_ptr<ConvPrimitive> CudaBackend::createConv(const ConvDesc& desc)
{
    bind();
    return std::make_unique<CudaConv>(*this, desc);
}

std::unique_ptr<PoolPrimitive> CudaBackend::createPool(const PoolDesc& desc)
{
    bind();
    return std::make_unique<CudaPool>(*this, desc);
}

std::unique_ptr<BatchNormPrimitive> CudaBackend::createBatchNorm(const BatchNormDesc& desc)
{
    bind();
    return std::make_unique<CudaBatchNorm>(*this, desc);
}

namespace {

class CudaDropout final : public DropoutPrimitive {
public:
    explicit CudaDropout(CudaBackend& backend)
        : m_backend(backend)
    {
    }
    void forward(int64_t count, const float* x, float* y, float rate, uint64_t seed) override
    {
        m_backend.bind();
        m_rate = rate;
        m_seed = seed;
        m_count = count;
        launch::dropoutApply(x, y, count, rate, seed, m_backend.stream());
    }
    // The mask is recomputed from (seed, index): nothing is stored between the two.
    void backward(int64_t count, const float* dy, float* dx) override
    {
        if (count != m_count)
            throw BackendError(m_backend.prefix() + "dropout backward over " + std::to_string(count)
                + " elements after a forward over " + std::to_string(m_count));
        m_backend.bind();
        launch::dropoutApply(dy, dx, count, m_rate, m_seed, m_backend.stream());
    }

private:
    CudaBackend& m_backend;
    float m_rate = 0.0f;
    uint64_t m_seed = 0;
    int64_t m_count = -1;
};

} // namespace

std::unique_ptr<DropoutPrimitive> CudaBackend::createDropout()
{
    return std::make_unique<CudaDropout>(*this);
}

// ---- losses and metrics ---------------------------------------------------------------------

CudaBackend::HostScalars CudaBackend::readScalars()
{
    NC_CUDA_CHECK(cudaMemcpyAsync(
        m_hostScalars, m_scalars.as<DeviceScalars>(1), sizeof(HostScalars), cudaMemcpyDeviceToHost, m_stream));
    NC_CUDA_CHECK(cudaStreamSynchronize(m_stream));
    return *m_hostScalars;
}

void CudaBackend::resetScalarIndex()
{
    // All bits set: UINT64_MAX, the "none" of the index reductions (atomicMin).
    NC_CUDA_CHECK(cudaMemsetAsync(&m_scalars.as<DeviceScalars>(1)->index, 0xff, sizeof(unsigned long long), m_stream));
}

void CudaBackend::throwBadLabel(const char* what, const int32_t* labels, unsigned long long row, int64_t cols)
{
    int32_t label = 0;
    NC_CUDA_CHECK(cudaMemcpy(&label, labels + row, sizeof label, cudaMemcpyDeviceToHost));
    throw DataError(std::string(what) + ": label " + std::to_string(label) + " at batch row " + std::to_string(row)
        + " is out of range [0, " + std::to_string(cols) + ") for a model with " + std::to_string(cols) + " outputs");
}

float CudaBackend::rowLoss(const char* what, const int32_t* labels, int64_t rows, int64_t cols, double divisor)
{
    DeviceScalars* d = m_scalars.as<DeviceScalars>(1);
    launch::sumDouble(m_rowLoss.as<double>(static_cast<size_t>(rows)), rows,
        m_partials.as<double>(launch::reducePartialsCount()), &d->sum, m_stream);
    const HostScalars h = readScalars();
    if (h.index != std::numeric_limits<unsigned long long>::max())
        throwBadLabel(what, labels, h.index, cols);
    return static_cast<float>(h.sum / divisor);
}

float CudaBackend::softmaxCrossEntropy(
    const float* logits, const int32_t* labels, float* grad, int64_t rows, int64_t cols)
{
    if (rows <= 0 || cols <= 0)
        return 0.0f;
    bind();
    resetScalarIndex();
    launch::softmaxCrossEntropy(logits, labels, grad, m_rowLoss.as<double>(static_cast<size_t>(rows)), rows, cols,
        &m_scalars.as<DeviceScalars>(1)->index, m_stream);
    return rowLoss("cross-entropy", labels, rows, cols, static_cast<double>(rows));
}

float CudaBackend::crossEntropyOnProbabilities(
    const float* probs, const int32_t* labels, float* grad, int64_t rows, int64_t cols)
{
    if (rows <= 0 || cols <= 0)
        return 0.0f;
    bind();
    resetScalarIndex();
    launch::crossEntropyOnProbabilities(probs, labels, grad, m_rowLoss.as<double>(static_cast<size_t>(rows)), rows,
        cols, &m_scalars.as<DeviceScalars>(1)->index, m_stream);
    return rowLoss("cross-entropy", labels, rows, cols, static_cast<double>(rows));
}

float CudaBackend::meanSquaredError(const float* out, const int32_t* labels, float* grad, int64_t rows, int64_t cols)
{
    if (rows <= 0 || cols <= 0)
        return 0.0f;
    bind();
    resetScalarIndex();
    launch::meanSquaredError(out, labels, grad, m_rowLoss.as<double>(static_cast<size_t>(rows)), rows, cols,
        &m_scalars.as<DeviceScalars>(1)->index, m_stream);
    return rowLoss("mean squared error", labels, rows, cols, static_cast<double>(rows) * static_cast<double>(cols));
}

int64_t CudaBackend::countCorrect(const float* out, const int32_t* labels, int64_t rows, int64_t cols)
{
    if (rows <= 0 || cols <= 0)
        return 0;
    bind();
    DeviceScalars* d = m_scalars.as<DeviceScalars>(1);
    NC_CUDA_CHECK(cudaMemsetAsync(&d->counter, 0, sizeof(unsigned long long), m_stream));
    launch::countCorrect(out, labels, rows, cols, &d->counter, m_stream);
    return static_cast<int64_t>(readScalars().counter);
}

double CudaBackend::sum(launch::SumKind kind, const float* x, int64_t count)
{
    bind();
    DeviceScalars* d = m_scalars.as<DeviceScalars>(1);
    launch::sumFloat(kind, x, count, m_partials.as<double>(launch::reducePartialsCount()), &d->sum, m_stream);
    return readScalars().sum;
}

double CudaBackend::sumAbs(const float* x, int64_t count)
{
    return sum(launch::SumKind::Abs, x, count);
}
double CudaBackend::sumSquares(const float* x, int64_t count)
{
    return sum(launch::SumKind::Square, x, count);
}

int64_t CudaBackend::firstNonFinite(const float* x, int64_t count)
{
    if (count <= 0)
        return -1;
    bind();
    resetScalarIndex();
    launch::firstNonFinite(x, count, &m_scalars.as<DeviceScalars>(1)->index, m_stream);
    const unsigned long long index = readScalars().index;
    return index == std::numeric_limits<unsigned long long>::max() ? -1 : static_cast<int64_t>(index);
}

bool CudaBackend::allFinite(const std::vector<FloatSpan>& spans)
{
    bind();
    // Every span's kernel lowers the same index with atomicMin: it stays "none" only when all
    // elements of all spans are finite. One wait for the lot.
    resetScalarIndex();
    for (const FloatSpan& s : spans)
        launch::firstNonFinite(s.data, s.count, &m_scalars.as<DeviceScalars>(1)->index, m_stream);
    return readScalars().index == std::numeric_limits<unsigned long long>::max();
}

// ---- optimizer updates ----------------------------------------------------------------------

void CudaBackend::addRegularization(const float* w, float* g, int64_t count, float l1, float l2)
{
    if (l1 == 0.0f && l2 == 0.0f)
        return;
    bind();
    launch::addRegularization(w, g, count, l1, l2, m_stream);
}

void CudaBackend::sgdUpdate(float* w, const float* g, float* velocity, int64_t count, const SgdParams& p)
{
    bind();
    launch::sgdUpdate(w, g, velocity, count, p.lr, p.momentum, p.nesterov, p.firstStep, m_stream);
}

void CudaBackend::adamUpdate(float* w, const float* g, float* m, float* v, int64_t count, const AdamParams& p)
{
    bind();
    // Per tensor, in double, like PyTorch (and the CPU backend): ElementMath.h's adamStep.
    const double t = static_cast<double>(p.step);
    const double bc1 = 1.0 - std::pow(static_cast<double>(p.beta1), t);
    const double bc2 = 1.0 - std::pow(static_cast<double>(p.beta2), t);
    const float stepSize = static_cast<float>(static_cast<double>(p.lr) / bc1);
    const float bc2Sqrt = static_cast<float>(std::sqrt(bc2));
    const float decayFactor = static_cast<float>(1.0 - static_cast<double>(p.lr) * static_cast<double>(p.weightDecay));
    launch::adamUpdate(w, g, m, v, count, p.beta1, p.beta2, p.epsilon, stepSize, bc2Sqrt, decayFactor, m_stream);
}

void CudaBackend::rmsPropUpdate(
    float* w, const float* g, float* square, float* velocity, int64_t count, const RmsPropParams& p)
{
    bind();
    launch::rmsPropUpdate(w, g, square, velocity, count, p.lr, p.alpha, p.epsilon, p.momentum, m_stream);
}

// ---- host threading -------------------------------------------------------------------------

void CudaBackend::parallelFor(int64_t n, const std::function<void(int64_t, int64_t)>& fn, int64_t)
{
    if (n > 0)
        fn(0, n);
}

} // namespace netcanvas::cuda
