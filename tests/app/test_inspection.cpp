// Inspecting in the app: InspectionController serves feature maps, explanations, the test
// evaluation and layer statistics from the run's weights on its own thread — the same
// numbers as the engine computes directly, the same confusion matrix as the run's own
// test evaluation — also live while training runs, and from a saved weights file; the
// InspectDock shows them.
#include "app/InspectDock.h"
#include "app/InspectionController.h"
#include "app/TrainingController.h"
#include "app/TrainingWorker.h"
#include "common/Fixtures.h"
#include "engine/data/SequenceData.h"
#include "engine/data/Split.h"
#include "engine/inspect/Inspect.h"
#include "engine/io/Safetensors.h"
#include "widgets/inspect/ConfusionMatrixView.h"
#include "widgets/inspect/FeatureMapView.h"

#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>

Q_DECLARE_METATYPE(netcanvas::app::FeatureMapsResult)
Q_DECLARE_METATYPE(netcanvas::app::ExplainResult)
Q_DECLARE_METATYPE(netcanvas::inspect::Evaluation)
Q_DECLARE_METATYPE(netcanvas::app::RecurrentGatesResult)

using namespace netcanvas;
using netcanvas::app::InspectionController;
using netcanvas::app::TrainingController;

class TestInspection : public QObject {
    Q_OBJECT

private:
    std::shared_ptr<Dataset> m_data;
    DataSplit m_split;
    TrainConfig m_config;

    // Trains the bars CNN to the end on `controller`.
    void train(TrainingController& controller, int epochs)
    {
        m_config.epochs = epochs;
        QSignalSpy finished(&controller, &TrainingController::finished);
        QVERIFY(controller.start(fixtures::barsCnn(), m_data, m_split, m_config));
        QVERIFY(finished.wait(60000));
    }

private slots:
    void initTestCase()
    {
        TrainingController::registerMetaTypes();
        m_data = std::make_shared<Dataset>(fixtures::barsDataset(80, 5));
        m_split = splitDataset(*m_data, 0.15, 0.2, 3);
        m_config.batchSize = 16;
        m_config.optimizer.kind = "adam";
        m_config.optimizer.learningRate = 0.01;
        m_config.threads = 1;
    }

    void servesTheRunsWeights()
    {
        TrainingController training;
        train(training, 3);
        InspectionController inspector(&training);
        QVERIFY(!inspector.hasSource());
        inspector.useTrainingRun();
        QVERIFY(inspector.hasSource());
        QCOMPARE(inspector.data().testIndices, m_split.test);

        // Feature maps equal the engine's on a network holding the run's weights.
        QSignalSpy maps(&inspector, &InspectionController::featureMapsReady);
        const int64_t sample = m_split.test.front();
        inspector.requestFeatureMaps(sample, QStringLiteral("conv"));
        QVERIFY(maps.wait(20000));
        const auto r = maps.front().at(0).value<app::FeatureMapsResult>();
        auto backend = createCpuBackend(1);
        Network reference(fixtures::barsCnn(), *backend, 99);
        Normalization norm;
        QVERIFY(training.session()->copySnapshot(reference, &norm));
        const inspect::FeatureMaps expected
            = inspect::featureMaps(reference, inspect::sampleTensor(*m_data, sample, norm), "conv");
        QCOMPARE(r.maps.channels, expected.channels);
        QCOMPARE(r.maps.values.size(), expected.values.size());
        for (size_t i = 0; i < expected.values.size(); ++i)
            QCOMPARE(r.maps.values[i], expected.values[i]);
        QCOMPARE(r.sampleIndex, sample);
        QCOMPARE(r.scores.size(), size_t(3));
        QCOMPARE(r.input.size(), size_t(64));

        // The evaluation reproduces the run's own test confusion matrix.
        QSignalSpy eval(&inspector, &InspectionController::evaluationReady);
        inspector.requestEvaluation(2);
        QVERIFY(eval.wait(20000));
        const auto e = eval.front().at(0).value<inspect::Evaluation>();
        QCOMPARE(static_cast<size_t>(e.confusion.total()), m_split.test.size());
        QCOMPARE(e.topK, 2);
        QVERIFY(e.topKAccuracy >= e.accuracy);

        // Explain: heat maps of the input's size.
        QSignalSpy explained(&inspector, &InspectionController::explainReady);
        inspector.requestExplain(sample);
        QVERIFY(explained.wait(20000));
        const auto x = explained.front().at(0).value<app::ExplainResult>();
        QCOMPARE(x.saliency.height, 8);
        QCOMPARE(x.gradCam.width, 8);
        QCOMPARE(x.gradCamNode, QStringLiteral("conv"));
        QCOMPARE(x.explainedClass, x.scores.front().cls);

        // A node that does not exist is a failure naming it, not a crash.
        QSignalSpy failed(&inspector, &InspectionController::failed);
        inspector.requestFeatureMaps(sample, QStringLiteral("nope"));
        QVERIFY(failed.wait(20000));
        QVERIFY2(failed.front().at(0).toString().contains(QStringLiteral("nope")),
            qPrintable(failed.front().at(0).toString()));
    }

    // A forecasting LSTM's run: the Recurrent view's gates and the regression evaluation
    // (predictions in the data's units, the naive forecast) come back.
    void servesASequenceRegressionRun()
    {
        QTemporaryDir tmp;
        const QString csv = tmp.filePath(QStringLiteral("series.csv"));
        {
            QFile f(csv);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write("v\n");
            for (int t = 0; t < 120; ++t)
                f.write(QByteArray::number(100.0 + 5.0 * std::sin(t / 2.0)) + "\n");
        }
        DatasetOptions o;
        o.task = "series";
        o.window = 8;
        o.horizon = 1;
        auto data = std::make_shared<Dataset>(loadTimeSeriesCsv(csv.toStdString(), o));
        ModelGraph g;
        g.addNode(fixtures::makeNode("in", "Input", {}, { { "channels", 1 }, { "height", 8 }, { "width", 1 } }));
        g.addNode(fixtures::makeNode("lstm", "LSTM", { "in" }, { { "units", 6 } }));
        g.addNode(fixtures::makeNode("out", "Dense", { "lstm" }, { { "units", 1 } }));
        TrainConfig config = m_config;
        config.loss = LossKind::MeanSquaredError;
        config.epochs = 3;
        TrainingController training;
        QSignalSpy finished(&training, &TrainingController::finished);
        QVERIFY(training.start(g, data, splitDataset(*data, 0.1, 0.2, 1), config));
        QVERIFY(finished.wait(60000));
        InspectionController inspector(&training);
        inspector.useTrainingRun();
        QSignalSpy gates(&inspector, &InspectionController::recurrentGatesReady);
        QSignalSpy failed(&inspector, &InspectionController::failed);
        inspector.requestRecurrentGates(inspector.data().testIndices.front(), QStringLiteral("lstm"), 0);
        QVERIFY2(gates.wait(20000), failed.isEmpty() ? "no result" : qPrintable(failed.front().at(0).toString()));
        const auto r = gates.front().at(0).value<app::RecurrentGatesResult>();
        QCOMPARE(r.gates.trace.steps, int64_t(8));
        QCOMPARE(r.gates.trace.gradNorm.size(), size_t(8));
        QSignalSpy eval(&inspector, &InspectionController::evaluationReady);
        inspector.requestEvaluation(5);
        QVERIFY(eval.wait(20000));
        const auto e = eval.front().at(0).value<inspect::Evaluation>();
        QVERIFY(e.regression);
        QCOMPARE(e.indices, inspector.data().testIndices);
        QCOMPARE(e.actual.size(), e.indices.size());
        // Actual values back in the data's units, as in the file.
        QVERIFY(
            std::abs(e.actual.front() - data->series[static_cast<size_t>(data->targetTime[e.indices.front()])]) < 1e-3);
        QVERIFY(std::isfinite(e.rmse) && std::isfinite(e.naiveRmse));
    }

    void latestRequestWinsAndLiveModeFollowsTraining()
    {
        TrainingController training;
        InspectionController inspector(&training);
        inspector.setLiveInterval(50);
        QSignalSpy maps(&inspector, &InspectionController::featureMapsReady);
        QSignalSpy failed(&inspector, &InspectionController::failed);
        QSignalSpy batches(&training, &TrainingController::batchFinished);
        QSignalSpy finished(&training, &TrainingController::finished);
        m_config.epochs = 100000; // runs until stopped below
        QVERIFY(training.start(fixtures::barsCnn(), m_data, m_split, m_config));
        QVERIFY(batches.wait(20000));
        inspector.useTrainingRun();
        inspector.setLive(true);
        // A burst of requests: the ones still waiting are replaced, not queued.
        for (int i = 0; i < 20; ++i)
            inspector.requestFeatureMaps(m_split.test[static_cast<size_t>(i)], QStringLiteral("pool"));
        // Served: the first (already running) and the last; the 18 in between were replaced.
        auto served = [&] {
            std::vector<int64_t> v;
            for (const auto& args : maps)
                v.push_back(args.at(0).value<app::FeatureMapsResult>().sampleIndex);
            return v;
        };
        QTRY_VERIFY_WITH_TIMEOUT(!served().empty() && served().back() == m_split.test[19], 20000);
        for (int64_t index : served())
            QVERIFY2(index == m_split.test[0] || index == m_split.test[19], "a replaced request was served");
        // Live: the pinned maps keep coming while training runs.
        const int before = maps.count();
        QTRY_VERIFY_WITH_TIMEOUT(maps.count() >= before + 3, 20000);
        QVERIFY(training.isRunning());
        QVERIFY(inspector.liveRefreshes() > 0);
        QVERIFY(maps.last().at(0).value<app::FeatureMapsResult>().live);
        QCOMPARE(failed.count(), 0);
        training.stop();
        QVERIFY(finished.wait(20000));
        // Not training: live mode does not refresh.
        const int refreshes = inspector.liveRefreshes();
        QTest::qWait(200);
        QCOMPARE(inspector.liveRefreshes(), refreshes);
    }

    void servesAWeightsFile()
    {
        TrainingController training;
        train(training, 2);
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("w.safetensors"));
        QCOMPARE(training.saveWeights(path), QString());
        TrainingController idle; // no run: the file is the only source
        InspectionController inspector(&idle);
        QCOMPARE(inspector.useWeightsFile(path, m_data), QString());
        QSignalSpy maps(&inspector, &InspectionController::featureMapsReady);
        inspector.requestFeatureMaps(3, QStringLiteral("conv"));
        QVERIFY(maps.wait(20000));
        // The same maps as from the run that wrote the file.
        InspectionController fromRun(&training);
        fromRun.useTrainingRun();
        QSignalSpy maps2(&fromRun, &InspectionController::featureMapsReady);
        fromRun.requestFeatureMaps(3, QStringLiteral("conv"));
        QVERIFY(maps2.wait(20000));
        QCOMPARE(maps.front().at(0).value<app::FeatureMapsResult>().maps.values,
            maps2.front().at(0).value<app::FeatureMapsResult>().maps.values);
        QVERIFY(!inspector.useWeightsFile(dir.filePath(QStringLiteral("missing.safetensors")), m_data).isEmpty());
    }

    void dockShowsResults()
    {
        TrainingController training;
        train(training, 2);
        InspectionController inspector(&training);
        inspector.useTrainingRun();
        app::InspectDock dock(&inspector);
        dock.resize(1100, 320);
        dock.show();
        QSignalSpy maps(&inspector, &InspectionController::featureMapsReady);
        dock.sourceChanged(training.session()->graph());
        QCOMPARE(dock.layer(), QStringLiteral("conv")); // the first convolution by default
        QVERIFY(maps.wait(20000));
        QTRY_COMPARE(dock.featureMapView()->channelCount(), 8);
        QSignalSpy eval(&inspector, &InspectionController::evaluationReady);
        dock.evaluate();
        QVERIFY(eval.wait(20000));
        QTRY_VERIFY(!dock.confusionView()->cellText(0, 0).isEmpty());
    }
};

QTEST_MAIN(TestInspection)
#include "test_inspection.moc"
