#pragma once
// netcanvas-cli's inspection commands over engine/inspect: `featuremaps` (PNG grids of a
// layer's channels), `explain` (top classes and a Grad-CAM overlay), and eval's
// --metrics-out file. Errors are thrown as netcanvas::Error naming the file or layer at
// fault; main() prints them as one line.
#include "engine/inspect/Inspect.h"

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace netcanvas::cli {

struct FeatureMapsOptions {
    std::string model; // optional: the weights carry their model; or a project (.ncproj): its weights
    std::string weights;
    std::string layer;
    std::string image;
    std::string out; // folder, created when missing
    std::string scale = "channel"; // channel: each channel over its own min..max; shared: one range
    int threads = 0;
};

struct ExplainOptions {
    std::string model; // optional: the weights carry their model; or a project (.ncproj): its weights
    std::string weights;
    std::string image;
    std::string cls; // class index or name; empty: the most probable class
    std::string layer; // empty: the last convolution
    std::string out; // the Grad-CAM overlay (.png)
    std::string saliencyOut; // optional: the saliency overlay (.png)
    int top = 3;
    int threads = 0;
};

struct RnnGatesOptions {
    std::string model; // optional: the weights carry their model; or a project (.ncproj)
    std::string weights;
    std::string sample; // CSV: one time step per line, its features comma separated (ids for an Embedding)
    std::string layer; // empty: the first recurrent node
    std::string cls; // class index or name; empty: the predicted class
    int direction = 0; // 1: the backward direction of a bidirectional layer
    std::string out; // folder, created when missing
    int threads = 0;
};

// Runs the sample, back-propagates the class score and writes, per series (h, and the gates
// i f g o c / r z n), <out>/<layer>_<series>.png — a heat map, units down × time across,
// viridis — plus <out>/<layer>_states.csv (series, step, one column per unit) and
// <out>/<layer>_gradnorm.csv (step, ‖d score / d h_t‖); prints the gradient norms.
int runRnnGates(const RnnGatesOptions& o);

// Writes <out>/<layer>.png (the channels, viridis, a 1-px gap between them) and
// <out>/input.png, and prints each channel's min/max/mean.
int runFeatureMaps(const FeatureMapsOptions& o);
// Prints the top classes of the image and writes the Grad-CAM overlay: jet over the image,
// enlarged by a whole factor so that its longer side is at least 224 px.
int runExplain(const ExplainOptions& o);

// eval --metrics-out: throws IoError naming the path unless it ends in .json or .csv (empty: fine).
void checkMetricsPath(const std::string& path);
// Writes eval's metrics atomically: `metrics` as JSON for *.json; for *.csv one table —
// a row per class (precision, recall, f1, support, then its confusion-matrix row as counts
// per predicted class), then "accuracy" and "top-k accuracy" rows with the value in the f1
// column and the sample count as support (the layout of scikit-learn's report).
void writeMetricsFile(const std::string& path, const nlohmann::json& metrics, const inspect::Evaluation& evaluation,
    const std::vector<std::string>& classNames);

} // namespace netcanvas::cli
