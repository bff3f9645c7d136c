#pragma once
// The model JSON format (docs/model-format.md): versioned, hand-writable.
// Readers throw FormatError naming the source, the line (for syntax errors) or the field
// ("nodes[3].params.kernel") and the reason. Layer parameters are checked against the
// LayerRegistry schema on read.
#include "engine/graph/ModelGraph.h"

#include <string>

namespace netcanvas {

inline constexpr int kModelFormatVersion = 1;

// A project file ("format": "netcanvas-project", docs/project-format.md) is read as its
// "model", with the project's "training" settings as the recipe when present.
ModelGraph modelFromJson(const nlohmann::json& j, const std::string& source = "model");
ModelGraph parseModelJson(const std::string& text, const std::string& source = "model");
ModelGraph loadModelFile(const std::string& path);

nlohmann::json modelToJson(const ModelGraph& graph);
std::string serializeModel(const ModelGraph& graph); // pretty, stable key order
void saveModelFile(const ModelGraph& graph, const std::string& path); // atomic

// Parses JSON text; a syntax error becomes FormatError "source:line:column: reason".
nlohmann::json parseJsonText(const std::string& text, const std::string& source);

} // namespace netcanvas
