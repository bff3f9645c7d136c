#pragma once
// A lesson (resources/lessons/*.json, docs/teaching.md): an experiment ready to show a class —
// the model, the dataset, the training recipe, the variable and its values, what to look at
// and a short text. The same file format, with only the variable and values required, is the
// experiment spec of `netcanvas-cli experiment`.
//
//   { "format": "netcanvas-lesson", "version": 1, "title": "...", "text": "...",
//     "look_at": "...", "model": { model JSON } | "path/to/model.json",
//     "dataset": "../sample-fashion", "samples_per_class": 300,
//     "training": { recipe, docs/model-format.md }, "variable": "activation",
//     "values": ["Sigmoid", "ReLU"], "parallel": 2 }
//
// Relative paths are relative to the lesson file's folder. Errors: FormatError naming the file
// and the key ("lessons/x.json: values: must be a non-empty array of strings").
#include "engine/data/Dataset.h"
#include "engine/graph/ModelGraph.h"
#include "engine/session/Experiment.h"
#include "engine/train/TrainConfig.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace netcanvas {

struct Lesson {
    std::string path; // the file it was read from
    std::string id; // the file name without .json: "01-saturation"
    std::string title, text, lookAt;
    bool hasModel = false;
    ModelGraph graph; // with the lesson's recipe as graph.training when hasModel
    std::string dataset; // resolved path; empty when the lesson names none
    int64_t samplesPerClass = 0; // 0: every sample
    TrainConfig config; // the recipe over the model's own (when it has one)
    Variation variation;
    int parallel = 1; // runs at once, when the cores allow
};

Lesson parseLesson(const nlohmann::json& j, const std::string& path);
Lesson loadLesson(const std::string& path);
// The *.json files of a folder, sorted by name (lessons are numbered for their order).
std::vector<std::string> lessonFiles(const std::string& dir);
// "variable=v1,v2,…" (the CLI's inline spec): a Lesson with only the variation set.
Lesson inlineExperiment(const std::string& spec);

// The first `perClass` samples of each class (the official test split is dropped: the subset is
// split by the recipe's fractions). perClass <= 0 returns a copy of `data`.
Dataset subsetPerClass(const Dataset& data, int64_t perClass);

// The dataset of an experiment on `graph`: `path` opened with the graph's input geometry
// (datasetOptionsFor), cut to samplesPerClass. `progress` as DatasetOptions::progress.
std::shared_ptr<const Dataset> openExperimentData(const std::string& path, const ModelGraph& graph,
    int64_t samplesPerClass, std::function<bool(int64_t, int64_t)> progress = {});

} // namespace netcanvas
