// Weights files (engine/io/Safetensors): the header, the tensors, the metadata, then loading
// into a network (names, shapes, finiteness, normalization) as eval and predict do.
#include "fuzz/FuzzTarget.h"

#include "engine/backend/Backend.h"
#include "engine/graph/ModelJson.h"
#include "engine/io/Safetensors.h"
#include "engine/train/Network.h"

NETCANVAS_FUZZ_TARGET(safetensors)
{
    const std::string path = netcanvas::fuzz::scratchFile("fuzz.safetensors", input);
    const netcanvas::TensorFile file = netcanvas::loadSafetensors(path);
    static const netcanvas::ModelGraph graph = netcanvas::parseModelJson(
        R"({"nodes":[{"id":"in","type":"Input","params":{"channels":1,"height":2,"width":2}},
        {"id":"flat","type":"Flatten","inputs":["in"]},
        {"id":"fc","type":"Dense","inputs":["flat"],"params":{"units":2}}]})",
        "fuzz-model");
    static const auto cpu = netcanvas::createCpuBackend(1);
    netcanvas::Network net(graph, *cpu);
    netcanvas::loadWeights(path, net);
    if (auto model = file.metadata.find("netcanvas.model"); model != file.metadata.end())
        netcanvas::parseModelJson(model->second, path + ": netcanvas.model").analyze();
}
