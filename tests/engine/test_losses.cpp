// Losses (gradient checks, stability, label errors), the L1/L2 penalty gradient and the
// confusion matrix.
#include "engine/backend/Backend.h"
#include "engine/core/Error.h"
#include "engine/core/Rng.h"
#include "engine/train/Loss.h"
#include "engine/train/Metrics.h"
#include "engine/train/Optimizer.h"

#include <QtTest>
#include <cmath>
#include <functional>

using namespace netcanvas;

namespace {
// The optimizers run on a backend: the CPU's, whose memory is the host's (plain tensors).
Backend& testBackend()
{
    static const std::unique_ptr<Backend> backend = createCpuBackend(1);
    return *backend;
}
} // namespace

namespace {

Tensor randomTensor(const Shape& s, Rng& rng, float scale = 1.0f)
{
    Tensor t(s);
    for (int64_t i = 0; i < t.size(); ++i)
        t[i] = scale * rng.normal();
    return t;
}

// Central differences of f at every element of x against the analytic gradient.
void checkGradient(
    Tensor& x, const Tensor& analytic, const std::function<double()>& f, double eps = 1e-2, double tol = 2e-3)
{
    QCOMPARE(analytic.shape(), x.shape());
    for (int64_t i = 0; i < x.size(); ++i) {
        const float saved = x[i];
        x[i] = saved + static_cast<float>(eps);
        const double up = f();
        x[i] = saved - static_cast<float>(eps);
        const double down = f();
        x[i] = saved;
        const double numeric = (up - down) / (2 * eps);
        const double err = std::abs(numeric - analytic[i]);
        if (err > tol * std::max(1.0, std::abs(numeric)))
            QFAIL(qPrintable(QString("element %1: analytic %2, numeric %3").arg(i).arg(analytic[i]).arg(numeric)));
    }
}

} // namespace

class TestLosses : public QObject {
    Q_OBJECT
private slots:
    void crossEntropyGradient()
    {
        Rng rng(7);
        Tensor logits = randomTensor({ 6, 5 }, rng, 2.0f);
        const std::vector<int32_t> labels { 0, 4, 2, 2, 1, 3 };
        Tensor grad, probs;
        const float loss = softmaxCrossEntropy(logits, labels, grad, &probs);
        QVERIFY(loss > 0.0f);
        // Probabilities: rows sum to one; grad rows sum to zero.
        for (int r = 0; r < 6; ++r) {
            double ps = 0.0, gs = 0.0;
            for (int j = 0; j < 5; ++j) {
                ps += probs[r * 5 + j];
                gs += grad[r * 5 + j];
            }
            QVERIFY(std::abs(ps - 1.0) < 1e-5);
            QVERIFY(std::abs(gs) < 1e-6);
        }
        Tensor scratch;
        checkGradient(logits, grad, [&] { return static_cast<double>(softmaxCrossEntropy(logits, labels, scratch)); });
        // computeLoss dispatches to the same function.
        Tensor g2;
        QCOMPARE(computeLoss(LossKind::CrossEntropy, logits, labels, g2), loss);
    }

    void crossEntropyOnProbabilitiesMatchesFused()
    {
        // A model that ends in Softmax: NLL on the probabilities, back through the softmax
        // Jacobian, equals the fused gradient on the logits; and its own gradient is right.
        Rng rng(11);
        Tensor logits = randomTensor({ 4, 6 }, rng, 1.5f);
        const std::vector<int32_t> labels { 5, 0, 3, 3 };
        Tensor fusedGrad, probs;
        const float fused = softmaxCrossEntropy(logits, labels, fusedGrad, &probs);
        Tensor probGrad;
        const float onProbs = computeLoss(LossKind::CrossEntropy, probs, labels, probGrad, true);
        QVERIFY(std::abs(fused - onProbs) < 1e-5f);
        for (int r = 0; r < 4; ++r) {
            double dot = 0.0;
            for (int j = 0; j < 6; ++j)
                dot += probGrad[r * 6 + j] * probs[r * 6 + j];
            for (int j = 0; j < 6; ++j) {
                const double viaSoftmax = probs[r * 6 + j] * (probGrad[r * 6 + j] - dot);
                QVERIFY2(std::abs(viaSoftmax - fusedGrad[r * 6 + j]) < 1e-5, qPrintable(QString::number(viaSoftmax)));
            }
        }
        Tensor p = probs, scratch;
        checkGradient(
            p, probGrad, [&] { return static_cast<double>(crossEntropyOnProbabilities(p, labels, scratch)); }, 1e-4,
            5e-3);
    }

    void crossEntropyKnownValue()
    {
        // Uniform logits: loss = log K.
        Tensor logits({ 2, 4 }, 3.0f), grad;
        const float loss = softmaxCrossEntropy(logits, { 1, 3 }, grad);
        QVERIFY(std::abs(loss - std::log(4.0f)) < 1e-6);
        QVERIFY(std::abs(grad[1] - (0.25f - 1.0f) / 2.0f) < 1e-7);
        QVERIFY(std::abs(grad[0] - 0.25f / 2.0f) < 1e-7);
    }

    void crossEntropyHugeLogits()
    {
        Tensor logits({ 2, 3 }, std::vector<float> { 1000.0f, -1000.0f, 0.0f, -1000.0f, 1000.0f, 999.0f }), grad;
        // Row 0, label 0: ~0. Row 1, label 0: 2000 + log(1 + e^-1).
        const float loss = softmaxCrossEntropy(logits, { 0, 0 }, grad);
        QVERIFY(std::isfinite(loss));
        const double expected = (0.0 + 2000.0 + std::log(1.0 + std::exp(-1.0))) / 2.0;
        QVERIFY2(std::abs(loss - expected) < 1e-2, qPrintable(QString::number(loss)));
        QVERIFY(grad.allFinite());
        QVERIFY(std::abs(grad[3] - (-0.5f)) < 1e-6); // p≈0 for the true class
        // Huge negative only.
        Tensor neg({ 1, 2 }, std::vector<float> { -1000.0f, -1001.0f });
        QVERIFY(std::isfinite(softmaxCrossEntropy(neg, { 1 }, grad)));
    }

    void labelOutOfRange()
    {
        Tensor logits({ 3, 4 }), grad;
        try {
            softmaxCrossEntropy(logits, { 0, 1, 7 }, grad);
            QFAIL("no error");
        } catch (const DataError& e) {
            const QString m = e.what();
            QVERIFY2(m.contains("label 7") && m.contains("row 2"), e.what());
        }
        QVERIFY_THROWS_EXCEPTION(DataError, meanSquaredError(logits, { 0, -1, 2 }, grad));
        QVERIFY_THROWS_EXCEPTION(ShapeError, softmaxCrossEntropy(logits, { 0, 1 }, grad));
        QVERIFY_THROWS_EXCEPTION(FormatError, lossKindFromString("hinge"));
        QVERIFY(lossKindFromString("mse") == LossKind::MeanSquaredError);
        QCOMPARE(toString(LossKind::CrossEntropy), std::string("cross_entropy"));
    }

    void mseGradients()
    {
        Rng rng(3);
        Tensor out = randomTensor({ 4, 3 }, rng);
        const std::vector<int32_t> labels { 2, 0, 1, 1 };
        Tensor grad, scratch;
        const float loss = meanSquaredError(out, labels, grad);
        double expected = 0.0;
        for (int r = 0; r < 4; ++r)
            for (int j = 0; j < 3; ++j) {
                const double d = out[r * 3 + j] - (j == labels[static_cast<size_t>(r)] ? 1.0 : 0.0);
                expected += d * d;
            }
        QVERIFY(std::abs(loss - expected / 12.0) < 1e-6);
        checkGradient(out, grad, [&] { return static_cast<double>(meanSquaredError(out, labels, scratch)); });

        Tensor target = randomTensor({ 2, 2, 3 }, rng);
        Tensor out2 = randomTensor({ 2, 2, 3 }, rng);
        meanSquaredError(out2, target, grad);
        checkGradient(out2, grad, [&] { return static_cast<double>(meanSquaredError(out2, target, scratch)); });
        QVERIFY_THROWS_EXCEPTION(ShapeError, meanSquaredError(out2, out, grad));
    }

    void penaltyGradient()
    {
        // The gradient the optimizer adds (l1·sign(w) + l2·w) is the gradient of penalty().
        Rng rng(11);
        Parameter w { "weight", randomTensor({ 3, 4 }, rng), Tensor({ 3, 4 }), true, true };
        Parameter b { "bias", randomTensor({ 4 }, rng), Tensor({ 4 }), true, false };
        std::vector<NamedParameter> params { { "dense", &w }, { "dense", &b } };
        OptimizerConfig c;
        c.kind = "sgd";
        c.momentum = 0.0;
        c.l1 = 0.03;
        c.l2 = 0.2;
        auto opt = Optimizer::create(c, testBackend());
        double expected = 0.0;
        for (int64_t i = 0; i < w.value.size(); ++i)
            expected += c.l1 * std::abs(w.value[i]) + 0.5 * c.l2 * w.value[i] * w.value[i];
        QVERIFY(std::abs(opt->penalty(params) - expected) < 1e-5);

        Tensor before = w.value;
        Tensor biasBefore = b.value;
        opt->step(params, 1.0); // zero grads, lr 1: w_new = w - dPenalty/dw
        Tensor analytic(w.value.shape());
        for (int64_t i = 0; i < w.value.size(); ++i)
            analytic[i] = before[i] - w.value[i];
        w.value.copyFrom(before);
        checkGradient(
            w.value, analytic, [&] { return opt->penalty(params); }, 1e-3, 1e-3);
        // The bias (regularize=false) is untouched and not in the penalty.
        for (int64_t i = 0; i < b.value.size(); ++i)
            QCOMPARE(b.value[i], biasBefore[i]);
    }

    void confusionMatrix()
    {
        ConfusionMatrix cm(3);
        Tensor scores({ 5, 3 },
            std::vector<float> { 0.9f, 0.1f, 0.0f, //
                0.1f, 0.8f, 0.1f, //
                0.1f, 0.2f, 0.7f, //
                0.6f, 0.3f, 0.1f, //
                0.1f, 0.1f, 0.8f });
        cm.addBatch(scores, { 0, 1, 2, 1, 1 });
        QCOMPARE(cm.total(), int64_t(5));
        QCOMPARE(cm.at(1, 0), int64_t(1));
        QCOMPARE(cm.at(1, 2), int64_t(1));
        QVERIFY(std::abs(cm.accuracy() - 0.6) < 1e-12);
        QCOMPARE(cm.support(1), int64_t(3));
        QVERIFY(std::abs(cm.precision(0) - 0.5) < 1e-12);
        QVERIFY(std::abs(cm.recall(1) - 1.0 / 3.0) < 1e-12);
        QVERIFY(std::abs(cm.f1(2) - 2.0 * 0.5 * 1.0 / 1.5) < 1e-12);
        QCOMPARE(argmaxRow(scores, 2), 2);
        QVERIFY_THROWS_EXCEPTION(DataError, cm.add(3, 0));

        const std::string text
            = cm.toText({ "cat", "a_really_long_class_name_that_goes_on_and_on", "\u00e9l\u00e9phant" });
        QVERIFY(text.find("cat") != std::string::npos);
        QVERIFY(text.find("\u2026") != std::string::npos); // truncated
        QVERIFY(text.find("a_really_long_class_name_that_goes_on") == std::string::npos);
        QVERIFY(text.find("accuracy") != std::string::npos && text.find("0.600") != std::string::npos);
        // Rows of the matrix align: every line of the matrix block has the same display width.
        QStringList lines = QString::fromStdString(text).split('\n');
        QCOMPARE(lines[1].size(), lines[2].size());
        QCOMPARE(lines[2].size(), lines[3].size());
        QCOMPARE(lines[3].size(), lines[4].size());
        QVERIFY(std::isnan(ConfusionMatrix(2).accuracy()));
    }
};

QTEST_APPLESS_MAIN(TestLosses)
#include "test_losses.moc"
