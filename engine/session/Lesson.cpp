#include "engine/session/Lesson.h"

#include "engine/core/Error.h"
#include "engine/graph/ModelJson.h"
#include "engine/io/AtomicFile.h"
#include "engine/session/TrainedModel.h"

#include <algorithm>
#include <filesystem>

namespace netcanvas {

namespace fs = std::filesystem;

namespace {

std::string stringKey(const nlohmann::json& j, const char* key, const std::string& path)
{
    if (!j.contains(key))
        return {};
    if (!j[key].is_string())
        throw FormatError(path + ": " + key + ": must be a string");
    return j[key].get<std::string>();
}

std::string resolve(const std::string& p, const std::string& lessonPath)
{
    if (p.empty() || fs::path(p).is_absolute())
        return p;
    const fs::path dir = fs::path(lessonPath).parent_path();
    return (dir / p).lexically_normal().string();
}

} // namespace

Lesson parseLesson(const nlohmann::json& j, const std::string& path)
{
    if (!j.is_object())
        throw FormatError(path + ": a lesson is a JSON object");
    static const char* known[] = { "format", "version", "title", "text", "look_at", "model", "dataset",
        "samples_per_class", "training", "variable", "values", "parallel" };
    for (const auto& [key, value] : j.items())
        if (std::find_if(std::begin(known), std::end(known), [&](const char* k) { return key == k; })
            == std::end(known))
            throw FormatError(path + ": unknown key '" + key + "'");
    if (j.contains("format") && j["format"] != "netcanvas-lesson")
        throw FormatError(path + ": format: must be \"netcanvas-lesson\"");
    if (j.contains("version") && j["version"] != 1)
        throw FormatError(path + ": version: this NetCanvas reads lessons of version 1");
    Lesson l;
    l.path = path;
    l.id = fs::path(path).stem().string();
    l.title = stringKey(j, "title", path);
    l.text = stringKey(j, "text", path);
    l.lookAt = stringKey(j, "look_at", path);
    if (l.title.empty())
        l.title = l.id;
    if (j.contains("model")) {
        const nlohmann::json& m = j["model"];
        if (m.is_string())
            l.graph = loadModelFile(resolve(m.get<std::string>(), path));
        else if (m.is_object())
            l.graph = modelFromJson(m, path + ": model");
        else
            throw FormatError(path + ": model: must be a model object or the path of a model file");
        l.hasModel = true;
    }
    l.dataset = resolve(stringKey(j, "dataset", path), path);
    if (j.contains("samples_per_class")) {
        if (!j["samples_per_class"].is_number_integer() || j["samples_per_class"].get<int64_t>() < 0)
            throw FormatError(path + ": samples_per_class: must be a whole number >= 0");
        l.samplesPerClass = j["samples_per_class"].get<int64_t>();
    }
    nlohmann::json recipe = l.graph.training.is_object() ? l.graph.training : nlohmann::json::object();
    if (j.contains("training")) {
        if (!j["training"].is_object())
            throw FormatError(path + ": training: must be an object (docs/model-format.md)");
        recipe.update(j["training"]);
    }
    try {
        l.config = trainConfigFromJson(recipe);
    } catch (const Error& e) {
        throw FormatError(path + ": " + e.what());
    }
    if (l.hasModel)
        l.graph.training = recipe;
    if (!j.contains("variable") || !j["variable"].is_string())
        throw FormatError(path + ": variable: required, the name of what varies (activation, learning_rate, ...)");
    try {
        l.variation.kind = variationKindFromName(j["variable"].get<std::string>());
    } catch (const Error& e) {
        throw FormatError(path + ": variable: " + e.what());
    }
    if (!j.contains("values") || !j["values"].is_array() || j["values"].empty())
        throw FormatError(path + ": values: must be a non-empty array of strings or numbers");
    for (const auto& v : j["values"]) {
        if (v.is_string())
            l.variation.values.push_back(v.get<std::string>());
        else if (v.is_number())
            l.variation.values.push_back(v.dump());
        else
            throw FormatError(path + ": values: must be a non-empty array of strings or numbers");
    }
    if (j.contains("parallel")) {
        if (!j["parallel"].is_number_integer() || j["parallel"].get<int>() < 1 || j["parallel"].get<int>() > 64)
            throw FormatError(path + ": parallel: must be a whole number in [1, 64]");
        l.parallel = j["parallel"].get<int>();
    }
    return l;
}

Lesson loadLesson(const std::string& path)
{
    const std::string text = readFile(path);
    return parseLesson(parseJsonText(text, path), path);
}

std::vector<std::string> lessonFiles(const std::string& dir)
{
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec))
        if (e.is_regular_file() && e.path().extension() == ".json")
            out.push_back(e.path().string());
    std::sort(out.begin(), out.end());
    return out;
}

Lesson inlineExperiment(const std::string& spec)
{
    const auto eq = spec.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size())
        throw FormatError("experiment '" + spec
            + "': not a lesson file and not an inline spec VARIABLE=V1,V2 (e.g. activation=ReLU,Tanh)");
    Lesson l;
    l.variation.kind = variationKindFromName(spec.substr(0, eq));
    std::string rest = spec.substr(eq + 1);
    size_t start = 0;
    while (start <= rest.size()) {
        const size_t comma = rest.find(',', start);
        const std::string v = rest.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        if (v.empty())
            throw FormatError("experiment '" + spec + "': an empty value");
        l.variation.values.push_back(v);
        if (comma == std::string::npos)
            break;
        start = comma + 1;
    }
    l.title = spec;
    l.id = "experiment";
    return l;
}

Dataset subsetPerClass(const Dataset& data, int64_t perClass)
{
    if (perClass <= 0)
        return data;
    Dataset out;
    out.channels = data.channels;
    out.height = data.height;
    out.width = data.width;
    out.classNames = data.classNames;
    out.format = data.format;
    out.root = data.root;
    out.skipped = data.skipped;
    std::vector<int64_t> taken(data.classNames.size(), 0);
    const int64_t stride = data.sampleSize();
    for (int64_t i = 0; i < data.size(); ++i) {
        const int32_t c = data.labels[static_cast<size_t>(i)];
        if (taken[static_cast<size_t>(c)] >= perClass)
            continue;
        ++taken[static_cast<size_t>(c)];
        out.labels.push_back(c);
        out.sources.push_back(data.sources[static_cast<size_t>(i)]);
        if (!data.pixels.empty())
            out.pixels.insert(
                out.pixels.end(), data.pixels.begin() + i * stride, data.pixels.begin() + (i + 1) * stride);
        else
            out.features.insert(
                out.features.end(), data.features.begin() + i * stride, data.features.begin() + (i + 1) * stride);
    }
    return out;
}

std::shared_ptr<const Dataset> openExperimentData(const std::string& path, const ModelGraph& graph,
    int64_t samplesPerClass, std::function<bool(int64_t, int64_t)> progress)
{
    if (path.empty())
        throw DataError("experiment: no dataset (a lesson's \"dataset\", or --data)");
    DatasetOptions options = datasetOptionsFor(graph.validate(), "stretch");
    options.progress = std::move(progress);
    Dataset data = openDataset(path, options);
    if (samplesPerClass > 0)
        data = subsetPerClass(data, samplesPerClass);
    return std::make_shared<const Dataset>(std::move(data));
}

} // namespace netcanvas
