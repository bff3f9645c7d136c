#include "engine/session/RunResume.h"

#include "engine/core/Error.h"
#include "engine/graph/ModelJson.h"
#include "engine/io/Safetensors.h"

#include <filesystem>

namespace netcanvas {

namespace fs = std::filesystem;

ResumeInfo readResumeInfo(const std::string& path)
{
    std::error_code ec;
    fs::path file(path);
    if (fs::is_directory(file, ec)) {
        if (fs::exists(file / "checkpoints" / kResumeFile, ec))
            file = file / "checkpoints" / kResumeFile;
        else
            file = file / kResumeFile;
    }
    if (!fs::is_regular_file(file, ec))
        throw IoError(path + ": no resume checkpoint (looked for " + file.string()
            + "; a run writes it after its first epoch or when stopped)");
    ResumeInfo info;
    info.checkpoint = file.string();
    const TensorFile tf = loadSafetensors(info.checkpoint);
    auto meta = [&](const char* key) -> const std::string* {
        const auto it = tf.metadata.find(key);
        return it == tf.metadata.end() ? nullptr : &it->second;
    };
    const std::string* state = meta("netcanvas.resume");
    const std::string* model = meta("netcanvas.model");
    if (!state || !model)
        throw FormatError(
            info.checkpoint + ": not a resume checkpoint (no netcanvas.resume / netcanvas.model metadata)");
    info.graph = parseModelJson(*model, info.checkpoint + " (netcanvas.model)");
    info.recipe = trainConfigFromJson(info.graph.training);
    try {
        const nlohmann::json s = nlohmann::json::parse(*state);
        info.progress = progressFromJson(s.at("progress"));
        if (const std::string* run = meta("netcanvas.run"))
            info.run = nlohmann::json::parse(*run);
    } catch (const nlohmann::json::exception& e) {
        throw FormatError(info.checkpoint + ": netcanvas.resume: " + e.what());
    } catch (const FormatError& e) {
        throw FormatError(info.checkpoint + ": " + e.what());
    }
    return info;
}

} // namespace netcanvas
