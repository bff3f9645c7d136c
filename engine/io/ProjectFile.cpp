#include "engine/io/ProjectFile.h"

#include "engine/backend/DeviceManager.h"
#include "engine/core/Error.h"
#include "engine/graph/ModelJson.h"
#include "engine/io/AtomicFile.h"
#include "engine/io/RunJson.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <set>

namespace netcanvas {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

[[noreturn]] void fail(const std::string& source, const std::string& what)
{
    throw FormatError(source + ": " + what);
}

// Relative to `dir` when `path` lies inside it, else absolute; generic '/' separators.
std::string storePath(const std::string& path, const std::string& dir)
{
    if (path.empty())
        return {};
    std::error_code ec;
    const fs::path abs = fs::weakly_canonical(fs::absolute(path, ec), ec);
    if (!dir.empty()) {
        const fs::path base = fs::weakly_canonical(fs::absolute(dir, ec), ec);
        const fs::path rel = abs.lexically_relative(base);
        if (!rel.empty() && *rel.begin() != "..")
            return rel.generic_string();
    }
    return abs.generic_string();
}

std::string resolvePath(const std::string& stored, const std::string& dir)
{
    if (stored.empty())
        return {};
    fs::path p(stored);
    if (p.is_relative() && !dir.empty())
        p = fs::path(dir) / p;
    std::string out = p.lexically_normal().string();
    if (out.size() > 1 && out.back() == '/')
        out.pop_back(); // "dir/." normalizes to "dir/"
    return out;
}

std::string stringAt(const json& obj, const char* key, const std::string& where)
{
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null())
        return {};
    if (!it->is_string())
        fail(where, std::string(key) + ": expected a string");
    return it->get<std::string>();
}

} // namespace

bool isProjectPath(const std::string& path)
{
    std::string ext = fs::path(path).extension().string();
    std::transform(
        ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return ext == ".ncproj";
}

std::string weightsPathFor(const std::string& projectPath)
{
    const fs::path p(projectPath);
    return (p.parent_path() / (p.stem().string() + ".weights.safetensors")).string();
}

json projectToJson(const ProjectData& d, const std::string& dir)
{
    json j;
    j["format"] = "netcanvas-project";
    j["version"] = kProjectFormatVersion;
    j["model"] = modelToJson(d.graph);
    j["dataset"] = { { "path", storePath(d.datasetPath, dir) } };
    if (!d.labelFolder.empty())
        j["labeling"] = { { "folder", storePath(d.labelFolder, dir) } };
    if (d.training)
        j["training"] = trainConfigToJson(*d.training);
    j["settings"] = { { "threads", d.threads }, { "device", d.device }, { "precision", precisionName(d.precision) } };
    if (!d.weightsPath.empty())
        j["weights"] = { { "file", storePath(d.weightsPath, dir) }, { "run", d.weightsRun } };
    json runs = json::array();
    for (const auto& r : d.runs)
        runs.push_back(runToJson(r));
    j["runs"] = std::move(runs);
    if (!d.recoveryOf.empty() || !d.recoverySavedAt.empty())
        j["recovery"] = { { "original_path", d.recoveryOf }, { "saved_at", d.recoverySavedAt } };
    return j;
}

ProjectData projectFromJson(const json& j, const std::string& source, const std::string& dir)
{
    if (!j.is_object())
        fail(source, "expected a JSON object");
    const std::string format = stringAt(j, "format", source);
    if (format != "netcanvas-project")
        fail(source, "not a NetCanvas project (format is \"" + format + "\", expected \"netcanvas-project\")");
    readFormatVersion(j, kProjectFormatVersion, source, "project format");
    ProjectData d;
    auto model = j.find("model");
    if (model == j.end())
        fail(source, "model: missing");
    d.graph = modelFromJson(*model, source + ": model");

    if (auto ds = j.find("dataset"); ds != j.end()) {
        if (!ds->is_object())
            fail(source, "dataset: expected an object");
        d.datasetPath = resolvePath(stringAt(*ds, "path", source + ": dataset"), dir);
    }
    if (auto lb = j.find("labeling"); lb != j.end()) {
        if (!lb->is_object())
            fail(source, "labeling: expected an object");
        d.labelFolder = resolvePath(stringAt(*lb, "folder", source + ": labeling"), dir);
    }
    if (auto t = j.find("training"); t != j.end()) {
        try {
            d.training = trainConfigFromJson(*t, TrainConfig {});
        } catch (const FormatError& e) {
            fail(source, e.what());
        }
    }
    if (auto s = j.find("settings"); s != j.end()) {
        if (!s->is_object())
            fail(source, "settings: expected an object");
        if (auto th = s->find("threads"); th != s->end()) {
            if (!th->is_number_integer() || th->get<int>() < 0)
                fail(source, "settings.threads: expected an integer >= 0");
            d.threads = th->get<int>();
        }
        if (auto dev = s->find("device"); dev != s->end()) { // absent before the GPU backend: "auto"
            if (!dev->is_string())
                fail(source, "settings.device: expected a string (auto, cpu, cuda or cuda:N)");
            try {
                parseDeviceSpec(dev->get<std::string>());
            } catch (const FormatError& e) {
                fail(source, std::string("settings.device: ") + e.what());
            }
            d.device = dev->get<std::string>();
        }
        // settings.precision replaced settings.tf32 (a boolean, written by older versions): a
        // project with "tf32": true and no precision opens with tf32. Neither: fp32.
        if (auto tf = s->find("tf32"); tf != s->end()) {
            if (!tf->is_boolean())
                fail(source, "settings.tf32: expected true or false");
            d.precision = tf->get<bool>() ? Precision::Tf32 : Precision::Fp32;
        }
        if (auto p = s->find("precision"); p != s->end()) {
            if (!p->is_string())
                fail(source, "settings.precision: expected a string (fp32, tf32 or fp16)");
            try {
                d.precision = parsePrecision(p->get<std::string>(), "settings.precision");
            } catch (const FormatError& e) {
                fail(source, e.what());
            }
        }
    }
    if (auto w = j.find("weights"); w != j.end()) {
        if (!w->is_object())
            fail(source, "weights: expected an object");
        d.weightsPath = resolvePath(stringAt(*w, "file", source + ": weights"), dir);
        if (auto run = w->find("run"); run != w->end() && run->is_number_integer())
            d.weightsRun = run->get<int>();
    }
    if (auto runs = j.find("runs"); runs != j.end()) {
        if (!runs->is_array())
            fail(source, "runs: expected an array");
        std::set<int> ids;
        for (size_t i = 0; i < runs->size(); ++i) {
            const std::string where = source + ": runs[" + std::to_string(i) + "]";
            RunRecord r = runFromJson((*runs)[i], where);
            if (!ids.insert(r.id).second)
                fail(where, "id " + std::to_string(r.id) + " appears twice");
            d.runs.push_back(std::move(r));
        }
    }
    if (auto rec = j.find("recovery"); rec != j.end() && rec->is_object()) {
        d.recoveryOf = stringAt(*rec, "original_path", source + ": recovery");
        d.recoverySavedAt = stringAt(*rec, "saved_at", source + ": recovery");
    }
    return d;
}

void saveProjectFile(const std::string& path, const ProjectData& project)
{
    const std::string dir = fs::absolute(fs::path(path)).parent_path().string();
    writeFileAtomic(path, projectToJson(project, dir).dump(1) + "\n");
}

ProjectData loadProjectFile(const std::string& path)
{
    const std::string dir = fs::absolute(fs::path(path)).parent_path().string();
    return projectFromJson(parseJsonText(readFile(path), path), path, dir);
}

} // namespace netcanvas
