// The document around the project file (whose format tests are tests/engine/test_project_file.cpp):
// ProjectDocument open/save/modified state; crash recovery
// (Autosave); and the main window saving a trained project with its weights and opening
// it again, exporting the canvas as SVG, recent files and dropping a dataset folder.
#include "app/Autosave.h"
#include "app/FileActions.h"
#include "app/MainWindow.h"
#include "app/ProjectDocument.h"
#include "app/TrainingController.h"
#include "app/TrainingCoordinator.h"
#include "common/Fixtures.h"
#include "common/ProjectFixtures.h"
#include "engine/core/Error.h"
#include "engine/graph/ModelJson.h"
#include "engine/io/AtomicFile.h"
#include "engine/io/ProjectFile.h"
#include "engine/io/Safetensors.h"
#include "widgets/canvas/GraphModel.h"
#include "widgets/train/RunHistory.h"
#include "widgets/train/TrainingPanel.h"

#include <QDir>
#include <QFile>
#include <QMessageBox>
#include <QMimeData>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTimer>
#include <QUndoStack>
#include <QUrl>
#include <QtTest>

#include <cmath>
#include <filesystem>

using namespace netcanvas;
using netcanvas::app::ProjectDocument;
using netcanvas::fixtures::positionedCnn;
using netcanvas::fixtures::sampleRun;

namespace {

void writeText(const QString& path, const std::string& text)
{
    writeFileAtomic(path.toStdString(), text);
}

// A CSV dataset of the bars images (64 features + label per line).
QString writeBarsCsv(const QString& dir)
{
    const Dataset d = fixtures::barsDataset(60, 3);
    const QString csv = QDir(dir).filePath(QStringLiteral("bars.csv"));
    std::string text;
    for (int64_t i = 0; i < d.size(); ++i) {
        for (int k = 0; k < 64; ++k)
            text += std::to_string(d.pixels[static_cast<size_t>(i * 64 + k)] / 255.0).substr(0, 5) + ",";
        text += std::to_string(d.labels[static_cast<size_t>(i)]) + "\n";
    }
    writeText(csv, text);
    return csv;
}

} // namespace

class TestProject : public QObject {
    Q_OBJECT

private slots:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true); // QSettings and app data away from the user's
        QSettings().clear();
        app::TrainingController::registerMetaTypes();
    }

    void documentSaveOpenAndModifiedState()
    {
        QTemporaryDir dir;
        ProjectDocument doc;
        doc.open(QStringLiteral(NETCANVAS_SOURCE_DIR "/models/lenet5.json"));
        QVERIFY(!doc.isModified());
        QVERIFY(!doc.isProject()); // a model file
        doc.markModified();
        QVERIFY(doc.isModified());
        doc.runs()->restore({ sampleRun(1, 6), sampleRun(2, 8) });
        doc.setDatasetPath(dir.path());
        TrainConfig t;
        t.epochs = 11;
        doc.setTrainingSettings(t, 1);
        QSignalSpy modified(&doc, &ProjectDocument::modifiedChanged);
        const QString path = QDir(dir.path()).filePath(QStringLiteral("lenet.ncproj"));
        QCOMPARE(doc.saveAs(path), QString());
        QVERIFY(!doc.isModified());
        QVERIFY(doc.isProject());
        QCOMPARE(modified.last().at(0).toBool(), false);

        ProjectDocument other;
        QSignalSpy replaced(&other, &ProjectDocument::documentReplaced);
        QCOMPARE(other.open(path), QString());
        QCOMPARE(replaced.count(), 1);
        QVERIFY(!other.isModified());
        QCOMPARE(other.runs()->count(), 2);
        QCOMPARE(other.runs()->run(2)->batches.size(), size_t(8));
        QCOMPARE(other.datasetPath(), dir.path());
        QCOMPARE(other.trainingSettings()->epochs, 11);
        QCOMPARE(other.threads(), 1);
        QCOMPARE(other.model()->graph().nodes().size(), doc.model()->graph().nodes().size());
        // The next run continues the numbering.
        QCOMPARE(other.runs()->addRun(sampleRun(9, 4)), 3);
        QVERIFY(other.isModified()); // a new run is an unsaved change

        // A failed open leaves the document as it was.
        const QString bad = QDir(dir.path()).filePath(QStringLiteral("bad.ncproj"));
        writeText(bad, "{\"format\": \"netcanvas-project\"}");
        QVERIFY(other.open(bad).contains(QStringLiteral("bad.ncproj")));
        QCOMPARE(other.runs()->count(), 3);
        QCOMPARE(other.filePath(), path);

        // Saved as a model JSON: the graph with the recipe in use, readable by the CLI.
        const QString json = QDir(dir.path()).filePath(QStringLiteral("lenet-out.json"));
        QCOMPARE(other.saveAs(json), QString());
        QVERIFY(!other.isProject());
        QCOMPARE(loadModelFile(json.toStdString()).training["epochs"].get<int>(), 11);
    }

    void autosaveRecoversACrashedSession()
    {
        QTemporaryDir dir;
        QTemporaryDir data;
        ProjectDocument doc;
        doc.open(QStringLiteral(NETCANVAS_SOURCE_DIR "/models/mlp.json"));
        auto autosave = std::make_unique<app::Autosave>(&doc, dir.path());
        QCOMPARE(autosave->saveNow(), QString());
        QVERIFY(!QFile::exists(autosave->recoveryFile())); // nothing unsaved: no copy
        doc.runs()->restore({ sampleRun(1, 6) });
        doc.setDatasetPath(data.path());
        QVERIFY(doc.isModified());
        QCOMPARE(autosave->saveNow(), QString());
        QVERIFY(QFile::exists(autosave->recoveryFile()));
        QVERIFY(autosave->orphans().isEmpty()); // our own, live session's copy

        // A copy whose process is gone (a pid above any pid_max) is an orphan.
        const QString crashed = QDir(dir.path()).filePath(QStringLiteral("autosave-2147483600.ncproj"));
        QVERIFY(QFile::copy(autosave->recoveryFile(), crashed));
        const auto orphans = autosave->orphans();
        QCOMPARE(orphans.size(), 1);
        QCOMPARE(orphans.front().file, crashed);
        QCOMPARE(orphans.front().originalPath, QStringLiteral(NETCANVAS_SOURCE_DIR "/models/mlp.json"));
        QCOMPARE(orphans.front().modelName, QStringLiteral("mlp"));
        QVERIFY(orphans.front().savedAt.isValid());

        ProjectDocument recovered;
        QCOMPARE(recovered.openRecovery(orphans.front().file), QString());
        QVERIFY(recovered.isModified()); // recovered work is unsaved until the user saves it
        QCOMPARE(recovered.filePath(), QStringLiteral(NETCANVAS_SOURCE_DIR "/models/mlp.json"));
        QCOMPARE(recovered.runs()->count(), 1);
        QCOMPARE(recovered.datasetPath(), data.path());
        app::Autosave::removeOrphan(orphans.front());
        QVERIFY(!QFile::exists(crashed));

        // A pid that now belongs to another program (pid 1 is never this test) is not a
        // live session either: its copy is an orphan.
        const QString reused = QDir(dir.path()).filePath(QStringLiteral("autosave-1.ncproj"));
        QVERIFY(QFile::copy(autosave->recoveryFile(), reused));
        QCOMPARE(autosave->orphans().size(), 1);
        QCOMPARE(autosave->orphans().front().file, reused);
        QFile::remove(reused);

        // Saving removes the copy; so does a normal exit (the destructor).
        QCOMPARE(doc.saveAs(QDir(dir.path()).filePath(QStringLiteral("saved.ncproj"))), QString());
        QVERIFY(!QFile::exists(autosave->recoveryFile()));
        doc.markModified();
        autosave->saveNow();
        const QString copy = autosave->recoveryFile();
        QVERIFY(QFile::exists(copy));
        autosave.reset();
        QVERIFY(!QFile::exists(copy));
    }

    void mainWindowSavesTrainedProjectAndReopensIt()
    {
        QTemporaryDir dir;
        const QString csv = writeBarsCsv(dir.path());
        const QString path = QDir(dir.path()).filePath(QStringLiteral("bars.ncproj"));
        std::string positions;
        {
            app::MainWindow window;
            ModelGraph g = positionedCnn();
            g.training = { { "optimizer", "adam" }, { "learning_rate", 0.01 }, { "epochs", 2 }, { "batch_size", 16 } };
            window.document()->model()->setGraph(g);
            window.training()->panel()->setDatasetPath(csv);
            QSignalSpy finished(window.training()->controller(), &app::TrainingController::finished);
            window.training()->trainNow();
            QVERIFY(finished.wait(60000));
            QVERIFY(window.document()->isModified()); // the run is unsaved work
            QVERIFY(window.files()->saveTo(path));
            QVERIFY(!window.document()->isModified());
            QVERIFY(QFile::exists(QDir(dir.path()).filePath(QStringLiteral("bars.weights.safetensors"))));
            QCOMPARE(app::FileActions::recentFiles().value(0), QFileInfo(path).absoluteFilePath());
            positions = serializeModel(window.document()->model()->graph());
        }
        app::MainWindow window;
        QVERIFY(window.files()->openFile(path));
        QCOMPARE(serializeModel(window.document()->model()->graph()), positions);
        QCOMPARE(window.training()->panel()->datasetPath(), csv);
        QCOMPARE(window.training()->panel()->config().epochs, 2);
        QCOMPARE(window.training()->panel()->config().optimizer.kind, std::string("adam"));
        widgets::RunHistory* runs = window.document()->runs();
        QCOMPARE(runs->count(), 1);
        const RunRecord* run = runs->run(runs->ids().front());
        QCOMPARE(run->epochs.size(), size_t(2));
        QVERIFY(!run->batches.empty());
        QVERIFY(std::isfinite(run->summary.testAccuracy));
        QCOMPARE(run->summary.testConfusion.classes(), 3);
        QCOMPARE(window.document()->weightsRun(), run->id);
        // The weights are complete: every tensor of the model is in the file.
        const TensorFile weights = loadSafetensors(window.document()->weightsPath().toStdString());
        QVERIFY(weights.tensors.count("conv.weight") == 1);
        QVERIFY(weights.metadata.count("netcanvas.classes") == 1);
        QVERIFY(!window.document()->isModified());
    }

    void unsavedChangesAreAskedAbout()
    {
        app::MainWindow window;
        window.files()->openFile(QStringLiteral(NETCANVAS_SOURCE_DIR "/models/mlp.json"));
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY(window.close()); // nothing unsaved: closes without asking
        window.show();
        window.document()->markModified();
        QVERIFY(window.windowTitle().contains(QStringLiteral("•")));
        QCOMPARE(window.files()->autosave()->saveNow(), QString());
        QVERIFY(QFile::exists(window.files()->autosave()->recoveryFile()));

        // Answers the "Unsaved changes" box with `button` once it is up.
        QString asked;
        auto answer = [&asked](QMessageBox::StandardButton button) {
            QTimer::singleShot(0, [&asked, button] {
                QTRY_VERIFY(qobject_cast<QMessageBox*>(QApplication::activeModalWidget()));
                auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget());
                asked = box->text();
                box->button(button)->click();
            });
        };
        answer(QMessageBox::Cancel);
        QVERIFY(!window.close()); // Cancel keeps the window and the work
        QVERIFY2(
            asked.contains(QStringLiteral("mlp.json")) && asked.contains(QStringLiteral("unsaved")), qPrintable(asked));
        QVERIFY(window.isVisible());
        QVERIFY(window.document()->isModified());
        asked.clear();
        answer(QMessageBox::Discard);
        QVERIFY(window.close());
        QVERIFY(!asked.isEmpty());
        QVERIFY(!QFile::exists(window.files()->autosave()->recoveryFile())); // a chosen discard leaves no copy
    }

    void exportSvgAndDropDataset()
    {
        QTemporaryDir dir;
        app::MainWindow window;
        window.files()->openFile(QStringLiteral(NETCANVAS_SOURCE_DIR "/models/lenet5.json"));
        const QString svg = QDir(dir.path()).filePath(QStringLiteral("net.svg"));
        QCOMPARE(window.files()->exportCanvas(svg), QString());
        QFile f(svg);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray text = f.readAll();
        QVERIFY(text.contains("<svg"));
        QVERIFY2(text.contains("conv1"), "the node names are text in the SVG");
        QVERIFY(!QFile::exists(svg + QStringLiteral(".tmp-svg")));
        const QString png = QDir(dir.path()).filePath(QStringLiteral("net.png"));
        QCOMPARE(window.files()->exportCanvas(png), QString());
        QVERIFY(!QImage(png).isNull());

        // Dropping a folder on the window makes it the dataset (and the project's) and shows
        // the Data tab, which is hidden behind the Properties tab until then.
        window.resize(1280, 800);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY(!window.training()->panel()->dataPanel()->isVisible());
        QDir(dir.path()).mkpath(QStringLiteral("images/a"));
        const QString folder = QDir(dir.path()).filePath(QStringLiteral("images"));
        QMimeData mime;
        mime.setUrls({ QUrl::fromLocalFile(folder) });
        QDragEnterEvent enter(QPoint(10, 10), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(&window, &enter);
        QVERIFY(enter.isAccepted());
        QDropEvent drop(QPointF(10, 10), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(&window, &drop);
        QCOMPARE(window.training()->panel()->datasetPath(), folder);
        QCOMPARE(window.document()->datasetPath(), folder);
        QVERIFY(window.document()->isModified());
        QVERIFY(window.training()->panel()->dataPanel()->isVisible());
        window.training()->panel()->cancelLoading();
        QTRY_VERIFY(!window.training()->panel()->isLoading());
    }
};

QTEST_MAIN(TestProject)
#include "test_project.moc"
