#pragma once
// netcanvas-cli experiment (docs/teaching.md): one variable, several values, one run per value
// through the engine's ExperimentRunner; the ranking as a table on stdout, experiment.json and
// per-variant run folders in --out, and optionally the HTML report.
#include <optional>
#include <string>

namespace CLI {
class App;
}

namespace netcanvas::cli {

struct ExperimentCliOptions {
    std::string spec; // a lesson/spec file, a lesson's name, or VARIABLE=V1,V2
    std::string model; // overrides the lesson's model
    std::string data; // overrides the lesson's dataset
    std::string out;
    std::string report; // HTML report path
    std::optional<int> epochs;
    std::optional<int64_t> samplesPerClass;
    std::optional<uint64_t> seed;
    std::optional<int> parallel;
    int threads = 0; // cores for all the runs together (0: all)
    bool json = false;
    bool quiet = false;
};

CLI::App* addExperimentCommand(CLI::App& app, ExperimentCliOptions& o);
int runExperiment(const ExperimentCliOptions& o);

// The lesson file for `spec`: an existing file, else <dir>/<spec>.json in the shipped lesson
// folders (resources/lessons of the source tree, then the installed share folder); empty when
// none.
std::string findLessonFile(const std::string& spec);

} // namespace netcanvas::cli
