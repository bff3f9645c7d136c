#include "engine/session/ExperimentReport.h"

#include "engine/backend/DeviceManager.h"
#include "engine/core/Error.h"
#include "engine/graph/GraphLayout.h"
#include "engine/inspect/Inspect.h"
#include "engine/session/ModelWeights.h"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace netcanvas {

namespace {

nlohmann::json num(double v)
{
    return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
}

std::string fmt(const char* f, double v)
{
    if (!std::isfinite(v))
        return "-";
    char buf[64];
    std::snprintf(buf, sizeof buf, f, v);
    return buf;
}

std::string esc(const std::string& s)
{
    std::string o;
    for (char c : s) {
        if (c == '<')
            o += "&lt;";
        else if (c == '>')
            o += "&gt;";
        else if (c == '&')
            o += "&amp;";
        else if (c == '"')
            o += "&quot;";
        else
            o += c;
    }
    return o;
}

// Distinct on white and for the common color-vision deficiencies (Okabe–Ito).
const char* kColors[] = { "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442" };
const char* color(size_t i)
{
    return kColors[i % (sizeof kColors / sizeof kColors[0])];
}

// One chart of a per-epoch quantity for every variant, as inline SVG.
std::string curveSvg(const ExperimentReport& r, const std::string& title, double EpochEvent::*field,
    double EpochEvent::*dashed, bool percent)
{
    const double w = 520, h = 300, left = 60, right = 16, top = 30, bottom = 40;
    double lo = 1e300, hi = -1e300;
    size_t epochs = 1;
    for (const VariantOutcome& o : r.outcomes) {
        epochs = std::max(epochs, o.history.size());
        for (const EpochEvent& e : o.history)
            for (double v : { e.*field, dashed ? e.*dashed : e.*field })
                if (std::isfinite(v)) {
                    lo = std::min(lo, v);
                    hi = std::max(hi, v);
                }
    }
    if (lo > hi) {
        lo = 0;
        hi = 1;
    }
    if (percent) {
        lo = std::max(0.0, std::floor(lo * 10) / 10);
        hi = std::min(1.0, std::ceil(hi * 10) / 10);
    } else {
        hi = std::min(hi, lo + 10 * std::max(1e-9, hi - lo)); // keep a diverged spike from flattening the rest
    }
    if (hi - lo < 1e-9)
        hi = lo + 1;
    auto x = [&](size_t e) { return left + (w - left - right) * (epochs <= 1 ? 0.5 : double(e) / double(epochs - 1)); };
    auto y = [&](double v) { return top + (h - top - bottom) * (1 - (std::clamp(v, lo, hi) - lo) / (hi - lo)); };
    std::ostringstream s;
    s << "<svg xmlns='http://www.w3.org/2000/svg' width='" << w << "' height='" << h
      << "' font-family='sans-serif' font-size='12'><rect width='100%' height='100%' fill='white'/>";
    s << "<text x='" << left << "' y='18' font-size='14' font-weight='bold'>" << esc(title) << "</text>";
    for (int t = 0; t <= 4; ++t) {
        const double v = lo + (hi - lo) * t / 4;
        s << "<line x1='" << left << "' x2='" << w - right << "' y1='" << y(v) << "' y2='" << y(v)
          << "' stroke='#ddd'/><text x='" << left - 6 << "' y='" << y(v) + 4 << "' text-anchor='end'>"
          << (percent ? fmt("%.0f%%", 100 * v) : fmt("%.3g", v)) << "</text>";
    }
    for (size_t e = 0; e < epochs; ++e)
        s << "<text x='" << x(e) << "' y='" << h - bottom + 16 << "' text-anchor='middle'>" << e + 1 << "</text>";
    s << "<text x='" << (left + w - right) / 2 << "' y='" << h - 6 << "' text-anchor='middle'>epoch</text>";
    for (size_t i = 0; i < r.outcomes.size(); ++i) {
        const auto& hist = r.outcomes[i].history;
        for (int pass = 0; pass < (dashed ? 2 : 1); ++pass) {
            std::string pts;
            for (size_t e = 0; e < hist.size(); ++e) {
                const double v = pass == 0 ? hist[e].*field : hist[e].*dashed;
                if (std::isfinite(v))
                    pts += fmt("%.1f", x(e)) + "," + fmt("%.1f", y(v)) + " ";
            }
            s << "<polyline fill='none' stroke='" << color(i) << "' stroke-width='" << (pass ? 1.5 : 2.5) << "'"
              << (pass ? " stroke-dasharray='5,4'" : "") << " points='" << pts << "'/>";
        }
    }
    s << "</svg>";
    return s.str();
}

// The base model drawn from its layered layout: a box per node, a line per edge.
std::string graphSvg(const ModelGraph& g)
{
    const auto layout = layeredLayout(g);
    int layers = 0, minSlot = 0, maxSlot = 0;
    for (const auto& [id, slot] : layout) {
        layers = std::max(layers, slot.layer + 1);
        minSlot = std::min(minSlot, static_cast<int>(std::floor(slot.slot)));
        maxSlot = std::max(maxSlot, static_cast<int>(std::ceil(slot.slot)));
    }
    const double bw = 150, bh = 40, gapY = 22, gapX = 30;
    const double width = (maxSlot - minSlot + 1) * (bw + gapX) + 20;
    const double height = layers * (bh + gapY) + 20;
    auto pos = [&](const std::string& id) {
        const LayoutSlot& s = layout.at(id);
        return std::pair<double, double> { 10 + (s.slot - minSlot) * (bw + gapX), 10 + s.layer * (bh + gapY) };
    };
    const GraphAnalysis a = g.analyze();
    std::ostringstream s;
    s << "<svg xmlns='http://www.w3.org/2000/svg' width='" << width << "' height='" << height
      << "' font-family='sans-serif' font-size='12'>";
    for (const GraphNode& n : g.nodes())
        for (const std::string& in : n.inputs)
            if (layout.count(in) && layout.count(n.id)) {
                auto [x1, y1] = pos(in);
                auto [x2, y2] = pos(n.id);
                s << "<line x1='" << x1 + bw / 2 << "' y1='" << y1 + bh << "' x2='" << x2 + bw / 2 << "' y2='" << y2
                  << "' stroke='#555' stroke-width='1.5'/>";
            }
    for (const GraphNode& n : g.nodes()) {
        if (!layout.count(n.id))
            continue;
        auto [x, y] = pos(n.id);
        const auto it = a.nodes.find(n.id);
        const std::string shape = it != a.nodes.end() && it->second.ok ? it->second.outputShape.toString() : "";
        s << "<rect x='" << x << "' y='" << y << "' width='" << bw << "' height='" << bh
          << "' rx='6' fill='#eef3fb' stroke='#2b5797'/><text x='" << x + bw / 2 << "' y='" << y + 16
          << "' text-anchor='middle' font-weight='bold'>" << esc(n.type) << "</text><text x='" << x + bw / 2 << "' y='"
          << y + 32 << "' text-anchor='middle' fill='#444'>" << esc(n.id + "  " + shape) << "</text>";
    }
    s << "</svg>";
    return s.str();
}

std::string confusionHtml(const ConfusionMatrix& m, const std::vector<std::string>& names)
{
    const int k = m.classes();
    int64_t peak = 1;
    for (int t = 0; t < k; ++t)
        for (int p = 0; p < k; ++p)
            peak = std::max(peak, m.at(t, p));
    std::ostringstream s;
    s << "<table class='cm'><tr><th>true \\ predicted</th>";
    for (int p = 0; p < k; ++p)
        s << "<th>" << esc(p < static_cast<int>(names.size()) ? names[static_cast<size_t>(p)] : std::to_string(p))
          << "</th>";
    s << "</tr>";
    for (int t = 0; t < k; ++t) {
        s << "<tr><th>" << esc(t < static_cast<int>(names.size()) ? names[static_cast<size_t>(t)] : std::to_string(t))
          << "</th>";
        for (int p = 0; p < k; ++p) {
            const double f = static_cast<double>(m.at(t, p)) / static_cast<double>(peak);
            const int shade = static_cast<int>(255 - 180 * f);
            const char* rgb = t == p ? "%d,%d,255" : "255,%d,%d";
            char bg[32];
            std::snprintf(bg, sizeof bg, rgb, shade, shade);
            s << "<td style='background:rgb(" << bg << ")'>" << m.at(t, p) << "</td>";
        }
        s << "</tr>";
    }
    s << "</table>";
    return s.str();
}

} // namespace

std::string base64(const std::vector<uint8_t>& in)
{
    static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((in.size() + 2) / 3 * 4);
    size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        const uint32_t v = (uint32_t(in[i]) << 16) | (uint32_t(in[i + 1]) << 8) | in[i + 2];
        out += t[v >> 18];
        out += t[(v >> 12) & 63];
        out += t[(v >> 6) & 63];
        out += t[v & 63];
    }
    if (i + 1 == in.size()) {
        const uint32_t v = uint32_t(in[i]) << 16;
        out += t[v >> 18];
        out += t[(v >> 12) & 63];
        out += "==";
    } else if (i + 2 == in.size()) {
        const uint32_t v = (uint32_t(in[i]) << 16) | (uint32_t(in[i + 1]) << 8);
        out += t[v >> 18];
        out += t[(v >> 12) & 63];
        out += t[(v >> 6) & 63];
        out += '=';
    }
    return out;
}

nlohmann::json experimentJson(const ExperimentReport& r)
{
    nlohmann::json j;
    j["format"] = "netcanvas-experiment";
    j["version"] = 1;
    j["title"] = r.title;
    j["variable"] = r.variable;
    j["controlled"] = r.controlled;
    j["dataset"] = r.dataset;
    j["parallel"] = r.plan.parallel;
    j["threads_each"] = r.plan.threadsEach;
    nlohmann::json ranking = nlohmann::json::array();
    int rank = 1;
    for (int i : rankOutcomes(r.outcomes)) {
        const VariantOutcome& o = r.outcomes[static_cast<size_t>(i)];
        nlohmann::json v { { "rank", rank++ }, { "variant", i + 1 }, { "label", o.label }, { "value", o.value },
            { "state", stateName(o.state) }, { "message", o.message }, { "epochs", o.epochs },
            { "best_validation_accuracy", num(o.bestValidationAccuracy) },
            { "best_validation_loss", num(o.bestValidationLoss) }, { "best_epoch", o.bestEpoch + 1 },
            { "final_train_accuracy", num(o.finalTrainAccuracy) },
            { "final_validation_accuracy", num(o.finalValidationAccuracy) }, { "gap", num(o.gap) },
            { "overfitting", o.overfitting }, { "seconds", num(o.seconds) },
            { "samples_per_second", num(o.samplesPerSecond) }, { "parameters", o.parameters } };
        if (o.tested) {
            v["test_accuracy"] = num(o.testAccuracy);
            v["test_loss"] = num(o.testLoss);
        }
        nlohmann::json layers = nlohmann::json::array();
        for (const LayerSummary& l : o.layers)
            layers.push_back({ { "node", l.node }, { "type", l.type },
                { "saturated_fraction", num(l.saturatedFraction) }, { "dead_fraction", num(l.deadFraction) },
                { "activation_std", num(l.activationStd) }, { "gradient_std", num(l.gradientStd) } });
        v["layers"] = layers;
        nlohmann::json hist = nlohmann::json::array();
        for (const EpochEvent& e : o.history)
            hist.push_back({ { "epoch", e.epoch + 1 }, { "train_loss", num(e.trainLoss) },
                { "train_accuracy", num(e.trainAccuracy) }, { "validation_loss", num(e.validationLoss) },
                { "validation_accuracy", num(e.validationAccuracy) } });
        v["history"] = hist;
        ranking.push_back(std::move(v));
    }
    j["ranking"] = ranking;
    return j;
}

std::string rankingText(const ExperimentReport& r)
{
    std::ostringstream s;
    char line[512];
    std::snprintf(line, sizeof line, "%-4s %-28s %-9s %9s %9s %9s %7s %8s %10s  %s\n", "rank", "variant", "state",
        "best val", "val loss", "train", "gap", "time", "params", "overfit");
    s << line;
    int rank = 1;
    for (int i : rankOutcomes(r.outcomes)) {
        const VariantOutcome& o = r.outcomes[static_cast<size_t>(i)];
        std::snprintf(line, sizeof line, "%-4d %-28s %-9s %9s %9s %9s %7s %7.1fs %10lld  %s\n", rank++,
            o.label.substr(0, 28).c_str(), stateName(o.state), fmt("%.2f%%", 100 * o.bestValidationAccuracy).c_str(),
            fmt("%.4f", o.bestValidationLoss).c_str(), fmt("%.2f%%", 100 * o.finalTrainAccuracy).c_str(),
            fmt("%+.2f", o.gap).c_str(), o.seconds, static_cast<long long>(o.parameters), o.overfitting ? "yes" : "no");
        s << line;
    }
    if (!r.controlled.empty())
        s << r.controlled << "\n";
    return s.str();
}

std::string experimentHtml(const ExperimentReport& r)
{
    std::ostringstream s;
    s << "<!DOCTYPE html><html><head><meta charset='utf-8'><title>" << esc(r.title)
      << "</title><style>body{font-family:sans-serif;max-width:1100px;margin:24px auto;color:#222}"
         "table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #bbb;padding:4px 8px;text-align:right}"
         "th{background:#f0f0f0}td.l{text-align:left}.cm td{min-width:28px;text-align:center}"
         ".swatch{display:inline-block;width:14px;height:14px;margin-right:6px;vertical-align:middle}"
         ".note{background:#f7f7e8;padding:8px 12px;border-left:4px solid "
         "#c9b400}figure{display:inline-block;margin:8px}"
         "</style></head><body>";
    s << "<h1>" << esc(r.title) << "</h1>";
    if (!r.text.empty())
        s << "<p>" << esc(r.text) << "</p>";
    if (!r.lookAt.empty())
        s << "<p class='note'><b>What to look at:</b> " << esc(r.lookAt) << "</p>";
    s << "<p>Variable: <b>" << esc(r.variable) << "</b>. " << esc(r.controlled);
    if (!r.dataset.empty())
        s << " Data: " << esc(r.dataset) << ".";
    s << " Runs: " << r.plan.parallel << " at a time, " << r.plan.threadsEach << " thread"
      << (r.plan.threadsEach == 1 ? "" : "s") << " each.</p>";

    s << "<h2>Ranking</h2><table><tr><th>rank</th><th>variant</th><th>state</th><th>best validation accuracy</th>"
         "<th>best validation loss</th><th>final train accuracy</th><th>train − validation</th><th>overfitting</th>"
         "<th>time</th><th>parameters</th><th>test accuracy</th></tr>";
    int rank = 1;
    for (int i : rankOutcomes(r.outcomes)) {
        const VariantOutcome& o = r.outcomes[static_cast<size_t>(i)];
        s << "<tr><td>" << rank++
          << "</td><td class='l'><span class='swatch' style='background:" << color(static_cast<size_t>(i))
          << "'></span>" << esc(o.label) << "</td><td class='l'>" << stateName(o.state)
          << (o.message.empty() ? "" : ": " + esc(o.message)) << "</td><td>"
          << fmt("%.2f%%", 100 * o.bestValidationAccuracy) << "</td><td>" << fmt("%.4f", o.bestValidationLoss)
          << "</td><td>" << fmt("%.2f%%", 100 * o.finalTrainAccuracy) << "</td><td>" << fmt("%+.1f pts", 100 * o.gap)
          << "</td><td>" << (o.overfitting ? "<b>yes</b>" : "no") << "</td><td>" << fmt("%.1f s", o.seconds)
          << "</td><td>" << o.parameters << "</td><td>"
          << (o.tested ? fmt("%.2f%%", 100 * o.testAccuracy) : std::string("-")) << "</td></tr>";
    }
    s << "</table>";

    s << "<h2>Curves</h2><p>Solid: validation; dashed: training.</p>";
    s << curveSvg(r, "Accuracy", &EpochEvent::validationAccuracy, &EpochEvent::trainAccuracy, true) << " ";
    s << curveSvg(r, "Loss", &EpochEvent::validationLoss, &EpochEvent::trainLoss, false);
    s << "<p>";
    for (size_t i = 0; i < r.outcomes.size(); ++i)
        s << "<span class='swatch' style='background:" << color(i) << "'></span>" << esc(r.outcomes[i].label)
          << "&nbsp;&nbsp; ";
    s << "</p>";

    bool anyLayers = false;
    for (const VariantOutcome& o : r.outcomes)
        anyLayers = anyLayers || !o.layers.empty();
    if (anyLayers) {
        s << "<h2>Layers after training</h2><p>On up to 256 validation samples: saturated fraction (tanh, sigmoid), "
             "dead fraction (ReLU-like), the spread of each layer's output and of its weight gradient.</p>"
             "<table><tr><th>variant</th><th>node</th><th>type</th><th>saturated</th><th>dead</th><th>output std</th>"
             "<th>gradient std</th></tr>";
        for (const VariantOutcome& o : r.outcomes)
            for (const LayerSummary& l : o.layers) {
                if (l.saturatedFraction < 0 && l.deadFraction < 0 && l.gradientStd == 0.0)
                    continue;
                s << "<tr><td class='l'>" << esc(o.label) << "</td><td class='l'>" << esc(l.node)
                  << "</td><td class='l'>" << esc(l.type) << "</td><td>"
                  << (l.saturatedFraction < 0 ? std::string("-") : fmt("%.1f%%", 100 * l.saturatedFraction))
                  << "</td><td>" << (l.deadFraction < 0 ? std::string("-") : fmt("%.1f%%", 100 * l.deadFraction))
                  << "</td><td>" << fmt("%.3g", l.activationStd) << "</td><td>" << fmt("%.3g", l.gradientStd)
                  << "</td></tr>";
            }
        s << "</table>";
    }

    const std::vector<int> order = rankOutcomes(r.outcomes);
    const VariantOutcome* best = order.empty() ? nullptr : &r.outcomes[static_cast<size_t>(order.front())];
    if (best && best->tested && best->confusion.classes() > 0)
        s << "<h2>Confusion matrix of the best variant (" << esc(best->label) << ", test split)</h2>"
          << confusionHtml(best->confusion, r.classNames);

    bool haveModelPicture = false;
    for (const ReportImage& img : r.images)
        haveModelPicture = haveModelPicture || img.title == "Model";
    s << "<h2>Model</h2>";
    if (!haveModelPicture)
        s << graphSvg(r.graph);
    for (const ReportImage& img : r.images)
        if (!img.png.empty())
            s << "<figure><img alt='" << esc(img.title) << "' src='data:image/png;base64," << base64(img.png)
              << "'/><figcaption>" << esc(img.title) << "</figcaption></figure>";
    s << "<p style='color:#777'>Written by NetCanvas.</p></body></html>\n";
    return s.str();
}

ReportImage featureMapPicture(const ModelWeights& weights, const Dataset& data, int64_t sample)
{
    ReportImage out;
    CreatedBackend created = createBackend("cpu", 1);
    Network net(weights.graph, *created.backend, 1);
    if (!weights.loadInto(net))
        return out;
    std::vector<std::string> nodes = inspect::spatialNodes(net);
    if (nodes.empty())
        return out;
    const std::string node = nodes.front();
    const inspect::FeatureMaps m
        = inspect::featureMaps(net, inspect::sampleTensor(data, sample, weights.normalization), node);
    const int c = std::min(m.channels, 32), h = m.height, w = m.width;
    if (c <= 0 || h <= 0 || w <= 0)
        return out;
    const int scale = std::max(1, 64 / std::max(h, w));
    const int cols = std::min(c, 8), rows = (c + cols - 1) / cols;
    cv::Mat grid(rows * (h * scale + 2), cols * (w * scale + 2), CV_8UC3, cv::Scalar(255, 255, 255));
    for (int k = 0; k < c; ++k) {
        const float lo = m.channelMin[static_cast<size_t>(k)], hi = m.channelMax[static_cast<size_t>(k)];
        cv::Mat tile(h, w, CV_8UC1);
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < w; ++x) {
                const float v = m.values[static_cast<size_t>((k * h + y) * w + x)];
                tile.at<uint8_t>(y, x) = static_cast<uint8_t>(hi > lo ? 255.0f * (v - lo) / (hi - lo) : 0.0f);
            }
        cv::Mat color, big;
        cv::applyColorMap(tile, color, cv::COLORMAP_VIRIDIS);
        cv::resize(color, big, cv::Size(w * scale, h * scale), 0, 0, cv::INTER_NEAREST);
        big.copyTo(grid(cv::Rect((k % cols) * (w * scale + 2), (k / cols) * (h * scale + 2), w * scale, h * scale)));
    }
    std::vector<uchar> bytes;
    cv::imencode(".png", grid, bytes);
    out.png.assign(bytes.begin(), bytes.end());
    out.title = "Feature maps of " + node + " (" + std::to_string(c) + " of " + std::to_string(m.channels)
        + " channels) for "
        + (sample < static_cast<int64_t>(data.sources.size()) ? data.sources[static_cast<size_t>(sample)] : "a sample");
    return out;
}

} // namespace netcanvas
