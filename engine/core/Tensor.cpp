#include "engine/core/Tensor.h"

#include "engine/core/Error.h"

#include <algorithm>
#include <cmath>

namespace netcanvas {

Tensor::Tensor(const Shape& shape) { resize(shape); zero(); }

Tensor::Tensor(const Shape& shape, float fill) { resize(shape); this->fill(fill); }

Tensor::Tensor(const Shape& shape, std::vector<float> values)
{
    if (static_cast<int64_t>(values.size()) != shape.numel())
        throw ShapeError("Tensor: " + std::to_string(values.size()) + " values do not fill shape " + shape.toString());
    resize(shape);
    std::copy(values.begin(), values.end(), m_data.begin());
}

void Tensor::resize(const Shape& shape)
{
    m_shape = shape;
    m_size = shape.numel();
    if (static_cast<size_t>(m_size) > m_data.size())
        m_data.resize(static_cast<size_t>(m_size));
}

void Tensor::reshape(const Shape& shape)
{
    if (shape.numel() != m_size)
        throw ShapeError("Tensor: cannot reshape " + m_shape.toString() + " to " + shape.toString());
    m_shape = shape;
}

void Tensor::fill(float v) { std::fill(m_data.begin(), m_data.begin() + m_size, v); }

void Tensor::copyFrom(const Tensor& other)
{
    resize(other.shape());
    std::copy(other.data(), other.data() + other.size(), m_data.begin());
}

int64_t Tensor::sampleSize() const
{
    if (m_shape.rank() == 0 || m_shape[0] == 0)
        return 0;
    return m_size / m_shape[0];
}

bool Tensor::allFinite() const
{
    const float* p = data();
    for (int64_t i = 0; i < m_size; ++i)
        if (!std::isfinite(p[i]))
            return false;
    return true;
}

Tensor::MatrixMap Tensor::matrix(int64_t rows, int64_t cols)
{
    if (rows * cols != m_size)
        throw ShapeError("Tensor: cannot view " + m_shape.toString() + " as " + std::to_string(rows) + "x" + std::to_string(cols));
    return MatrixMap(m_data.data(), rows, cols);
}

Tensor::ConstMatrixMap Tensor::matrix(int64_t rows, int64_t cols) const
{
    if (rows * cols != m_size)
        throw ShapeError("Tensor: cannot view " + m_shape.toString() + " as " + std::to_string(rows) + "x" + std::to_string(cols));
    return ConstMatrixMap(m_data.data(), rows, cols);
}

} // namespace netcanvas
