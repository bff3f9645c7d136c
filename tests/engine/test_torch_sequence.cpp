// The sequence layer kinds against PyTorch: for each case the same weights, inputs and output
// gradient go to /usr/bin/python3 with torch (tests/engine/python/torch_sequence.py, float64),
// which runs nn.RNN / nn.LSTM / nn.GRU (incl. bidirectional), conv1d, max_pool1d, embedding
// and linear; the outputs, input gradients and every parameter gradient must agree to 1e-4
// relative to each tensor's largest magnitude. Skips (with the reason) without python3/torch.
#include "engine/backend/Backend.h"
#include "engine/core/Rng.h"
#include "engine/layers/LayerRegistry.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <fstream>

using namespace netcanvas;
using nlohmann::json;

namespace {

struct TorchCase {
    std::string type;
    json params;
    Shape input; // per sample
    int64_t batch = 3;
    bool ids = false; // token ids 0..vocab-1
};

std::vector<TorchCase> torchCases()
{
    return {
        { "SimpleRNN", { { "units", 5 } }, { 7, 3 } },
        { "SimpleRNN", { { "units", 4 }, { "return_sequences", true }, { "bidirectional", true } }, { 6, 3 } },
        { "LSTM", { { "units", 5 } }, { 7, 3 } },
        { "LSTM", { { "units", 4 }, { "return_sequences", true } }, { 6, 3 } },
        { "LSTM", { { "units", 4 }, { "return_sequences", true }, { "bidirectional", true } }, { 6, 3 } },
        { "LSTM", { { "units", 3 }, { "bidirectional", true } }, { 5, 2 } },
        { "GRU", { { "units", 5 } }, { 7, 3 } },
        { "GRU", { { "units", 4 }, { "return_sequences", true }, { "bidirectional", true } }, { 6, 3 } },
        { "Conv1D", { { "filters", 4 }, { "kernel", 3 } }, { 8, 3 } },
        { "Conv1D", { { "filters", 3 }, { "kernel", 4 }, { "padding", "same" } }, { 8, 2 } },
        { "Conv1D", { { "filters", 3 }, { "kernel", 3 }, { "stride", 2 }, { "padding", "same" } }, { 9, 2 } },
        { "MaxPool1D", { { "pool", 2 } }, { 8, 3 } },
        { "MaxPool1D", { { "pool", 3 }, { "stride", 2 }, { "padding", "same" } }, { 8, 2 } },
        { "Embedding", { { "vocab", 7 }, { "dim", 4 } }, { 6 }, 3, true },
        { "TimeDistributedDense", { { "units", 4 } }, { 5, 3 } },
    };
}

json tensorJson(const Tensor& t)
{
    return { { "shape", t.shape().dims() }, { "data", std::vector<float>(t.data(), t.data() + t.size()) } };
}

double g_worst = 0.0; // over every comparison, for the log

// Worst |got − want| / max|want| over the tensor; "" when within 1e-4.
std::string compare(const std::string& what, const Tensor& got, const json& want)
{
    const std::vector<double> w = want.get<std::vector<double>>();
    if (static_cast<int64_t>(w.size()) != got.size())
        return what + ": " + std::to_string(got.size()) + " values, PyTorch has " + std::to_string(w.size());
    double scale = 1e-12, worst = 0.0;
    for (double v : w)
        scale = std::max(scale, std::abs(v));
    for (size_t i = 0; i < w.size(); ++i)
        worst = std::max(worst, std::abs(got[int64_t(i)] - w[i]) / scale);
    g_worst = std::max(g_worst, worst);
    return worst <= 1e-4 ? std::string() : what + ": relative difference " + std::to_string(worst);
}

} // namespace

class TestTorchSequence : public QObject {
    Q_OBJECT

private slots:
    void agreesWithPyTorch();
};

void TestTorchSequence::agreesWithPyTorch()
{
    const QString python = "/usr/bin/python3";
    if (!QFileInfo::exists(python))
        QSKIP("no /usr/bin/python3: the PyTorch cross-check needs Debian's python3 with python3-torch");
    auto backend = createCpuBackend(2);
    struct Run {
        std::unique_ptr<Layer> layer;
        Tensor x, y, gy, dx;
    };
    std::vector<Run> runs;
    json cases = json::array();
    Rng rng(99);
    for (const TorchCase& c : torchCases()) {
        Run r;
        r.layer = LayerRegistry::builtin().create(c.type, "node", c.params);
        r.layer->build({ c.input }, rng);
        for (auto& p : r.layer->parameters()) // biases away from their defaults
            for (int64_t i = 0; i < p.value.size(); ++i)
                p.value[i] += p.name.rfind("bias", 0) == 0 ? rng.uniform(-0.5f, 0.5f) : 0.0f;
        r.x = Tensor(c.input.batched(c.batch));
        for (int64_t i = 0; i < r.x.size(); ++i)
            r.x[i] = c.ids ? static_cast<float>(rng.below(7)) : rng.normal();
        r.y = Tensor(r.layer->outputShape({ c.input }).batched(c.batch));
        RunContext ctx { *backend, true, &rng };
        r.layer->forward(ctx, { &r.x }, r.y);
        r.gy = Tensor(r.y.shape());
        for (int64_t i = 0; i < r.gy.size(); ++i)
            r.gy[i] = rng.uniform(-1.0f, 1.0f);
        r.dx = Tensor(r.x.shape());
        r.layer->backward(ctx, { &r.x }, r.y, r.gy, { &r.dx });
        json weights = json::object();
        for (const auto& p : r.layer->parameters())
            weights[p.name] = tensorJson(p.value);
        cases.push_back(
            { { "type", c.type }, { "params", LayerRegistry::builtin().resolveParams(c.type, c.params, "node") },
                { "input", tensorJson(r.x) }, { "weights", weights }, { "gradOut", tensorJson(r.gy) } });
        runs.push_back(std::move(r));
    }
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString in = dir.filePath("cases.json"), out = dir.filePath("torch.json");
    std::ofstream(in.toStdString()) << cases.dump();
    QProcess proc;
    proc.start(python, { QString(NETCANVAS_SOURCE_DIR) + "/tests/engine/python/torch_sequence.py", in, out });
    QVERIFY2(proc.waitForFinished(120000), "python3 did not finish");
    const QString err = QString::fromUtf8(proc.readAllStandardError()).trimmed();
    if (proc.exitCode() == 77)
        QSKIP(qPrintable("PyTorch cross-check skipped: " + err));
    QVERIFY2(proc.exitCode() == 0, qPrintable("torch_sequence.py failed: " + err));
    std::ifstream resultFile(out.toStdString());
    const json results = json::parse(resultFile);
    QCOMPARE(results.size(), cases.size());
    std::string failures;
    for (size_t k = 0; k < runs.size(); ++k) {
        const Run& r = runs[k];
        const json& res = results[k];
        const std::string label = "\n  " + cases[k]["type"].get<std::string>() + " " + torchCases()[k].params.dump();
        std::vector<std::string> problems { compare("output", r.y, res["output"]) };
        if (res.contains("inputGrad"))
            problems.push_back(compare("input gradient", r.dx, res["inputGrad"]));
        for (const auto& p : r.layer->parameters()) {
            if (!res["grads"].contains(p.name))
                problems.push_back("PyTorch has no parameter " + p.name);
            else
                problems.push_back(compare(p.name + " gradient", p.grad, res["grads"][p.name]));
        }
        for (const std::string& m : problems)
            if (!m.empty())
                failures += label + ": " + m;
    }
    qInfo("%zu cases, worst relative difference from PyTorch %.2e", runs.size(), g_worst);
    QVERIFY(g_worst > 0.0); // the comparison ran on real values
    QVERIFY2(failures.empty(), ("disagreements with PyTorch:" + failures).c_str());
}

QTEST_APPLESS_MAIN(TestTorchSequence)
#include "test_torch_sequence.moc"
