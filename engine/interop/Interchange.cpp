#include "engine/interop/Interchange.h"

#include "engine/backend/Backend.h"
#include "engine/core/Error.h"
#include "engine/graph/ModelJson.h"
#include "engine/io/ProjectFile.h"
#include "engine/io/Safetensors.h"
#include "engine/train/Network.h"

#include <filesystem>

namespace netcanvas {

namespace fs = std::filesystem;

std::shared_ptr<ModelWeights> loadModelWeights(const TrainedFiles& files)
{
    LoadedModel m = loadTrained(files, createCpuBackend(1));
    return ModelWeights::capture(m.graph, *m.network, normalizationOf(m.meta), m.meta.classNames);
}

void saveWeightsFile(const ModelWeights& model, const std::string& path)
{
    auto backend = createCpuBackend(1);
    Network net(model.graph, *backend);
    if (!model.loadInto(net))
        throw FormatError("the weights do not fit the model: " + model.mismatch(net));
    WeightsMeta meta;
    meta.classNames = model.classNames;
    meta.mean = model.normalization.mean;
    meta.stddev = model.normalization.stddev;
    meta.modelJson = serializeModel(model.graph);
    saveWeights(path, net, meta);
}

void saveAsProject(const ModelWeights& model, const std::string& projectPath)
{
    ProjectData project;
    project.graph = model.graph;
    project.weightsPath = weightsPathFor(projectPath);
    saveWeightsFile(model, project.weightsPath);
    saveProjectFile(projectPath, project);
}

std::string weightsPathBeside(const std::string& modelPath)
{
    fs::path p(modelPath);
    p.replace_extension(".safetensors");
    if (p == fs::path(modelPath))
        p = fs::path(modelPath + ".safetensors");
    return p.string();
}

} // namespace netcanvas
