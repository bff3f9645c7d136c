#include "TrainedModel.h"
#include "Devices.h"

#include "engine/core/Error.h"
#include "engine/graph/ModelJson.h"

namespace netcanvas::cli {

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

LoadedModel loadTrained(const std::string& modelPath, const std::string& weightsPath, int threads,
    const std::string& device, Precision precision)
{
    LoadedModel m;
    m.graph = graphForWeights(modelPath, weightsPath);
    m.backend = backendForDevice(device, threads, precision);
    m.network = std::make_unique<Network>(m.graph, *m.backend, 1);
    m.meta = loadWeights(weightsPath, *m.network);
    return m;
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

} // namespace netcanvas::cli
