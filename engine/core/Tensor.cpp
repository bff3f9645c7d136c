#include "engine/core/Tensor.h"

#include "engine/core/Error.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>

namespace netcanvas {

Tensor::Tensor(const Shape& shape)
{
    resize(shape);
    zero();
}

Tensor::Tensor(const Shape& shape, float fill)
{
    resize(shape);
    this->fill(fill);
}

Tensor::Tensor(const Shape& shape, std::vector<float> values)
{
    if (static_cast<int64_t>(values.size()) != shape.numel())
        throw ShapeError("Tensor: " + std::to_string(values.size()) + " values do not fill shape " + shape.toString());
    resize(shape);
    std::copy(values.begin(), values.end(), m_data);
}

Tensor::Tensor(const Shape& shape, Allocator& allocator)
    : m_allocator(&allocator)
{
    resize(shape);
}

Tensor::~Tensor()
{
    release();
}

Tensor::Tensor(const Tensor& other)
{
    other.requireHost("copy");
    copyFrom(other);
}

Tensor& Tensor::operator=(const Tensor& other)
{
    if (this != &other) {
        other.requireHost("copy");
        if (!isHost()) { // a device tensor assigned a host one becomes a host tensor
            release();
            m_allocator = &hostAllocator();
        }
        copyFrom(other);
    }
    return *this;
}

Tensor::Tensor(Tensor&& other) noexcept
    : m_allocator(other.m_allocator)
    , m_shape(std::move(other.m_shape))
    , m_size(std::exchange(other.m_size, 0))
    , m_data(std::exchange(other.m_data, nullptr))
    , m_capacity(std::exchange(other.m_capacity, 0))
{
    other.m_shape = Shape();
}

Tensor& Tensor::operator=(Tensor&& other) noexcept
{
    if (this != &other) {
        release();
        m_allocator = other.m_allocator;
        m_shape = std::move(other.m_shape);
        other.m_shape = Shape();
        m_size = std::exchange(other.m_size, 0);
        m_data = std::exchange(other.m_data, nullptr);
        m_capacity = std::exchange(other.m_capacity, 0);
    }
    return *this;
}

void Tensor::release() noexcept
{
    if (m_data)
        m_allocator->deallocate(m_data);
    m_data = nullptr;
    m_capacity = 0;
}

void Tensor::requireHost(const char* what) const
{
    if (!isHost())
        throw BackendError(std::string("Tensor: ") + what + " of a device tensor " + m_shape.toString()
            + " (device memory moves through Backend::upload/download/copy/fill)");
}

void Tensor::resize(const Shape& shape)
{
    const int64_t n = shape.numel();
    if (n > m_capacity) {
        release();
        m_data = static_cast<float*>(m_allocator->allocate(sizeof(float) * static_cast<size_t>(n)));
        m_capacity = n;
    }
    m_shape = shape;
    m_size = n;
}

void Tensor::reshape(const Shape& shape)
{
    if (shape.numel() != m_size)
        throw ShapeError("Tensor: cannot reshape " + m_shape.toString() + " to " + shape.toString());
    m_shape = shape;
}

void Tensor::fill(float v)
{
    requireHost("fill");
    std::fill(m_data, m_data + m_size, v);
}

void Tensor::copyFrom(const Tensor& other)
{
    requireHost("copyFrom");
    other.requireHost("copyFrom");
    if (&other == this)
        return;
    resize(other.shape());
    if (m_size > 0)
        std::memcpy(m_data, other.data(), sizeof(float) * static_cast<size_t>(m_size));
}

int64_t Tensor::sampleSize() const
{
    if (m_shape.rank() == 0 || m_shape[0] == 0)
        return 0;
    return m_size / m_shape[0];
}

bool Tensor::allFinite() const
{
    requireHost("allFinite");
    const float* p = data();
    for (int64_t i = 0; i < m_size; ++i)
        if (!std::isfinite(p[i]))
            return false;
    return true;
}

Tensor::MatrixMap Tensor::matrix(int64_t rows, int64_t cols)
{
    requireHost("matrix view");
    if (rows * cols != m_size)
        throw ShapeError(
            "Tensor: cannot view " + m_shape.toString() + " as " + std::to_string(rows) + "x" + std::to_string(cols));
    return MatrixMap(m_data, rows, cols);
}

Tensor::ConstMatrixMap Tensor::matrix(int64_t rows, int64_t cols) const
{
    requireHost("matrix view");
    if (rows * cols != m_size)
        throw ShapeError(
            "Tensor: cannot view " + m_shape.toString() + " as " + std::to_string(rows) + "x" + std::to_string(cols));
    return ConstMatrixMap(m_data, rows, cols);
}

} // namespace netcanvas
