// The project file (engine/io/ProjectFile): model, dataset reference, settings, runs.
#include "fuzz/FuzzTarget.h"

#include "engine/io/ProjectFile.h"

NETCANVAS_FUZZ_TARGET(project)
{
    const std::string path = netcanvas::fuzz::scratchFile("fuzz.ncproj", input);
    const netcanvas::ProjectData project = netcanvas::loadProjectFile(path);
    project.graph.analyze();
}
