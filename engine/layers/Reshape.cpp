#include "engine/layers/Reshape.h"

#include <cstdlib>

namespace netcanvas {

namespace {

// "16x7x7", "16×7×7" or "16,7,7" → {16, 7, 7}; -1 stays -1. Empty on a malformed text.
std::vector<int64_t> parseDims(const std::string& text)
{
    std::vector<int64_t> dims;
    std::string cur;
    auto flush = [&]() -> bool {
        if (cur.empty())
            return false;
        char* end = nullptr;
        const long long v = std::strtoll(cur.c_str(), &end, 10);
        if (*end != '\0' || (v <= 0 && v != -1))
            return false;
        dims.push_back(v);
        cur.clear();
        return true;
    };
    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == ' ')
            continue;
        const bool times = text.compare(i, 2, "\u00d7") == 0;
        if (c == 'x' || c == ',' || times) {
            if (!flush())
                return {};
            i += times ? 1 : 0;
        } else {
            cur += c;
        }
    }
    if (!flush())
        return {};
    return dims;
}

} // namespace

Shape ReshapeLayer::outputShape(const std::vector<Shape>& inputs) const
{
    requireInputCount(inputs, 1);
    const std::string text = m_params.getString("shape");
    std::vector<int64_t> dims = parseDims(text);
    if (dims.empty())
        fail("shape '" + text + "': write the sizes as 16x7x7 (positive whole numbers; one may be -1)");
    int64_t known = 1;
    int unknown = -1;
    for (size_t i = 0; i < dims.size(); ++i) {
        if (dims[i] != -1) {
            known *= dims[i];
        } else if (unknown >= 0) {
            fail("shape '" + text + "': only one size may be -1");
        } else {
            unknown = static_cast<int>(i);
        }
    }
    const int64_t n = inputs[0].numel();
    if (unknown >= 0) {
        if (n % known != 0)
            fail(inputs, "its " + std::to_string(n) + " values do not divide into '" + text + "'");
        dims[static_cast<size_t>(unknown)] = n / known;
    } else if (known != n) {
        fail(inputs,
            std::to_string(n) + " values cannot take the shape " + text + " (" + std::to_string(known) + " values)");
    }
    return Shape(dims);
}

void registerReshape(LayerRegistry& registry)
{
    LayerInfo info;
    info.type = "Reshape";
    info.category = "Core";
    info.doc
        = "Gives each sample another shape with the same values, e.g. a Dense code of 784 back into 16\u00d77\u00d77";
    info.params = { stringParam(
        "shape", "-1", "Sizes per sample, e.g. 16x7x7 or 49x16; one may be -1 and takes what the others leave") };
    info.create = [](const std::string& name, const LayerParams& p) { return std::make_unique<ReshapeLayer>(name, p); };
    registry.add(std::move(info));
}

} // namespace netcanvas
