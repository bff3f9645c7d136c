// ONNX import (engine/interop/OnnxImport): the protobuf, the graph's ops, shapes and
// initializers, then what the canvas does with an imported model: analysis and writing its
// JSON back.
#include "fuzz/FuzzTarget.h"

#include "engine/graph/ModelJson.h"
#include "engine/interop/OnnxImport.h"
#include "engine/session/ModelWeights.h"

NETCANVAS_FUZZ_TARGET(onnx)
{
    const auto model = netcanvas::importOnnxBytes(std::string(input), "fuzz.onnx");
    model->graph.analyze();
    netcanvas::parseModelJson(netcanvas::serializeModel(model->graph), "fuzz-onnx.json");
}
