// File ▸ Export ▸ ONNX…/PyTorch… and File ▸ Import ONNX… (app/InterchangeActions) in the main
// window, offscreen: the actions exist, export refuses without trained weights and writes a
// project's weights as ONNX and PyTorch on a worker, import opens the ONNX model as a laid-out
// project whose weights give the original's outputs, and a bad file changes nothing.
#include "app/FileActions.h"
#include "app/InterchangeActions.h"
#include "app/MainWindow.h"
#include "app/ProjectDocument.h"
#include "app/TrainingController.h"
#include "app/TrainingCoordinator.h"
#include "common/Fixtures.h"
#include "common/ProjectFixtures.h"
#include "engine/backend/Backend.h"
#include "engine/graph/ModelJson.h"
#include "engine/interop/Interchange.h"
#include "engine/interop/OnnxImport.h"
#include "engine/io/AtomicFile.h"
#include "engine/train/Network.h"
#include "widgets/canvas/GraphModel.h"
#include "widgets/train/TrainingPanel.h"

#include <QAction>
#include <QDir>
#include <QFileInfo>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

#include <set>

using namespace netcanvas;

namespace {

// LeNet-5 with its initial weights (seeded), as a project with saved weights.
std::shared_ptr<ModelWeights> lenetWeights()
{
    const ModelGraph g = loadModelFile(NETCANVAS_SOURCE_DIR "/models/lenet5.json");
    auto backend = createCpuBackend(1);
    Network net(g, *backend, 9);
    return ModelWeights::capture(
        g, net, Normalization { { 0.3f }, { 0.35f } }, { "a", "b", "c", "d", "e", "f", "g", "h", "i", "j" });
}

Tensor outputOf(const ModelWeights& m, const Tensor& x)
{
    auto backend = createCpuBackend(1);
    Network net(m.graph, *backend);
    if (!m.loadInto(net))
        throw FormatError(m.mismatch(net));
    return net.hostCopy(net.forward(x, false));
}

// The bars dataset (3 classes of 8×8 images) as a CSV of features and labels.
QString writeBarsCsv(const QString& dir)
{
    const Dataset d = fixtures::barsDataset(30, 3);
    std::string text;
    for (int64_t i = 0; i < d.size(); ++i) {
        for (int k = 0; k < 64; ++k)
            text += std::to_string(d.pixels[static_cast<size_t>(i * 64 + k)] / 255.0).substr(0, 5) + ",";
        text += std::to_string(d.labels[static_cast<size_t>(i)]) + "\n";
    }
    const QString csv = QDir(dir).filePath("bars.csv");
    writeFileAtomic(csv.toStdString(), text);
    return csv;
}

} // namespace

class TestInterchange : public QObject {
    Q_OBJECT

private slots:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true); // QSettings away from the user's
        QSettings().clear();
        app::TrainingController::registerMetaTypes();
    }

    void actionsAreInTheFileMenu()
    {
        app::MainWindow window;
        for (const char* name : { "exportOnnxAction", "exportPyTorchAction", "importOnnxAction" })
            QVERIFY2(window.findChild<QAction*>(name), name);
        QVERIFY(window.findChild<QAction*>("exportOnnxAction")->text().contains("ONNX"));
    }

    void exportNeedsTrainedWeights()
    {
        QTemporaryDir dir;
        app::MainWindow window;
        QVERIFY(window.files()->openFile(NETCANVAS_SOURCE_DIR "/models/lenet5.json"));
        QSignalSpy done(window.files()->interchange(), &app::InterchangeActions::exportFinished);
        QVERIFY(
            !window.files()->interchange()->startExport(app::InterchangeActions::Format::Onnx, dir.filePath("x.onnx")));
        QCOMPARE(done.count(), 1);
        QVERIFY(done.at(0).at(1).toString().contains("train the model first"));
        QVERIFY(!QFileInfo::exists(dir.filePath("x.onnx")));
    }

    void exportThenImportOpensTheModel()
    {
        QTemporaryDir dir;
        const auto original = lenetWeights();
        const QString project = dir.filePath("lenet.ncproj");
        saveAsProject(*original, project.toStdString());

        app::MainWindow window;
        QVERIFY(window.files()->openFile(project));
        app::InterchangeActions* actions = window.files()->interchange();
        QSignalSpy exported(actions, &app::InterchangeActions::exportFinished);
        const QString onnx = dir.filePath("lenet.onnx"), py = dir.filePath("lenet.py");
        QVERIFY(actions->startExport(app::InterchangeActions::Format::Onnx, onnx));
        QVERIFY(actions->busy()); // on a worker: the UI thread returns at once
        QVERIFY(exported.wait(30000));
        QCOMPARE(exported.at(0).at(1).toString(), QString());
        QVERIFY(actions->startExport(app::InterchangeActions::Format::PyTorch, py));
        QVERIFY(exported.wait(30000));
        QCOMPARE(exported.at(1).at(1).toString(), QString());
        QVERIFY(QFileInfo(py).size() > 0);
        QVERIFY(QFileInfo::exists(dir.filePath("lenet.safetensors"))); // the module's weights, beside it

        QSignalSpy imported(actions, &app::InterchangeActions::importFinished);
        const QString back = dir.filePath("imported.ncproj");
        QVERIFY(actions->startImport(onnx, back));
        QVERIFY(imported.wait(30000));
        QCOMPARE(imported.at(0).at(1).toString(), QString());
        // The document is the imported project: its graph on the canvas, laid out, with weights.
        QCOMPARE(window.document()->filePath(), back);
        const ModelGraph& g = window.document()->model()->graph();
        QCOMPARE(g.nodes().size(), original->graph.nodes().size());
        std::set<std::pair<int64_t, int64_t>> spots;
        for (const GraphNode& n : g.nodes())
            spots.insert({ n.ui.value("x", int64_t(0)), n.ui.value("y", int64_t(0)) });
        QCOMPARE(spots.size(), g.nodes().size());
        QVERIFY(QFileInfo::exists(window.document()->weightsPath()));
        const auto reloaded = loadModelWeights({ {}, window.document()->weightsPath().toStdString() });
        Tensor x(Shape { 2, 1, 28, 28 }, 0.25f);
        for (int64_t i = 0; i < x.size(); i += 7)
            x[i] = -0.5f;
        const Tensor a = outputOf(*original, x), b = outputOf(*reloaded, x);
        for (int64_t i = 0; i < a.size(); ++i)
            QVERIFY(std::abs(a[i] - b[i]) <= 1e-5f);
        QCOMPARE(reloaded->classNames, original->classNames);
    }

    // After a training run, Export writes that run's weights (the canvas's model).
    void exportAfterTrainingUsesTheRun()
    {
        QTemporaryDir dir;
        app::MainWindow window;
        ModelGraph g = fixtures::positionedCnn();
        g.training = { { "optimizer", "adam" }, { "learning_rate", 0.01 }, { "epochs", 1 }, { "batch_size", 16 } };
        window.document()->model()->setGraph(g);
        window.training()->panel()->setDatasetPath(writeBarsCsv(dir.path()));
        QSignalSpy finished(window.training()->controller(), &app::TrainingController::finished);
        window.training()->trainNow();
        QVERIFY(finished.wait(60000));
        const auto run = window.training()->lastRunWeights();
        QVERIFY(run);
        QSignalSpy exported(window.files()->interchange(), &app::InterchangeActions::exportFinished);
        QVERIFY(window.files()->interchange()->startExport(
            app::InterchangeActions::Format::Onnx, dir.filePath("run.onnx")));
        QVERIFY(exported.wait(30000));
        QCOMPARE(exported.at(0).at(1).toString(), QString());
        const auto back = importOnnx(dir.filePath("run.onnx").toStdString());
        Tensor x(Shape { 2, 1, 8, 8 }, 0.5f);
        const Tensor a = outputOf(*run, x), b = outputOf(*back, x);
        for (int64_t i = 0; i < a.size(); ++i)
            QVERIFY(std::abs(a[i] - b[i]) <= 1e-5f);
        QCOMPARE(back->classNames, run->classNames);
    }

    void badImportChangesNothing()
    {
        QTemporaryDir dir;
        app::MainWindow window;
        QVERIFY(window.files()->openFile(NETCANVAS_SOURCE_DIR "/models/mlp.json"));
        const std::string before = serializeModel(window.document()->model()->graph());
        writeFileAtomic(dir.filePath("bad.onnx").toStdString(), "definitely not protobuf");
        QSignalSpy imported(window.files()->interchange(), &app::InterchangeActions::importFinished);
        QVERIFY(window.files()->interchange()->startImport(dir.filePath("bad.onnx"), dir.filePath("bad.ncproj")));
        QVERIFY(imported.wait(30000));
        QVERIFY(imported.at(0).at(1).toString().contains("bad.onnx: not an ONNX model"));
        QVERIFY(!QFileInfo::exists(dir.filePath("bad.ncproj")));
        QVERIFY(!QFileInfo::exists(dir.filePath("bad.weights.safetensors")));
        QCOMPARE(serializeModel(window.document()->model()->graph()), before);
    }
};

QTEST_MAIN(TestInterchange)
#include "test_interchange.moc"
