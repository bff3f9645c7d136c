// Training inside the app: TrainingController (the thread bridge) on a tiny in-memory
// dataset — batch/epoch signals, finish with sensible accuracy, pause/resume, stop within
// a batch, divergence, failures — plus the charts (full data, decimated display, overlay of
// runs) and a measurement of the longest UI-thread stall while training.
#include "app/InspectDock.h"
#include "app/MainWindow.h"
#include "app/ProjectDocument.h"
#include "app/RunControlCoordinator.h"
#include "app/TrainingController.h"
#include "app/TrainingCoordinator.h"
#include "app/WindowLayout.h"
#include "engine/core/Rng.h"
#include "engine/data/Split.h"
#include "engine/graph/ModelJson.h"
#include "engine/session/TrainedModel.h"
#include "widgets/canvas/GraphCommands.h"
#include "widgets/canvas/GraphModel.h"
#include "widgets/charts/Decimation.h"
#include "widgets/charts/TrainingCharts.h"
#include "widgets/train/RunHistory.h"
#include "widgets/train/RunListWidget.h"
#include "widgets/train/TrainingPanel.h"

#include "common/Fixtures.h"
#include <QAction>
#include <QApplication>
#include <QChart>
#include <QComboBox>
#include <QDockWidget>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineSeries>
#include <QMenuBar>
#include <QProcess>
#include <QPushButton>
#include <QSignalSpy>
#include <QStandardItemModel>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTimer>
#include <QToolBar>
#include <QUndoStack>

#include <QtTest>

#include <algorithm>
#include <cmath>

using namespace netcanvas;
using netcanvas::RunRecord;
using netcanvas::RunSummary;
using netcanvas::app::TrainingController;
using netcanvas::widgets::RunHistory;
using netcanvas::widgets::TrainingCharts;

namespace {

std::shared_ptr<Dataset> barsDataset(int perClass, uint64_t seed)
{
    return std::make_shared<Dataset>(fixtures::barsDataset(perClass, seed));
}

GraphNode node(const std::string& id, const std::string& type, std::vector<std::string> inputs, nlohmann::json params)
{
    return fixtures::makeNode(id, type, std::move(inputs), std::move(params));
}

ModelGraph smallCnn(int classes = 3, int filters = 8)
{
    return fixtures::barsCnn(classes, filters);
}

// Heavier per batch (tens of ms), so "batches after a stop request" is measurable.
ModelGraph slowCnn()
{
    ModelGraph g;
    g.name = "bars-slow";
    g.addNode(node("in", "Input", {}, { { "channels", 1 }, { "height", 8 }, { "width", 8 } }));
    g.addNode(node("conv1", "Conv2D", { "in" }, { { "filters", 48 }, { "kernel", 3 }, { "padding", "same" } }));
    g.addNode(node("relu1", "ReLU", { "conv1" }, nlohmann::json::object()));
    g.addNode(node("conv2", "Conv2D", { "relu1" }, { { "filters", 48 }, { "kernel", 3 }, { "padding", "same" } }));
    g.addNode(node("relu2", "ReLU", { "conv2" }, nlohmann::json::object()));
    g.addNode(node("flat", "Flatten", { "relu2" }, nlohmann::json::object()));
    g.addNode(node("fc", "Dense", { "flat" }, { { "units", 3 } }));
    return g;
}

TrainConfig baseConfig()
{
    TrainConfig c;
    c.epochs = 6;
    c.batchSize = 16;
    c.optimizer.kind = "adam";
    c.optimizer.learningRate = 0.01;
    c.seed = 5;
    c.threads = 1;
    return c;
}

int64_t countEvents(const QSignalSpy& spy)
{
    int64_t n = 0;
    for (const QList<QVariant>& args : spy)
        n += static_cast<int64_t>(args.at(0).value<std::vector<BatchEvent>>().size());
    return n;
}

} // namespace

class TestTraining : public QObject {
    Q_OBJECT

private:
    std::shared_ptr<Dataset> m_data;
    DataSplit m_split;

    // The bars dataset as a CSV file (64 pixel columns in [0, 1], then the label), the way a
    // user hands one to the app or the CLI.
    bool writeBarsCsv(const QString& path) const
    {
        QFile f(path);
        if (!f.open(QIODevice::WriteOnly))
            return false;
        for (int64_t i = 0; i < m_data->size(); ++i) {
            QStringList row;
            for (int k = 0; k < 64; ++k)
                row << QString::number(m_data->pixels[static_cast<size_t>(i * 64 + k)] / 255.0, 'f', 3);
            row << QString::number(m_data->labels[static_cast<size_t>(i)]);
            f.write((row.join(QLatin1Char(',')) + QLatin1Char('\n')).toUtf8());
        }
        return true;
    }

private slots:
    void initTestCase()
    {
        TrainingController::registerMetaTypes();
        m_data = barsDataset(100, 3); // 300 samples
        m_split = splitDataset(*m_data, 0.15, 0.15, 7);
    }

    void trainsWithLiveCharts()
    {
        TrainingController controller;
        RunHistory history;
        TrainingCharts charts;
        charts.resize(1200, 300);
        charts.setHistory(&history);
        charts.show();

        RunRecord run;
        run.modelName = "bars-cnn";
        run.config = baseConfig();
        const int id = history.addRun(run);
        charts.setVisibleRuns({ id });
        connect(&controller, &TrainingController::batchFinished, &history,
            [&](const std::vector<BatchEvent>& e) { history.appendBatches(id, e); });
        connect(&controller, &TrainingController::epochFinished, &history,
            [&](const EpochEvent& e) { history.appendEpoch(id, e); });
        connect(&controller, &TrainingController::finished, &history,
            [&](const RunSummary& s) { history.finishRun(id, s); });

        QSignalSpy batches(&controller, &TrainingController::batchFinished);
        QSignalSpy epochs(&controller, &TrainingController::epochFinished);
        QSignalSpy finished(&controller, &TrainingController::finished);
        QSignalSpy failed(&controller, &TrainingController::failed);

        // The UI-thread stall: the largest gap between ticks of a 5 ms timer.
        QElapsedTimer clock;
        qint64 last = -1, maxGap = 0;
        QTimer ticker;
        ticker.setInterval(5);
        connect(&ticker, &QTimer::timeout, this, [&] {
            const qint64 t = clock.nsecsElapsed();
            if (last >= 0)
                maxGap = std::max(maxGap, t - last);
            last = t;
        });
        clock.start();
        ticker.start();
        const int refreshesBefore = charts.refreshCount();

        QVERIFY(controller.start(smallCnn(), m_data, m_split, baseConfig(), id));
        QVERIFY(controller.isRunning());
        QVERIFY(!controller.start(smallCnn(), m_data, m_split, baseConfig())); // one at a time
        QVERIFY(finished.wait(60000));
        const double seconds = clock.nsecsElapsed() / 1e9;
        ticker.stop();
        QCOMPARE(failed.count(), 0);
        QVERIFY(!controller.isRunning());

        const RunSummary s = finished.at(0).at(0).value<RunSummary>();
        QVERIFY2(!s.stopped && !s.diverged, s.message.c_str());
        QCOMPARE(s.epochsCompleted, 6);
        QCOMPARE(epochs.count(), 6);
        const int64_t perEpoch = (static_cast<int64_t>(m_split.train.size()) + 15) / 16;
        QCOMPARE(countEvents(batches), 6 * perEpoch); // coalesced, but every point arrives
        QVERIFY(batches.count() <= countEvents(batches));
        QVERIFY2(s.testAccuracy > 0.85, qPrintable(QString::number(s.testAccuracy)));
        QCOMPARE(s.testSamples, static_cast<int64_t>(m_split.test.size()));
        QVERIFY(controller.hasWeights());

        // Charts: full data and displayed series.
        charts.refreshNow();
        const auto* c = charts.curves(id);
        QVERIFY(c);
        QCOMPARE(static_cast<int64_t>(c->rawLoss.size()), 6 * perEpoch);
        QCOMPARE(static_cast<int64_t>(c->smoothLoss.size()), 6 * perEpoch);
        QCOMPARE(c->validationLoss.size(), size_t(6));
        QCOMPARE(c->trainAccuracy.size(), size_t(6));
        QCOMPARE(c->validationAccuracy.size(), size_t(6));
        QVERIFY(std::abs(c->rawLoss.back().x() - 6.0) < 1e-9);
        QVERIFY(charts.series(id, TrainingCharts::Curve::RawLoss)->count() > 0);
        QVERIFY(charts.series(id, TrainingCharts::Curve::RawLoss)->count() <= charts.maxPoints());
        QCOMPARE(charts.series(id, TrainingCharts::Curve::ValidationLoss)->count(), 6);
        QCOMPARE(charts.series(id, TrainingCharts::Curve::LearningRate)->count() > 0, true);
        QVERIFY(c->validationAccuracy.back().y() > 80.0);

        // Weights can be saved.
        QTemporaryDir dir;
        QCOMPARE(controller.saveWeights(dir.filePath(QStringLiteral("w.safetensors"))), QString());
        QVERIFY(QFileInfo::exists(dir.filePath(QStringLiteral("w.safetensors"))));

        qInfo("%lld batch signals for %lld batches in %.2f s (longest UI gap %.1f ms); %d chart refreshes",
            static_cast<long long>(batches.count()), static_cast<long long>(countEvents(batches)), seconds,
            maxGap / 1e6, charts.refreshCount() - refreshesBefore);
    }

    void uiStallWhileTraining()
    {
        // Many tiny batches (thousands per second): the worst case for the UI thread.
        auto data = barsDataset(1000, 9);
        const DataSplit split = splitDataset(*data, 0.1, 0.1, 3);
        TrainingController controller;
        RunHistory history;
        TrainingCharts charts;
        charts.resize(1400, 320);
        charts.setHistory(&history);
        charts.show();
        RunRecord run;
        run.config = baseConfig();
        run.config.epochs = 100;
        run.config.batchSize = 8;
        const int id = history.addRun(run);
        charts.setVisibleRuns({ id });
        connect(&controller, &TrainingController::batchFinished, &history,
            [&](const std::vector<BatchEvent>& e) { history.appendBatches(id, e); });
        connect(&controller, &TrainingController::epochFinished, &history,
            [&](const EpochEvent& e) { history.appendEpoch(id, e); });
        QSignalSpy batches(&controller, &TrainingController::batchFinished);
        QSignalSpy finished(&controller, &TrainingController::finished);
        QVERIFY(QTest::qWaitForWindowExposed(&charts));
        QTest::qWait(100); // the first layout and paint are not part of training

        QElapsedTimer clock;
        qint64 last = -1, maxGap = 0;
        QTimer ticker;
        ticker.setInterval(5);
        connect(&ticker, &QTimer::timeout, this, [&] {
            const qint64 t = clock.nsecsElapsed();
            if (last >= 0)
                maxGap = std::max(maxGap, t - last);
            last = t;
        });
        const int refreshesBefore = charts.refreshCount();
        clock.start();
        ticker.start();
        QVERIFY(controller.start(smallCnn(), data, split, run.config, id));
        QVERIFY(finished.wait(120000));
        const double seconds = clock.nsecsElapsed() / 1e9;
        ticker.stop();
        const int64_t n = countEvents(batches);
        QCOMPARE(static_cast<int64_t>(history.run(id)->batches.size()), n);
        charts.refreshNow();
        QCOMPARE(static_cast<int64_t>(charts.curves(id)->rawLoss.size()), n);
        QVERIFY(charts.series(id, TrainingCharts::Curve::RawLoss)->count() <= charts.maxPoints());
        const int refreshes = charts.refreshCount() - refreshesBefore;
        qInfo("UI-thread stall: longest gap between 5 ms ticks %.1f ms during %.2f s of training; %lld batches "
              "(%.0f/s) in %lld batch signals (%.1f/s); %d chart refreshes (%.1f/s, longest %.1f ms); %d raw points "
              "displayed",
            maxGap / 1e6, seconds, static_cast<long long>(n), n / seconds, static_cast<long long>(batches.count()),
            batches.count() / seconds, refreshes, refreshes / seconds, charts.longestRefreshMs(),
            static_cast<int>(charts.series(id, TrainingCharts::Curve::RawLoss)->count()));
        // Coalesced: ~30 per second, plus the flush at the end of each epoch.
        QVERIFY2(
            batches.count() <= seconds * 40 + run.config.epochs + 10, qPrintable(QString::number(batches.count())));
    }

    void pauseHoldsResumeContinuesStopEnds()
    {
        TrainingController controller;
        controller.setBatchInterval(0); // a signal per batch: makes counting after a request exact
        QSignalSpy batches(&controller, &TrainingController::batchFinished);
        QSignalSpy finished(&controller, &TrainingController::finished);
        QSignalSpy paused(&controller, &TrainingController::pausedChanged);
        TrainConfig c = baseConfig();
        c.epochs = 400; // far longer than the test
        c.batchSize = 64;
        QVERIFY(controller.start(slowCnn(), m_data, m_split, c));
        QVERIFY(batches.wait(10000));

        controller.pause();
        QVERIFY(controller.isPaused());
        QTest::qWait(150); // what was in flight arrives
        const int64_t atPause = countEvents(batches);
        QTest::qWait(300);
        QCOMPARE(countEvents(batches), atPause); // paused: no progress
        QVERIFY(finished.isEmpty());

        controller.resume();
        QVERIFY(!controller.isPaused());
        QTRY_VERIFY_WITH_TIMEOUT(countEvents(batches) > atPause + 2, 10000); // continues

        // Stop while running, right as a batch arrives: count the batches after the request.
        int64_t atStop = -1;
        connect(&controller, &TrainingController::batchFinished, this, [&] {
            if (atStop < 0) {
                atStop = countEvents(batches); // the spy, connected first, has counted this signal
                controller.stop();
            }
        });
        QVERIFY(finished.wait(30000));
        const int64_t after = countEvents(batches) - atStop;
        const RunSummary s = finished.at(0).at(0).value<RunSummary>();
        QVERIFY2(s.stopped, s.message.c_str());
        QVERIFY2(after <= 1, qPrintable(QString("%1 batches after stop()").arg(after)));
        qInfo(
            "stop(): %lld batch(es) arrived after the request (%s)", static_cast<long long>(after), s.message.c_str());
        QVERIFY(paused.count() >= 2);
    }

    void stopWhilePausedDoesNoMoreBatches()
    {
        TrainingController controller;
        controller.setBatchInterval(0);
        QSignalSpy batches(&controller, &TrainingController::batchFinished);
        QSignalSpy finished(&controller, &TrainingController::finished);
        TrainConfig c = baseConfig();
        c.epochs = 400;
        QVERIFY(controller.start(smallCnn(), m_data, m_split, c));
        QVERIFY(batches.wait(10000));
        controller.pause();
        QTest::qWait(150);
        const int64_t atStop = countEvents(batches);
        controller.stop();
        QVERIFY(finished.wait(30000));
        QCOMPARE(countEvents(batches), atStop);
        QVERIFY(finished.at(0).at(0).value<RunSummary>().stopped);
    }

    void divergenceNamesANode()
    {
        TrainingController controller;
        QSignalSpy finished(&controller, &TrainingController::finished);
        TrainConfig c = baseConfig();
        c.optimizer.kind = "sgd";
        c.optimizer.learningRate = 1e9;
        c.epochs = 20;
        QVERIFY(controller.start(smallCnn(), m_data, m_split, c));
        QVERIFY(finished.wait(60000));
        const RunSummary s = finished.at(0).at(0).value<RunSummary>();
        QVERIFY(s.diverged);
        QVERIFY2(s.message.find("node '") != std::string::npos || s.message.find("parameter '") != std::string::npos,
            s.message.c_str());
        QVERIFY(controller.hasWeights()); // the last good weights are kept
        qInfo("diverged: %s", s.message.c_str());
    }

    void failureIsReportedNotThrown()
    {
        TrainingController controller;
        QSignalSpy failed(&controller, &TrainingController::failed);
        // The output gives 2 values, the dataset has 3 classes.
        QVERIFY(controller.start(smallCnn(2), m_data, m_split, baseConfig()));
        QVERIFY(failed.wait(30000));
        QVERIFY2(failed.at(0).at(0).toString().contains(QStringLiteral("classes")),
            qPrintable(failed.at(0).at(0).toString()));
        QVERIFY(!controller.isRunning());
        // And a new run can start afterwards.
        QSignalSpy finished(&controller, &TrainingController::finished);
        TrainConfig c = baseConfig();
        c.epochs = 1;
        QVERIFY(controller.start(smallCnn(), m_data, m_split, c));
        QVERIFY(finished.wait(30000));

        // The split computed on the worker thread: it works, and a bad one is a failure.
        finished.clear();
        QVERIFY(controller.start(smallCnn(), m_data, c));
        QVERIFY(finished.wait(30000));
        QVERIFY(finished.front().at(0).value<RunSummary>().testSamples > 0);
        c.validationFraction = 0.6;
        c.testFraction = 0.6;
        failed.clear();
        QVERIFY(controller.start(smallCnn(), m_data, c));
        QVERIFY(failed.wait(30000));
        QVERIFY2(failed.front().at(0).toString().contains(QStringLiteral("split")),
            qPrintable(failed.front().at(0).toString()));
        QVERIFY(!controller.isRunning());
    }

    void destructorStopsARunningTraining()
    {
        QElapsedTimer t;
        {
            auto controller = std::make_unique<TrainingController>();
            QSignalSpy batches(controller.get(), &TrainingController::batchFinished);
            TrainConfig c = baseConfig();
            c.epochs = 1000;
            QVERIFY(controller->start(smallCnn(), m_data, m_split, c));
            QVERIFY(batches.wait(10000));
            t.start();
        }
        QVERIFY(t.elapsed() < 5000);
    }

    void panelPrefillsLoadsAndExplainsBlockers()
    {
        widgets::GraphModel model;
        ModelGraph g = smallCnn(2); // 2 outputs: too few for the 3-class CSV below
        g.training = { { "optimizer", "adamw" }, { "learning_rate", 0.003 }, { "epochs", 7 }, { "batch_size", 32 } };
        model.setGraph(g);
        widgets::TrainingPanel panel(&model);
        const TrainConfig c = panel.config();
        QCOMPARE(QString::fromStdString(c.optimizer.kind), QStringLiteral("adamw"));
        QCOMPARE(c.optimizer.learningRate, 0.003);
        QCOMPARE(c.epochs, 7);
        QCOMPARE(c.batchSize, int64_t(32));
        QVERIFY(panel.trainBlocker().isEmpty()); // no dataset yet: the graph itself is fine

        // A CSV of 64 numeric features + label, 3 classes; opened off the UI thread.
        QTemporaryDir dir;
        const QString csv = dir.filePath(QStringLiteral("bars.csv"));
        {
            QFile f(csv);
            QVERIFY(f.open(QIODevice::WriteOnly));
            for (int i = 0; i < 30; ++i) {
                QStringList row;
                for (int k = 0; k < 64; ++k)
                    row << QString::number((i * 7 + k) % 5);
                row << QString::number(i % 3);
                f.write((row.join(QLatin1Char(',')) + QLatin1Char('\n')).toUtf8());
            }
        }
        panel.setDatasetPath(csv);
        QSignalSpy loaded(&panel, &widgets::TrainingPanel::datasetLoaded);
        panel.loadDataset();
        QVERIFY(panel.isLoading());
        QVERIFY(loaded.wait(10000));
        QVERIFY(panel.dataset());
        QCOMPARE(panel.dataset()->size(), int64_t(30));
        QCOMPARE(panel.dataset()->sampleSize(), int64_t(64));
        const QString blocker = panel.trainBlocker();
        QVERIFY2(blocker.contains(QStringLiteral("3 classes")) && blocker.contains(QStringLiteral("'fc'")),
            qPrintable(blocker));
        QPushButton* train = nullptr;
        for (QPushButton* b : panel.findChildren<QPushButton*>())
            if (b->text() == QStringLiteral("Train"))
                train = b;
        QVERIFY(train);
        QVERIFY(!train->isEnabled());
        QCOMPARE(train->toolTip(), blocker);

        // Fix the output: Train is enabled; break the graph: disabled with the engine's reason.
        model.setParam(QStringLiteral("fc"), QStringLiteral("units"), 3);
        QVERIFY(panel.trainBlocker().isEmpty());
        QVERIFY(train->isEnabled());
        model.removeNode(QStringLiteral("flat"));
        QVERIFY(!panel.trainBlocker().isEmpty());
        QVERIFY(!train->isEnabled());
        QSignalSpy requested(&panel, &widgets::TrainingPanel::trainRequested);
        panel.requestTrain();
        QCOMPARE(requested.count(), 0);

        // A diverged run's message is shown (NETCANVAS_PANEL_PNG=file.png saves a look).
        model.setGraph(smallCnn());
        RunSummary diverged;
        diverged.diverged = true;
        diverged.message = "training stopped at epoch 1, batch 4: the loss became NaN; first non-finite output "
                           "at node 'fc' \u2014 try a lower learning rate";
        panel.setTrainingState(true, false);
        panel.setTrainingState(false, false);
        panel.showFinished(diverged);
        bool shown = false;
        for (QLabel* l : panel.findChildren<QLabel*>())
            shown |= l->isVisibleTo(&panel) && l->text().contains(QStringLiteral("node 'fc'"));
        QVERIFY(shown);
        if (qEnvironmentVariableIsSet("NETCANVAS_PANEL_PNG")) {
            panel.resize(340, 700);
            panel.show();
            QVERIFY(QTest::qWaitForWindowExposed(&panel));
            panel.grab().save(qEnvironmentVariable("NETCANVAS_PANEL_PNG"));
        }
    }

    // The Training tab's "GPU math" menu: FP32 / TF32 / FP16 offered as the listed GPUs allow,
    // a saved setting kept on a machine that cannot run it (and settable back to FP32), locked
    // while training; a run whose loss scaling skipped steps says so when it ends.
    void precisionMenuFollowsTheDevices()
    {
        widgets::GraphModel model;
        model.setGraph(smallCnn());
        widgets::TrainingPanel panel(&model);
        QSignalSpy listed(&panel, &widgets::TrainingPanel::devicesListed);
        auto* menu = panel.findChild<QComboBox*>(QStringLiteral("precision"));
        QVERIFY(menu);
        QCOMPARE(menu->count(), 3);
        QCOMPARE(menu->itemText(0), QStringLiteral("FP32 (exact)"));
        QCOMPARE(menu->itemText(1), QStringLiteral("TF32 tensor cores"));
        QCOMPARE(menu->itemText(2), QStringLiteral("FP16 mixed + loss scaling"));
        QVERIFY(menu->itemData(1, Qt::ToolTipRole).toString().contains(QStringLiteral("8.0")));
        QVERIFY(menu->itemData(2, Qt::ToolTipRole).toString().contains(QStringLiteral("loss is scaled")));
        QVERIFY(!menu->toolTip().isEmpty());
        QCOMPARE(panel.config().precision, Precision::Fp32);
        QVERIFY(listed.wait(20000)); // this machine's own listing: then ours below stay
        auto* items = qobject_cast<QStandardItemModel*>(menu->model());
        QVERIFY(items);
        auto offered = [&](Precision p) {
            return items->item(menu->findData(QString::fromLatin1(precisionName(p))))->isEnabled();
        };
        auto select
            = [&](Precision p) { menu->setCurrentIndex(menu->findData(QString::fromLatin1(precisionName(p)))); };

        DeviceList cpuOnly;
        DeviceInfo cpu;
        cpu.spec = "cpu";
        cpu.name = "CPU";
        cpu.threads = 2;
        cpuOnly.devices = { cpu };
        cpuOnly.cudaReason = "no NVIDIA driver";
        cpuOnly.cudaStatus = "cuda: unavailable (no NVIDIA driver)";
        auto withGpu = [&](int ccMajor, int ccMinor, bool usable) {
            DeviceList list = cpuOnly;
            DeviceInfo gpu;
            gpu.spec = "cuda:0";
            gpu.kind = Device::Cuda;
            gpu.name = "GPU";
            gpu.totalBytes = int64_t(16) << 30;
            gpu.ccMajor = ccMajor;
            gpu.ccMinor = ccMinor;
            gpu.usable = usable;
            gpu.reason = usable ? "" : "compute capability 6.1 is below 7.5";
            list.devices.push_back(gpu);
            list.cudaUsable = usable;
            list.cudaReason.clear();
            list.cudaStatus = "cuda: CUDA 13.0";
            return list;
        };

        // No usable GPU: nothing to choose.
        panel.showDevices(cpuOnly);
        QVERIFY(!menu->isEnabled());
        panel.showDevices(withGpu(6, 1, false));
        QVERIFY(!menu->isEnabled());
        // Turing (7.5): FP16, not TF32. Choosing is a user edit and goes into the config.
        panel.showDevices(withGpu(7, 5, true));
        QVERIFY(menu->isEnabled());
        QVERIFY(offered(Precision::Fp16));
        QVERIFY(!offered(Precision::Tf32));
        QSignalSpy edited(&panel, &widgets::TrainingPanel::settingsEdited);
        select(Precision::Fp16);
        QCOMPARE(edited.count(), 1);
        QCOMPARE(panel.config().precision, Precision::Fp16);
        // Ampere (8.6): all three; setConfig shows a setting without it being an edit.
        panel.showDevices(withGpu(8, 6, true));
        QVERIFY(offered(Precision::Tf32) && offered(Precision::Fp16));
        TrainConfig c = panel.config();
        c.precision = Precision::Tf32;
        panel.setConfig(c);
        QCOMPARE(menu->currentData().toString(), QStringLiteral("tf32"));
        QCOMPARE(panel.config().precision, Precision::Tf32);
        QCOMPARE(edited.count(), 1);
        // A project saved with TF32, opened without a GPU: the setting stays (a saved project
        // keeps it) and can be set back to FP32, after which the menu is locked.
        panel.showDevices(cpuOnly);
        QVERIFY(menu->isEnabled());
        QVERIFY(offered(Precision::Tf32));
        QVERIFY(!offered(Precision::Fp16));
        QCOMPARE(panel.config().precision, Precision::Tf32);
        select(Precision::Fp32);
        QVERIFY(!menu->isEnabled());
        QVERIFY(!offered(Precision::Tf32));
        QCOMPARE(panel.config().precision, Precision::Fp32);
        // Locked while a run trains.
        panel.showDevices(withGpu(8, 6, true));
        QVERIFY(menu->isEnabled());
        panel.setTrainingState(true, false);
        QVERIFY(!menu->isEnabled());
        panel.setTrainingState(false, false); // lists the machine's devices again
        QVERIFY(listed.wait(20000));

        RunSummary s;
        s.epochsCompleted = 2;
        s.skippedSteps = 3;
        panel.showFinished(s);
        bool said = false;
        for (QLabel* l : panel.findChildren<QLabel*>())
            said |= l->isVisibleTo(&panel) && l->text().contains(QStringLiteral("loss scaling skipped 3 step"));
        QVERIFY(said);
    }

    // What the panel says: paused is paused (no running speed or ETA), a stop is said once, and
    // the Automatic device's CUDA notice is said once, quietly.
    void panelSaysPausedStoppedAndDeviceOnce()
    {
        widgets::GraphModel model;
        model.setGraph(smallCnn());
        widgets::TrainingPanel panel(&model);
        QSignalSpy status(&panel, &widgets::TrainingPanel::statusMessage);
        auto visibleText = [&](const QString& part) {
            for (QLabel* l : panel.findChildren<QLabel*>())
                if (l->isVisibleTo(&panel) && l->text().contains(part))
                    return true;
            return false;
        };
        DeviceList cpuOnly;
        DeviceInfo cpu;
        cpu.spec = "cpu";
        cpu.name = "CPU";
        cpuOnly.devices = { cpu };
        cpuOnly.cudaStatus = "cuda: unavailable (no NVIDIA driver)";
        panel.showDevices(cpuOnly);
        QCOMPARE(panel.config().device, std::string("auto"));

        panel.setTrainingState(true, false);
        QVERIFY(visibleText(QStringLiteral("no NVIDIA driver"))); // said once, as a plain note
        BatchEvent e;
        e.epoch = 1;
        e.batch = 37;
        e.batchesPerEpoch = 844;
        e.globalStep = 881;
        e.totalSteps = 2532;
        e.samplesPerSecond = 3540;
        e.etaSeconds = 15;
        e.loss = 0.2;
        panel.showBatch(e);
        QVERIFY(status.last().front().toString().contains(QStringLiteral("ETA")));
        panel.setTrainingState(true, true);
        const QString paused = status.last().front().toString();
        QVERIFY2(paused.contains(QStringLiteral("paused")), qPrintable(paused));
        QVERIFY2(!paused.contains(QStringLiteral("ETA")) && !paused.contains(QStringLiteral("samples/s")),
            qPrintable(paused));
        QVERIFY(visibleText(QStringLiteral("Paused at epoch 2/")));
        panel.setTrainingState(true, false);
        QVERIFY(status.last().front().toString().contains(QStringLiteral("ETA")));

        RunSummary s;
        s.stopped = true;
        s.epochsCompleted = 1;
        s.message = "stopped in epoch 2 after batch 38 of 844";
        panel.setTrainingState(false, false);
        panel.showFinished(s);
        QVERIFY(visibleText(QStringLiteral("Stopped in epoch 2 after batch 38 of 844.")));
        QVERIFY(!visibleText(QStringLiteral("Stopped: ")));

        // The next run on Automatic: the same notice is not said again.
        panel.setTrainingState(true, false);
        panel.showDeviceNote(QStringLiteral("cuda: unavailable (no NVIDIA driver); training on the CPU"));
        QVERIFY(!visibleText(QStringLiteral("no NVIDIA driver")));
        QVERIFY(panel.deviceNoteShown(QStringLiteral("cuda: unavailable (no NVIDIA driver); training on the CPU")));
        panel.setTrainingState(false, false);
    }

    void mainWindowTrainsThroughTheUi()
    {
        QTemporaryDir dir;
        const QString csv = dir.filePath(QStringLiteral("bars.csv"));
        QVERIFY(writeBarsCsv(csv));
        app::MainWindow window;
        ModelGraph g = smallCnn();
        g.training = { { "optimizer", "adam" }, { "learning_rate", 0.01 }, { "epochs", 3 }, { "batch_size", 16 } };
        window.document()->model()->setGraph(g);
        window.resize(1280, 800);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QCOMPARE(window.sideTabs()->tabText(window.sideTabs()->indexOf(window.training()->panel())),
            QStringLiteral("Training"));
        bool haveTrainMenu = false;
        for (QAction* a : window.menuBar()->actions())
            haveTrainMenu |= a->text() == QStringLiteral("&Train");
        QVERIFY(haveTrainMenu);
        // One visible Train / Pause / Stop: the toolbar's (the panel's own buttons are hidden).
        QVERIFY(window.toolBar()->isVisible());
        const QList<QAction*> bar = window.toolBar()->actions();
        for (QAction* a :
            { window.training()->trainAction(), window.training()->pauseAction(), window.training()->stopAction() })
            QVERIFY(bar.contains(a));
        const QStringList runButtons { QStringLiteral("Train"), QStringLiteral("Pause"), QStringLiteral("Stop") };
        for (QPushButton* b : window.training()->panel()->findChildren<QPushButton*>())
            QVERIFY2(!b->isVisibleTo(&window) || !runButtons.contains(b->text()), qPrintable(b->text()));
        // No two tabs with one name anywhere in the window.
        QStringList tabNames;
        for (QTabWidget* tabs : window.findChildren<QTabWidget*>())
            for (int i = 0; i < tabs->count(); ++i)
                tabNames << tabs->tabText(i).remove(QLatin1Char('&'));
        QCOMPARE(QSet<QString>(tabNames.begin(), tabNames.end()).size(), tabNames.size());
        QCOMPARE(window.windowLayout()->mode(), app::WindowLayout::Mode::Design); // no run yet

        // The Train action follows the model's validity and the controller's state (the
        // TrainingCoordinator's wiring, seen through the window).
        QAction* train = window.training()->trainAction();
        QVERIFY(train->isEnabled());
        window.document()->undoStack()->push(
            new widgets::DisconnectCommand(window.document()->model(), QStringLiteral("flat"), QStringLiteral("fc")));
        QVERIFY(!window.document()->model()->analysis().ok);
        QVERIFY(!train->isEnabled()); // the model does not validate
        window.document()->undoStack()->undo();
        QVERIFY(train->isEnabled());
        std::vector<std::pair<bool, bool>> states; // (running, Train enabled) at each change
        connect(window.training()->controller(), &app::TrainingController::runningChanged, &window,
            [&states, train](bool running) { states.emplace_back(running, train->isEnabled()); });

        window.training()->panel()->setDatasetPath(csv);
        QSignalSpy finished(window.training()->controller(), &app::TrainingController::finished);
        window.training()->trainNow(); // loads the CSV off the UI thread, then trains
        QVERIFY(finished.wait(60000));
        QTRY_COMPARE(states.size(), size_t(2));
        QCOMPARE(states[0], std::make_pair(true, false)); // disabled while the run goes
        QCOMPARE(states[1], std::make_pair(false, true)); // enabled again after it
        widgets::RunHistory* runs = window.document()->runs();
        QCOMPARE(runs->count(), 1);
        const RunRecord* run = runs->run(runs->ids().front());
        QVERIFY(!run->running);
        QCOMPARE(run->epochs.size(), size_t(3));
        QVERIFY(!run->batches.empty());
        QVERIFY2(run->summary.testAccuracy > 0.7, qPrintable(widgets::displayName(*run)));
        QCOMPARE(window.training()->charts()->visibleRuns(), std::vector<int> { run->id });
        QVERIFY(window.training()->controller()->hasWeights());
        QVERIFY(!run->layerStats.empty()); // the Layer Health tab's data (step 0, then every 20)

        // Train ▸ Continue Run: the finished run goes on from its checkpoint by the tab's Epochs
        // (3) more, in the same history entry, its curve continuing.
        QAction* continueRun = window.runControl()->continueAction();
        QVERIFY(continueRun->isEnabled());
        finished.clear();
        QCOMPARE(window.runControl()->continueRun(), QString());
        QVERIFY(finished.wait(60000));
        QCOMPARE(runs->count(), 1);
        QCOMPARE(run->epochs.size(), size_t(6));
        QCOMPARE(run->summary.epochsCompleted, 6);
        QCOMPARE(run->changes.size(), size_t(1)); // "epochs 3 → 6", marked on the charts
        QCOMPARE(run->changes.front().label(), std::string("epochs 3 → 6"));
        QCOMPARE(run->batches.back().globalStep + 1, run->batches.back().totalSteps);
        QTRY_COMPARE(window.training()->charts()->changeMarkerLabels().size(), 1);

        // The layout follows the work: the charts got more room when the run came, an Inspect
        // view more again; Reset Layout puts the defaults back.
        QCOMPARE(window.windowLayout()->mode(), app::WindowLayout::Mode::Train);
        QDockWidget* bottom = window.training()->dock();
        QTRY_VERIFY(bottom->height() > 0.3 * window.height());
        const int trainHeight = bottom->height();
        window.training()->inspectDock()->setCurrentWidget(window.training()->inspectDock()->mapsPage());
        QCOMPARE(window.windowLayout()->mode(), app::WindowLayout::Mode::Inspect);
        QTRY_VERIFY(bottom->height() > trainHeight);
        bottom->setFloating(true);
        window.windowLayout()->reset();
        QVERIFY(!bottom->isFloating());
        QCOMPARE(window.dockWidgetArea(bottom), Qt::BottomDockWidgetArea);
    }

    // The app and the CLI run the same engine session: the same model, data, recipe and seed
    // give the same test accuracy and loss in both.
    void appAndCliAgree()
    {
        QTemporaryDir dir;
        const QString csv = dir.filePath(QStringLiteral("bars.csv"));
        QVERIFY(writeBarsCsv(csv));
        ModelGraph g = smallCnn();
        g.training = { { "optimizer", "adam" }, { "learning_rate", 0.01 }, { "epochs", 2 }, { "batch_size", 16 },
            { "seed", 9 } };
        const QString model = dir.filePath(QStringLiteral("bars.json"));
        saveModelFile(g, model.toStdString());

        QProcess cli;
        cli.start(QStringLiteral(NETCANVAS_CLI_PATH),
            { "train", model, "--data", csv, "--out", dir.filePath(QStringLiteral("run")), "--threads", "1", "--device",
                "cpu", "--json", "--quiet" });
        QVERIFY(cli.waitForFinished(120000));
        QCOMPARE(cli.exitCode(), 0);
        const QList<QByteArray> lines = cli.readAllStandardOutput().trimmed().split('\n');
        const QJsonObject metrics = QJsonDocument::fromJson(lines.last()).object();
        QVERIFY2(metrics.contains(QStringLiteral("test_accuracy")), lines.last().constData());

        // The app: the dataset opened as the CLI opens it, the recipe as the Training panel fills it.
        auto data = std::make_shared<const Dataset>(
            openDataset(csv.toStdString(), datasetOptionsFor(g.analyze(), "stretch")));
        TrainConfig config = trainConfigFromJson(g.training);
        config.threads = 1;
        config.device = "cpu";
        TrainingController controller;
        QSignalSpy finished(&controller, &TrainingController::finished);
        QVERIFY(controller.start(g, data, config));
        QVERIFY(finished.wait(60000));
        const RunSummary s = finished.at(0).at(0).value<RunSummary>();
        QVERIFY(s.testSamples > 0 && std::isfinite(s.testAccuracy));
        QCOMPARE(s.testAccuracy, metrics[QStringLiteral("test_accuracy")].toDouble());
        QCOMPARE(s.testLoss, metrics[QStringLiteral("test_loss")].toDouble());
    }

    void decimationKeepsLimitAndExtremes()
    {
        std::vector<QPointF> pts;
        Rng rng(11);
        for (int i = 0; i < 150000; ++i)
            pts.emplace_back(i * 0.001, std::sin(i * 0.0007) + rng.uniform() * 0.1);
        pts[77777].setY(9.0); // a spike
        pts[123456].setY(-9.0); // a dip
        const QList<QPointF> d = widgets::decimateMinMax(pts, 2000);
        QVERIFY(d.size() <= 2000);
        QVERIFY(d.size() > 1000);
        double lo = 1e9, hi = -1e9;
        for (int i = 0; i < d.size(); ++i) {
            lo = std::min(lo, d[i].y());
            hi = std::max(hi, d[i].y());
            if (i > 0)
                QVERIFY(d[i].x() >= d[i - 1].x());
        }
        QCOMPARE(hi, 9.0);
        QCOMPARE(lo, -9.0);
        QCOMPARE(d.front(), pts.front());
        QCOMPARE(d.back(), pts.back());
        // Small curves are passed through unchanged.
        std::vector<QPointF> few(pts.begin(), pts.begin() + 50);
        QCOMPARE(widgets::decimateMinMax(few, 2000).size(), 50);
    }

    void overlayShowsOneSeriesPerCheckedRun()
    {
        RunHistory history;
        TrainingCharts charts;
        charts.resize(1200, 300);
        charts.setHistory(&history);
        widgets::RunListWidget list;
        list.setHistory(&history);
        connect(&list, &widgets::RunListWidget::checkedRunsChanged, &charts, &TrainingCharts::setVisibleRuns);

        Rng noise(4);
        auto fakeRun = [&](double lossScale) {
            RunRecord r;
            r.config = baseConfig();
            r.config.epochs = 2;
            const int id = history.addRun(r);
            std::vector<BatchEvent> ev;
            for (int b = 0; b < 20; ++b) {
                BatchEvent e;
                e.epoch = b / 10;
                e.batch = b % 10;
                e.batchesPerEpoch = 10;
                e.loss = lossScale / (1 + b) * (0.8 + 0.4 * noise.uniform());
                e.learningRate = 0.01;
                ev.push_back(e);
            }
            history.appendBatches(id, ev);
            for (int epoch = 0; epoch < 2; ++epoch) {
                EpochEvent ep;
                ep.epoch = epoch;
                ep.trainAccuracy = 0.8 + 0.05 * epoch + 0.02 * lossScale;
                ep.validationAccuracy = 0.75 + 0.04 * epoch + 0.02 * lossScale;
                ep.validationLoss = 0.2 * lossScale / (1 + epoch);
                history.appendEpoch(id, ep);
            }
            RunSummary s;
            s.testAccuracy = 0.912;
            history.finishRun(id, s);
            return id;
        };
        const int a = fakeRun(2.0), b = fakeRun(3.0), c = fakeRun(1.0);
        QCOMPARE(list.count(), 3);
        QVERIFY(list.runText(a).contains(QStringLiteral("91.2%")));
        QVERIFY(list.runText(a).startsWith(QStringLiteral("Run 1 · adam lr 0.01")));

        list.setChecked(a, true);
        list.setChecked(b, true);
        list.setChecked(c, false);
        QCOMPARE(charts.visibleRuns(), (std::vector<int> { a, b }));
        charts.refreshNow();
        QVERIFY(charts.series(a, TrainingCharts::Curve::SmoothLoss));
        QVERIFY(charts.series(b, TrainingCharts::Curve::SmoothLoss));
        QVERIFY(!charts.series(c, TrainingCharts::Curve::SmoothLoss));
        QCOMPARE(charts.series(a, TrainingCharts::Curve::SmoothLoss)->count(), 20);
        QVERIFY(charts.series(a, TrainingCharts::Curve::SmoothLoss)->pen().color()
            != charts.series(b, TrainingCharts::Curve::SmoothLoss)->pen().color());
        QCOMPARE(charts.series(a, TrainingCharts::Curve::SmoothLoss)->chart()->series().size(),
            2 * 4); // raw, smooth, validation and its hollow markers per run

        // NETCANVAS_CHARTS_PNG=file.png saves the overlay for a look.
        if (qEnvironmentVariableIsSet("NETCANVAS_CHARTS_PNG")) {
            charts.show();
            QVERIFY(QTest::qWaitForWindowExposed(&charts));
            charts.refreshNow();
            charts.grab().save(qEnvironmentVariable("NETCANVAS_CHARTS_PNG"));
        }

        list.setChecked(c, true);
        QCOMPARE(charts.visibleRuns().size(), size_t(3));
        QCOMPARE(charts.series(c, TrainingCharts::Curve::TrainAccuracy)->chart()->series().size(),
            3 * 4); // training and validation accuracy and their markers per run
    }
};

QTEST_MAIN(TestTraining)
#include "test_training.moc"
