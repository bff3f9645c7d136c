// The project file and the document around it: ProjectFile round trip (graph, positions,
// dataset, settings, runs with curves and confusion matrix, weights reference) and its
// malformed-input errors; ProjectDocument open/save/modified state; crash recovery
// (Autosave); and the main window saving a trained project with its weights and opening
// it again, exporting the canvas as SVG, recent files and dropping a dataset folder.
#include "app/Autosave.h"
#include "app/FileActions.h"
#include "app/MainWindow.h"
#include "app/ProjectDocument.h"
#include "app/ProjectFile.h"
#include "app/TrainingController.h"
#include "app/TrainingCoordinator.h"
#include "common/Fixtures.h"
#include "engine/core/Error.h"
#include "engine/graph/ModelJson.h"
#include "engine/io/AtomicFile.h"
#include "engine/io/Safetensors.h"
#include "widgets/canvas/GraphModel.h"
#include "widgets/train/RunHistory.h"
#include "widgets/train/RunJson.h"
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
using netcanvas::app::ProjectData;
using netcanvas::app::ProjectDocument;
using netcanvas::widgets::TrainingRun;

namespace {

TrainingRun sampleRun(int id, int batches, int classes = 3)
{
    TrainingRun r;
    r.id = id;
    r.modelName = QStringLiteral("bars-cnn");
    r.datasetName = QStringLiteral("bars");
    r.config.optimizer.kind = "sgd";
    r.config.optimizer.learningRate = 0.05;
    r.config.optimizer.momentum = 0.9;
    r.config.epochs = 2;
    r.config.batchSize = 16;
    r.config.augmentation.maxShift = 2;
    const int perEpoch = batches / 2;
    for (int i = 0; i < batches; ++i) {
        BatchEvent e;
        e.globalStep = i;
        e.batchesPerEpoch = perEpoch;
        e.totalSteps = batches;
        e.epoch = i / perEpoch;
        e.batch = i % perEpoch;
        e.loss = 2.0 / (1.0 + i) + 1e-7 * i;
        e.accuracy = std::min(1.0, 0.3 + 0.01 * i);
        e.learningRate = 0.05 * (1.0 - 0.1 * e.epoch);
        r.batches.push_back(e);
    }
    for (int ep = 0; ep < 2; ++ep) {
        EpochEvent e;
        e.epoch = ep;
        e.trainLoss = 1.0 / (ep + 1);
        e.trainAccuracy = 0.5 + 0.2 * ep;
        e.validationLoss = ep == 0 ? 0.9 : std::numeric_limits<double>::quiet_NaN();
        e.validationAccuracy = 0.6 + 0.1 * ep;
        e.learningRate = 0.05;
        e.seconds = 1.5;
        e.samplesPerSecond = 1234.5;
        e.improved = ep == 0;
        r.epochs.push_back(e);
    }
    r.running = false;
    r.summary.epochsCompleted = 2;
    r.summary.seconds = 3.0;
    r.summary.bestEpoch = 0;
    r.summary.bestValidationLoss = 0.9;
    r.summary.testAccuracy = 0.875;
    r.summary.testLoss = 0.4;
    r.summary.testSamples = 40;
    r.summary.testConfusion.reset(classes);
    r.summary.testConfusion.add(0, 0, 12);
    r.summary.testConfusion.add(1, 2, 3);
    r.summary.testConfusion.add(2, 2, 25);
    return r;
}

ModelGraph positionedCnn()
{
    ModelGraph g = fixtures::barsCnn(3, 4);
    double y = 0;
    for (const GraphNode& n : g.nodes()) {
        GraphNode* m = g.node(n.id);
        m->ui = { { "x", 40.5 }, { "y", y } };
        y += 120;
    }
    return g;
}

void writeText(const QString& path, const std::string& text)
{
    writeFileAtomic(path.toStdString(), text);
}

QString expectFormatError(const std::string& text, const QString& path)
{
    writeText(path, text);
    try {
        app::loadProjectFile(path.toStdString());
    } catch (const FormatError& e) {
        return QString::fromStdString(e.what());
    }
    return {};
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

    void runJsonRoundTrip()
    {
        const TrainingRun r = sampleRun(4, 40);
        const TrainingRun back = widgets::runFromJson(nlohmann::json::parse(widgets::runToJson(r).dump()));
        QCOMPARE(back.id, 4);
        QCOMPARE(back.modelName, r.modelName);
        QCOMPARE(back.datasetName, r.datasetName);
        QCOMPARE(back.config.optimizer.kind, std::string("sgd"));
        QCOMPARE(back.config.optimizer.momentum, 0.9);
        QCOMPARE(back.config.augmentation.maxShift, 2);
        QCOMPARE(back.batches.size(), r.batches.size());
        for (size_t i = 0; i < r.batches.size(); ++i) {
            QCOMPARE(back.batches[i].globalStep, r.batches[i].globalStep);
            QCOMPARE(back.batches[i].epoch, r.batches[i].epoch);
            QCOMPARE(back.batches[i].batch, r.batches[i].batch);
            QVERIFY(std::abs(back.batches[i].loss - r.batches[i].loss)
                <= 5e-6 * std::abs(r.batches[i].loss)); // 6 significant digits
            QVERIFY(std::abs(back.batches[i].accuracy - r.batches[i].accuracy) < 1e-6);
            QVERIFY(std::abs(back.batches[i].learningRate - r.batches[i].learningRate) < 1e-9);
        }
        QCOMPARE(back.epochs.size(), size_t(2));
        QVERIFY(std::isnan(back.epochs[1].validationLoss)); // NaN survives as null
        QCOMPARE(back.epochs[0].validationLoss, 0.9);
        QVERIFY(back.epochs[0].improved);
        QCOMPARE(back.summary.testAccuracy, 0.875);
        QCOMPARE(back.summary.testConfusion.classes(), 3);
        QCOMPARE(back.summary.testConfusion.at(1, 2), int64_t(3));
        QCOMPARE(back.summary.testConfusion.total(), int64_t(40));
        QVERIFY(!back.running);

        // A run saved while training is written as stopped.
        TrainingRun live = sampleRun(5, 4);
        live.running = true;
        const TrainingRun interrupted = widgets::runFromJson(widgets::runToJson(live));
        QVERIFY(interrupted.summary.stopped);
        QVERIFY(interrupted.summary.message.contains(QStringLiteral("interrupted")));
    }

    void projectFileRoundTrip()
    {
        QTemporaryDir dir;
        QDir(dir.path()).mkpath(QStringLiteral("data/cats"));
        ProjectData d;
        d.graph = positionedCnn();
        d.datasetPath = QDir(dir.path()).filePath(QStringLiteral("data")).toStdString();
        d.labelFolder = QDir(dir.path()).filePath(QStringLiteral("data/cats")).toStdString();
        TrainConfig t;
        t.optimizer.kind = "adamw";
        t.optimizer.learningRate = 3e-4;
        t.epochs = 7;
        t.validationFraction = 0.2;
        d.training = t;
        d.threads = 2;
        d.device = "cuda:1"; // kept even on a machine without that GPU
        d.precision = Precision::Fp16;
        d.runs = { sampleRun(1, 10), sampleRun(3, 20) };
        d.weightsPath = QDir(dir.path()).filePath(QStringLiteral("p.weights.safetensors")).toStdString();
        d.weightsRun = 3;
        const QString path = QDir(dir.path()).filePath(QStringLiteral("p.ncproj"));
        app::saveProjectFile(path.toStdString(), d);

        // Paths inside the project folder are stored relative to it.
        const auto j = nlohmann::json::parse(readFile(path.toStdString()));
        QCOMPARE(j["format"].get<std::string>(), std::string("netcanvas-project"));
        QCOMPARE(j["dataset"]["path"].get<std::string>(), std::string("data"));
        QCOMPARE(j["labeling"]["folder"].get<std::string>(), std::string("data/cats"));
        QCOMPARE(j["weights"]["file"].get<std::string>(), std::string("p.weights.safetensors"));
        QCOMPARE(j["settings"]["precision"].get<std::string>(), std::string("fp16"));
        QVERIFY(!j["settings"].contains("tf32")); // the old boolean is read, no longer written

        const ProjectData back = app::loadProjectFile(path.toStdString());
        QCOMPARE(serializeModel(back.graph), serializeModel(d.graph)); // nodes, edges, positions
        QCOMPARE(back.graph.node("conv")->ui["x"].get<double>(), 40.5);
        QCOMPARE(std::filesystem::path(back.datasetPath), std::filesystem::path(d.datasetPath));
        QCOMPARE(std::filesystem::path(back.labelFolder), std::filesystem::path(d.labelFolder));
        QVERIFY(back.training.has_value());
        QCOMPARE(back.training->optimizer.kind, std::string("adamw"));
        QCOMPARE(back.training->epochs, 7);
        QCOMPARE(back.training->validationFraction, 0.2);
        QCOMPARE(back.threads, 2);
        QCOMPARE(back.device, std::string("cuda:1"));
        QCOMPARE(back.precision, Precision::Fp16);
        QCOMPARE(back.runs.size(), size_t(2));
        QCOMPARE(back.runs[1].id, 3);
        QCOMPARE(back.runs[1].batches.size(), size_t(20));
        QCOMPARE(std::filesystem::path(back.weightsPath), std::filesystem::path(d.weightsPath));
        QCOMPARE(back.weightsRun, 3);

        // The CLI reads a project's model, trained with the project's settings.
        const ModelGraph viaEngine = loadModelFile(path.toStdString());
        QCOMPARE(viaEngine.nodes().size(), d.graph.nodes().size());
        QCOMPARE(viaEngine.training["optimizer"].get<std::string>(), std::string("adamw"));

        // Moved folder: relative paths follow the project.
        QTemporaryDir moved;
        const QString movedPath = QDir(moved.path()).filePath(QStringLiteral("p.ncproj"));
        QVERIFY(QFile::copy(path, movedPath));
        QCOMPARE(std::filesystem::path(app::loadProjectFile(movedPath.toStdString()).datasetPath),
            std::filesystem::path(QDir(moved.path()).filePath(QStringLiteral("data")).toStdString()));
        QCOMPARE(std::filesystem::path(app::loadProjectFile(movedPath.toStdString()).labelFolder),
            std::filesystem::path(QDir(moved.path()).filePath(QStringLiteral("data/cats")).toStdString()));
        // No folder being labeled: no "labeling" object; a folder outside the project: absolute.
        ProjectData plain = d;
        plain.labelFolder.clear();
        app::saveProjectFile(path.toStdString(), plain);
        QVERIFY(!nlohmann::json::parse(readFile(path.toStdString())).contains("labeling"));
        QVERIFY(app::loadProjectFile(path.toStdString()).labelFolder.empty());
        plain.labelFolder = QDir(moved.path()).absolutePath().toStdString();
        app::saveProjectFile(path.toStdString(), plain);
        QCOMPARE(std::filesystem::path(
                     nlohmann::json::parse(readFile(path.toStdString()))["labeling"]["folder"].get<std::string>()),
            std::filesystem::path(plain.labelFolder));
    }

    void malformedProjectsNameTheFault()
    {
        QTemporaryDir dir;
        const QString path = QDir(dir.path()).filePath(QStringLiteral("bad.ncproj"));
        const std::string model = serializeModel(positionedCnn());
        auto project = [&](const std::string& rest) {
            return "{\"format\": \"netcanvas-project\", \"version\": 1, \"model\": " + model + rest + "}";
        };
        QString e = expectFormatError("{\"format\": \"netcanvas-project\",\n \"model\": {,}}", path);
        QVERIFY2(e.contains(QStringLiteral("bad.ncproj:2:")), qPrintable(e)); // syntax error: file:line:col
        e = expectFormatError("{\"format\": \"netcanvas-model\", \"nodes\": []}", path);
        QVERIFY2(e.contains(QStringLiteral("not a NetCanvas project")), qPrintable(e));
        e = expectFormatError("{\"format\": \"netcanvas-project\", \"version\": 9, \"model\": " + model + "}", path);
        QVERIFY2(e.contains(QStringLiteral("newer")), qPrintable(e));
        e = expectFormatError("{\"format\": \"netcanvas-project\"}", path);
        QVERIFY2(e.contains(QStringLiteral("model: missing")), qPrintable(e));
        e = expectFormatError(project(", \"runs\": {}"), path);
        QVERIFY2(e.contains(QStringLiteral("runs: expected an array")), qPrintable(e));
        const std::string run = widgets::runToJson(sampleRun(2, 4)).dump();
        e = expectFormatError(project(", \"runs\": [" + run + ", " + run + "]"), path);
        QVERIFY2(e.contains(QStringLiteral("runs[1]")) && e.contains(QStringLiteral("twice")), qPrintable(e));
        auto broken = widgets::runToJson(sampleRun(2, 4));
        broken["batches"]["loss"].erase(0);
        e = expectFormatError(project(", \"runs\": [" + broken.dump() + "]"), path);
        QVERIFY2(
            e.contains(QStringLiteral("runs[0].batches")) && e.contains(QStringLiteral("same length")), qPrintable(e));
        broken = widgets::runToJson(sampleRun(2, 4));
        broken["epochs"][1]["seconds"] = "slow";
        e = expectFormatError(project(", \"runs\": [" + broken.dump() + "]"), path);
        QVERIFY2(e.contains(QStringLiteral("runs[0].epochs[1].seconds")), qPrintable(e));
        broken = widgets::runToJson(sampleRun(2, 4));
        broken["config"]["momentum"] = 1.5;
        e = expectFormatError(project(", \"runs\": [" + broken.dump() + "]"), path);
        QVERIFY2(e.contains(QStringLiteral("runs[0].config")) && e.contains(QStringLiteral("momentum")), qPrintable(e));
        e = expectFormatError(project(", \"labeling\": \"photos\""), path);
        QVERIFY2(e.contains(QStringLiteral("bad.ncproj: labeling: expected an object")), qPrintable(e));
        e = expectFormatError(project(", \"labeling\": {\"folder\": 3}"), path);
        QVERIFY2(e.contains(QStringLiteral("labeling")) && e.contains(QStringLiteral("folder")), qPrintable(e));
        e = expectFormatError(project(", \"settings\": {\"threads\": -1}"), path);
        QVERIFY2(e.contains(QStringLiteral("settings.threads")), qPrintable(e));
        e = expectFormatError(project(", \"settings\": {\"device\": \"gpu\"}"), path);
        QVERIFY2(e.contains(QStringLiteral("settings.device")) && e.contains(QStringLiteral("'gpu'")), qPrintable(e));
        e = expectFormatError(project(", \"settings\": {\"tf32\": \"yes\"}"), path);
        QVERIFY2(e.contains(QStringLiteral("settings.tf32")), qPrintable(e));
        e = expectFormatError(project(", \"settings\": {\"precision\": \"fp64\"}"), path);
        QVERIFY2(e.contains(QStringLiteral("bad.ncproj: settings.precision 'fp64'"))
                && e.contains(QStringLiteral("fp32, tf32 or fp16")),
            qPrintable(e));
        e = expectFormatError(project(", \"settings\": {\"precision\": true}"), path);
        QVERIFY2(e.contains(QStringLiteral("settings.precision: expected a string")), qPrintable(e));
        auto settings = [&](const std::string& json) {
            return app::projectFromJson(
                nlohmann::json::parse(project(", \"settings\": " + json)), "old.ncproj", dir.path().toStdString())
                .precision;
        };
        // Projects from before the device setting train with "auto" and full float32; those of the
        // TF32 switch (settings.tf32) open with the matching precision; settings.precision wins.
        QCOMPARE(settings("{\"threads\": 1}"), Precision::Fp32);
        QCOMPARE(settings("{\"tf32\": true}"), Precision::Tf32);
        QCOMPARE(settings("{\"tf32\": false}"), Precision::Fp32);
        QCOMPARE(settings("{\"tf32\": true, \"precision\": \"fp16\"}"), Precision::Fp16);
        QCOMPARE(settings("{\"precision\": \"tf32\"}"), Precision::Tf32);
        QCOMPARE(app::projectFromJson(nlohmann::json::parse(project(", \"settings\": {\"threads\": 1}")), "old.ncproj",
                     dir.path().toStdString())
                     .device,
            std::string("auto"));
        broken = nlohmann::json::parse(model);
        broken["nodes"][2]["params"]["kernel"] = "big";
        e = expectFormatError("{\"format\": \"netcanvas-project\", \"model\": " + broken.dump() + "}", path);
        QVERIFY2(e.contains(QStringLiteral("model")) && e.contains(QStringLiteral("nodes[2]")), qPrintable(e));
        // An unreadable file is an IoError naming it.
        try {
            app::loadProjectFile(QDir(dir.path()).filePath(QStringLiteral("missing.ncproj")).toStdString());
            QFAIL("no error for a missing file");
        } catch (const IoError& err) {
            QVERIFY(QString::fromStdString(err.what()).contains(QStringLiteral("missing.ncproj")));
        }
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
        const TrainingRun* run = runs->run(runs->ids().front());
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
