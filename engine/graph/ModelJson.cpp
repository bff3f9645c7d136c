#include "engine/graph/ModelJson.h"

#include "engine/core/Error.h"
#include "engine/core/Limits.h"
#include "engine/io/AtomicFile.h"

namespace netcanvas {

void checkJsonDepth(std::string_view text, const std::string& source)
{
    int depth = 0;
    bool inString = false;
    size_t line = 1, col = 1;
    for (size_t i = 0; i < text.size(); ++i, ++col) {
        const char c = text[i];
        if (c == '\n') {
            ++line;
            col = 0;
        } else if (inString) {
            if (c == '\\')
                ++i, ++col; // the escaped character cannot end the string
            else if (c == '"')
                inString = false;
        } else if (c == '"') {
            inString = true;
        } else if (c == '[' || c == '{') {
            if (++depth > limits::kMaxJsonDepth)
                throw FormatError(source + ":" + std::to_string(line) + ":" + std::to_string(col)
                    + ": JSON nested deeper than " + std::to_string(limits::kMaxJsonDepth) + " levels");
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
}

int readFormatVersion(const nlohmann::json& j, int newest, const std::string& source, const std::string& what)
{
    auto v = j.find("version");
    if (v == j.end())
        return 1;
    if (!v->is_number_integer())
        throw FormatError(source + ": version: must be an integer, not " + v->dump());
    // Compared as the 64-bit value it is: 4294967297 must not wrap to 1.
    if (!v->is_number_unsigned() || v->get<uint64_t>() < 1)
        throw FormatError(source + ": version: " + v->dump() + " is not a " + what + " version (they start at 1)");
    const uint64_t version = v->get<uint64_t>();
    if (version > static_cast<uint64_t>(newest))
        throw FormatError(source + ": version: " + what + " version " + v->dump()
            + " is not supported: it is newer than this NetCanvas reads (up to " + std::to_string(newest)
            + "): update NetCanvas");
    return static_cast<int>(version);
}

nlohmann::json parseJsonText(const std::string& text, const std::string& source)
{
    checkJsonDepth(text, source);
    try {
        return nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
        size_t line = 1, col = 1;
        const size_t end = std::min(e.byte == 0 ? 0 : e.byte - 1, text.size());
        for (size_t i = 0; i < end; ++i) {
            if (text[i] == '\n') {
                ++line;
                col = 1;
            } else {
                ++col;
            }
        }
        std::string why = e.what();
        const auto pos = why.find("syntax error");
        if (pos != std::string::npos)
            why = why.substr(pos);
        throw FormatError(source + ":" + std::to_string(line) + ":" + std::to_string(col) + ": invalid JSON: " + why);
    }
}

ModelGraph modelFromJson(const nlohmann::json& j, const std::string& source)
{
    auto bad = [&](const std::string& field, const std::string& why) {
        throw FormatError(source + ": " + field + ": " + why);
    };
    if (!j.is_object())
        bad("(top level)", "must be an object");
    if (j.contains("format") && j["format"] == "netcanvas-project") {
        // A project file (the app's *.ncproj): its model, trained with the project's
        // settings when it has them.
        if (!j.contains("model") || !j["model"].is_object())
            bad("model", "a project must hold a model object");
        readFormatVersion(j, kProjectFormatVersion, source, "project format");
        ModelGraph g = modelFromJson(j["model"], source + ": model");
        if (j.contains("training") && j["training"].is_object())
            g.training = j["training"];
        return g;
    }
    if (j.contains("format") && j["format"] != "netcanvas-model")
        bad("format", "must be \"netcanvas-model\", not " + j["format"].dump());
    readFormatVersion(j, kModelFormatVersion, source, "model format");
    ModelGraph g;
    if (j.contains("name")) {
        if (!j["name"].is_string())
            bad("name", "must be a string");
        g.name = j["name"].get<std::string>();
    }
    if (j.contains("description")) {
        if (!j["description"].is_string())
            bad("description", "must be a string");
        g.description = j["description"].get<std::string>();
    }
    if (!j.contains("nodes"))
        bad("nodes", "is missing");
    if (!j["nodes"].is_array())
        bad("nodes", "must be an array");
    const auto& registry = LayerRegistry::builtin();
    const auto& nodes = j["nodes"];
    for (size_t i = 0; i < nodes.size(); ++i) {
        const std::string f = "nodes[" + std::to_string(i) + "]";
        const auto& jn = nodes[i];
        if (!jn.is_object())
            bad(f, "must be an object");
        if (!jn.contains("id") || !jn["id"].is_string() || jn["id"].get<std::string>().empty())
            bad(f + ".id", "must be a non-empty string");
        if (!jn.contains("type") || !jn["type"].is_string())
            bad(f + ".type", "must be a layer type name");
        GraphNode n;
        n.id = jn["id"].get<std::string>();
        n.type = jn["type"].get<std::string>();
        const std::string fn = f + " ('" + n.id + "')";
        if (!registry.find(n.type)) {
            try {
                registry.get(n.type);
            } catch (const Error& e) {
                bad(fn + ".type", e.what());
            }
        }
        if (jn.contains("params")) {
            if (!jn["params"].is_object())
                bad(fn + ".params", "must be an object");
            n.params = jn["params"];
        }
        try {
            registry.resolveParams(n.type, n.params, n.id);
        } catch (const FormatError& e) {
            bad(fn + ".params", e.what());
        }
        if (jn.contains("inputs")) {
            if (!jn["inputs"].is_array())
                bad(fn + ".inputs", "must be an array of node ids");
            for (const auto& in : jn["inputs"]) {
                if (!in.is_string())
                    bad(fn + ".inputs", "must be an array of node ids, found " + in.dump());
                n.inputs.push_back(in.get<std::string>());
            }
        }
        if (jn.contains("ui")) {
            if (!jn["ui"].is_object())
                bad(fn + ".ui", "must be an object");
            n.ui = jn["ui"];
        }
        if (jn.contains("trainable")) {
            if (!jn["trainable"].is_boolean())
                bad(fn + ".trainable", "must be true or false, found " + jn["trainable"].dump());
            n.trainable = jn["trainable"].get<bool>();
        }
        for (auto it = jn.begin(); it != jn.end(); ++it) {
            const std::string& k = it.key();
            if (k != "id" && k != "type" && k != "params" && k != "inputs" && k != "ui" && k != "trainable")
                bad(fn + "." + k, "unknown field (known: id, type, inputs, params, trainable, ui)");
        }
        if (g.contains(n.id))
            bad(fn + ".id", "id '" + n.id + "' is used twice");
        g.addNode(std::move(n));
    }
    for (size_t i = 0; i < g.nodes().size(); ++i)
        for (const auto& in : g.nodes()[i].inputs)
            if (!g.contains(in))
                bad("nodes[" + std::to_string(i) + "] ('" + g.nodes()[i].id + "').inputs",
                    "refers to node '" + in + "', which does not exist");
    if (j.contains("output")) {
        if (!j["output"].is_string() || !g.contains(j["output"].get<std::string>()))
            bad("output", "must name an existing node, not " + j["output"].dump());
        g.setOutput(j["output"].get<std::string>());
    }
    if (j.contains("training")) {
        if (!j["training"].is_object())
            bad("training", "must be an object");
        g.training = j["training"];
    }
    return g;
}

ModelGraph parseModelJson(const std::string& text, const std::string& source)
{
    return modelFromJson(parseJsonText(text, source), source);
}

ModelGraph loadModelFile(const std::string& path)
{
    return parseModelJson(readFile(path), path);
}

nlohmann::json modelToJson(const ModelGraph& g)
{
    nlohmann::json j;
    j["format"] = "netcanvas-model";
    j["version"] = kModelFormatVersion;
    j["name"] = g.name;
    if (!g.description.empty())
        j["description"] = g.description;
    j["nodes"] = nlohmann::json::array();
    for (const auto& n : g.nodes()) {
        nlohmann::json jn;
        jn["id"] = n.id;
        jn["type"] = n.type;
        if (!n.inputs.empty())
            jn["inputs"] = n.inputs;
        if (!n.params.empty())
            jn["params"] = n.params;
        if (!n.trainable)
            jn["trainable"] = false; // written only when frozen: the default is true
        if (!n.ui.empty())
            jn["ui"] = n.ui;
        j["nodes"].push_back(jn);
    }
    if (!g.outputOverride().empty())
        j["output"] = g.outputOverride();
    if (!g.training.empty())
        j["training"] = g.training;
    return j;
}

std::string serializeModel(const ModelGraph& g)
{
    // A name from outside (an ONNX graph's, a file's) may not be UTF-8: its invalid bytes are
    // written as U+FFFD rather than failing the save (nlohmann's default throws).
    return modelToJson(g).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

void saveModelFile(const ModelGraph& g, const std::string& path)
{
    writeFileAtomic(path, serializeModel(g));
}

} // namespace netcanvas
