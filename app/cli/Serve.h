#pragma once
// `netcanvas-cli serve`: a trained model behind HTTP (engine/serve/InferenceServer,
// docs/serving.md). SIGHUP reloads the weights; SIGTERM and SIGINT stop gracefully.
#include "engine/serve/InferenceServer.h"

#include <string>

namespace netcanvas::cli {

struct ServeCliOptions {
    std::string model; // run folder, project or weights file
    std::string modelJson; // optional: the model JSON instead of the one the weights carry
    std::string tokenFile;
    int threads = 0;
    double maxBodyMb = 16.0;
    serve::ServeOptions serve;
};

int runServe(ServeCliOptions o);

} // namespace netcanvas::cli
