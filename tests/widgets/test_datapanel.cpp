// The Data tab: DataPanel opens a folder-per-class dataset off the UI thread at the model's
// input geometry, shows it (counts, thumbnails, skipped files), reports a bad path with
// the path named, cancels, tracks whether the loaded data still fits the model, and moves
// split/augmentation settings in and out of a TrainConfig.
#include "common/Fixtures.h"
#include "widgets/canvas/GraphModel.h"
#include "widgets/data/DataPanel.h"
#include "widgets/data/DatasetView.h"

#include <QDir>
#include <QDoubleSpinBox>
#include <QFile>
#include <QImage>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

using namespace netcanvas;
using netcanvas::widgets::DataPanel;

namespace {

// Two classes of 12×12 gray PNGs (5 "dark", 3 "light") and one file that is not an image.
QString writeImageFolder(const QString& root)
{
    QDir dir(root);
    dir.mkpath(QStringLiteral("dark"));
    dir.mkpath(QStringLiteral("light"));
    for (int i = 0; i < 5; ++i) {
        QImage img(12, 12, QImage::Format_Grayscale8);
        img.fill(20 + i);
        img.save(dir.filePath(QStringLiteral("dark/%1.png").arg(i)));
    }
    for (int i = 0; i < 3; ++i) {
        QImage img(12, 12, QImage::Format_Grayscale8);
        img.fill(220 + i);
        img.save(dir.filePath(QStringLiteral("light/%1.png").arg(i)));
    }
    QFile bad(dir.filePath(QStringLiteral("light/broken.png")));
    bad.open(QIODevice::WriteOnly);
    bad.write("this is not a PNG");
    return root;
}

ModelGraph modelWithInput(int c, int h, int w)
{
    ModelGraph g;
    g.name = "tiny";
    g.addNode(fixtures::makeNode("in", "Input", {}, { { "channels", c }, { "height", h }, { "width", w } }));
    g.addNode(fixtures::makeNode("flat", "Flatten", { "in" }));
    g.addNode(fixtures::makeNode("fc", "Dense", { "flat" }, { { "units", 2 } }));
    return g;
}

} // namespace

class TestDataPanel : public QObject {
    Q_OBJECT

private slots:
    void loadsShowsAndTracksTheModel()
    {
        QTemporaryDir tmp;
        const QString root = writeImageFolder(tmp.path());
        widgets::GraphModel model;
        model.setGraph(modelWithInput(1, 8, 8));
        DataPanel panel(&model);
        panel.resize(360, 800);
        panel.setDatasetPath(root);
        QSignalSpy finished(&panel, &DataPanel::loadFinished);
        QSignalSpy loading(&panel, &DataPanel::loadingChanged);
        QVERIFY(panel.loadDataset());
        QVERIFY(panel.isLoading());
        QVERIFY(!panel.loadDataset()); // one load at a time
        QVERIFY(finished.wait(20000));
        QCOMPARE(finished.count(), 1);
        QVERIFY(finished.front().at(0).toBool());
        QCOMPARE(loading.count(), 2); // started, ended
        QVERIFY(!panel.isLoading());

        const auto data = panel.dataset();
        QVERIFY(data);
        QCOMPARE(data->size(), int64_t(8));
        QCOMPARE(data->height, 8); // resized to the model's input geometry
        QCOMPARE(data->width, 8);
        QCOMPARE(panel.view()->classCountsShown(), (std::vector<int64_t> { 5, 3 }));
        QCOMPARE(panel.view()->thumbnailSamples().size(), size_t(8));
        const QStringList skipped = panel.view()->skippedShown();
        QCOMPARE(skipped.size(), 1);
        QVERIFY2(skipped.front().contains(QStringLiteral("broken.png")), qPrintable(skipped.front()));
        QVERIFY(panel.datasetIsCurrent());

        // Another input geometry, or another path: the loaded data no longer fits.
        model.setGraph(modelWithInput(1, 12, 12));
        QVERIFY(!panel.datasetIsCurrent());
        model.setGraph(modelWithInput(1, 8, 8));
        QVERIFY(panel.datasetIsCurrent());
        panel.setDatasetPath(tmp.filePath(QStringLiteral("elsewhere")));
        QVERIFY(!panel.datasetIsCurrent());
    }

    void badPathIsNamedAndCancelWorks()
    {
        QTemporaryDir tmp;
        widgets::GraphModel model;
        model.setGraph(modelWithInput(1, 8, 8));
        DataPanel panel(&model);
        QSignalSpy finished(&panel, &DataPanel::loadFinished);

        const QString missing = tmp.filePath(QStringLiteral("no-such-dataset"));
        panel.setDatasetPath(missing);
        QVERIFY(panel.loadDataset());
        QVERIFY(finished.wait(20000));
        QVERIFY(!finished.front().at(0).toBool());
        const QString error = finished.front().at(1).toString();
        QVERIFY2(error.contains(QStringLiteral("no-such-dataset")), qPrintable(error));
        QVERIFY(!panel.dataset());

        panel.setDatasetPath(QString());
        QVERIFY(!panel.loadDataset()); // nothing to load: refused with a hint, no signal
        QCOMPARE(finished.count(), 1);

        // Cancelled at once: the loader honours it even if it already finished decoding.
        panel.setDatasetPath(writeImageFolder(tmp.path()));
        finished.clear();
        QVERIFY(panel.loadDataset());
        panel.cancelLoading();
        QVERIFY(finished.wait(20000));
        QVERIFY(!finished.front().at(0).toBool());
        QCOMPARE(finished.front().at(1).toString(), QString()); // cancelled, not an error
        QVERIFY(!panel.dataset());
    }

    void splitAndAugmentationSettings()
    {
        widgets::GraphModel model;
        model.setGraph(modelWithInput(1, 8, 8));
        DataPanel panel(&model);
        QSignalSpy edited(&panel, &DataPanel::settingsEdited);
        TrainConfig in;
        in.validationFraction = 0.25;
        in.testFraction = 0.05;
        in.augmentation.flipHorizontal = true;
        in.augmentation.maxShift = 3;
        in.augmentation.maxRotation = 15.0f;
        in.epochs = 99;
        panel.setFrom(in);
        QCOMPARE(edited.count(), 0); // filled by code, not edited by the user
        TrainConfig out;
        panel.applyTo(out);
        QCOMPARE(out.validationFraction, 0.25);
        QCOMPARE(out.testFraction, 0.05);
        QVERIFY(out.augmentation.flipHorizontal);
        QCOMPARE(out.augmentation.maxShift, 3);
        QCOMPARE(out.augmentation.maxRotation, 15.0f);
        QCOMPARE(out.epochs, TrainConfig {}.epochs); // not a data setting: untouched

        // A user edit is reported.
        const auto spins = panel.findChildren<QDoubleSpinBox*>();
        QVERIFY(!spins.isEmpty());
        spins.front()->setValue(spins.front()->value() + 0.05);
        QCOMPARE(edited.count(), 1);

        // Locked while a run trains: nothing can be changed.
        panel.setLocked(true);
        for (QDoubleSpinBox* s : spins)
            QVERIFY(!s->isEnabled());
        panel.setLocked(false);
        QVERIFY(spins.front()->isEnabled());
    }
};

QTEST_MAIN(TestDataPanel)
#include "test_datapanel.moc"
