#include "Inspect.h"

#include "engine/session/TrainedModel.h"

#include "engine/core/Error.h"
#include "engine/data/DataLoader.h"
#include "engine/io/AtomicFile.h"
#include "engine/io/Csv.h"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <sstream>

namespace netcanvas::cli {

namespace {

constexpr int kCellSize = 96; // feature-map cells are enlarged to at least this many pixels
constexpr int kOverlaySize = 224; // explain's overlay: the longer side, at least

std::string fmt(const char* f, double v)
{
    char buf[64];
    std::snprintf(buf, sizeof buf, f, v);
    return buf;
}

std::string lowerExtension(const std::string& path)
{
    std::string ext = std::filesystem::path(path).extension().string();
    std::transform(
        ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return ext;
}

std::string times(int a, int b)
{
    return std::to_string(a) + "\u00d7" + std::to_string(b);
}

// The smallest whole factor that makes `size` at least `target` pixels.
int enlargement(int size, int target)
{
    return std::max(1, (target + size - 1) / std::max(1, size));
}

// Encodes by the path's extension (PNG when it has none) and writes atomically.
void writeImage(const std::string& path, const cv::Mat& image)
{
    std::string ext = lowerExtension(path);
    if (ext.empty())
        ext = ".png";
    std::vector<uchar> bytes;
    try {
        if (!cv::imencode(ext, image, bytes))
            throw IoError(path + ": cannot encode the image as '" + ext + "'");
    } catch (const cv::Exception&) {
        throw IoError(path + ": cannot write a '" + ext + "' image (use .png)");
    }
    writeFileAtomic(path, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

// The model's input image: decoded, fitted to the Input node, as uint8 C×H×W (RGB).
struct InputImage {
    std::vector<uint8_t> pixels;
    int channels = 0, height = 0, width = 0;
    Tensor tensor; // 1×C×H×W, normalized as in training
};

InputImage loadInput(const LoadedModel& m, const std::string& path)
{
    const DatasetOptions geo = datasetOptionsFor(m.network->analysis(), "stretch");
    InputImage in;
    in.channels = geo.channels;
    in.height = geo.height;
    in.width = geo.width;
    in.pixels = loadImageSample(path, geo.channels, geo.height, geo.width, geo.resize); // DataError naming the path
    in.tensor = Tensor(m.network->inputShape().batched(1));
    prepareImage(in.pixels.data(), in.channels, in.height, in.width, normalizationOf(m.meta), in.tensor.data());
    return in;
}

// The image as 8-bit BGR for OpenCV: RGB swapped, gray (or any other channel count: its
// first channel) repeated.
cv::Mat toBgr(const InputImage& in)
{
    const size_t plane = static_cast<size_t>(in.height) * static_cast<size_t>(in.width);
    cv::Mat bgr(in.height, in.width, CV_8UC3);
    for (int y = 0; y < in.height; ++y)
        for (int x = 0; x < in.width; ++x) {
            const size_t i = static_cast<size_t>(y) * static_cast<size_t>(in.width) + static_cast<size_t>(x);
            const bool rgb = in.channels == 3;
            const uint8_t r = in.pixels[i];
            const uint8_t g = rgb ? in.pixels[plane + i] : r;
            const uint8_t b = rgb ? in.pixels[2 * plane + i] : r;
            bgr.at<cv::Vec3b>(y, x) = cv::Vec3b(b, g, r);
        }
    return bgr;
}

cv::Mat enlarge(const cv::Mat& image, int factor, int interpolation)
{
    if (factor == 1)
        return image.clone();
    cv::Mat out;
    cv::resize(image, out, cv::Size(image.cols * factor, image.rows * factor), 0, 0, interpolation);
    return out;
}

// The model's node ids, for error messages.
std::string nodeList(const Network& net, const std::vector<std::string>& ids)
{
    std::string s;
    for (const auto& id : ids)
        s += (s.empty() ? "" : ", ") + id + " (" + net.nodeType(id) + ")";
    return s;
}

void requireNode(const Network& net, const std::string& layer, const std::string& weights)
{
    if (!net.analysis().nodes.count(layer))
        throw GraphError("--layer '" + layer + "': the model of " + weights
            + " has no such node; its nodes: " + nodeList(net, net.order()));
}

// Channels of a feature map as a grid of viridis tiles with a 1-px white gap. A flat output
// (one row of values, e.g. Dense) is wrapped into a near-square tile first.
cv::Mat renderGrid(inspect::FeatureMaps m, bool shared, int& factor, int& cols, int& rows)
{
    const float kPad = std::numeric_limits<float>::quiet_NaN();
    if (m.channels == 1 && m.height == 1 && m.width > 1) {
        const int n = m.width;
        const int w = static_cast<int>(std::ceil(std::sqrt(static_cast<double>(n))));
        m.width = w;
        m.height = (n + w - 1) / w;
        m.values.resize(static_cast<size_t>(m.width) * static_cast<size_t>(m.height), kPad);
    }
    cols = static_cast<int>(std::ceil(std::sqrt(static_cast<double>(m.channels))));
    rows = (m.channels + cols - 1) / cols;
    factor = enlargement(std::max(m.height, m.width), kCellSize);
    const int cw = m.width * factor, ch = m.height * factor;
    cv::Mat grid(rows * ch + (rows - 1), cols * cw + (cols - 1), CV_8UC3, cv::Scalar(255, 255, 255));
    float sharedLo = std::numeric_limits<float>::infinity(), sharedHi = -sharedLo;
    for (int c = 0; c < m.channels; ++c) {
        sharedLo = std::min(sharedLo, m.channelMin[static_cast<size_t>(c)]);
        sharedHi = std::max(sharedHi, m.channelMax[static_cast<size_t>(c)]);
    }
    const size_t plane = static_cast<size_t>(m.height) * static_cast<size_t>(m.width);
    for (int c = 0; c < m.channels; ++c) {
        const float lo = shared ? sharedLo : m.channelMin[static_cast<size_t>(c)];
        const float hi = shared ? sharedHi : m.channelMax[static_cast<size_t>(c)];
        cv::Mat gray(m.height, m.width, CV_8UC1);
        cv::Mat pad(m.height, m.width, CV_8UC1, cv::Scalar(0));
        for (int y = 0; y < m.height; ++y)
            for (int x = 0; x < m.width; ++x) {
                const float v = m.values[static_cast<size_t>(c) * plane + static_cast<size_t>(y * m.width + x)];
                if (std::isnan(v)) {
                    pad.at<uint8_t>(y, x) = 255;
                    gray.at<uint8_t>(y, x) = 0;
                    continue;
                }
                const float t = hi > lo ? (v - lo) / (hi - lo) : 0.0f;
                gray.at<uint8_t>(y, x) = static_cast<uint8_t>(std::lround(std::clamp(t, 0.0f, 1.0f) * 255.0f));
            }
        cv::Mat color;
        cv::applyColorMap(enlarge(gray, factor, cv::INTER_NEAREST), color, cv::COLORMAP_VIRIDIS);
        color.setTo(cv::Scalar(255, 255, 255), enlarge(pad, factor, cv::INTER_NEAREST));
        const int gx = (c % cols) * (cw + 1), gy = (c / cols) * (ch + 1);
        color.copyTo(grid(cv::Rect(gx, gy, cw, ch)));
    }
    return grid;
}

// The heat map (values in [0, 1] over the image's H×W) in jet, blended half and half over
// the image, both enlarged by `factor` (the image with nearest neighbours, the heat smoothly).
cv::Mat overlay(const cv::Mat& imageBgr, const inspect::Heatmap& heat, int factor)
{
    cv::Mat_<float> h(heat.height, heat.width);
    std::copy(heat.values.begin(), heat.values.end(), h.begin());
    cv::Mat big;
    cv::resize(h, big, cv::Size(heat.width * factor, heat.height * factor), 0, 0, cv::INTER_LINEAR);
    cv::Mat heat8;
    big.convertTo(heat8, CV_8UC1, 255.0);
    cv::Mat color;
    cv::applyColorMap(heat8, color, cv::COLORMAP_JET);
    cv::Mat out;
    cv::addWeighted(enlarge(imageBgr, factor, cv::INTER_NEAREST), 0.5, color, 0.5, 0.0, out);
    return out;
}

std::string safeFileName(const std::string& id)
{
    std::string s = id;
    for (char& c : s)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
            c = '_';
    return s.empty() || s[0] == '.' ? "_" + s : s;
}

int parseClass(const LoadedModel& m, const std::string& given)
{
    const int k = static_cast<int>(m.network->outputShape().numel());
    for (int c = 0; c < static_cast<int>(m.meta.classNames.size()); ++c)
        if (m.meta.classNames[static_cast<size_t>(c)] == given)
            return c;
    const bool digits
        = !given.empty() && std::all_of(given.begin(), given.end(), [](unsigned char c) { return std::isdigit(c); });
    if (digits && given.size() < 9) {
        const int c = std::stoi(given);
        if (c < k)
            return c;
        throw DataError("--class " + given + ": out of range, the model has " + std::to_string(k) + " classes (0.."
            + std::to_string(k - 1) + ")");
    }
    std::string names;
    for (int c = 0; c < k && c < 20; ++c)
        names += (names.empty() ? "" : ", ") + m.className(c);
    throw DataError(
        "--class '" + given + "': not a class of the model (classes: " + names + (k > 20 ? ", ..." : "") + ")");
}

} // namespace

int runFeatureMaps(const FeatureMapsOptions& o)
{
    LoadedModel m = loadTrained(resolveTrainedFiles(o.model, o.weights), createCpuBackend(o.threads));
    Network& net = *m.network;
    requireNode(net, o.layer, o.weights);
    const InputImage in = loadInput(m, o.image);
    const inspect::FeatureMaps maps = inspect::featureMaps(net, in.tensor, o.layer);

    namespace fs = std::filesystem;
    std::error_code ec;
    fs::create_directories(o.out, ec);
    if (ec || !fs::is_directory(o.out))
        throw IoError(o.out + ": cannot create the output folder" + (ec ? " (" + ec.message() + ")" : std::string()));
    int factor = 1, cols = 1, rows = 1;
    const cv::Mat grid = renderGrid(maps, o.scale == "shared", factor, cols, rows);
    const std::string gridPath = (fs::path(o.out) / (safeFileName(o.layer) + ".png")).string();
    writeImage(gridPath, grid);
    const int inFactor = enlargement(std::max(in.height, in.width), kOverlaySize);
    const std::string inputPath = (fs::path(o.out) / "input.png").string();
    writeImage(inputPath, enlarge(toBgr(in), inFactor, cv::INTER_NEAREST));

    std::cout << o.layer << " (" << net.nodeType(o.layer) << "): " << maps.channels << " channel"
              << (maps.channels == 1 ? "" : "s") << " of " << times(maps.height, maps.width) << " for " << o.image
              << "\n"
              << "  " << gridPath << ": " << times(cols, rows) << " grid, " << times(grid.cols, grid.rows) << " px, "
              << (o.scale == "shared" ? "one range for all channels" : "each channel over its own range")
              << ", viridis\n"
              << "  " << inputPath << ": the input, " << times(in.width * inFactor, in.height * inFactor) << " px\n\n"
              << "  channel         min         max        mean\n";
    for (int c = 0; c < maps.channels; ++c)
        std::cout << fmt("  %7.0f", static_cast<double>(c)) << fmt("  %10.4g", maps.channelMin[static_cast<size_t>(c)])
                  << fmt("  %10.4g", maps.channelMax[static_cast<size_t>(c)])
                  << fmt("  %10.4g", maps.channelMean[static_cast<size_t>(c)]) << "\n";
    return 0;
}

namespace {

// The sample CSV of rnn-gates: one step per line, values separated by commas or spaces.
Tensor readSequenceSample(const std::string& path, const Shape& inputShape)
{
    std::ifstream f(path);
    if (!f)
        throw IoError(path + ": cannot open the sample");
    std::vector<float> values;
    std::string line;
    int64_t steps = 0;
    for (int lineNo = 1; std::getline(f, line); ++lineNo) {
        std::replace(line.begin(), line.end(), ',', ' ');
        std::istringstream in(line);
        std::string word;
        bool any = false;
        while (in >> word) {
            char* end = nullptr;
            const float v = std::strtof(word.c_str(), &end);
            if (*end != '\0')
                throw FormatError(path + ":" + std::to_string(lineNo) + ": '" + word + "' is not a number");
            values.push_back(v);
            any = true;
        }
        steps += any ? 1 : 0;
    }
    if (static_cast<int64_t>(values.size()) != inputShape.numel())
        throw ShapeError(path + ": " + std::to_string(values.size()) + " values in " + std::to_string(steps)
            + " steps, but the model's input is " + inputShape.toString() + " (" + std::to_string(inputShape.numel())
            + " values)");
    return Tensor(inputShape.batched(1), std::move(values));
}

// A steps × units series as a heat map: units down, time across; fixed range [lo, hi] unless lo == hi.
cv::Mat renderSeries(const std::vector<float>& v, int64_t steps, int64_t units, float lo, float hi)
{
    if (lo >= hi) {
        lo = *std::min_element(v.begin(), v.end());
        hi = *std::max_element(v.begin(), v.end());
    }
    cv::Mat gray(static_cast<int>(units), static_cast<int>(steps), CV_8UC1);
    for (int64_t t = 0; t < steps; ++t)
        for (int64_t u = 0; u < units; ++u) {
            const float x = hi > lo ? (v[static_cast<size_t>(t * units + u)] - lo) / (hi - lo) : 0.0f;
            gray.at<uint8_t>(static_cast<int>(u), static_cast<int>(t))
                = static_cast<uint8_t>(std::lround(std::clamp(x, 0.0f, 1.0f) * 255.0f));
        }
    const int factor = enlargement(static_cast<int>(std::max(steps, units)), 400);
    cv::Mat color;
    cv::applyColorMap(enlarge(gray, factor, cv::INTER_NEAREST), color, cv::COLORMAP_VIRIDIS);
    return color;
}

} // namespace

int runRnnGates(const RnnGatesOptions& o)
{
    LoadedModel m = loadTrained(resolveTrainedFiles(o.model, o.weights), createCpuBackend(o.threads));
    Network& net = *m.network;
    if (!o.layer.empty())
        requireNode(net, o.layer, o.weights);
    const int cls = o.cls.empty() ? -1 : parseClass(m, o.cls);
    const Tensor x = readSequenceSample(o.sample, net.inputShape());
    const inspect::RecurrentGates g = inspect::recurrentGates(net, x, o.layer, cls, o.direction);
    const RecurrentTrace& tr = g.trace;

    namespace fs = std::filesystem;
    std::error_code ec;
    fs::create_directories(o.out, ec);
    if (ec || !fs::is_directory(o.out))
        throw IoError(o.out + ": cannot create the output folder" + (ec ? " (" + ec.message() + ")" : std::string()));
    const std::string base = (fs::path(o.out) / safeFileName(g.node)).string();
    std::vector<std::pair<std::string, const std::vector<float>*>> series { { "h", &tr.hidden } };
    for (size_t k = 0; k < tr.gateNames.size(); ++k)
        series.push_back({ tr.gateNames[k], &tr.gates[k] });
    std::ostringstream states;
    states << "series,step";
    for (int64_t u = 0; u < tr.units; ++u)
        states << ",u" << u;
    states << "\n";
    std::cout << g.node << " (" << g.type << ", direction " << (g.direction == 0 ? "forward" : "backward")
              << "): " << tr.steps << " steps × " << tr.units << " units, class " << m.className(g.cls) << "\n";
    for (const auto& [name, values] : series) {
        // Sigmoid gates in [0, 1], tanh values in [−1, 1]; the cell state over its own range.
        const bool sigmoid = name == "i" || name == "f" || name == "o" || name == "r" || name == "z";
        const bool tanh = name == "h" || name == "g" || name == "n";
        const std::string path = base + "_" + name + ".png";
        writeImage(
            path, renderSeries(*values, tr.steps, tr.units, sigmoid ? 0.0f : -1.0f, sigmoid || tanh ? 1.0f : -1.0f));
        std::cout << "  " << path << "\n";
        for (int64_t t = 0; t < tr.steps; ++t) {
            states << name << "," << t;
            for (int64_t u = 0; u < tr.units; ++u)
                states << "," << (*values)[static_cast<size_t>(t * tr.units + u)];
            states << "\n";
        }
    }
    writeFileAtomic(base + "_states.csv", states.str());
    std::ostringstream norms;
    norms << "step,grad_norm\n";
    for (int64_t t = 0; t < tr.steps; ++t)
        norms << t << "," << tr.gradNorm[static_cast<size_t>(t)] << "\n";
    writeFileAtomic(base + "_gradnorm.csv", norms.str());
    std::cout << "  " << base << "_states.csv, " << base << "_gradnorm.csv\n\n  step   ‖d score / d h_t‖\n";
    for (int64_t t = 0; t < tr.steps; ++t)
        std::cout << fmt("  %4.0f", static_cast<double>(t)) << fmt("   %10.4g", tr.gradNorm[static_cast<size_t>(t)])
                  << "\n";
    return 0;
}

int runExplain(const ExplainOptions& o)
{
    LoadedModel m = loadTrained(resolveTrainedFiles(o.model, o.weights), createCpuBackend(o.threads));
    Network& net = *m.network;
    std::string layer = o.layer;
    if (layer.empty()) {
        layer = inspect::lastConvolution(net);
        if (layer.empty())
            throw GraphError(o.weights
                + ": the model has no Conv2D node; name a node with channel maps with --layer "
                  "(its nodes: "
                + nodeList(net, net.order()) + ")");
    }
    requireNode(net, layer, o.weights);
    const Shape& shape = net.analysis().nodes.at(layer).outputShape;
    if (shape.rank() != 3)
        throw GraphError("--layer '" + layer + "' (" + net.nodeType(layer) + ") gives " + shape.toString()
            + ", not channel maps; Grad-CAM needs one of: " + nodeList(net, inspect::spatialNodes(net)));
    const int cls = o.cls.empty() ? -1 : parseClass(m, o.cls);
    const InputImage in = loadInput(m, o.image);

    const std::vector<inspect::ClassScore> top = inspect::classify(net, in.tensor, std::max(1, o.top));
    std::cout << o.image << "\n";
    for (const auto& s : top)
        std::cout << fmt("  %6.1f%%", 100.0 * s.probability) << "  " << m.className(s.cls) << "\n";
    const int target = cls >= 0 ? cls : top.front().cls;

    const inspect::Heatmap cam = inspect::gradCam(net, in.tensor, target, layer);
    const cv::Mat image = toBgr(in);
    const int factor = enlargement(std::max(in.height, in.width), kOverlaySize);
    writeImage(o.out, overlay(image, cam, factor));
    std::cout << "Grad-CAM of '" << m.className(target) << "' (class " << target << ") on " << layer << " ("
              << shape.toString() << ") \u2192 " << o.out << " (" << times(in.width * factor, in.height * factor)
              << ")\n";
    if (!o.saliencyOut.empty()) {
        writeImage(o.saliencyOut, overlay(image, inspect::saliency(net, in.tensor, target), factor));
        std::cout << "saliency of '" << m.className(target) << "' \u2192 " << o.saliencyOut << "\n";
    }
    return 0;
}

void checkMetricsPath(const std::string& path)
{
    if (path.empty())
        return;
    const std::string ext = lowerExtension(path);
    if (ext != ".json" && ext != ".csv")
        throw IoError(path + ": --metrics-out writes .json or .csv files, not '" + ext + "'");
}

void writeMetricsFile(const std::string& path, const nlohmann::json& metrics, const inspect::Evaluation& evaluation,
    const std::vector<std::string>& classNames)
{
    checkMetricsPath(path);
    if (lowerExtension(path) == ".json") {
        writeFileAtomic(path, metrics.dump(2) + "\n");
        return;
    }
    const ConfusionMatrix& cm = evaluation.confusion;
    auto name = [&](int c) {
        return c < static_cast<int>(classNames.size()) ? classNames[static_cast<size_t>(c)] : std::to_string(c);
    };
    std::ostringstream s;
    s << "class,precision,recall,f1,support";
    for (int p = 0; p < cm.classes(); ++p)
        s << "," << csvQuoted("predicted " + name(p));
    s << "\n";
    for (int c = 0; c < cm.classes(); ++c) {
        s << csvQuoted(name(c)) << "," << fmt("%.6g", cm.precision(c)) << "," << fmt("%.6g", cm.recall(c)) << ","
          << fmt("%.6g", cm.f1(c)) << "," << cm.support(c);
        for (int p = 0; p < cm.classes(); ++p)
            s << "," << cm.at(c, p);
        s << "\n";
    }
    const std::string empty(static_cast<size_t>(cm.classes()), ',');
    s << "accuracy,,," << fmt("%.6g", evaluation.accuracy) << "," << cm.total() << empty << "\n";
    s << csvQuoted("top-" + std::to_string(evaluation.topK) + " accuracy") << ",,,"
      << fmt("%.6g", evaluation.topKAccuracy) << "," << cm.total() << empty << "\n";
    writeFileAtomic(path, s.str());
}

} // namespace netcanvas::cli
