// Managing runs: RunHistory renames and removes runs (a running one is refused), the run
// list and the charts follow (legend names, removed series), and the name survives the
// project's JSON.
#include "engine/io/RunJson.h"
#include "widgets/charts/TrainingCharts.h"
#include "widgets/train/RunHistory.h"
#include "widgets/train/RunListWidget.h"

#include <QLineSeries>
#include <QScatterSeries>
#include <QSignalSpy>
#include <QValueAxis>
#include <QtTest>

#include <cmath>

using namespace netcanvas;
using namespace netcanvas;
using namespace netcanvas::widgets;

namespace {

int addFinishedRun(RunHistory& history, double lossScale)
{
    RunRecord r;
    r.config.optimizer.kind = "sgd";
    r.config.optimizer.learningRate = 0.1;
    const int id = history.addRun(r);
    std::vector<BatchEvent> ev;
    for (int b = 0; b < 10; ++b) {
        BatchEvent e;
        e.globalStep = b;
        e.batchesPerEpoch = 5;
        e.epoch = b / 5;
        e.batch = b % 5;
        e.loss = lossScale / (1 + b);
        e.learningRate = 0.1;
        ev.push_back(e);
    }
    history.appendBatches(id, ev);
    EpochEvent ep;
    ep.validationAccuracy = 0.7;
    ep.validationLoss = 0.5;
    history.appendEpoch(id, ep);
    RunSummary s;
    s.testAccuracy = 0.8;
    history.finishRun(id, s);
    return id;
}

} // namespace

class TestRuns : public QObject {
    Q_OBJECT

private slots:
    // The charts follow the data: the x axis spans the epochs trained (not the planned 20), the
    // loss axis holds the smoothed curve's start, small learning rates have short labels in
    // units of 10^k, the raw band is lighter than the smoothed line and epoch markers are hollow.
    void chartsAxesFollowTheData()
    {
        RunHistory history;
        RunRecord r;
        r.config.epochs = 20;
        const int id = history.addRun(r);
        std::vector<BatchEvent> batches;
        for (int b = 0; b < 200; ++b) {
            BatchEvent e;
            e.globalStep = b;
            e.batchesPerEpoch = 100;
            e.epoch = b / 100;
            e.batch = b % 100;
            e.loss = 2.3 * std::exp(-b / 10.0) + 0.3; // a steep initial drop
            e.learningRate = 0.002 * (1.0 - b / 400.0);
            batches.push_back(e);
        }
        history.appendBatches(id, batches);
        for (int ep = 0; ep < 2; ++ep) {
            EpochEvent e;
            e.epoch = ep;
            e.trainLoss = 0.4;
            e.trainAccuracy = 0.85;
            e.validationLoss = 0.45;
            e.validationAccuracy = 0.84;
            history.appendEpoch(id, e);
        }
        TrainingCharts charts;
        charts.resize(900, 300);
        charts.setHistory(&history);
        charts.setVisibleRuns({ id });
        charts.refreshNow();
        QTRY_VERIFY(charts.axis(TrainingCharts::Curve::LearningRate, Qt::Vertical)->max() > 1.0); // rescaled

        using C = TrainingCharts::Curve;
        for (C c : { C::SmoothLoss, C::TrainAccuracy, C::LearningRate })
            QVERIFY2(charts.axis(c, Qt::Horizontal)->max() <= 3.0,
                qPrintable(QString::number(charts.axis(c, Qt::Horizontal)->max())));
        QVERIFY(charts.axis(C::SmoothLoss, Qt::Horizontal)->max() >= 2.0);

        const QList<QPointF> smooth = charts.series(id, C::SmoothLoss)->points();
        QVERIFY(!smooth.isEmpty());
        double smoothMax = 0.0;
        for (const QPointF& p : smooth)
            smoothMax = std::max(smoothMax, p.y());
        QVERIFY2(charts.axis(C::SmoothLoss, Qt::Vertical)->max() >= smoothMax,
            qPrintable(
                QString("axis %1 < curve %2").arg(charts.axis(C::SmoothLoss, Qt::Vertical)->max()).arg(smoothMax)));

        QValueAxis* lrY = charts.axis(C::LearningRate, Qt::Vertical);
        QVERIFY(!lrY->labelFormat().contains(QLatin1Char('e')));
        QCOMPARE(lrY->titleText(), QStringLiteral("×10⁻³"));
        const QList<QPointF> lr = charts.series(id, C::LearningRate)->points();
        QVERIFY(!lr.isEmpty());
        QVERIFY(std::abs(lr.front().y() - 2.0) < 0.01); // 0.002 drawn as 2.0 ×10⁻³

        QVERIFY(charts.series(id, C::RawLoss)->pen().color().alpha()
            < charts.series(id, C::SmoothLoss)->pen().color().alpha() / 4);
        for (C c : { C::ValidationLoss, C::ValidationAccuracy }) {
            QLineSeries* s = charts.series(id, c);
            QCOMPARE(s->pen().style(), Qt::DashLine); // not color alone
            QScatterSeries* m = charts.markers(id, c);
            QVERIFY(m);
            QCOMPARE(m->points(), s->points());
            QVERIFY(m->markerSize() <= 7);
            QCOMPARE(m->brush().color(), QColor(Qt::white)); // hollow: the line under it shows
        }
    }

    void renameShowsInListChartsAndJson()
    {
        RunHistory history;
        RunListWidget list;
        list.setHistory(&history);
        TrainingCharts charts;
        charts.resize(1000, 300);
        charts.setHistory(&history);
        connect(&list, &RunListWidget::checkedRunsChanged, &charts, &TrainingCharts::setVisibleRuns);
        const int a = addFinishedRun(history, 2.0);
        const int b = addFinishedRun(history, 1.0);
        list.setChecked(a, true);
        list.setChecked(b, true);
        QCOMPARE(charts.visibleRuns(), (std::vector<int> { a, b }));

        QSignalSpy renamed(&history, &RunHistory::runRenamed);
        history.renameRun(a, QStringLiteral("  no dropout "));
        QCOMPARE(renamed.count(), 1);
        QCOMPARE(history.run(a)->label, std::string("no dropout")); // trimmed
        history.renameRun(a, QStringLiteral("no dropout"));
        QCOMPARE(renamed.count(), 1); // unchanged: no signal
        QCOMPARE(list.runText(a), QStringLiteral("Run 1 · no dropout · 80.0%"));
        QVERIFY(list.runText(b).startsWith(QStringLiteral("Run 2 · sgd lr 0.1")));
        // Overlaid: the legend names the run by its label.
        QCOMPARE(charts.series(a, TrainingCharts::Curve::SmoothLoss)->name(), QStringLiteral("no dropout"));
        QCOMPARE(charts.series(b, TrainingCharts::Curve::SmoothLoss)->name(), QStringLiteral("Run 2"));

        const RunRecord back = runFromJson(runToJson(*history.run(a)));
        QCOMPARE(back.label, std::string("no dropout"));
        QCOMPARE(runFromJson(runToJson(*history.run(b))).label, std::string());
    }

    void removeDropsTheRunEverywhereButNotARunningOne()
    {
        RunHistory history;
        RunListWidget list;
        list.setHistory(&history);
        TrainingCharts charts;
        charts.setHistory(&history);
        connect(&list, &RunListWidget::checkedRunsChanged, &charts, &TrainingCharts::setVisibleRuns);
        const int a = addFinishedRun(history, 2.0);
        const int b = addFinishedRun(history, 1.0);
        list.setChecked(a, true);
        list.setChecked(b, true);
        QCOMPARE(charts.visibleRuns().size(), size_t(2));

        QSignalSpy removed(&history, &RunHistory::runRemoved);
        QVERIFY(history.removeRun(a));
        QCOMPARE(removed.count(), 1);
        QCOMPARE(history.count(), 1);
        QVERIFY(!history.run(a));
        QCOMPARE(list.count(), 1);
        QCOMPARE(list.checkedRuns(), std::vector<int> { b });
        QCOMPARE(charts.visibleRuns(), std::vector<int> { b });
        QVERIFY(!charts.series(a, TrainingCharts::Curve::RawLoss));
        QVERIFY(!history.removeRun(a)); // gone already
        QVERIFY(!history.removeRun(99));

        RunRecord live;
        const int c = history.addRun(live); // running
        QVERIFY(!history.removeRun(c));
        QVERIFY(history.run(c));
        QCOMPARE(c, 3); // ids are not reused after a removal

        // Show only one run.
        list.setChecked(b, true);
        list.showOnly(b);
        QCOMPARE(list.checkedRuns(), std::vector<int> { b });
        QCOMPARE(charts.visibleRuns(), std::vector<int> { b });
    }
};

QTEST_MAIN(TestRuns)
#include "test_runs.moc"
