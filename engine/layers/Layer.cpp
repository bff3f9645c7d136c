#include "engine/layers/Layer.h"

namespace netcanvas {

namespace {
const nlohmann::json& lookup(const nlohmann::json& j, const std::string& key)
{
    auto it = j.find(key);
    if (it == j.end())
        throw FormatError("parameter '" + key + "' is missing");
    return *it;
}
} // namespace

int64_t LayerParams::getInt(const std::string& key) const
{
    const auto& v = lookup(m_values, key);
    if (v.is_number_integer())
        return v.get<int64_t>();
    if (v.is_number_float() && v.get<double>() == static_cast<double>(static_cast<int64_t>(v.get<double>())))
        return static_cast<int64_t>(v.get<double>());
    throw FormatError("parameter '" + key + "' must be an integer, not " + v.dump());
}

double LayerParams::getFloat(const std::string& key) const
{
    const auto& v = lookup(m_values, key);
    if (v.is_number())
        return v.get<double>();
    throw FormatError("parameter '" + key + "' must be a number, not " + v.dump());
}

bool LayerParams::getBool(const std::string& key) const
{
    const auto& v = lookup(m_values, key);
    if (v.is_boolean())
        return v.get<bool>();
    throw FormatError("parameter '" + key + "' must be true or false, not " + v.dump());
}

std::string LayerParams::getString(const std::string& key) const
{
    const auto& v = lookup(m_values, key);
    if (v.is_string())
        return v.get<std::string>();
    throw FormatError("parameter '" + key + "' must be a string, not " + v.dump());
}

Parameter* Layer::parameter(const std::string& name)
{
    for (auto& p : m_parameters)
        if (p.name == name)
            return &p;
    return nullptr;
}

Parameter& Layer::addParameter(const std::string& name, const Shape& shape, bool trainable, bool regularize)
{
    if (Parameter* existing = parameter(name)) {
        // A rebuild starts again on the host (a Network moves parameters to its device).
        existing->value = Tensor(shape);
        if (trainable)
            existing->grad = Tensor(shape);
        return *existing;
    }
    Parameter p;
    p.name = name;
    p.value = Tensor(shape);
    if (trainable)
        p.grad = Tensor(shape);
    p.trainable = trainable;
    p.regularize = regularize;
    m_parameters.push_back(std::move(p));
    return m_parameters.back();
}

} // namespace netcanvas
