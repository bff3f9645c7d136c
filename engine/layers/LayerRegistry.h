#pragma once
// LayerRegistry: the single source of truth about layer kinds. The palette, the property
// editor, the model JSON reader/writer, shape checks and the CLI all read it.
// A layer kind registers one LayerInfo from its own file (see registerBuiltinLayers()).
#include "engine/layers/Layer.h"

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace netcanvas {

enum class ParamType { Int, Float, Bool, Choice, String };
std::string toString(ParamType t);

// Schema of one parameter: what the property editor shows and the JSON reader checks.
struct ParamSpec {
    std::string name;
    ParamType type = ParamType::Int;
    nlohmann::json defaultValue;
    double min = -1e300; // inclusive bounds for Int and Float
    double max = 1e300;
    std::vector<std::string> choices; // for Choice
    std::string doc;
};

struct LayerInfo {
    std::string type; // "Conv2D": the name in model JSON
    std::string
        category; // "Input", "Core", "Convolution", "Pooling", "Normalization", "Activation", "Regularization", "Merge"
    std::string doc; // one line for tooltips and `netcanvas-cli layers`
    int minInputs = 1;
    int maxInputs = 1; // -1: any number (Add, Concat)
    std::vector<ParamSpec> params;
    std::function<std::unique_ptr<Layer>(const std::string& name, const LayerParams& params)> create;

    const ParamSpec* param(const std::string& name) const;
};

class LayerRegistry {
public:
    // The process-wide registry with every built-in layer registered (thread-safe).
    static const LayerRegistry& builtin();

    // Registers a kind; throws Error when the type is already registered.
    void add(LayerInfo info);
    const LayerInfo* find(const std::string& type) const;
    // Throws FormatError "unknown layer type 'X' (known: ...)".
    const LayerInfo& get(const std::string& type) const;
    const std::vector<LayerInfo>& all() const { return m_infos; }
    std::vector<std::string> categories() const; // in registration order, unique

    // Checks `given` against the schema (unknown keys, types, ranges, choices) and fills in
    // defaults. Throws FormatError "node 'id' (Type): parameter 'p' ...".
    nlohmann::json resolveParams(const std::string& type, const nlohmann::json& given, const std::string& nodeId) const;
    // resolveParams + create.
    std::unique_ptr<Layer> create(
        const std::string& type, const std::string& nodeId, const nlohmann::json& given) const;

private:
    std::vector<LayerInfo> m_infos;
};

// Registers every built-in layer kind: one line per kind in BuiltinLayers.cpp.
void registerBuiltinLayers(LayerRegistry& registry);

} // namespace netcanvas
