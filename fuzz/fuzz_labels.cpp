// The label sidecar (engine/labels/LabelFile, netcanvas-labels.json), then written back.
#include "fuzz/FuzzTarget.h"

#include "engine/labels/LabelFile.h"

NETCANVAS_FUZZ_TARGET(labels)
{
    const netcanvas::LabelSnapshot s = netcanvas::parseLabelFile(std::string(input), "netcanvas-labels.json");
    netcanvas::parseLabelFile(netcanvas::formatLabelFile(s), "rewritten.json");
}
