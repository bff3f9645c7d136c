// Optimizers against PyTorch's update equations (values worked out by hand), regularization
// only where regularize=true, learning-rate schedules, and the training-recipe JSON.
#include "engine/backend/Backend.h"
#include "engine/core/Error.h"
#include "engine/train/Optimizer.h"
#include "engine/train/Schedule.h"
#include "engine/train/TrainConfig.h"

#include <QtTest>
#include <cmath>

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

// One weight [1, -2] whose gradient the test sets before each step.
struct Fixture {
    Parameter w { "weight", Tensor({ 2 }, std::vector<float> { 1.0f, -2.0f }), Tensor({ 2 }), true, true };
    std::vector<NamedParameter> params() { return { { "n", &w } }; }
    void setGrad(float a, float b)
    {
        w.grad[0] = a;
        w.grad[1] = b;
    }
};

const float kGrads[3][2] = { { 0.5f, -1.0f }, { 0.1f, 0.3f }, { -0.2f, 0.4f } };

// Runs three steps and returns the first element after each.
std::vector<double> run(OptimizerConfig c, double lr, std::vector<double>* second = nullptr)
{
    Fixture f;
    auto opt = Optimizer::create(c, testBackend());
    std::vector<double> out;
    for (const auto& g : kGrads) {
        f.setGrad(g[0], g[1]);
        opt->step(f.params(), lr);
        out.push_back(f.w.value[0]);
        if (second)
            second->push_back(f.w.value[1]);
    }
    return out;
}

bool near(double a, double b, double tol = 2e-6)
{
    return std::abs(a - b) <= tol * std::max(1.0, std::abs(b));
}

#define CHECK_NEAR(a, b) QVERIFY2(near((a), (b)), qPrintable(QString("%1 != %2").arg(a, 0, 'g', 10).arg(b, 0, 'g', 10)))

// Reference Adam/AdamW in double, exactly torch.optim.Adam(W) (amsgrad=False).
std::vector<double> adamReference(
    double w, double lr, double b1, double b2, double eps, double wd, bool decoupled, int element)
{
    double m = 0, v = 0;
    std::vector<double> out;
    for (int t = 1; t <= 3; ++t) {
        double g = kGrads[t - 1][element];
        if (decoupled)
            w *= 1 - lr * wd;
        else
            g += wd * w;
        m = b1 * m + (1 - b1) * g;
        v = b2 * v + (1 - b2) * g * g;
        const double bc1 = 1 - std::pow(b1, t), bc2 = 1 - std::pow(b2, t);
        w -= lr / bc1 * m / (std::sqrt(v) / std::sqrt(bc2) + eps);
        out.push_back(w);
    }
    return out;
}

} // namespace

class TestOptimizers : public QObject {
    Q_OBJECT
private slots:
    void sgdPlain()
    {
        OptimizerConfig c;
        c.kind = "sgd";
        c.momentum = 0.0;
        const auto w = run(c, 0.1);
        CHECK_NEAR(w[0], 1.0 - 0.05);
        CHECK_NEAR(w[1], 0.95 - 0.01);
        CHECK_NEAR(w[2], 0.94 + 0.02);
    }

    void sgdMomentum()
    {
        OptimizerConfig c;
        c.kind = "sgd";
        c.momentum = 0.9;
        // buf1 = g1 = 0.5 → w = 0.95; buf2 = 0.45 + 0.1 = 0.55 → 0.895; buf3 = 0.495 - 0.2 = 0.295 → 0.8655
        const auto w = run(c, 0.1);
        CHECK_NEAR(w[0], 0.95);
        CHECK_NEAR(w[1], 0.895);
        CHECK_NEAR(w[2], 0.8655);
    }

    void sgdNesterov()
    {
        OptimizerConfig c;
        c.kind = "sgd";
        c.momentum = 0.9;
        c.nesterov = true;
        // step 1: buf = 0.5, d = 0.5 + 0.45 = 0.95 → 0.905; step 2: buf = 0.55, d = 0.1 + 0.495 → 0.8455
        // step 3: buf = 0.295, d = -0.2 + 0.2655 = 0.0655 → 0.83895
        const auto w = run(c, 0.1);
        CHECK_NEAR(w[0], 0.905);
        CHECK_NEAR(w[1], 0.8455);
        CHECK_NEAR(w[2], 0.83895);
    }

    void sgdWeightDecay()
    {
        OptimizerConfig c;
        c.kind = "sgd";
        c.momentum = 0.9;
        c.weightDecay = 0.1;
        // step 1: g = 0.5 + 0.1 = 0.6 = buf → 0.94; step 2: g = 0.1 + 0.094 = 0.194, buf = 0.54 + 0.194 = 0.734 →
        // 0.8666
        const auto w = run(c, 0.1);
        CHECK_NEAR(w[0], 0.94);
        CHECK_NEAR(w[1], 0.8666);
    }

    void adam()
    {
        OptimizerConfig c;
        c.kind = "adam";
        c.beta1 = 0.9;
        c.beta2 = 0.999;
        c.epsilon = 1e-8;
        std::vector<double> second;
        const auto w = run(c, 0.1, &second);
        // The first Adam step moves every weight by lr·sign(g) (up to eps).
        CHECK_NEAR(w[0], 0.9);
        CHECK_NEAR(second[0], -1.9);
        // m = 0.055, v = 0.00025975; m̂ = 0.055/0.19, v̂ = 0.00025975/0.001999 → 0.9 - 0.1·0.289474/0.360472
        CHECK_NEAR(w[1], 0.8196959);
        const auto ref = adamReference(1.0, 0.1, 0.9, 0.999, 1e-8, 0.0, false, 0);
        const auto ref2 = adamReference(-2.0, 0.1, 0.9, 0.999, 1e-8, 0.0, false, 1);
        for (int i = 0; i < 3; ++i) {
            CHECK_NEAR(w[static_cast<size_t>(i)], ref[static_cast<size_t>(i)]);
            CHECK_NEAR(second[static_cast<size_t>(i)], ref2[static_cast<size_t>(i)]);
        }
        // Coupled weight decay for adam.
        c.weightDecay = 0.05;
        const auto wd = run(c, 0.1);
        const auto refWd = adamReference(1.0, 0.1, 0.9, 0.999, 1e-8, 0.05, false, 0);
        for (int i = 0; i < 3; ++i)
            CHECK_NEAR(wd[static_cast<size_t>(i)], refWd[static_cast<size_t>(i)]);
    }

    void adamW()
    {
        OptimizerConfig c;
        c.kind = "adamw";
        c.weightDecay = 0.1;
        const auto w = run(c, 0.1);
        // step 1: w·(1 - 0.01) = 0.99, then - 0.1 → 0.89
        CHECK_NEAR(w[0], 0.89);
        const auto ref = adamReference(1.0, 0.1, 0.9, 0.999, 1e-8, 0.1, true, 0);
        for (int i = 0; i < 3; ++i)
            CHECK_NEAR(w[static_cast<size_t>(i)], ref[static_cast<size_t>(i)]);
    }

    void rmsprop()
    {
        OptimizerConfig c;
        c.kind = "rmsprop";
        c.rmsAlpha = 0.99;
        c.epsilon = 1e-8;
        c.momentum = 0.0;
        // sq = 0.0025 → w = 1 - 0.01·0.5/0.05 = 0.9; sq = 0.002575 → 0.9 - 0.001/0.0507445 = 0.8802933
        const auto w = run(c, 0.01);
        CHECK_NEAR(w[0], 0.9);
        QVERIFY(near(w[1], 0.9 - 0.001 / std::sqrt(0.002575), 1e-6));
        CHECK_NEAR(w[1], 0.88029341);

        c.momentum = 0.9;
        // buf = 0.5/0.05 = 10 → 0.9; buf = 9 + 0.1/0.0507445 → 0.9 - 0.01·10.970668
        const auto m = run(c, 0.01);
        CHECK_NEAR(m[0], 0.9);
        CHECK_NEAR(m[1], 0.9 - 0.01 * (9.0 + 0.1 / std::sqrt(0.002575)));
    }

    void regularizationOnlyWhereAsked()
    {
        for (const char* kind : { "sgd", "adam", "adamw", "rmsprop" }) {
            Parameter w { "weight", Tensor({ 3 }, 1.0f), Tensor({ 3 }), true, true };
            Parameter b { "bias", Tensor({ 3 }, 1.0f), Tensor({ 3 }), true, false };
            Parameter stats { "running_mean", Tensor({ 3 }, 1.0f), Tensor(), false, false };
            std::vector<NamedParameter> params { { "n", &w }, { "n", &b }, { "n", &stats } };
            OptimizerConfig c;
            c.kind = kind;
            c.l2 = 0.5;
            c.l1 = 0.1;
            c.weightDecay = 0.1;
            auto opt = Optimizer::create(c, testBackend());
            for (int s = 0; s < 2; ++s) {
                w.grad.zero();
                b.grad.zero();
                opt->step(params, 0.1);
            }
            QVERIFY2(w.value[0] < 1.0f, kind); // decayed towards 0
            QCOMPARE(b.value[0], 1.0f); // zero gradient, no regularization
            QCOMPARE(stats.value[0], 1.0f); // not trainable
            // penalty counts only the regularized weight: 0.1·3·|w| + 0.25·3·w²
            const double wv = w.value[0];
            QVERIFY(std::abs(opt->penalty(params) - (0.3 * std::abs(wv) + 0.75 * wv * wv)) < 1e-5);
        }
        OptimizerConfig bad;
        bad.kind = "lbfgs";
        QVERIFY_THROWS_EXCEPTION(FormatError, Optimizer::create(bad, testBackend()));
    }

    void schedules()
    {
        ScheduleConfig s;
        QCOMPARE(learningRateAt(s, 0.1, 57, 100, 10), 0.1);

        s.warmupEpochs = 2; // 20 warm-up steps
        QVERIFY(near(learningRateAt(s, 0.1, 0, 100, 10), 0.1 / 20));
        QVERIFY(near(learningRateAt(s, 0.1, 9, 100, 10), 0.1 * 10 / 20));
        QVERIFY(near(learningRateAt(s, 0.1, 19, 100, 10), 0.1));
        QVERIFY(near(learningRateAt(s, 0.1, 20, 100, 10), 0.1));

        s = {};
        s.kind = "step";
        s.stepEpochs = 3;
        s.gamma = 0.1;
        QVERIFY(near(learningRateAt(s, 0.1, 29, 100, 10), 0.1));
        QVERIFY(near(learningRateAt(s, 0.1, 30, 100, 10), 0.01));
        QVERIFY(near(learningRateAt(s, 0.1, 65, 100, 10), 0.001));

        s = {};
        s.kind = "cosine";
        s.minLearningRate = 0.001;
        QVERIFY(near(learningRateAt(s, 0.1, 0, 100, 10), 0.1));
        QVERIFY(near(learningRateAt(s, 0.1, 50, 100, 10), (0.1 + 0.001) / 2));
        QVERIFY(near(learningRateAt(s, 0.1, 100, 100, 10), 0.001));
        QVERIFY(learningRateAt(s, 0.1, 99, 100, 10) < 0.00103);
        s.warmupEpochs = 1;
        QVERIFY(near(learningRateAt(s, 0.1, 0, 100, 10), 0.01));
        QVERIFY(near(learningRateAt(s, 0.1, 10, 100, 10), 0.1));
        QVERIFY(near(learningRateAt(s, 0.1, 55, 100, 10), (0.1 + 0.001) / 2));
        QVERIFY(near(learningRateAt(s, 0.1, 100, 100, 10), 0.001));

        s.kind = "exponential";
        QVERIFY_THROWS_EXCEPTION(FormatError, learningRateAt(s, 0.1, 0, 100, 10));
    }

    void trainConfigRoundTrip()
    {
        TrainConfig c;
        c.epochs = 12;
        c.batchSize = 32;
        c.optimizer.kind = "adamw";
        c.optimizer.learningRate = 0.003;
        c.optimizer.weightDecay = 0.01;
        c.optimizer.nesterov = true;
        c.optimizer.l1 = 1e-5;
        c.schedule.kind = "cosine";
        c.schedule.warmupEpochs = 2;
        c.schedule.minLearningRate = 1e-5;
        c.loss = LossKind::MeanSquaredError;
        c.seed = 1234567890123ull;
        c.validationFraction = 0.2;
        c.normalize = false;
        c.augmentation.flipHorizontal = true;
        c.augmentation.maxShift = 2;
        c.augmentation.maxRotation = 10.0f;
        c.earlyStoppingPatience = 3;
        const nlohmann::json j = trainConfigToJson(c);
        const TrainConfig back = trainConfigFromJson(j);
        QCOMPARE(trainConfigToJson(back), j);
        QCOMPARE(back.epochs, 12);
        QCOMPARE(back.optimizer.kind, std::string("adamw"));
        QCOMPARE(back.seed, c.seed);
        QCOMPARE(back.augmentation.maxShift, 2);
        QVERIFY(back.loss == LossKind::MeanSquaredError);

        // A partial recipe changes only what it names.
        const TrainConfig partial = trainConfigFromJson({ { "epochs", 3 }, { "schedule", { { "kind", "step" } } } }, c);
        QCOMPARE(partial.epochs, 3);
        QCOMPARE(partial.schedule.kind, std::string("step"));
        QCOMPARE(partial.batchSize, int64_t(32));
    }

    void trainConfigErrors_data()
    {
        QTest::addColumn<QString>("json");
        QTest::addColumn<QString>("expected");
        QTest::newRow("unknown key") << R"({"epoch": 3})"
                                     << "training.epoch: unknown key";
        QTest::newRow("wrong type") << R"({"batch_size": "64"})"
                                    << "training.batch_size: must be an integer";
        QTest::newRow("fraction") << R"({"epochs": 2.5})"
                                  << "training.epochs: must be an integer";
        QTest::newRow("range") << R"({"learning_rate": -1})"
                               << "training.learning_rate: must be in";
        QTest::newRow("bool") << R"({"normalize": 1})"
                              << "training.normalize: must be true or false";
        QTest::newRow("optimizer") << R"({"optimizer": "lbfgs"})"
                                   << "training.optimizer: must be one of";
        QTest::newRow("schedule kind") << R"({"schedule": {"kind": "exp"}})"
                                       << "training.schedule.kind: must be one of";
        QTest::newRow("schedule key") << R"({"schedule": {"steps": 3}})"
                                      << "training.schedule.steps: unknown key";
        QTest::newRow("schedule type") << R"({"schedule": 3})"
                                       << "training.schedule: must be an object";
        QTest::newRow("augment") << R"({"augment": {"shift": -1}})"
                                 << "training.augment.shift: must be in";
        QTest::newRow("loss") << R"({"loss": "hinge"})"
                              << "training.loss: must be one of";
        QTest::newRow("seed") << R"({"seed": -4})"
                              << "training.seed: must be a non-negative integer";
        QTest::newRow("not object") << R"([1, 2])"
                                    << "training: must be an object";
    }

    void trainConfigErrors()
    {
        QFETCH(QString, json);
        QFETCH(QString, expected);
        try {
            trainConfigFromJson(nlohmann::json::parse(json.toStdString()));
            QFAIL("no error");
        } catch (const FormatError& e) {
            QVERIFY2(QString(e.what()).startsWith(expected), e.what());
        }
    }
};

QTEST_APPLESS_MAIN(TestOptimizers)
#include "test_optimizers.moc"
