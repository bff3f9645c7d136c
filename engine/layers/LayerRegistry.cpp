#include "engine/layers/LayerRegistry.h"

#include <algorithm>
#include <cmath>

namespace netcanvas {

std::string toString(ParamType t)
{
    switch (t) {
    case ParamType::Int:
        return "int";
    case ParamType::Float:
        return "float";
    case ParamType::Bool:
        return "bool";
    case ParamType::Choice:
        return "choice";
    case ParamType::String:
        return "string";
    }
    return "?";
}

const ParamSpec* LayerInfo::param(const std::string& name) const
{
    for (const auto& p : params)
        if (p.name == name)
            return &p;
    return nullptr;
}

const LayerRegistry& LayerRegistry::builtin()
{
    static const LayerRegistry registry = [] {
        LayerRegistry r;
        registerBuiltinLayers(r);
        return r;
    }();
    return registry;
}

void LayerRegistry::add(LayerInfo info)
{
    if (find(info.type))
        throw Error("layer type '" + info.type + "' is registered twice");
    m_infos.push_back(std::move(info));
}

const LayerInfo* LayerRegistry::find(const std::string& type) const
{
    for (const auto& i : m_infos)
        if (i.type == type)
            return &i;
    return nullptr;
}

const LayerInfo& LayerRegistry::get(const std::string& type) const
{
    if (const LayerInfo* i = find(type))
        return *i;
    std::string known;
    for (const auto& i : m_infos)
        known += (known.empty() ? "" : ", ") + i.type;
    throw FormatError("unknown layer type '" + type + "' (known: " + known + ")");
}

std::vector<std::string> LayerRegistry::categories() const
{
    std::vector<std::string> out;
    for (const auto& i : m_infos)
        if (std::find(out.begin(), out.end(), i.category) == out.end())
            out.push_back(i.category);
    return out;
}

nlohmann::json LayerRegistry::resolveParams(
    const std::string& type, const nlohmann::json& given, const std::string& nodeId) const
{
    const LayerInfo& info = get(type);
    const std::string at = "node '" + nodeId + "' (" + type + "): ";
    if (!given.is_null() && !given.is_object())
        throw FormatError(at + "\"params\" must be an object");
    nlohmann::json out = nlohmann::json::object();
    if (given.is_object()) {
        for (auto it = given.begin(); it != given.end(); ++it) {
            if (!info.param(it.key())) {
                std::string known;
                for (const auto& p : info.params)
                    known += (known.empty() ? "" : ", ") + p.name;
                throw FormatError(at + "unknown parameter '" + it.key() + "'"
                    + (known.empty() ? std::string(" (this layer has none)") : " (known: " + known + ")"));
            }
        }
    }
    for (const ParamSpec& spec : info.params) {
        nlohmann::json v = (given.is_object() && given.contains(spec.name)) ? given.at(spec.name) : spec.defaultValue;
        const std::string p = at + "parameter '" + spec.name + "' ";
        switch (spec.type) {
        case ParamType::Int: {
            if (!v.is_number())
                throw FormatError(p + "must be an integer, not " + v.dump());
            const double d = v.get<double>();
            if (d != std::floor(d))
                throw FormatError(p + "must be an integer, not " + v.dump());
            if (d < spec.min || d > spec.max)
                throw FormatError(p + "must be in [" + std::to_string(static_cast<int64_t>(spec.min)) + ", "
                    + std::to_string(static_cast<int64_t>(spec.max)) + "], not " + v.dump());
            v = static_cast<int64_t>(d);
            break;
        }
        case ParamType::Float: {
            if (!v.is_number())
                throw FormatError(p + "must be a number, not " + v.dump());
            const double d = v.get<double>();
            if (!std::isfinite(d) || d < spec.min || d > spec.max) {
                nlohmann::json lo = spec.min, hi = spec.max;
                throw FormatError(p + "must be in [" + lo.dump() + ", " + hi.dump() + "], not " + v.dump());
            }
            v = d;
            break;
        }
        case ParamType::Bool:
            if (!v.is_boolean())
                throw FormatError(p + "must be true or false, not " + v.dump());
            break;
        case ParamType::Choice: {
            if (!v.is_string()
                || std::find(spec.choices.begin(), spec.choices.end(), v.get<std::string>()) == spec.choices.end()) {
                std::string c;
                for (const auto& s : spec.choices)
                    c += (c.empty() ? "" : ", ") + s;
                throw FormatError(p + "must be one of " + c + ", not " + v.dump());
            }
            break;
        }
        case ParamType::String:
            if (!v.is_string())
                throw FormatError(p + "must be a string, not " + v.dump());
            break;
        }
        out[spec.name] = v;
    }
    return out;
}

std::unique_ptr<Layer> LayerRegistry::create(
    const std::string& type, const std::string& nodeId, const nlohmann::json& given) const
{
    const LayerInfo& info = get(type);
    return info.create(nodeId, LayerParams(resolveParams(type, given, nodeId)));
}

} // namespace netcanvas
