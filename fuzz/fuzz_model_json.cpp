// The model JSON reader (engine/graph/ModelJson), then what the canvas does with a model read:
// analysis (shapes, counts, limits) and writing it back.
#include "fuzz/FuzzTarget.h"

#include "engine/graph/ModelJson.h"

NETCANVAS_FUZZ_TARGET(model_json)
{
    const netcanvas::ModelGraph g = netcanvas::parseModelJson(std::string(input), "fuzz.json");
    g.analyze();
    netcanvas::parseModelJson(netcanvas::serializeModel(g), "fuzz-rewritten.json");
}
