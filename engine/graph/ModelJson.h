#pragma once
// The model JSON format (docs/model-format.md): versioned, hand-writable.
// Readers throw FormatError naming the source, the line (for syntax errors) or the field
// ("nodes[3].params.kernel") and the reason. Layer parameters are checked against the
// LayerRegistry schema on read.
#include "engine/graph/ModelGraph.h"

#include <string>
#include <string_view>

namespace netcanvas {

inline constexpr int kModelFormatVersion = 1;
// The project format's version (engine/io/ProjectFile); here because a project is also read
// as a model (modelFromJson), which refuses a newer project too.
inline constexpr int kProjectFormatVersion = 1;

// A project file ("format": "netcanvas-project", docs/project-format.md) is read as its
// "model", with the project's "training" settings as the recipe when present.
ModelGraph modelFromJson(const nlohmann::json& j, const std::string& source = "model");
ModelGraph parseModelJson(const std::string& text, const std::string& source = "model");
ModelGraph loadModelFile(const std::string& path);

nlohmann::json modelToJson(const ModelGraph& graph);
std::string serializeModel(const ModelGraph& graph); // pretty, stable key order
void saveModelFile(const ModelGraph& graph, const std::string& path); // atomic

// Parses JSON text; a syntax error becomes FormatError "source:line:column: reason", and so
// does nesting deeper than limits::kMaxJsonDepth (checked before parsing, so no recursive walk
// of the value — copy, comparison, dump — can overflow the stack).
nlohmann::json parseJsonText(const std::string& text, const std::string& source);
// The depth check alone, for readers that parse with their own options: FormatError
// "source:line:column: JSON nested deeper than N levels".
void checkJsonDepth(std::string_view text, const std::string& source);
// j["version"] when present (else 1): an integer in [1, newest], or FormatError "source:
// version …" ("4294967297" is not read as 1; a newer version says to update NetCanvas).
int readFormatVersion(const nlohmann::json& j, int newest, const std::string& source, const std::string& what);

} // namespace netcanvas
