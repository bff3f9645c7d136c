// The run-control widgets, offscreen: change markers on the training charts, the layer-health
// charts (a series per layer, shaded unhealthy bands, log axes that hold the data), and the
// Training tab's live controls and early-stopping settings.
#include "engine/session/RunRecord.h"
#include "widgets/canvas/GraphModel.h"
#include "widgets/charts/LayerStatsCharts.h"
#include "widgets/charts/TrainingCharts.h"
#include "widgets/train/RunHistory.h"
#include "widgets/train/TrainingPanel.h"

#include <QAreaSeries>
#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QGroupBox>
#include <QLineSeries>
#include <QLogValueAxis>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QtTest>

using namespace netcanvas;
using namespace netcanvas::widgets;

Q_DECLARE_METATYPE(netcanvas::RunChange)

namespace {

// A run of `epochs` × 10 batches.
int addRun(RunHistory& history, int epochs)
{
    RunRecord r;
    r.modelName = "m";
    const int id = history.addRun(r);
    std::vector<BatchEvent> batches;
    for (int e = 0; e < epochs; ++e)
        for (int b = 0; b < 10; ++b) {
            BatchEvent ev;
            ev.epoch = e;
            ev.batch = b;
            ev.batchesPerEpoch = 10;
            ev.globalStep = e * 10 + b;
            ev.totalSteps = epochs * 10;
            ev.loss = 2.0 / (1.0 + ev.globalStep);
            ev.learningRate = ev.globalStep < 13 ? 0.01 : 0.001;
            batches.push_back(ev);
        }
    history.appendBatches(id, batches);
    return id;
}

} // namespace

class TestRunControlWidgets : public QObject {
    Q_OBJECT
private slots:
    void chartsMarkChanges()
    {
        RunHistory history;
        const int id = addRun(history, 2);
        TrainingCharts charts;
        charts.resize(900, 260);
        charts.setHistory(&history);
        charts.setVisibleRuns({ id });
        ChangeEvent c;
        c.kind = RunChangeKind::LearningRate;
        c.from = 0.01;
        c.to = 0.001;
        c.epoch = 1;
        c.batch = 3;
        c.globalStep = 13;
        history.appendChange(id, c);
        charts.refreshNow();
        QCOMPARE(charts.changeMarkerLabels(), QStringList { QString::fromUtf8("lr 0.01 → 0.001") });
        QCOMPARE(charts.changeMarkerPositions().size(), size_t(1));
        QCOMPARE(charts.changeMarkerPositions()[0], 1.3);
        // A second change adds a second marker; hiding the run removes them.
        c.kind = RunChangeKind::Augmentation;
        c.from = 1;
        c.to = 0;
        c.batch = 8;
        history.appendChange(id, c);
        charts.refreshNow();
        QCOMPARE(charts.changeMarkerLabels().size(), 2);
        QCOMPARE(charts.changeMarkerLabels()[1], QString("augmentation off"));
        charts.setVisibleRuns({});
        QVERIFY(charts.changeMarkerLabels().isEmpty());
    }

    void layerHealthCharts()
    {
        RunHistory history;
        const int id = addRun(history, 1);
        for (int k = 0; k < 5; ++k) {
            LayerStatsEvent e;
            e.globalStep = k * 2;
            e.batch = k * 2;
            for (const char* node : { "conv", "fc" }) {
                LayerStat s;
                s.node = node;
                s.paramNorm = 10.0;
                s.updateNorm = 0.01 * (k + 1); // ratio 1e-3 .. 5e-3
                s.gradNorm = 0.5;
                e.layers.push_back(s);
            }
            history.appendLayerStats(id, e);
        }
        LayerStatsCharts charts;
        charts.resize(900, 260);
        charts.setHistory(&history);
        charts.setRun(id);
        charts.refreshNow();
        QCOMPARE(charts.ratioSeries().size(), size_t(2));
        QCOMPARE(charts.gradientSeries().size(), size_t(2));
        QCOMPARE(charts.ratioSeries()[0]->name(), QString("conv"));
        QCOMPARE(charts.ratioSeries()[0]->count(), 5);
        QCOMPARE(charts.ratioSeries()[1]->at(4).y(), 5e-3);
        QCOMPARE(charts.shadedBands().size(), size_t(4)); // low and high, on both charts
        // The healthy band's edges and the data are inside the log axis.
        QVERIFY(charts.ratioAxis()->min() <= kHealthyRatioLow && charts.ratioAxis()->max() >= kHealthyRatioHigh);
        const QAreaSeries* high = charts.shadedBands()[1];
        QCOMPARE(high->lowerSeries()->at(0).y(), kHealthyRatioHigh);
        // More stats arrive: the series grow.
        LayerStatsEvent e = history.run(id)->layerStats.back();
        e.globalStep = 12;
        history.appendLayerStats(id, e);
        charts.refreshNow();
        QCOMPARE(charts.ratioSeries()[0]->count(), 6);
    }

    void trainingTabLiveControls()
    {
        qRegisterMetaType<netcanvas::RunChange>();
        GraphModel model;
        TrainingPanel panel(&model);
        TrainConfig c;
        c.earlyStoppingPatience = 3;
        c.earlyStoppingMinDelta = 0.01;
        c.monitor = "val_accuracy";
        c.resultWeights = "best";
        c.augmentation.maxShift = 2;
        panel.setConfig(c);
        const TrainConfig back = panel.config();
        QCOMPARE(back.earlyStoppingPatience, 3);
        QCOMPARE(back.earlyStoppingMinDelta, 0.01);
        QCOMPARE(back.monitor, std::string("val_accuracy"));
        QCOMPARE(back.resultWeights, std::string("best"));

        auto* live = panel.findChild<QGroupBox*>("liveBox");
        QVERIFY(live);
        QVERIFY(!live->isEnabled()); // nothing to change without a run
        panel.setTrainingState(true, false);
        QVERIFY(live->isEnabled());
        QVERIFY(!panel.findChild<QSpinBox*>("patience")->isEnabled()); // the recipe is fixed while running

        QSignalSpy spy(&panel, &TrainingPanel::changeRequested);
        panel.findChild<QDoubleSpinBox*>("liveLearningRate")->setValue(0.0005);
        panel.findChild<QPushButton*>("liveLearningRateSet")->click();
        panel.findChild<QSpinBox*>("liveEpochs")->setValue(9);
        panel.findChild<QPushButton*>("liveEpochsSet")->click();
        auto* augment = panel.findChild<QCheckBox*>("liveAugment");
        QVERIFY(augment->isEnabled() && augment->isChecked());
        augment->setChecked(false);
        QCOMPARE(spy.count(), 3);
        const auto change = [&](int i) { return spy.at(i).at(0).value<netcanvas::RunChange>(); };
        QCOMPARE(change(0).kind, RunChangeKind::LearningRate);
        QCOMPARE(change(0).value, 0.0005);
        QCOMPARE(change(1).kind, RunChangeKind::Epochs);
        QCOMPARE(change(1).value, 9.0);
        QCOMPARE(change(2).kind, RunChangeKind::Augmentation);
        QCOMPARE(change(2).value, 0.0);
        panel.setTrainingState(false, false);
        QVERIFY(!live->isEnabled());
    }
};

QTEST_MAIN(TestRunControlWidgets)
#include "test_runcontrol_widgets.moc"
