#pragma once
// Tensor: a dense float32 array with a Shape, row-major (NCHW), owning its storage.
//
// Storage comes from an Allocator (core/Allocator.h): hostAllocator() by default (64-byte
// aligned host memory), or a backend's allocator (Tensor(shape, backend.allocator())), whose
// memory may live on a device. Storage only grows: resize() to a shape that fits the current
// capacity does not allocate, so per-step buffers cost nothing after the first step.
//
// Host and device tensors
// - device() is the allocator's device. On the CPU backend the host allocator IS the
//   backend's allocator, so a CPU network's tensors are host tensors.
// - Element access (operator[], matrix(), fill(), allFinite(), the value constructors) and
//   copies (copy constructor/assignment, copyFrom) are for HOST tensors only: on a device
//   tensor they throw BackendError (operator[] is unchecked — never use it on one).
//   Device data moves only through a Backend: upload/download/copy/fill.
// - Tensor(shape, allocator) leaves the contents unspecified: a device tensor that must
//   start at zero is filled by its backend (Backend::fill), as Network and Optimizer do.
// - Moving a tensor moves its storage (any device) and leaves the source empty.
#include "engine/core/Allocator.h"
#include "engine/core/Shape.h"

#include <Eigen/Core>
#include <cstddef>
#include <vector>

namespace netcanvas {

class Tensor {
public:
    Tensor() = default;
    // An empty tensor whose storage will come from `allocator` (resize() allocates).
    explicit Tensor(Allocator& allocator)
        : m_allocator(&allocator)
    {
    }
    // Zero-filled host tensor of this shape.
    explicit Tensor(const Shape& shape);
    Tensor(const Shape& shape, float fill); // host
    Tensor(const Shape& shape, std::vector<float> values); // host; values.size() must equal shape.numel()
    // Storage for this shape from `allocator`; contents unspecified (see above).
    Tensor(const Shape& shape, Allocator& allocator);
    ~Tensor();

    // Copies are host-only (BackendError for a device tensor): a deep copy into host memory.
    Tensor(const Tensor& other);
    Tensor& operator=(const Tensor& other);
    Tensor(Tensor&& other) noexcept;
    Tensor& operator=(Tensor&& other) noexcept;

    const Shape& shape() const { return m_shape; }
    int64_t size() const { return m_size; }
    bool empty() const { return m_size == 0; }
    Device device() const { return m_allocator->device(); }
    bool isHost() const { return m_allocator->device() == Device::Cpu; }
    Allocator& allocator() const { return *m_allocator; }

    // Host pointer for a host tensor, device pointer otherwise (only for that backend's ops).
    float* data() { return m_data; }
    const float* data() const { return m_data; }
    float& operator[](int64_t i) { return m_data[i]; } // host only, unchecked
    float operator[](int64_t i) const { return m_data[i]; } // host only, unchecked

    // Changes the shape; contents are unspecified afterwards. Allocates only when growing.
    void resize(const Shape& shape);
    // Same storage, new shape of the same numel (throws ShapeError otherwise).
    void reshape(const Shape& shape);
    void fill(float v); // host only
    void zero() { fill(0.0f); } // host only
    void copyFrom(const Tensor& other); // host only: resize + copy

    // Number of elements in each sample (size / shape[0]); 0 for an empty tensor.
    int64_t sampleSize() const;
    // True when every element is finite (host only).
    bool allFinite() const;

    // Eigen views of the whole buffer as a row-major rows×cols matrix (host only).
    using MatrixMap = Eigen::Map<Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>;
    using ConstMatrixMap = Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>;
    MatrixMap matrix(int64_t rows, int64_t cols);
    ConstMatrixMap matrix(int64_t rows, int64_t cols) const;

private:
    void requireHost(const char* what) const;
    void release() noexcept;

    Allocator* m_allocator = &hostAllocator();
    Shape m_shape;
    int64_t m_size = 0;
    float* m_data = nullptr;
    int64_t m_capacity = 0; // floats
};

} // namespace netcanvas
