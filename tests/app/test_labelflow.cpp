// The labeling workflow inside the app, end to end: a flat folder of unlabeled images →
// label some → train a round (the output layer adapts to the classes) → predictions for the
// rest → label more → a second round that fine-tunes from the first round's weights →
// export. Plus: a second window on the same folder is refused with a clear message, and a
// corrupt image is skipped and reported, never fatal.
#include "app/FileActions.h"
#include "app/LabelingController.h"
#include "app/LabelingCoordinator.h"
#include "app/MainWindow.h"
#include "app/ProjectDocument.h"
#include "app/TrainingController.h"
#include "app/TrainingCoordinator.h"
#include "common/Fixtures.h"
#include "engine/data/Dataset.h"
#include "engine/labels/LabelStore.h"
#include "engine/labels/LabeledImages.h"
#include "widgets/canvas/GraphModel.h"
#include "widgets/labels/LabelingPanel.h"
#include "widgets/train/RunHistory.h"
#include "widgets/train/TrainingPanel.h"

#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QDialog>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTimer>
#include <QUndoStack>
#include <QtTest>

#include <opencv2/imgcodecs.hpp>

#include <cmath>
#include <map>

using namespace netcanvas;

class TestLabelFlow : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    QString m_images; // the flat folder of unlabeled images
    std::map<std::string, std::string> m_truth; // image id → its true class
    std::vector<std::string> m_ids;

    // Labels the first `count` images of each class (in id order) with their true class,
    // through the panel's undo stack as the keys would.
    static int labelSome(app::MainWindow& w, const std::map<std::string, std::string>& truth, int perClass)
    {
        LabelStore* store = w.labeling()->controller()->store();
        std::map<std::string, std::vector<int>> byClass;
        for (int i = 0; i < store->imageCount(); ++i) {
            auto it = truth.find(store->imageId(i));
            if (it == truth.end() || store->label(i) >= 0)
                continue;
            auto& v = byClass[it->second];
            if (static_cast<int>(v.size()) < perClass)
                v.push_back(i);
        }
        int labeled = 0;
        for (const auto& [cls, images] : byClass) {
            if (store->classIndex(cls) < 0)
                store->addClass(cls);
            store->assign(images, cls);
            labeled += static_cast<int>(images.size());
        }
        w.labeling()->panel()->refresh();
        return labeled;
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_images = m_dir.filePath(QStringLiteral("images"));
        QVERIFY(QDir().mkpath(m_images));
        const Dataset bars = fixtures::barsDataset(40, 11); // 120 images 8×8, 3 classes
        for (int64_t i = 0; i < bars.size(); ++i) {
            cv::Mat img(8, 8, CV_8UC1);
            std::copy_n(bars.pixels.data() + i * 64, 64, img.data);
            const std::string id = QStringLiteral("img_%1.png").arg(i, 3, 10, QLatin1Char('0')).toStdString();
            QVERIFY(cv::imwrite(m_images.toStdString() + "/" + id, img));
            m_truth[id] = bars.classNames[static_cast<size_t>(bars.labels[static_cast<size_t>(i)])];
            m_ids.push_back(id);
        }
        QFile bad(m_images + QStringLiteral("/zz_corrupt.png"));
        QVERIFY(bad.open(QIODevice::WriteOnly));
        bad.write("this is not a PNG");
    }

    void labelTrainPredictFineTuneExport()
    {
        app::MainWindow w;
        ModelGraph g = fixtures::barsCnn(5); // 5 outputs: adapted to the 3 labeled classes
        w.document()->model()->setGraph(g);
        TrainConfig c = w.training()->panel()->config();
        c.epochs = 30;
        c.batchSize = 16;
        c.optimizer.kind = "adam";
        c.optimizer.learningRate = 0.01;
        c.seed = 3;
        c.threads = 1;
        w.training()->panel()->setConfig(c);
        w.resize(1280, 800);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));

        QCOMPARE(w.labeling()->openFolder(m_images), QString());
        QVERIFY(w.labelMode());
        LabelStore* store = w.labeling()->controller()->store();
        QVERIFY(store);
        QCOMPARE(store->imageCount(), 121); // the corrupt file is listed: it is shown as unreadable
        QCOMPARE(w.labeling()->panel()->store(), store);

        // Too few labels: a clear refusal, no run.
        QSignalSpy failed(w.labeling()->controller(), &app::LabelingController::failed);
        store->addClass(QStringLiteral("horizontal").toStdString());
        store->assign({ 0 }, "horizontal");
        w.labeling()->controller()->prepareRound(Shape { 1, 8, 8 });
        QCOMPARE(failed.count(), 1);
        QVERIFY(failed.at(0).at(0).toString().contains(QStringLiteral("two classes")));

        // Round 1: 10 per class, on a model with 5 outputs.
        const int labeled1 = labelSome(w, m_truth, 10) + 1;
        QCOMPARE(store->imageCount() - store->unlabeledCount(), int64_t(labeled1));
        QSignalSpy predicted(w.labeling()->controller(), &app::LabelingController::predictionsReady);
        w.labeling()->trainOnLabels();
        QVERIFY(predicted.wait(120000));
        QCOMPARE(w.labeling()->controller()->rounds().size(), size_t(1));
        QVERIFY(!w.labeling()->controller()->rounds()[0].fineTuned);
        QCOMPARE(w.document()->model()->analysis().outputShape.numel(), int64_t(3)); // adapted
        QVERIFY(w.document()->undoStack()->canUndo()); // … as an undoable edit
        QCOMPARE(w.document()->undoStack()->undoText(), QStringLiteral("Set output to 3 classes")); // one named step
        QCOMPARE(w.document()->runs()->count(), 1); // the round is a run like any other

        // Every readable unlabeled image got a prediction; the corrupt one did not.
        int withPrediction = 0, right = 0;
        for (int i = 0; i < store->imageCount(); ++i) {
            if (store->label(i) >= 0)
                continue;
            if (store->imageId(i) == "zz_corrupt.png") {
                QVERIFY(!store->hasPrediction(i));
                continue;
            }
            QVERIFY2(store->hasPrediction(i), store->imageId(i).c_str());
            ++withPrediction;
            right += store->predictedClass(i) == m_truth.at(store->imageId(i)) ? 1 : 0;
            const float conf = store->confidence(i);
            QVERIFY(conf >= 1.0f / 3.0f - 1e-5f && conf <= 1.0f);
        }
        QCOMPARE(withPrediction, 120 - labeled1);
        QVERIFY2(
            right > withPrediction * 0.7, qPrintable(QStringLiteral("%1 of %2 right").arg(right).arg(withPrediction)));
        QVERIFY(predicted.last().at(1).toString().contains(QStringLiteral("could not be read")));
        QVERIFY(w.labeling()->panel()->isEnabled());

        // Least-confident first: the store's order follows the model's confidence.
        LabelQuery q;
        q.labels = LabelQuery::Labels::Unlabeled;
        q.order = LabelQuery::Order::LeastConfident;
        const std::vector<int> order = store->query(q);
        for (size_t k = 1; k < order.size(); ++k)
            if (store->hasPrediction(order[k]))
                QVERIFY(store->confidence(order[k - 1]) <= store->confidence(order[k]));

        // Round 2 fine-tunes: its first batch starts from round 1's weights, so its loss is
        // below chance (ln 3 ≈ 1.10) and far below a fresh model's on the same labels.
        labelSome(w, m_truth, 20);
        QSignalSpy batches(w.training()->controller(), &app::TrainingController::batchFinished);
        predicted.clear();
        w.labeling()->trainOnLabels();
        QVERIFY(predicted.wait(120000));
        QCOMPARE(w.labeling()->controller()->rounds().size(), size_t(2));
        QVERIFY(w.labeling()->controller()->rounds()[1].fineTuned);
        QVERIFY(!batches.isEmpty());
        const auto first = batches.first().at(0).value<std::vector<BatchEvent>>();
        QVERIFY(!first.empty());
        const double fineTunedLoss = first.front().loss;
        QVERIFY2(fineTunedLoss < std::log(3.0), qPrintable(QString::number(fineTunedLoss)));
        QVERIFY(w.labeling()->controller()->statusText().contains(QStringLiteral("Round 2")));

        // A fresh model for comparison: the same first batch from scratch is near ln 3.
        {
            app::TrainingController fresh;
            QSignalSpy freshBatches(&fresh, &app::TrainingController::batchFinished);
            QSignalSpy done(&fresh, &app::TrainingController::finished);
            DatasetOptions geometry;
            geometry.channels = 1;
            geometry.height = geometry.width = 8;
            auto data = std::make_shared<Dataset>(loadLabeledImages(store->labeledImages(), geometry));
            TrainConfig one = c;
            one.epochs = 1;
            QVERIFY(fresh.start(w.document()->model()->graph(), data, one));
            QVERIFY(done.wait(60000));
            const auto f = freshBatches.first().at(0).value<std::vector<BatchEvent>>();
            QVERIFY2(f.front().loss > fineTunedLoss + 0.3,
                qPrintable(QStringLiteral("fresh %1, fine-tuned %2").arg(f.front().loss).arg(fineTunedLoss)));
        }

        // Export: a folder per class equal to the labels, and a CSV.
        QSignalSpy exported(w.labeling()->controller(), &app::LabelingController::exported);
        const QString target = m_dir.filePath(QStringLiteral("export"));
        w.labeling()->controller()->exportLabels(target);
        QVERIFY(exported.wait(30000));
        int files = 0;
        for (const std::string& cls : store->classes()) {
            const QStringList names
                = QDir(target + QLatin1Char('/') + QString::fromStdString(cls)).entryList(QDir::Files);
            for (const QString& n : names) {
                ++files;
                QCOMPARE(store->labelName(store->indexOf(n.toStdString())), cls);
            }
        }
        QCOMPARE(int64_t(files), store->imageCount() - store->unlabeledCount());
        w.labeling()->controller()->exportLabels(m_dir.filePath(QStringLiteral("labels.csv")));
        QVERIFY(exported.wait(30000));
        QVERIFY(QFile::exists(m_dir.filePath(QStringLiteral("labels.csv"))));

        // Classify a folder to CSV with the round's model: one row per readable image, the
        // corrupt one skipped and counted, classes from the labels.
        const QString preds = m_dir.filePath(QStringLiteral("preds.csv"));
        w.labeling()->controller()->classifyToCsv({ m_images }, preds, w.labeling()->controller()->model());
        QVERIFY(exported.wait(30000));
        QVERIFY2(exported.last().at(0).toString().contains(QStringLiteral("1 unreadable")),
            qPrintable(exported.last().at(0).toString()));
        QFile pf(preds);
        QVERIFY(pf.open(QIODevice::ReadOnly));
        const QStringList rows = QString::fromUtf8(pf.readAll()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        QCOMPARE(rows.front(), QStringLiteral("path,class,confidence,class_2,confidence_2,class_3,confidence_3"));
        QCOMPARE(rows.size(), 1 + 120);
        int agree = 0;
        for (int r = 1; r < rows.size(); ++r) {
            const QStringList f = rows[r].split(QLatin1Char(','));
            QCOMPARE(f.size(), 7);
            const std::string id = QFileInfo(f[0]).fileName().toStdString();
            agree += m_truth.at(id) == f[1].toStdString() ? 1 : 0;
        }
        QVERIFY2(agree > 84, qPrintable(QString::number(agree))); // > 70% of 120

        // Edit ▸ Undo follows the mode: in Label mode it undoes the last label, in Design
        // mode the last canvas edit (here: the output layer's units).
        QAction* undo = nullptr;
        for (QAction* a : w.findChildren<QAction*>())
            if (a->shortcut() == QKeySequence(QKeySequence::Undo))
                undo = a;
        QVERIFY(undo);
        const int image = store->unlabeledImages().front();
        w.labeling()->panel()->selectImages({ image });
        QVERIFY(w.labeling()->panel()->assignToSelection(QStringLiteral("vertical")));
        QCOMPARE(store->labelName(image), std::string("vertical"));
        QVERIFY(undo->isEnabled());
        undo->trigger();
        QCOMPARE(store->label(image), -1);
        QCOMPARE(w.document()->model()->analysis().outputShape.numel(), int64_t(3)); // the canvas untouched
        w.setLabelMode(false);
        undo->trigger();
        QCOMPARE(w.document()->model()->analysis().outputShape.numel(), int64_t(5));
        QCOMPARE(store->label(image), -1);
    }

    // File ▸ New from Template ▸ Pretrained opens the template with the zoo's weights as the
    // start of the next run; the Label mode's first round then fine-tunes from them: loaded by
    // name, the output layer refitted to the labels' 3 classes starts afresh.
    void pretrainedTemplateStartsTheLabelRounds()
    {
        const QString folder = m_dir.filePath(QStringLiteral("zoo-images"));
        QVERIFY(QDir().mkpath(folder));
        for (const std::string& id : m_ids) {
            const QString name = QString::fromStdString(id);
            QVERIFY(QFile::copy(m_images + QLatin1Char('/') + name, folder + QLatin1Char('/') + name));
        }
        app::MainWindow w;
        w.resize(1280, 800);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QAction* pretrained = nullptr;
        for (QAction* a : w.findChildren<QAction*>())
            if (a->text().startsWith(QStringLiteral("lenet5 (Fashion-MNIST")))
                pretrained = a;
        QVERIFY2(pretrained, "File > New from Template > Pretrained > lenet5 is missing");
        QVERIFY2(pretrained->text().contains(QStringLiteral("% test accuracy")), qPrintable(pretrained->text()));
        QVERIFY(!w.training()->startWeights());
        pretrained->trigger();
        QCOMPARE(QString::fromStdString(w.document()->model()->graph().name), QStringLiteral("lenet5"));
        QVERIFY(w.training()->startWeights());
        QCOMPARE(w.document()->model()->analysis().outputShape.numel(), int64_t(10));

        TrainConfig c = w.training()->panel()->config();
        c.epochs = 2;
        c.threads = 1;
        c.seed = 5;
        w.training()->panel()->setConfig(c);
        QCOMPARE(w.labeling()->openFolder(folder), QString());
        QCOMPARE(labelSome(w, m_truth, 10), 30);
        QSignalSpy notes(w.training()->controller(), &app::TrainingController::weightsNote);
        QSignalSpy predicted(w.labeling()->controller(), &app::LabelingController::predictionsReady);
        w.labeling()->trainOnLabels();
        QVERIFY(predicted.wait(120000));
        QCOMPARE(w.labeling()->controller()->rounds().size(), size_t(1));
        QVERIFY(w.labeling()->controller()->rounds()[0].fineTuned); // from the zoo, not from scratch
        QCOMPARE(w.document()->model()->analysis().outputShape.numel(), int64_t(3));
        // What was loaded: the convolutions and hidden dense layers; the 3-class head is new.
        QCOMPARE(notes.count(), 1);
        const QStringList lines = notes.at(0).at(0).toString().split(QLatin1Char('\n'));
        QString loaded;
        for (const QString& line : lines)
            if (line.trimmed().startsWith(QStringLiteral("loaded")))
                loaded = line;
        QVERIFY2(loaded.contains(QStringLiteral("conv1.weight")) && loaded.contains(QStringLiteral("conv2.weight"))
                && loaded.contains(QStringLiteral("fc2.weight")),
            qPrintable(notes.at(0).at(0).toString()));
        QVERIFY2(!loaded.contains(QStringLiteral("fc3")), qPrintable(notes.at(0).at(0).toString()));
        QVERIFY2(notes.at(0).at(0).toString().contains(QStringLiteral("fc3.weight")),
            qPrintable(notes.at(0).at(0).toString()));

        // Train ▸ Replace Head… with "also the hidden dense layers": a new classifier, so the
        // next round loads only the pretrained convolutions (the recipe that pays on few images).
        // The dialog is answered as a user would: the box ticked, OK.
        w.setLabelMode(false);
        QString boxText;
        QTimer::singleShot(200, &w, [&boxText] {
            for (QWidget* top : QApplication::topLevelWidgets()) {
                auto* dialog = qobject_cast<QDialog*>(top);
                if (!dialog || !dialog->isVisible())
                    continue;
                const auto boxes = dialog->findChildren<QCheckBox*>();
                if (boxes.size() == 1) {
                    boxText = boxes.front()->text();
                    boxes.front()->setChecked(true);
                    if (!qEnvironmentVariableIsEmpty("NETCANVAS_TEST_SCREENSHOT"))
                        dialog->grab().save(qEnvironmentVariable("NETCANVAS_TEST_SCREENSHOT"));
                }
                dialog->accept();
            }
        });
        w.training()->replaceHeadDialog();
        QVERIFY2(boxText.contains(QStringLiteral("fc1, fc2")), qPrintable(boxText));
        QCOMPARE(w.document()->undoStack()->undoText(), QStringLiteral("Replace classifier (3 classes)"));
        QVERIFY(w.document()->model()->contains(QStringLiteral("fc1_new")));
        // Round 2 cannot continue round 1 (its layers were renamed): it starts again from the
        // pretrained weights, by name — now only the convolutions load.
        notes.clear();
        predicted.clear();
        w.labeling()->trainOnLabels();
        QVERIFY(predicted.wait(120000));
        QCOMPARE(w.labeling()->controller()->rounds().size(), size_t(2));
        QVERIFY(w.labeling()->controller()->rounds()[1].fineTuned);
        QCOMPARE(notes.count(), 1);
        const QString report = notes.at(0).at(0).toString();
        QString loaded2;
        for (const QString& line : report.split(QLatin1Char('\n')))
            if (line.trimmed().startsWith(QStringLiteral("loaded")))
                loaded2 = line;
        QVERIFY2(loaded2.contains(QStringLiteral("conv2.weight")) && !loaded2.contains(QStringLiteral("fc")),
            qPrintable(report));
        QVERIFY2(report.contains(QStringLiteral("fc1_new.weight")), qPrintable(report));
    }

    void secondWindowIsRefused()
    {
        app::TrainingController training;
        app::LabelingController first(&training), second(&training);
        QCOMPARE(first.openFolder(m_images), QString());
        const QString err = second.openFolder(m_images);
        QVERIFY2(!err.isEmpty(), "a second store on the same folder must be refused");
        QVERIFY2(err.contains(QStringLiteral("Close the other window")), qPrintable(err));
        QVERIFY(!second.store());
        first.close();
        QCOMPARE(second.openFolder(m_images), QString()); // free again once the first closed
    }

    // The project remembers the folder being labeled and opens it again; a folder that has
    // gone away is said in the status bar, never fatal.
    void projectReopensItsLabelFolder()
    {
        const QString project = m_dir.filePath(QStringLiteral("labeling.ncproj"));
        {
            app::MainWindow w;
            QVERIFY(!w.document()->isModified());
            QCOMPARE(w.labeling()->openFolder(m_images), QString());
            QVERIFY(w.document()->isModified()); // a new folder is a change to the project
            QCOMPARE(QDir(w.document()->labelFolder()), QDir(m_images));
            QVERIFY(w.files()->saveTo(project));
        } // closes the store (and its lock)
        {
            app::MainWindow w;
            QVERIFY(!w.labeling()->controller()->store());
            QVERIFY(w.files()->openFile(project));
            QVERIFY(w.labeling()->controller()->store());
            QCOMPARE(QDir(w.labeling()->controller()->folder()), QDir(m_images));
            QCOMPARE(w.labeling()->panel()->store(), w.labeling()->controller()->store());
            QVERIFY(!w.document()->isModified()); // reopening is not an edit
        }
        // The folder renamed away: the project still opens, without a store.
        const QString moved = m_images + QStringLiteral("-moved");
        QVERIFY(QDir().rename(m_images, moved));
        {
            app::MainWindow w;
            QVERIFY(w.files()->openFile(project));
            QVERIFY(!w.labeling()->controller()->store());
            QCOMPARE(QDir(w.document()->labelFolder()), QDir(m_images)); // kept: the user may restore it
        }
        QVERIFY(QDir().rename(moved, m_images));
    }
};

QTEST_MAIN(TestLabelFlow)
#include "test_labelflow.moc"
