#include "engine/session/TrainedModel.h"

#include "engine/core/Error.h"
#include "engine/graph/ModelJson.h"
#include "engine/io/ProjectFile.h"

#include <algorithm>
#include <filesystem>

namespace netcanvas {

TrainedFiles resolveTrainedFiles(const std::string& modelOrProject, const std::string& weights)
{
    if (!isProjectPath(modelOrProject)) {
        if (weights.empty())
            throw FormatError("no weights: give --weights FILE, or a project (.ncproj) with saved weights");
        return { modelOrProject, weights };
    }
    if (!weights.empty())
        return { {}, weights };
    const ProjectData project = loadProjectFile(modelOrProject);
    if (project.weightsPath.empty())
        throw FormatError(modelOrProject + ": the project has no saved weights (train it and save the project)");
    std::error_code ec;
    if (!std::filesystem::exists(project.weightsPath, ec))
        throw IoError(modelOrProject + ": its weights file " + project.weightsPath + " is missing");
    return { {}, project.weightsPath };
}

TrainedFiles resolveRunOrWeights(const std::string& path, const std::string& model)
{
    namespace fs = std::filesystem;
    std::error_code ec;
    TrainedFiles files;
    if (fs::is_directory(path, ec)) {
        const fs::path weights = fs::path(path) / "weights.safetensors";
        if (!fs::is_regular_file(weights, ec))
            throw IoError(path + ": a run folder holds weights.safetensors, and this one has none");
        const fs::path runModel = fs::path(path) / "model.json";
        files = { fs::is_regular_file(runModel, ec) ? runModel.string() : std::string(), weights.string() };
    } else if (!fs::exists(path, ec)) {
        throw IoError(path + ": no such run folder, project or weights file");
    } else if (isProjectPath(path)) {
        files = resolveTrainedFiles(path, {});
    } else {
        files = { {}, path };
    }
    if (!model.empty())
        files.model = model;
    return files;
}

ModelGraph graphForWeights(const std::string& modelPath, const std::string& weightsPath)
{
    if (!modelPath.empty())
        return loadModelFile(modelPath);
    const TensorFile tf = loadSafetensors(weightsPath);
    const auto it = tf.metadata.find("netcanvas.model");
    if (it == tf.metadata.end())
        throw FormatError(weightsPath + ": the weights carry no model; give the model JSON too");
    return parseModelJson(it->second, weightsPath + " (embedded model)");
}

std::string LoadedModel::className(int cls) const
{
    return cls >= 0 && cls < static_cast<int>(meta.classNames.size()) ? meta.classNames[static_cast<size_t>(cls)]
                                                                      : std::to_string(cls);
}

LoadedModel loadTrained(const TrainedFiles& files, std::unique_ptr<Backend> backend)
{
    LoadedModel m;
    m.graph = graphForWeights(files.model, files.weights);
    m.backend = std::move(backend);
    m.network = std::make_unique<Network>(m.graph, *m.backend, 1);
    m.meta = loadWeights(files.weights, *m.network);
    return m;
}

WeightsMeta weightsMetaFor(const ModelGraph& graph, const TrainConfig& config,
    const std::vector<std::string>& classNames, const Normalization& normalization)
{
    WeightsMeta meta;
    meta.classNames = classNames;
    meta.mean = normalization.mean;
    meta.stddev = normalization.stddev;
    ModelGraph withRecipe = graph;
    withRecipe.training = trainConfigToJson(config);
    meta.modelJson = serializeModel(withRecipe);
    return meta;
}

Normalization normalizationOf(const WeightsMeta& meta)
{
    Normalization n;
    n.mean = meta.mean;
    n.stddev = meta.stddev;
    return n;
}

DatasetOptions datasetOptionsFor(const GraphAnalysis& a, const std::string& resize)
{
    DatasetOptions o;
    const Shape& s = a.inputShape;
    if (s.rank() != 3)
        throw GraphError("the Input node must give C\u00d7H\u00d7W, not " + s.toString());
    o.channels = static_cast<int>(s[0]);
    o.height = static_cast<int>(s[1]);
    o.width = static_cast<int>(s[2]);
    o.resize = resizePolicyFromString(resize);
    return o;
}

void fitSequenceOptions(
    const ModelGraph& graph, const GraphAnalysis& a, DatasetOptions& o, const SequenceOverrides& given)
{
    const Shape& s = a.inputShape;
    if (o.task == "series" && s.rank() == 3) {
        if (!given.window)
            o.window = static_cast<int>(s[1]);
        if (!given.horizon)
            o.horizon = static_cast<int>(std::max<int64_t>(1, a.outputShape.numel()));
    }
    if (o.task == "text" && s.rank() == 3) {
        if (!given.length)
            o.sequenceLength = static_cast<int>(s[2]);
        if (!given.vocabulary)
            for (const GraphNode& n : graph.nodes())
                if (n.type == "Embedding" && n.params.contains("vocab") && n.params["vocab"].is_number_integer()) {
                    o.maxVocabulary = n.params["vocab"].get<int>();
                    break;
                }
    }
}

void checkOutputMatchesClasses(const GraphAnalysis& a, const Dataset& d)
{
    const int64_t units = a.outputShape.numel();
    if (d.isRegression()) {
        if (units != d.targetSize())
            throw ShapeError("the model's output node '" + a.outputNode + "' gives " + a.outputShape.toString()
                + " values per sample, but the dataset's targets are " + d.targetShape.toString()
                + ": set its units to " + std::to_string(d.targetSize()));
        return;
    }
    if (units != d.numClasses())
        throw ShapeError("the model's output node '" + a.outputNode + "' gives " + a.outputShape.toString()
            + " values per sample, but the dataset has " + std::to_string(d.numClasses())
            + " classes: set its units to " + std::to_string(d.numClasses()));
}

} // namespace netcanvas
