// Managing runs: RunHistory renames and removes runs (a running one is refused), the run
// list and the charts follow (legend names, removed series), and the name survives the
// project's JSON.
#include "engine/io/RunJson.h"
#include "widgets/charts/TrainingCharts.h"
#include "widgets/train/RunHistory.h"
#include "widgets/train/RunListWidget.h"

#include <QLineSeries>
#include <QSignalSpy>
#include <QtTest>

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
