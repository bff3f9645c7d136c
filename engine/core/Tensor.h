#pragma once
// Tensor: a dense float32 array with a Shape, row-major (NCHW), owning its storage.
// Storage is aligned for Eigen's packets and only grows: resize() to a shape that fits the current
// capacity does not allocate, so per-step buffers cost nothing after the first step.
// Device: tensors of this class live in host memory; a device backend keeps its own
// buffers and copies batches in and scalars out (see backend/Backend.h).
#include "engine/core/Shape.h"

#include <Eigen/Core>
#include <vector>

namespace netcanvas {

enum class Device { Cpu, Cuda };

class Tensor {
public:
    Tensor() = default;
    // Zero-filled tensor of this shape.
    explicit Tensor(const Shape& shape);
    Tensor(const Shape& shape, float fill);
    Tensor(const Shape& shape, std::vector<float> values); // values.size() must equal shape.numel()

    const Shape& shape() const { return m_shape; }
    int64_t size() const { return m_size; }
    bool empty() const { return m_size == 0; }
    Device device() const { return Device::Cpu; }

    float* data() { return m_data.data(); }
    const float* data() const { return m_data.data(); }
    float& operator[](int64_t i) { return m_data[static_cast<size_t>(i)]; }
    float operator[](int64_t i) const { return m_data[static_cast<size_t>(i)]; }

    // Changes the shape; contents are unspecified afterwards. Allocates only when growing.
    void resize(const Shape& shape);
    // Same storage, new shape of the same numel (throws ShapeError otherwise).
    void reshape(const Shape& shape);
    void fill(float v);
    void zero() { fill(0.0f); }
    void copyFrom(const Tensor& other); // resize + copy

    // Number of elements in each sample (size / shape[0]); 0 for an empty tensor.
    int64_t sampleSize() const;
    // True when every element is finite.
    bool allFinite() const;

    // Eigen views of the whole buffer as a row-major rows×cols matrix.
    using MatrixMap = Eigen::Map<Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>;
    using ConstMatrixMap = Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>;
    MatrixMap matrix(int64_t rows, int64_t cols);
    ConstMatrixMap matrix(int64_t rows, int64_t cols) const;

private:
    Shape m_shape;
    int64_t m_size = 0;
    std::vector<float, Eigen::aligned_allocator<float>> m_data;
};

} // namespace netcanvas
