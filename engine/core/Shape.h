#pragma once
// Shape: the dimensions of a tensor, outermost first (NCHW for images, NF for vectors).
// In the graph, shapes are per sample (CHW or F); tensors at run time add the batch N in front.
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace netcanvas {

class Shape {
public:
    Shape() = default;
    Shape(std::initializer_list<int64_t> dims)
        : m_dims(dims)
    {
    }
    explicit Shape(std::vector<int64_t> dims)
        : m_dims(std::move(dims))
    {
    }

    int rank() const { return static_cast<int>(m_dims.size()); }
    int64_t operator[](int i) const { return m_dims[static_cast<size_t>(i)]; }
    int64_t& operator[](int i) { return m_dims[static_cast<size_t>(i)]; }
    const std::vector<int64_t>& dims() const { return m_dims; }
    // Product of all dimensions (1 for a rank-0 shape); ShapeError when it overflows int64.
    int64_t numel() const;
    // The shape with n prepended (a batch of this per-sample shape).
    Shape batched(int64_t n) const;
    // The shape without its first dimension.
    Shape perSample() const;
    // "1×28×28" style, for messages and the canvas.
    std::string toString() const;

    bool operator==(const Shape& o) const { return m_dims == o.m_dims; }
    bool operator!=(const Shape& o) const { return m_dims != o.m_dims; }

private:
    std::vector<int64_t> m_dims;
};

} // namespace netcanvas
