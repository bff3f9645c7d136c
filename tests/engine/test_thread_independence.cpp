// One training step of whole networks with 1 and with 2 backend threads: the loss, every
// parameter's gradient and every parameter after the SGD step agree within float tolerance.
// The engine splits batches, GEMMs and reductions differently per thread count (and hands
// large GEMMs to OpenBLAS when built with it); summation order may differ, nothing else.
// Models: models/mlp.json (Dense GEMMs split across threads), lenet5.json (small
// convolutions computed directly, samples split across threads) and vgg-small.json (large convolutions:
// one GEMM per sample, dX as a convolution of dY with the flipped filters, im2col kept from
// forward to backward).
#include "engine/backend/Backend.h"
#include "engine/core/Rng.h"
#include "engine/graph/ModelJson.h"
#include "engine/train/Loss.h"
#include "engine/train/Network.h"
#include "engine/train/Optimizer.h"
#include "engine/train/TrainConfig.h"

#include <QtTest>
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

using namespace netcanvas;

namespace {

struct StepResult {
    float loss = 0.0f;
    std::vector<std::string> names;
    std::vector<Tensor> grads, values;
};

StepResult oneStep(const std::string& model, int threads, int64_t batch)
{
    const ModelGraph graph = loadModelFile(std::string(NETCANVAS_SOURCE_DIR) + "/models/" + model + ".json");
    const GraphAnalysis a = graph.validate();
    auto backend = createCpuBackend(threads);
    Network net(graph, *backend, 42);
    const TrainConfig recipe = trainConfigFromJson(graph.training);
    const GraphNode* outNode = graph.node(a.outputNode);
    const bool probabilities = outNode && outNode->type == "Softmax" && a.outputShape.rank() == 1;
    OptimizerConfig oc;
    oc.kind = "sgd";
    oc.learningRate = 0.05;
    oc.momentum = 0.9;
    auto optimizer = Optimizer::create(oc, *backend);
    const std::vector<NamedParameter> trainable = net.trainableParameters();

    Rng rng(7);
    Tensor x(a.inputShape.batched(batch));
    for (int64_t i = 0; i < x.size(); ++i)
        x[i] = rng.normal();
    std::vector<int32_t> labels(static_cast<size_t>(batch));
    for (auto& y : labels)
        y = static_cast<int32_t>(rng.below(static_cast<uint64_t>(a.outputShape.numel())));

    StepResult r;
    Tensor grad;
    const Tensor& out = net.forward(x, true);
    r.loss = computeLoss(recipe.loss, out, labels, grad, probabilities);
    net.backward(grad);
    for (const auto& p : trainable) {
        r.names.push_back(p.key());
        Tensor g;
        g.copyFrom(p.param->grad);
        r.grads.push_back(std::move(g));
    }
    optimizer->step(trainable, oc.learningRate);
    for (const auto& p : trainable) {
        Tensor v;
        v.copyFrom(p.param->value);
        r.values.push_back(std::move(v));
    }
    return r;
}

double maxAbs(const Tensor& t)
{
    double m = 0.0;
    for (int64_t i = 0; i < t.size(); ++i)
        m = std::max(m, static_cast<double>(std::abs(t[i])));
    return m;
}

double maxAbsDiff(const Tensor& a, const Tensor& b)
{
    double m = 0.0;
    for (int64_t i = 0; i < a.size(); ++i)
        m = std::max(m, static_cast<double>(std::abs(a[i] - b[i])));
    return m;
}

} // namespace

class TestThreadIndependence : public QObject {
    Q_OBJECT
private slots:
    void oneTrainingStep_data()
    {
        QTest::addColumn<QString>("model");
        QTest::addColumn<int>("batch");
        QTest::newRow("mlp") << "mlp" << 32;
        QTest::newRow("lenet5") << "lenet5" << 16;
        QTest::newRow("vgg-small") << "vgg-small" << 6;
    }

    void oneTrainingStep()
    {
        QFETCH(QString, model);
        QFETCH(int, batch);
        const StepResult one = oneStep(model.toStdString(), 1, batch);
        const StepResult two = oneStep(model.toStdString(), 2, batch);
        QVERIFY(std::isfinite(one.loss));
        QVERIFY2(std::abs(one.loss - two.loss) <= 1e-5 * std::max(1.0f, std::abs(one.loss)),
            qPrintable(QString("loss %1 vs %2").arg(one.loss).arg(two.loss)));
        QCOMPARE(one.names.size(), two.names.size());
        for (size_t i = 0; i < one.names.size(); ++i) {
            // Gradients: relative to the tensor's largest entry (summation order differs).
            const double gScale = std::max(maxAbs(one.grads[i]), 1e-6);
            const double gDiff = maxAbsDiff(one.grads[i], two.grads[i]);
            QVERIFY2(gDiff <= 1e-4 * gScale,
                qPrintable(QString("%1 gradient: max difference %2 (largest entry %3)")
                               .arg(QString::fromStdString(one.names[i]))
                               .arg(gDiff)
                               .arg(gScale)));
            // Parameters after the step.
            const double vScale = std::max(maxAbs(one.values[i]), 1e-3);
            const double vDiff = maxAbsDiff(one.values[i], two.values[i]);
            QVERIFY2(vDiff <= 1e-5 * vScale,
                qPrintable(QString("%1 after the step: max difference %2 (largest entry %3)")
                               .arg(QString::fromStdString(one.names[i]))
                               .arg(vDiff)
                               .arg(vScale)));
        }
    }
};

QTEST_GUILESS_MAIN(TestThreadIndependence)
#include "test_thread_independence.moc"
