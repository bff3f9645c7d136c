// Inspection (engine/inspect): feature maps against a plain forward pass, filters against
// the parameters, probabilities and top-k, the network's gradient accessors against finite
// differences, evaluation against a hand-computed case, Grad-CAM and saliency on a trained
// CNN whose classes are decided by a patch at a known place, and per-layer statistics on
// constructed dead / saturated layers.
#include "common/Fixtures.h"

#include "engine/backend/Backend.h"
#include "engine/core/Error.h"
#include "engine/data/Split.h"
#include "engine/inspect/Inspect.h"
#include "engine/train/Trainer.h"

#include <QtTest>

#include <algorithm>
#include <cmath>
#include <numeric>

using namespace netcanvas;
using fixtures::makeNode;
using nlohmann::json;

namespace {

std::vector<double> handSoftmax(const std::vector<double>& z)
{
    const double m = *std::max_element(z.begin(), z.end());
    double sum = 0.0;
    for (double v : z)
        sum += std::exp(v - m);
    std::vector<double> p;
    for (double v : z)
        p.push_back(std::exp(v - m) / sum);
    return p;
}

// 2 classes of 16×16 gray images over noise, decided by a 4×4 patch at a random place
// (recorded in `corners`): a solid bright square (class 0) or a bright/dark checkerboard
// (class 1). Nothing else tells them apart.
constexpr int kPatch = 4;

Dataset patchDataset(int perClass, uint64_t seed, std::vector<std::pair<int, int>>& corners)
{
    Dataset d;
    d.channels = 1;
    d.height = 16;
    d.width = 16;
    d.classNames = { "solid", "checkerboard" };
    d.format = "synthetic";
    d.root = "patches";
    Rng rng(seed);
    for (int i = 0; i < 2 * perClass; ++i) {
        const int cls = i % 2;
        uint8_t img[256];
        for (auto& p : img)
            p = static_cast<uint8_t>(rng.below(90));
        const int y0 = static_cast<int>(rng.below(16 - kPatch + 1)), x0 = static_cast<int>(rng.below(16 - kPatch + 1));
        for (int y = y0; y < y0 + kPatch; ++y)
            for (int x = x0; x < x0 + kPatch; ++x)
                img[y * 16 + x] = cls == 1 && (x + y) % 2 ? static_cast<uint8_t>(rng.below(30))
                                                          : static_cast<uint8_t>(200 + rng.below(56));
        d.pixels.insert(d.pixels.end(), img, img + 256);
        d.labels.push_back(cls);
        d.sources.push_back("patches#" + std::to_string(i));
        corners.emplace_back(y0, x0);
    }
    return d;
}

// Conv → ReLU → pool → Conv → ReLU → global average → Dense: the class must come from what
// the convolutions see, wherever it is.
ModelGraph patchCnn()
{
    ModelGraph g;
    g.addNode(makeNode("in", "Input", {}, { { "channels", 1 }, { "height", 16 }, { "width", 16 } }));
    g.addNode(makeNode("conv1", "Conv2D", { "in" }, { { "filters", 8 }, { "kernel", 3 }, { "padding", "same" } }));
    g.addNode(makeNode("relu1", "ReLU", { "conv1" }));
    g.addNode(makeNode("pool1", "MaxPool2D", { "relu1" }, { { "pool", 2 } }));
    g.addNode(makeNode("conv2", "Conv2D", { "pool1" }, { { "filters", 8 }, { "kernel", 3 }, { "padding", "same" } }));
    g.addNode(makeNode("relu2", "ReLU", { "conv2" }));
    g.addNode(makeNode("gap", "GlobalAvgPool2D", { "relu2" }));
    g.addNode(makeNode("fc", "Dense", { "gap" }, { { "units", 2 } }));
    return g;
}

// Features in, logits out unchanged: Input 1×1×3 → Dense(3) set to the identity
// (→ Softmax when asked), so the logits of each sample are its features.
ModelGraph identityModel(bool softmax)
{
    ModelGraph g;
    g.addNode(makeNode("in", "Input", {}, { { "channels", 1 }, { "height", 1 }, { "width", 3 } }));
    g.addNode(makeNode("fc", "Dense", { "in" }, { { "units", 3 } }));
    if (softmax)
        g.addNode(makeNode("prob", "Softmax", { "fc" }));
    return g;
}

void setIdentity(Network& net)
{
    Layer& fc = net.layer("fc");
    Tensor& w = fc.parameter("weight")->value;
    w.zero();
    for (int i = 0; i < 3; ++i)
        w[i * 3 + i] = 1.0f;
    fc.parameter("bias")->value.zero();
}

struct HandSample {
    std::vector<float> logits;
    int truth;
};
// The evaluation case: predictions are the argmax of the logits.
const std::vector<HandSample> kHand = {
    { { 5, 1, 0 }, 0 }, // 0: right
    { { 4, 3, 0 }, 1 }, // 1: wrong (0), truth second
    { { 0, 6, 1 }, 1 }, // 2: right
    { { 0, 2, 1 }, 2 }, // 3: wrong (1), truth second
    { { 1, 0, 3 }, 2 }, // 4: right
    { { 3, 0, 2 }, 1 }, // 5: wrong (0), truth third
    { { 0, -1, 9 }, 0 }, // 6: wrong (2), very confident, truth second
    { { 2, 0, 0 }, 0 }, // 7: right
};

Dataset handDataset()
{
    Dataset d;
    d.channels = 3; // n×1×1 features, as a CSV of 3 features gives them
    d.height = 1;
    d.width = 1;
    d.classNames = { "a", "b", "c" };
    d.format = "csv-features";
    d.root = "hand";
    for (size_t i = 0; i < kHand.size(); ++i) {
        d.features.insert(d.features.end(), kHand[i].logits.begin(), kHand[i].logits.end());
        d.labels.push_back(kHand[i].truth);
        d.sources.push_back("hand:" + std::to_string(i + 1));
    }
    return d;
}

double fractionInside(const inspect::Heatmap& h, int y0, int x0, int size)
{
    double inside = 0.0, total = 0.0;
    for (int y = 0; y < h.height; ++y)
        for (int x = 0; x < h.width; ++x) {
            const double v = h.values[static_cast<size_t>(y * h.width + x)];
            total += v;
            if (y >= y0 && y < y0 + size && x >= x0 && x < x0 + size)
                inside += v;
        }
    return total > 0.0 ? inside / total : 0.0;
}

bool argmaxInside(const inspect::Heatmap& h, int y0, int x0, int size)
{
    const auto it = std::max_element(h.values.begin(), h.values.end());
    const int i = static_cast<int>(it - h.values.begin());
    const int y = i / h.width, x = i % h.width;
    return y >= y0 && y < y0 + size && x >= x0 && x < x0 + size;
}

std::vector<std::vector<float>> parameterValues(Network& net)
{
    std::vector<std::vector<float>> v;
    for (const auto& p : net.parameters())
        v.emplace_back(p.param->value.data(), p.param->value.data() + p.param->value.size());
    return v;
}

} // namespace

class TestInspect : public QObject {
    Q_OBJECT
    std::unique_ptr<Backend> m_backend;
    Dataset m_bars;
    Normalization m_barsNorm;

private slots:
    void recurrentGradientsVanishForSimpleRnnNotLstm();
    void initTestCase()
    {
        m_backend = createCpuBackend(2);
        m_bars = fixtures::barsDataset(10, 3);
        std::vector<int64_t> all(static_cast<size_t>(m_bars.size()));
        std::iota(all.begin(), all.end(), 0);
        m_barsNorm = computeNormalization(m_bars, all);
    }

    void featureMapsEqualActivations()
    {
        Network net(fixtures::barsCnn(3, 8), *m_backend, 11);
        const Tensor input = inspect::sampleTensor(m_bars, 4, m_barsNorm);
        QCOMPARE(input.shape(), (Shape { 1, 1, 8, 8 }));
        const std::vector<std::string> nodes = { "conv", "relu", "pool", "fc" };
        const auto maps = inspect::featureMaps(net, input, nodes);
        QCOMPARE(maps.size(), nodes.size());

        // A plain forward pass of a second network with the same weights.
        Network plain(fixtures::barsCnn(3, 8), *m_backend, 99);
        plain.copyWeightsFrom(net);
        plain.forward(input, false);
        for (size_t k = 0; k < nodes.size(); ++k) {
            const inspect::FeatureMaps& m = maps[k];
            const Tensor& act = plain.activation(nodes[k]);
            QCOMPARE(m.node, nodes[k]);
            QCOMPARE(static_cast<int64_t>(m.values.size()), act.size());
            for (int64_t i = 0; i < act.size(); ++i)
                QCOMPARE(m.values[static_cast<size_t>(i)], act[i]);
            const int64_t plane = static_cast<int64_t>(m.height) * m.width;
            QCOMPARE(static_cast<int64_t>(m.channels) * plane, act.size());
            for (int c = 0; c < m.channels; ++c) {
                float lo = act[c * plane], hi = lo;
                double sum = 0.0;
                for (int64_t i = 0; i < plane; ++i) {
                    lo = std::min(lo, act[c * plane + i]);
                    hi = std::max(hi, act[c * plane + i]);
                    sum += act[c * plane + i];
                }
                QCOMPARE(m.channelMin[static_cast<size_t>(c)], lo);
                QCOMPARE(m.channelMax[static_cast<size_t>(c)], hi);
                QVERIFY(std::abs(m.channelMean[static_cast<size_t>(c)] - sum / static_cast<double>(plane)) < 1e-5);
            }
        }
        QCOMPARE(
            (std::vector<int> { maps[0].channels, maps[0].height, maps[0].width }), (std::vector<int> { 8, 8, 8 }));
        QCOMPARE(
            (std::vector<int> { maps[2].channels, maps[2].height, maps[2].width }), (std::vector<int> { 8, 4, 4 }));
        QCOMPARE(
            (std::vector<int> { maps[3].channels, maps[3].height, maps[3].width }), (std::vector<int> { 1, 1, 3 }));

        // The single-node overload gives the same values.
        const inspect::FeatureMaps pool = inspect::featureMaps(net, input, "pool");
        QCOMPARE(pool.values, maps[2].values);

        QCOMPARE(inspect::spatialNodes(net), (std::vector<std::string> { "in", "conv", "relu", "pool" }));
        QCOMPARE(inspect::lastConvolution(net), std::string("conv"));
        Network mlp(identityModel(false), *m_backend);
        QVERIFY(inspect::lastConvolution(mlp).empty());

        try {
            inspect::featureMaps(net, input, "nope");
            QFAIL("an unknown node must throw");
        } catch (const GraphError& e) {
            QVERIFY2(std::string(e.what()).find("'nope'") != std::string::npos, e.what());
        }
        QVERIFY_THROWS_EXCEPTION(DataError, inspect::sampleTensor(m_bars, m_bars.size(), m_barsNorm));
    }

    void filtersAreTheWeights()
    {
        Network net(fixtures::barsCnn(3, 8), *m_backend, 5);
        const inspect::Filters f = inspect::convolutionFilters(net, "conv");
        const Tensor& w = net.layer("conv").parameter("weight")->value;
        QCOMPARE(f.node, std::string("conv"));
        QCOMPARE((std::vector<int> { f.filters, f.channels, f.height, f.width }), (std::vector<int> { 8, 1, 3, 3 }));
        QCOMPARE(static_cast<int64_t>(f.values.size()), w.size());
        for (int64_t i = 0; i < w.size(); ++i)
            QCOMPARE(f.values[static_cast<size_t>(i)], w[i]);
        QVERIFY_THROWS_EXCEPTION(GraphError, inspect::convolutionFilters(net, "fc"));
    }

    void probabilitiesAndTopK()
    {
        Network net(fixtures::barsCnn(3, 8), *m_backend, 5);
        const Tensor input = inspect::sampleTensor(m_bars, 1, m_barsNorm);
        const Tensor& out = net.forward(input, false);
        std::vector<double> z;
        for (int i = 0; i < 3; ++i)
            z.push_back(out[i]);
        const std::vector<double> hand = handSoftmax(z);
        const std::vector<float> p = inspect::probabilities(net, out, 0);
        QCOMPARE(p.size(), size_t(3));
        double sum = 0.0;
        for (size_t i = 0; i < 3; ++i) {
            QVERIFY(std::abs(p[i] - hand[i]) < 1e-6);
            sum += p[i];
        }
        QVERIFY(std::abs(sum - 1.0) < 1e-6);
        QVERIFY_THROWS_EXCEPTION(DataError, inspect::probabilities(net, out, 1));

        const auto top = inspect::classify(net, input, 3);
        QCOMPARE(top.size(), size_t(3));
        std::vector<int> order = { 0, 1, 2 };
        std::sort(order.begin(), order.end(),
            [&](int a, int b) { return hand[static_cast<size_t>(a)] > hand[static_cast<size_t>(b)]; });
        for (size_t i = 0; i < 3; ++i) {
            QCOMPARE(top[i].cls, order[i]);
            QVERIFY(std::abs(top[i].probability - hand[static_cast<size_t>(order[i])]) < 1e-6);
        }
        QCOMPARE(inspect::classify(net, input, 1).size(), size_t(1));
        QCOMPARE(inspect::classify(net, input, 10).size(), size_t(3)); // clamped to the classes

        // A model ending in Softmax: its output is taken as the probabilities.
        Network soft(identityModel(true), *m_backend);
        setIdentity(soft);
        const Tensor x(Shape { 1, 1, 1, 3 }, std::vector<float> { 1.0f, 3.0f, 2.0f });
        const Tensor& probs = soft.forward(x, false);
        const std::vector<float> ps = inspect::probabilities(soft, probs, 0);
        const std::vector<double> hs = handSoftmax({ 1, 3, 2 });
        for (size_t i = 0; i < 3; ++i) {
            QCOMPARE(ps[i], probs[static_cast<int64_t>(i)]);
            QVERIFY(std::abs(ps[i] - hs[i]) < 1e-6);
        }
        const auto softTop = inspect::classify(soft, x, 2);
        QCOMPARE(softTop[0].cls, 1);
        QCOMPARE(softTop[1].cls, 2);
    }

    // Network::backwardFrom + gradient + keepInputGradient, which saliency and Grad-CAM
    // stand on: d logit / d input and d logit / d hidden against central differences, for a
    // model ending in Softmax (the gradient starts at the Softmax's input).
    void gradientAccessorsMatchFiniteDifferences()
    {
        ModelGraph g;
        g.addNode(makeNode("in", "Input", {}, { { "channels", 1 }, { "height", 2 }, { "width", 3 } }));
        g.addNode(makeNode("fc1", "Dense", { "in" }, { { "units", 5 } }));
        g.addNode(makeNode("act", "Tanh", { "fc1" }));
        g.addNode(makeNode("fc2", "Dense", { "act" }, { { "units", 3 } }));
        g.addNode(makeNode("prob", "Softmax", { "fc2" }));
        Network net(g, *m_backend, 3);
        Tensor x(Shape { 1, 1, 2, 3 }, std::vector<float> { 0.3f, -0.7f, 1.1f, 0.05f, -0.4f, 0.9f });
        const int cls = 2;
        auto logit = [&](const Tensor& in) {
            net.forward(in, false);
            return static_cast<double>(net.activation("fc2")[cls]);
        };
        auto hiddenLogit = [&](int unit, float delta) { // the logit with act[unit] nudged
            net.forward(x, false);
            Tensor h;
            h.copyFrom(net.activation("act"));
            h[unit] += delta;
            const Tensor& w = net.layer("fc2").parameter("weight")->value;
            double s = net.layer("fc2").parameter("bias")->value[cls];
            for (int j = 0; j < 5; ++j)
                s += static_cast<double>(w[cls * 5 + j]) * h[j];
            return s;
        };

        net.forward(x, false);
        Tensor seed(Shape { 1, 3 });
        seed[cls] = 1.0f;
        net.backwardFrom("fc2", seed);
        QVERIFY(!net.hasGradient("in")); // off by default
        QVERIFY(!net.hasGradient("prob")); // after the start: not reached
        QVERIFY_THROWS_EXCEPTION(GraphError, net.gradient("in"));
        QVERIFY(net.hasGradient("act"));
        Tensor gAct;
        gAct.copyFrom(net.gradient("act"));

        net.setKeepInputGradient(true);
        net.forward(x, false);
        net.backwardFrom("fc2", seed);
        QVERIFY(net.hasGradient("in"));
        Tensor gIn;
        gIn.copyFrom(net.gradient("in"));
        QCOMPARE(gIn.shape(), x.shape());

        const float eps = 1e-2f;
        for (int i = 0; i < 6; ++i) {
            Tensor a, b;
            a.copyFrom(x);
            b.copyFrom(x);
            a[i] += eps;
            b[i] -= eps;
            const double fd = (logit(a) - logit(b)) / (2.0 * eps);
            QVERIFY2(
                std::abs(fd - gIn[i]) < 2e-3, qPrintable(QString("input %1: %2 vs %3").arg(i).arg(fd).arg(gIn[i])));
        }
        for (int j = 0; j < 5; ++j) {
            const double fd = (hiddenLogit(j, eps) - hiddenLogit(j, -eps)) / (2.0 * eps);
            QVERIFY(std::abs(fd - gAct[j]) < 1e-3);
        }
        QCOMPARE(net.nodeType("prob"), std::string("Softmax"));
        QCOMPARE(net.nodeInputs("prob"), (std::vector<std::string> { "fc2" }));
        QVERIFY_THROWS_EXCEPTION(ShapeError, net.backwardFrom("act", seed)); // 1×3 for a 1×5 activation
        QVERIFY_THROWS_EXCEPTION(GraphError, net.backwardFrom("nope", seed));
    }

    void evaluationMatchesHandValues()
    {
        const Dataset data = handDataset();
        std::vector<int64_t> all(kHand.size());
        std::iota(all.begin(), all.end(), 0);
        for (bool softmax : { false, true }) {
            Network net(identityModel(softmax), *m_backend);
            setIdentity(net);
            // Batches of 3 so a batch boundary falls inside the set.
            std::vector<std::pair<int64_t, int64_t>> calls;
            const inspect::Evaluation ev
                = inspect::evaluate(net, data, all, Normalization {}, 2, 3, [&](int64_t d, int64_t t) {
                      calls.emplace_back(d, t);
                      return true;
                  });
            QCOMPARE(calls, (std::vector<std::pair<int64_t, int64_t>> { { 3, 8 }, { 6, 8 }, { 8, 8 } }));
            const ConfusionMatrix& cm = ev.confusion;
            QCOMPARE(cm.classes(), 3);
            const int64_t expected[3][3] = { { 2, 0, 1 }, { 2, 1, 0 }, { 0, 1, 1 } };
            for (int t = 0; t < 3; ++t)
                for (int p = 0; p < 3; ++p)
                    QCOMPARE(cm.at(t, p), expected[t][p]);
            QCOMPARE(ev.accuracy, 0.5);
            QCOMPARE(ev.topK, 2);
            QCOMPARE(ev.topKAccuracy, 7.0 / 8.0); // only sample 5 has its truth third
            const double precision[3] = { 0.5, 0.5, 0.5 }, recall[3] = { 2.0 / 3.0, 1.0 / 3.0, 0.5 };
            const double f1[3] = { 4.0 / 7.0, 0.4, 0.5 };
            const int64_t support[3] = { 3, 3, 2 };
            for (int c = 0; c < 3; ++c) {
                QVERIFY(std::abs(cm.precision(c) - precision[c]) < 1e-12);
                QVERIFY(std::abs(cm.recall(c) - recall[c]) < 1e-12);
                QVERIFY(std::abs(cm.f1(c) - f1[c]) < 1e-12);
                QCOMPARE(cm.support(c), support[c]);
            }

            QCOMPARE(ev.samples.size(), kHand.size());
            for (size_t i = 0; i < kHand.size(); ++i) {
                const auto& s = ev.samples[i];
                std::vector<double> z(kHand[i].logits.begin(), kHand[i].logits.end());
                const std::vector<double> p = handSoftmax(z);
                QCOMPARE(s.index, static_cast<int64_t>(i));
                QCOMPARE(s.truth, kHand[i].truth);
                QCOMPARE(s.predicted, static_cast<int>(std::max_element(z.begin(), z.end()) - z.begin()));
                QVERIFY(std::abs(s.confidence - p[static_cast<size_t>(s.predicted)]) < 1e-6);
                QVERIFY(std::abs(s.truthProbability - p[static_cast<size_t>(s.truth)]) < 1e-6);
            }
            // Mistakes, most confident first: 6 (0.9998), 1 (0.721), 5 (0.705), 3 (0.665).
            std::vector<int64_t> mistakes;
            for (const auto& s : ev.mistakes())
                mistakes.push_back(s.index);
            QCOMPARE(mistakes, (std::vector<int64_t> { 6, 1, 5, 3 }));
            for (const auto& s : ev.mistakes())
                QVERIFY(s.truth != s.predicted);
            std::vector<int64_t> cell10, cell00, cell21;
            for (const auto& s : ev.cell(1, 0))
                cell10.push_back(s.index);
            for (const auto& s : ev.cell(0, 0))
                cell00.push_back(s.index);
            for (const auto& s : ev.cell(2, 1))
                cell21.push_back(s.index);
            QCOMPARE(cell10, (std::vector<int64_t> { 1, 5 }));
            QCOMPARE(cell00, (std::vector<int64_t> { 0, 7 })); // 0.976 before 0.787
            QCOMPARE(cell21, (std::vector<int64_t> { 3 }));
            QVERIFY(ev.cell(1, 2).empty());
        }

        // A subset in a given order keeps that order; top-5 of 3 classes is clamped to 3.
        Network net(identityModel(false), *m_backend);
        setIdentity(net);
        const inspect::Evaluation sub = inspect::evaluate(net, data, { 5, 2 }, Normalization {});
        QCOMPARE(sub.samples.size(), size_t(2));
        QCOMPARE(sub.samples[0].index, int64_t(5));
        QCOMPARE(sub.samples[1].index, int64_t(2));
        QCOMPARE(sub.topK, 3);
        QCOMPARE(sub.topKAccuracy, 1.0);
        QCOMPARE(sub.accuracy, 0.5);
        QVERIFY(std::isnan(inspect::evaluate(net, data, {}, Normalization {}).accuracy));
        QVERIFY_THROWS_EXCEPTION(DataError,
            inspect::evaluate(net, data, all, Normalization {}, 2, 3, [](int64_t, int64_t) { return false; }));
        QVERIFY_THROWS_EXCEPTION(DataError, inspect::evaluate(net, data, { 8 }, Normalization {}));
    }

    void gradCamAndSaliencyFindThePatch()
    {
        QElapsedTimer timer;
        timer.start();
        std::vector<std::pair<int, int>> corners;
        const Dataset data = patchDataset(150, 17, corners);
        TrainConfig cfg;
        cfg.epochs = 15;
        cfg.batchSize = 16;
        cfg.optimizer.kind = "adam";
        cfg.optimizer.learningRate = 0.01;
        cfg.seed = 4;
        cfg.threads = 2;
        cfg.validationFraction = 0.0;
        cfg.testFraction = 0.2;
        Trainer trainer(patchCnn(), cfg, *m_backend);
        const DataSplit split = splitDataset(data, 0.0, 0.2, 4);
        const TrainResult r = trainer.fit(data, split);
        QVERIFY2(!r.diverged && !r.stopped, r.message.c_str());
        const EvalResult test = trainer.evaluate(data, split.test);
        QVERIFY2(test.accuracy > 0.95, qPrintable(QString("test accuracy %1").arg(test.accuracy)));
        const double trainSeconds = timer.elapsed() / 1000.0;

        Network& net = trainer.network();
        const auto before = parameterValues(net);
        QCOMPARE(inspect::lastConvolution(net), std::string("conv2"));
        // The patch widened by 2 pixels (the last convolution is 2× coarser): 8×8, a quarter
        // of the image.
        const int margin = 2, region = kPatch + 2 * margin;
        double camWorst = 1.0, salWorst = 1.0, camMean = 0.0, salMean = 0.0;
        int checked = 0, camPeaks = 0, salPeaks = 0;
        for (int64_t index : split.test) {
            const int cls = data.labels[static_cast<size_t>(index)];
            const Tensor x = inspect::sampleTensor(data, index, trainer.normalization());
            if (inspect::classify(net, x, 1).front().cls != cls)
                continue; // explain right decisions only
            ++checked;
            const int y0 = corners[static_cast<size_t>(index)].first - margin;
            const int x0 = corners[static_cast<size_t>(index)].second - margin;
            const inspect::Heatmap cam = inspect::gradCam(net, x, cls);
            QCOMPARE(cam.height, 16);
            QCOMPARE(cam.width, 16);
            QCOMPARE(*std::max_element(cam.values.begin(), cam.values.end()), 1.0f);
            QVERIFY(*std::min_element(cam.values.begin(), cam.values.end()) >= 0.0f);
            camPeaks += argmaxInside(cam, y0, x0, region) ? 1 : 0;
            const double camInside = fractionInside(cam, y0, x0, region);
            camWorst = std::min(camWorst, camInside);
            camMean += camInside;

            const inspect::Heatmap sal = inspect::saliency(net, x, cls);
            QCOMPARE(sal.height, 16);
            QCOMPARE(*std::max_element(sal.values.begin(), sal.values.end()), 1.0f);
            salPeaks += argmaxInside(sal, y0, x0, region) ? 1 : 0;
            const double salInside = fractionInside(sal, y0, x0, region);
            salWorst = std::min(salWorst, salInside);
            salMean += salInside;

            // Naming the node explicitly gives the same map.
            QCOMPARE(inspect::gradCam(net, x, cls, "conv2").values, cam.values);
        }
        QVERIFY(checked >= 50);
        camMean /= checked;
        salMean /= checked;
        qInfo("trained in %.2f s, test accuracy %.3f; over %d test images, heat inside the widened patch (25%% of the "
              "image): Grad-CAM mean %.2f, worst %.2f, peak inside %d; saliency mean %.2f, worst %.2f, peak inside %d",
            trainSeconds, test.accuracy, checked, camMean, camWorst, camPeaks, salMean, salWorst, salPeaks);
        // Every peak inside the patch; most of the heat there on average, and for every image
        // more than the region's share of the area (what a uniform map would give).
        QVERIFY2(camPeaks == checked, "a Grad-CAM peak outside the patch");
        QVERIFY2(camMean > 0.6 && camWorst > 0.25,
            qPrintable(QString("Grad-CAM mass inside the patch: mean %1, worst %2").arg(camMean).arg(camWorst)));
        QVERIFY2(salPeaks == checked, "a saliency peak outside the patch");
        QVERIFY2(salMean > 0.3, qPrintable(QString("saliency mass inside the patch: %1").arg(salMean)));

        const Tensor x = inspect::sampleTensor(data, split.test.front(), trainer.normalization());
        QVERIFY_THROWS_EXCEPTION(DataError, inspect::gradCam(net, x, 2));
        QVERIFY_THROWS_EXCEPTION(GraphError, inspect::gradCam(net, x, 0, "fc"));
        QVERIFY_THROWS_EXCEPTION(GraphError, inspect::gradCam(net, x, 0, "nope"));
        QVERIFY(!net.keepInputGradient()); // saliency restored it
        QVERIFY(parameterValues(net) == before); // inspection leaves the weights alone
    }

    // With a global-average-pooling head, Grad-CAM on the last ReLU is exactly CAM (Zhou et
    // al. 2016): ReLU(Σ_k w_ck·A_k), scaled to [0, 1]. The maps are at the input's size, so
    // the upsampling is the identity. With a final Softmax the map is the same: the class
    // score is the logit.
    void gradCamIsCamUnderGlobalAveragePooling()
    {
        for (bool softmax : { false, true }) {
            ModelGraph g;
            g.addNode(makeNode("in", "Input", {}, { { "channels", 1 }, { "height", 8 }, { "width", 8 } }));
            g.addNode(
                makeNode("conv", "Conv2D", { "in" }, { { "filters", 4 }, { "kernel", 3 }, { "padding", "same" } }));
            g.addNode(makeNode("relu", "ReLU", { "conv" }));
            g.addNode(makeNode("gap", "GlobalAvgPool2D", { "relu" }));
            g.addNode(makeNode("fc", "Dense", { "gap" }, { { "units", 3 } }));
            if (softmax)
                g.addNode(makeNode("prob", "Softmax", { "fc" }));
            Network net(g, *m_backend, 21);
            const Tensor x = inspect::sampleTensor(m_bars, 2, m_barsNorm);
            for (int cls = 0; cls < 3; ++cls) {
                const inspect::Heatmap cam = inspect::gradCam(net, x, cls, "relu");
                const Tensor& a = net.activation("relu");
                const Tensor& w = net.layer("fc").parameter("weight")->value; // 3×4
                std::vector<double> hand(64, 0.0);
                double peak = 0.0;
                for (int i = 0; i < 64; ++i) {
                    for (int k = 0; k < 4; ++k)
                        hand[static_cast<size_t>(i)] += static_cast<double>(w[cls * 4 + k]) * a[k * 64 + i];
                    hand[static_cast<size_t>(i)] = std::max(0.0, hand[static_cast<size_t>(i)]);
                    peak = std::max(peak, hand[static_cast<size_t>(i)]);
                }
                QVERIFY(peak > 0.0);
                QCOMPARE(cam.values.size(), size_t(64));
                for (int i = 0; i < 64; ++i)
                    QVERIFY2(std::abs(cam.values[static_cast<size_t>(i)] - hand[static_cast<size_t>(i)] / peak) < 1e-5,
                        qPrintable(QString("class %1, pixel %2: %3 vs %4")
                                       .arg(cls)
                                       .arg(i)
                                       .arg(cam.values[static_cast<size_t>(i)])
                                       .arg(hand[static_cast<size_t>(i)] / peak)));
            }
        }
    }

    void layerStatisticsSeeDeadAndSaturatedUnits()
    {
        ModelGraph g;
        g.addNode(makeNode("in", "Input", {}, { { "channels", 1 }, { "height", 4 }, { "width", 4 } }));
        g.addNode(makeNode("flat", "Flatten", { "in" }));
        g.addNode(makeNode("dDead", "Dense", { "flat" }, { { "units", 16 } }));
        g.addNode(makeNode("reluDead", "ReLU", { "dDead" }));
        g.addNode(makeNode("dOk", "Dense", { "flat" }, { { "units", 16 } }));
        g.addNode(makeNode("reluOk", "ReLU", { "dOk" }));
        g.addNode(makeNode("dHuge", "Dense", { "flat" }, { { "units", 16 } }));
        g.addNode(makeNode("tanhSat", "Tanh", { "dHuge" }));
        g.addNode(makeNode("dSmall", "Dense", { "flat" }, { { "units", 16 } }));
        g.addNode(makeNode("tanhOk", "Tanh", { "dSmall" }));
        g.addNode(makeNode("dSig", "Dense", { "flat" }, { { "units", 16 } }));
        g.addNode(makeNode("sigSat", "Sigmoid", { "dSig" }));
        g.addNode(makeNode("cat", "Concat", { "reluDead", "reluOk", "tanhSat", "tanhOk", "sigSat" }));
        g.addNode(makeNode("out", "Dense", { "cat" }, { { "units", 3 } }));
        Network net(g, *m_backend, 8);
        net.layer("dDead").parameter("bias")->value.fill(-100.0f);
        for (const char* node : { "dHuge", "dSig" }) {
            Tensor& w = net.layer(node).parameter("weight")->value;
            for (int64_t i = 0; i < w.size(); ++i)
                w[i] *= 100.0f;
        }
        Tensor& small = net.layer("dSmall").parameter("weight")->value;
        for (int64_t i = 0; i < small.size(); ++i)
            small[i] *= 0.01f;

        const int64_t n = 64;
        Tensor batch(Shape { n, 1, 4, 4 });
        Rng rng(12);
        for (int64_t i = 0; i < batch.size(); ++i)
            batch[i] = rng.normal();
        std::vector<int32_t> labels;
        for (int64_t i = 0; i < n; ++i)
            labels.push_back(static_cast<int32_t>(i % 3));

        const auto stats = inspect::layerStatistics(net, batch, labels, 20);
        QCOMPARE(stats.size(), net.order().size());
        auto find = [&](const std::string& id) -> const inspect::LayerStats& {
            for (const auto& s : stats)
                if (s.node == id)
                    return s;
            throw std::runtime_error("no stats for " + id);
        };
        QCOMPARE(find("reluDead").deadFraction, 1.0);
        QVERIFY2(find("reluOk").deadFraction < 0.1, qPrintable(QString::number(find("reluOk").deadFraction)));
        QVERIFY2(
            find("tanhSat").saturatedFraction > 0.95, qPrintable(QString::number(find("tanhSat").saturatedFraction)));
        QVERIFY2(
            find("sigSat").saturatedFraction > 0.95, qPrintable(QString::number(find("sigSat").saturatedFraction)));
        QVERIFY(find("tanhOk").saturatedFraction < 0.05);
        QCOMPARE(find("dDead").deadFraction, -1.0);
        QCOMPARE(find("reluOk").saturatedFraction, -1.0);
        QCOMPARE(find("tanhOk").type, std::string("Tanh"));

        for (const auto& s : stats) {
            QCOMPARE(static_cast<int64_t>(s.activations.counts.size()), int64_t(20));
            QCOMPARE(s.activations.total(), net.activation(s.node).size());
            Layer& layer = net.layer(s.node);
            const Parameter* w = layer.parameter("weight");
            if (!w) {
                QVERIFY(s.weights.counts.empty());
                QVERIFY(s.gradients.counts.empty());
                continue;
            }
            QCOMPARE(s.weights.total(), w->value.size());
            QCOMPARE(s.gradients.total(), w->grad.size());
            const auto [lo, hi] = std::minmax_element(w->value.data(), w->value.data() + w->value.size());
            QCOMPARE(s.weights.min, *lo);
            QCOMPARE(s.weights.max, *hi);
            double mean = 0.0;
            for (int64_t i = 0; i < w->value.size(); ++i)
                mean += w->value[i];
            mean /= static_cast<double>(w->value.size());
            QVERIFY(std::abs(s.weights.mean - mean) < 1e-6 * std::max(1.0, std::abs(mean)) + 1e-6);
        }
        // Behind a dead ReLU nothing flows back: the weight gradients are all zero.
        QCOMPARE(find("dDead").gradients.min, 0.0f);
        QCOMPARE(find("dDead").gradients.max, 0.0f);
        QVERIFY(find("dOk").gradients.max > find("dOk").gradients.min);

        QVERIFY_THROWS_EXCEPTION(DataError, inspect::layerStatistics(net, batch, { 0, 1 }));
    }
};

void TestInspect::recurrentGradientsVanishForSimpleRnnNotLstm()
{
    // The classic constructed case: 40 steps of one feature, the class score read from the last
    // state. A SimpleRNN (PyTorch's default initialization) passes the score's gradient back
    // through 40 tanh steps and it vanishes; an LSTM whose forget gates start open (bias 3,
    // f ≈ 0.95) carries it back along the cell state.
    const int64_t steps = 40;
    auto gradientSpan = [&](const std::string& type, float forgetBias) {
        ModelGraph g;
        g.addNode(makeNode("in", "Input", {}, { { "channels", 1 }, { "height", steps }, { "width", 1 } }));
        g.addNode(makeNode("rnn", type, { "in" }, { { "units", 16 } }));
        g.addNode(makeNode("fc", "Dense", { "rnn" }, { { "units", 2 } }));
        Network net(g, *m_backend, 3);
        if (forgetBias != 0.0f) {
            Tensor& b = net.layer("rnn").parameter("bias_ih")->value;
            for (int64_t j = 16; j < 32; ++j) // gate order i, f, g, o: f is the second block
                b[j] = forgetBias;
        }
        Tensor x(Shape { 1, 1, steps, 1 });
        Rng rng(5);
        for (int64_t i = 0; i < x.size(); ++i)
            x[i] = rng.normal();
        return inspect::recurrentGates(net, x, "", 0);
    };
    const inspect::RecurrentGates rr = gradientSpan("SimpleRNN", 0.0f), lr = gradientSpan("LSTM", 3.0f);
    for (const inspect::RecurrentGates* r : { &rr, &lr }) {
        QCOMPARE(r->node, std::string("rnn"));
        QCOMPARE(r->trace.steps, steps);
        QCOMPARE(int64_t(r->trace.gradNorm.size()), steps);
        QCOMPARE(int64_t(r->trace.hidden.size()), steps * 16);
        for (const auto& gate : r->trace.gates)
            QCOMPARE(int64_t(gate.size()), steps * 16);
    }
    QCOMPARE(rr.trace.gates.size(), size_t(0));
    const float rnn = rr.trace.gradNorm.front() / rr.trace.gradNorm.back();
    const float lstm = lr.trace.gradNorm.front() / lr.trace.gradNorm.back();
    qInfo("gradient at step 0 / at step 39: SimpleRNN %.3g, LSTM %.3g", rnn, lstm);
    QVERIFY2(rnn < 1e-3f, qPrintable(QString("SimpleRNN kept %1").arg(rnn)));
    QVERIFY2(lstm > 100.0f * rnn, qPrintable(QString("LSTM %1 vs SimpleRNN %2").arg(lstm).arg(rnn)));

    // The LSTM's trace names its gates and the cell state; a non-recurrent node is refused.
    ModelGraph g;
    g.addNode(makeNode("in", "Input", {}, { { "channels", 1 }, { "height", 5 }, { "width", 2 } }));
    g.addNode(makeNode("lstm", "LSTM", { "in" }, { { "units", 3 }, { "bidirectional", true } }));
    g.addNode(makeNode("fc", "Dense", { "lstm" }, { { "units", 2 } }));
    Network net(g, *m_backend, 3);
    Tensor x(Shape { 1, 1, 5, 2 }, 0.5f);
    const inspect::RecurrentGates r = inspect::recurrentGates(net, x, "lstm", -1, 1);
    QCOMPARE(r.trace.gateNames, (std::vector<std::string> { "i", "f", "g", "o", "c" }));
    QCOMPARE(r.direction, 1);
    for (float v : r.trace.gates[1]) // forget gate activations are sigmoids
        QVERIFY(v > 0.0f && v < 1.0f);
    QVERIFY_THROWS_EXCEPTION(GraphError, inspect::recurrentGates(net, x, "fc"));
    QVERIFY_THROWS_EXCEPTION(DataError, inspect::recurrentGates(net, x, "lstm", -1, 2));
}

QTEST_APPLESS_MAIN(TestInspect)
#include "test_inspect.moc"
