// Experiment ▸ Compare… and Lessons in the app (offscreen): the menu and its lessons; the
// Compare dialog previews the variants (and refuses a value with the engine's reason); a
// comparison trains on the sample dataset off the UI thread with the curves overlaid live
// (one legend entry per variant naming the variable) and the ranking filled in rank order;
// Show on Canvas is one undo step that gives the original back; Stop ends a run; a lesson
// opens with its model, dataset and texts; the HTML report is written.
#include "app/CompareDialog.h"
#include "app/ExperimentCoordinator.h"
#include "app/MainWindow.h"
#include "app/PresentationMode.h"
#include "app/ProjectDocument.h"
#include "engine/graph/ModelJson.h"
#include "widgets/canvas/GraphModel.h"
#include "widgets/experiment/ExperimentView.h"

#include <QAction>
#include <QApplication>
#include <QChart>
#include <QFile>
#include <QLegendMarker>
#include <QLineSeries>
#include <QMenuBar>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QUndoStack>
#include <QtTest>

using namespace netcanvas;

namespace {
const QString kSample = QStringLiteral(NETCANVAS_SOURCE_DIR "/resources/sample-fashion");

QMenu* menuNamed(app::MainWindow& w, const QString& text)
{
    for (QAction* a : w.menuBar()->actions())
        if (a->text() == text)
            return a->menu();
    return nullptr;
}

void loadMlp(app::MainWindow& w)
{
    QVERIFY(w.document()->newFromTemplate(QStringLiteral(NETCANVAS_SOURCE_DIR "/models/mlp.json")).isEmpty());
    w.document()->setDatasetPath(kSample);
}
} // namespace

class TestExperimentUi : public QObject {
    Q_OBJECT

private slots:
    void menuListsCompareAndTheLessons()
    {
        app::MainWindow w;
        QMenu* m = menuNamed(w, "E&xperiment");
        QVERIFY(m);
        QStringList texts;
        QMenu* lessons = nullptr;
        for (QAction* a : m->actions()) {
            texts << a->text();
            if (a->menu())
                lessons = a->menu();
        }
        QVERIFY(texts.contains("&Compare…"));
        QVERIFY(texts.contains("&Export Report…"));
        QVERIFY(lessons);
        QCOMPARE(lessons->actions().size(), 5);
        QCOMPARE(lessons->actions().first()->text(), QString("Saturation: sigmoid against ReLU"));
    }

    void compareDialogPreviewsAndRefuses()
    {
        const ModelGraph g = loadModelFile(NETCANVAS_SOURCE_DIR "/models/mlp.json");
        app::CompareDialog d(g, trainConfigFromJson(g.training));
        QVERIFY(d.preview().contains("activation = ReLU"));
        QVERIFY(d.preview().contains("activation = Tanh"));
        d.setVariable("batch_norm", "off, on");
        QCOMPARE(d.variation().kind, VariationKind::BatchNorm);
        QCOMPARE(d.variation().values, (std::vector<std::string> { "off", "on" }));
        QVERIFY(d.preview().contains("batch_norm = on"));
        QVERIFY2(d.preview().contains("parameters"), qPrintable(d.preview())); // BN adds parameters
        d.setVariable("learning_rate", "0.1, fast");
        QVERIFY2(d.preview().contains("fast") && d.preview().contains("not a number"), qPrintable(d.preview()));
        d.grab().save(QDir::temp().filePath("netcanvas-compare-dialog.png"));
    }

    void comparisonTrainsShowsRanksAndUndoes()
    {
        app::MainWindow w;
        w.resize(1280, 800);
        loadMlp(w);
        app::ExperimentCoordinator* ex = w.experiments();
        const ModelGraph original = w.document()->model()->graph();
        QCOMPARE(ex->setupComparison(Variation { VariationKind::Activation, { "ReLU", "Sigmoid" } }, 2, 2), QString());
        // Nothing changed on the canvas.
        QCOMPARE(w.document()->model()->graph().node("relu1")->type, std::string("ReLU"));
        QSignalSpy finished(ex, &app::ExperimentCoordinator::finished);
        QVERIFY(ex->run());
        QVERIFY(ex->isRunning());
        QVERIFY(!ex->run()); // one at a time
        QVERIFY(finished.wait(120000));
        widgets::ExperimentView* view = ex->view();
        // Curves: two series per variant per chart, one visible legend entry each.
        QChart* acc = view->accuracyChart();
        QCOMPARE(acc->series().size(), 4);
        int visible = 0;
        for (QLegendMarker* m : acc->legend()->markers())
            visible += m->isVisible();
        QCOMPARE(visible, 2);
        QCOMPARE(view->legendLabel(1), QString("Sigmoid"));
        QVERIFY(acc->title().contains("activation")); // the legend's values, the title's variable
        QCOMPARE(view->rankingTable()->horizontalHeaderItem(1)->text(), QString("activation"));
        for (QAbstractSeries* s : acc->series())
            QCOMPARE(static_cast<QLineSeries*>(s)->count(), 2);
        // Ranking: two finished rows, best first.
        QTableWidget* t = view->rankingTable();
        QCOMPARE(t->rowCount(), 2);
        QCOMPARE(t->item(0, 2)->text(), QString("finished"));
        QCOMPARE(t->item(1, 2)->text(), QString("finished"));
        const auto& out = view->outcomes();
        const int best = t->item(0, 1)->data(Qt::UserRole).toInt();
        QVERIFY(out[static_cast<size_t>(best)].bestValidationAccuracy
            >= out[static_cast<size_t>(1 - best)].bestValidationAccuracy);
        QVERIFY(t->item(0, 9)->text() != "–");
        view->grab().save(QDir::temp().filePath("netcanvas-experiment-view.png"));

        // Show on Canvas: one undo step, and Undo gives the original back.
        const int before = w.document()->undoStack()->count();
        int sigmoidRow = t->item(0, 1)->text() == "Sigmoid" ? 0 : 1;
        t->setCurrentCell(sigmoidRow, 1);
        for (QPushButton* b : view->findChildren<QPushButton*>())
            if (b->text() == "Show on Canvas")
                b->click();
        QCOMPARE(w.document()->undoStack()->count(), before + 1);
        QCOMPARE(w.document()->model()->graph().node("relu1")->type, std::string("Sigmoid"));
        w.document()->undoStack()->undo();
        QCOMPARE(w.document()->model()->graph().node("relu1")->type, std::string("ReLU"));
        QCOMPARE(w.document()->model()->graph().nodes().size(), original.nodes().size());

        // The report.
        QTemporaryDir dir;
        const QString path = dir.filePath("r.html");
        QCOMPARE(ex->exportReport(path), QString());
        QFile f(path);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QString html = QString::fromUtf8(f.readAll());
        QVERIFY(html.contains("activation = Sigmoid"));
        QVERIFY(html.count("data:image/png;base64,") >= 2); // the canvas and the charts
        QVERIFY(html.contains("<polyline"));
    }

    void stopEndsTheRun()
    {
        app::MainWindow w;
        loadMlp(w);
        app::ExperimentCoordinator* ex = w.experiments();
        QCOMPARE(
            ex->setupComparison(Variation { VariationKind::LearningRate, { "0.001", "0.01" } }, 200, 1), QString());
        QSignalSpy finished(ex, &app::ExperimentCoordinator::finished);
        QVERIFY(ex->run());
        QTRY_VERIFY_WITH_TIMEOUT(!ex->view()->outcomes()[0].history.empty(), 60000); // events processed
        ex->stop();
        QVERIFY(finished.wait(60000));
        const auto& out = ex->view()->outcomes();
        QCOMPARE(out[0].state, VariantOutcome::State::Stopped);
        QVERIFY(out[0].history.size() < 200);
        QCOMPARE(out[1].state, VariantOutcome::State::Stopped);
    }

    void presentationModeAndBack()
    {
        app::MainWindow w;
        w.resize(1600, 1000);
        w.show();
        const int before = QApplication::font().pointSize();
        app::PresentationMode* p = w.presentation();
        QVERIFY(p && p->action()->isCheckable());
        p->action()->trigger();
        QVERIFY(p->isOn());
        QVERIFY(QApplication::font().pointSizeF() >= 14.0);
        QVERIFY(w.width() <= 1280 && w.height() <= 720);
        QChart* acc = w.experiments()->view()->accuracyChart();
        QVERIFY(acc->titleFont().bold());
        p->action()->trigger();
        QVERIFY(!p->isOn());
        QCOMPARE(QApplication::font().pointSize(), before);
        QVERIFY(w.width() > 1280);
    }

    void lessonOpensWithModelDataAndTexts()
    {
        app::MainWindow w;
        const QStringList lessons = app::ExperimentCoordinator::lessonPaths();
        QCOMPARE(lessons.size(), 5);
        QCOMPARE(w.experiments()->openLesson(lessons[3]), QString()); // batch norm
        QVERIFY(w.document()->model()->graph().contains("fc1"));
        QCOMPARE(w.document()->model()->graph().node("act1")->type, std::string("Sigmoid"));
        QVERIFY(w.document()->datasetPath().contains("fashion-mnist"));
        widgets::ExperimentView* view = w.experiments()->view();
        QVERIFY(view->runButton()->isEnabled()); // one click runs it
        QCOMPARE(view->rankingTable()->rowCount(), 2);
        QCOMPARE(view->legendLabel(0), QString("off"));
        QVERIFY(w.experiments()->openLesson("/no/such/lesson.json").contains("lesson.json"));
    }
};

QTEST_MAIN(TestExperimentUi)
#include "test_experiment_ui.moc"
