#include "engine/core/Shape.h"

#include "engine/core/Error.h"

namespace netcanvas {

int64_t Shape::numel() const
{
    int64_t n = 1;
    for (int64_t d : m_dims)
        if (__builtin_mul_overflow(n, d, &n))
            throw ShapeError("a tensor of shape " + toString() + " has more elements than 64-bit integers count");
    return n;
}

Shape Shape::batched(int64_t n) const
{
    std::vector<int64_t> d;
    d.reserve(m_dims.size() + 1);
    d.push_back(n);
    d.insert(d.end(), m_dims.begin(), m_dims.end());
    return Shape(std::move(d));
}

Shape Shape::perSample() const
{
    if (m_dims.empty())
        return {};
    return Shape(std::vector<int64_t>(m_dims.begin() + 1, m_dims.end()));
}

std::string Shape::toString() const
{
    if (m_dims.empty())
        return "scalar";
    std::string s;
    for (size_t i = 0; i < m_dims.size(); ++i) {
        if (i)
            s += "\u00d7";
        s += std::to_string(m_dims[i]);
    }
    return s;
}

} // namespace netcanvas
