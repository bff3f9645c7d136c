// The views of sequences and numbers, offscreen: the Data tab's Task box (a series and a
// text file loaded with what the model fixes: window, horizon, length, vocabulary), the
// dataset view's text summary (vocabulary, lengths, examples) and target summary, the
// Training tab's loss choice, and the Evaluation tab's RegressionPlot (points and forecast
// drawn where they belong).
#include "common/Fixtures.h"
#include "widgets/canvas/GraphModel.h"
#include "widgets/data/DataPanel.h"
#include "widgets/data/DatasetView.h"
#include "widgets/inspect/RegressionPlot.h"

#include <QComboBox>
#include <QFile>
#include <QImage>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>

using namespace netcanvas;
using netcanvas::widgets::DataPanel;
using netcanvas::widgets::RegressionPlot;

namespace {

void writeText(const QString& path, const QString& text)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(text.toUtf8());
}

int pixelsNear(const QImage& img, const QColor& c, int tolerance = 40)
{
    int n = 0;
    for (int y = 0; y < img.height(); ++y)
        for (int x = 0; x < img.width(); ++x) {
            const QColor p = img.pixelColor(x, y);
            if (std::abs(p.red() - c.red()) + std::abs(p.green() - c.green()) + std::abs(p.blue() - c.blue())
                < tolerance)
                ++n;
        }
    return n;
}

} // namespace

class TestSequenceViews : public QObject {
    Q_OBJECT
private slots:
    void seriesLoadsWithTheModelsWindow()
    {
        QTemporaryDir tmp;
        QString csv = QStringLiteral("date,value\n");
        for (int t = 0; t < 60; ++t)
            csv += QStringLiteral("%1,%2\n").arg(t).arg(std::sin(t / 3.0));
        writeText(tmp.filePath("s.csv"), csv);
        widgets::GraphModel model;
        ModelGraph g;
        g.addNode(fixtures::makeNode("in", "Input", {}, { { "channels", 1 }, { "height", 6 }, { "width", 1 } }));
        g.addNode(fixtures::makeNode("lstm", "LSTM", { "in" }, { { "units", 4 } }));
        g.addNode(fixtures::makeNode("out", "Dense", { "lstm" }, { { "units", 2 } }));
        model.setGraph(g);
        DataPanel panel(&model);
        panel.resize(420, 900);
        panel.setDatasetPath(tmp.filePath("s.csv"));
        panel.setTask(QStringLiteral("series"));
        const DatasetOptions o = panel.taskOptions();
        QCOMPARE(o.window, 6); // the Input's height
        QCOMPARE(o.horizon, 2); // the output units
        QSignalSpy finished(&panel, &DataPanel::loadFinished);
        QVERIFY(panel.loadDataset());
        QVERIFY(finished.wait(20000));
        QVERIFY2(finished.front().at(0).toBool(), qPrintable(finished.front().at(1).toString()));
        const auto d = panel.dataset();
        QCOMPARE(d->size(), int64_t(60 - 6 - 2 + 1));
        QCOMPARE(d->targetShape, (Shape { 2 }));
        QVERIFY(panel.datasetIsCurrent());
        QVERIFY2(
            panel.view()->headerText().contains(QStringLiteral("target 2")), qPrintable(panel.view()->headerText()));
        QVERIFY(panel.view()->thumbnailNote().contains(QStringLiteral("window of 6 steps")));
        // Another task: the loaded windows no longer answer it.
        panel.setTask(QStringLiteral("regression"), QStringLiteral("value"));
        QVERIFY(!panel.datasetIsCurrent());
    }

    void textShowsVocabularyLengthsAndExamples()
    {
        QTemporaryDir tmp;
        QString lines;
        for (int i = 0; i < 20; ++i)
            lines += (i % 2 ? QStringLiteral("cats\tthe cat sat on the mat number %1\n")
                            : QStringLiteral("dogs\ta dog ran %1\n"))
                         .arg(i);
        writeText(tmp.filePath("t.txt"), lines);
        widgets::GraphModel model;
        ModelGraph g;
        g.addNode(fixtures::makeNode("in", "Input", {}, { { "channels", 1 }, { "height", 1 }, { "width", 5 } }));
        g.addNode(fixtures::makeNode("emb", "Embedding", { "in" }, { { "vocab", 12 }, { "dim", 4 } }));
        g.addNode(fixtures::makeNode("gru", "GRU", { "emb" }, { { "units", 4 } }));
        g.addNode(fixtures::makeNode("out", "Dense", { "gru" }, { { "units", 2 } }));
        model.setGraph(g);
        DataPanel panel(&model);
        panel.setDatasetPath(tmp.filePath("t.txt"));
        panel.setTask(QStringLiteral("text"));
        const DatasetOptions o = panel.taskOptions();
        QCOMPARE(o.sequenceLength, 5);
        QCOMPARE(o.maxVocabulary, 12); // the Embedding's vocab: ids stay inside it
        QSignalSpy finished(&panel, &DataPanel::loadFinished);
        QVERIFY(panel.loadDataset());
        QVERIFY(finished.wait(20000));
        QVERIFY2(finished.front().at(0).toBool(), qPrintable(finished.front().at(1).toString()));
        const auto d = panel.dataset();
        QCOMPARE(static_cast<int>(d->vocabulary.size()), 12);
        for (float id : d->features)
            QVERIFY(id >= 0.0f && id < 12.0f);
        const QString note = panel.view()->thumbnailNote();
        QVERIFY2(note.contains(QStringLiteral("Vocabulary: 12 tokens")), qPrintable(note));
        QVERIFY(note.contains(QStringLiteral("Lengths in tokens: shortest 4")));
        QVERIFY(note.contains(QStringLiteral("dogs \u2014 a dog ran 0")));
        QVERIFY(panel.view()->headerText().contains(QStringLiteral("2 classes")));
        QVERIFY(panel.view()->classCountsShown() == (std::vector<int64_t> { 10, 10 }));
    }

    void regressionPlotDrawsPointsAndForecast()
    {
        RegressionPlot plot;
        plot.resize(800, 320);
        QImage empty = plot.grab().toImage();
        QCOMPARE(pixelsNear(empty, RegressionPlot::pointColor()), 0);
        std::vector<float> actual, predicted;
        for (int i = 0; i < 50; ++i) {
            actual.push_back(static_cast<float>(i));
            predicted.push_back(static_cast<float>(i) + (i % 3 - 1));
        }
        plot.setData(actual, predicted, QStringLiteral("RMSE 0.8"));
        QCOMPARE(plot.pointCount(), 50);
        QImage scatter = plot.grab().toImage();
        QVERIFY(pixelsNear(scatter, RegressionPlot::pointColor()) > 100);
        QCOMPARE(pixelsNear(scatter, RegressionPlot::forecastColor()), 0);
        // The forecast panel: drawn on the right half only.
        std::vector<float> series(200);
        for (int t = 0; t < 200; ++t)
            series[static_cast<size_t>(t)] = std::sin(t / 10.0f);
        std::vector<int64_t> times;
        std::vector<float> forecasts;
        for (int t = 150; t < 200; ++t) {
            times.push_back(t);
            forecasts.push_back(std::sin(t / 10.0f) + 0.1f);
        }
        plot.setSeries(series, times, forecasts, 150);
        QVERIFY(plot.hasSeries());
        QImage both = plot.grab().toImage();
        const QImage left = both.copy(0, 0, both.width() * 2 / 5, both.height());
        const QImage right = both.copy(both.width() / 2, 0, both.width() / 2, both.height());
        QVERIFY(pixelsNear(left, RegressionPlot::pointColor()) > 100);
        QVERIFY(pixelsNear(right, RegressionPlot::forecastColor()) > 50);
        QCOMPARE(pixelsNear(left, RegressionPlot::forecastColor(), 20), 0);
        plot.clear();
        QCOMPARE(plot.pointCount(), 0);
        QVERIFY(!plot.hasSeries());
    }
};

QTEST_MAIN(TestSequenceViews)
#include "test_sequence_views.moc"
