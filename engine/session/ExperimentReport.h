#pragma once
// An experiment's result for people and programs: the ranking as JSON (`experiment.json`) and
// as a fixed-width table (the CLI's stdout), and a self-contained HTML report — the model's
// picture, the overlaid curves, the ranking table, the best variant's confusion matrix and
// feature maps; pictures are inline SVG or base64 PNG, so the one file can be mailed or put
// on a course page. Qt-free: the CLI writes it, and the app adds its own canvas picture.
#include "engine/data/Dataset.h"
#include "engine/session/ExperimentRunner.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace netcanvas {

struct ReportImage {
    std::string title;
    std::vector<uint8_t> png; // encoded PNG bytes
};

struct ExperimentReport {
    std::string title; // the lesson's, or "activation: ReLU, Tanh"
    std::string text; // the lesson's short text (may be empty)
    std::string lookAt; // what to look at (may be empty)
    std::string variable; // the variation's name
    std::string controlled; // controlledFor(variants)
    std::string dataset; // what it trained on, as shown to people
    ModelGraph graph; // the base model
    std::vector<std::string> classNames;
    ParallelPlan plan;
    std::vector<VariantOutcome> outcomes;
    // Pictures the caller adds (the app's canvas; feature maps). When none is titled "Model",
    // the HTML draws the base model itself as SVG.
    std::vector<ReportImage> images;
};

// experiment.json: {title, variable, controlled, dataset, parallel, threads_each, ranking:
// [{rank, label, value, state, message, epochs, best_validation_accuracy, best_validation_loss,
// best_epoch, final_train_accuracy, final_validation_accuracy, gap, overfitting, seconds,
// samples_per_second, parameters, test_accuracy?, layers: [...], history: [...]}]}. Numbers
// that are not finite are written as null.
nlohmann::json experimentJson(const ExperimentReport& report);
// The ranking as a text table, one row per variant in rank order, plus the controlled line.
std::string rankingText(const ExperimentReport& report);
// The whole report as one HTML document.
std::string experimentHtml(const ExperimentReport& report);

// Base64 (RFC 4648, with padding).
std::string base64(const std::vector<uint8_t>& bytes);
// The feature maps of the first node with spatial maps (else the first hidden Dense) of these
// weights for one sample, as a PNG grid of viridis tiles; empty when the model has none.
ReportImage featureMapPicture(const ModelWeights& weights, const Dataset& data, int64_t sample);

} // namespace netcanvas
