// The project file (engine/io/ProjectFile) and the runs it carries (engine/io/RunJson): round
// trips of the graph, positions, dataset, settings, runs with curves and confusion matrix and the
// weights reference, and malformed input named by file and field.
#include "common/ProjectFixtures.h"
#include "engine/core/Error.h"
#include "engine/graph/ModelJson.h"
#include "engine/io/AtomicFile.h"
#include "engine/io/ProjectFile.h"
#include "engine/io/RunJson.h"

#include <QDir>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <filesystem>

using namespace netcanvas;
using netcanvas::fixtures::positionedCnn;
using netcanvas::fixtures::sampleRun;

namespace {

void writeText(const QString& path, const std::string& text)
{
    writeFileAtomic(path.toStdString(), text);
}

QString expectFormatError(const std::string& text, const QString& path)
{
    writeText(path, text);
    try {
        netcanvas::loadProjectFile(path.toStdString());
    } catch (const FormatError& e) {
        return QString::fromStdString(e.what());
    }
    return {};
}

} // namespace

class TestProjectFile : public QObject {
    Q_OBJECT

private slots:
    void runJsonRoundTrip()
    {
        const RunRecord r = sampleRun(4, 40);
        const RunRecord back = netcanvas::runFromJson(nlohmann::json::parse(netcanvas::runToJson(r).dump()));
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
        RunRecord live = sampleRun(5, 4);
        live.running = true;
        const RunRecord interrupted = netcanvas::runFromJson(netcanvas::runToJson(live));
        QVERIFY(interrupted.summary.stopped);
        QVERIFY(interrupted.summary.message.find("interrupted") != std::string::npos);
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
        netcanvas::saveProjectFile(path.toStdString(), d);

        // Paths inside the project folder are stored relative to it.
        const auto j = nlohmann::json::parse(readFile(path.toStdString()));
        QCOMPARE(j["format"].get<std::string>(), std::string("netcanvas-project"));
        QCOMPARE(j["dataset"]["path"].get<std::string>(), std::string("data"));
        QCOMPARE(j["labeling"]["folder"].get<std::string>(), std::string("data/cats"));
        QCOMPARE(j["weights"]["file"].get<std::string>(), std::string("p.weights.safetensors"));
        QCOMPARE(j["settings"]["precision"].get<std::string>(), std::string("fp16"));
        QVERIFY(!j["settings"].contains("tf32")); // the old boolean is read, no longer written

        const ProjectData back = netcanvas::loadProjectFile(path.toStdString());
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
        QCOMPARE(std::filesystem::path(netcanvas::loadProjectFile(movedPath.toStdString()).datasetPath),
            std::filesystem::path(QDir(moved.path()).filePath(QStringLiteral("data")).toStdString()));
        QCOMPARE(std::filesystem::path(netcanvas::loadProjectFile(movedPath.toStdString()).labelFolder),
            std::filesystem::path(QDir(moved.path()).filePath(QStringLiteral("data/cats")).toStdString()));
        // No folder being labeled: no "labeling" object; a folder outside the project: absolute.
        ProjectData plain = d;
        plain.labelFolder.clear();
        netcanvas::saveProjectFile(path.toStdString(), plain);
        QVERIFY(!nlohmann::json::parse(readFile(path.toStdString())).contains("labeling"));
        QVERIFY(netcanvas::loadProjectFile(path.toStdString()).labelFolder.empty());
        plain.labelFolder = QDir(moved.path()).absolutePath().toStdString();
        netcanvas::saveProjectFile(path.toStdString(), plain);
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
        const std::string run = netcanvas::runToJson(sampleRun(2, 4)).dump();
        e = expectFormatError(project(", \"runs\": [" + run + ", " + run + "]"), path);
        QVERIFY2(e.contains(QStringLiteral("runs[1]")) && e.contains(QStringLiteral("twice")), qPrintable(e));
        auto broken = netcanvas::runToJson(sampleRun(2, 4));
        broken["batches"]["loss"].erase(0);
        e = expectFormatError(project(", \"runs\": [" + broken.dump() + "]"), path);
        QVERIFY2(
            e.contains(QStringLiteral("runs[0].batches")) && e.contains(QStringLiteral("same length")), qPrintable(e));
        broken = netcanvas::runToJson(sampleRun(2, 4));
        broken["epochs"][1]["seconds"] = "slow";
        e = expectFormatError(project(", \"runs\": [" + broken.dump() + "]"), path);
        QVERIFY2(e.contains(QStringLiteral("runs[0].epochs[1].seconds")), qPrintable(e));
        broken = netcanvas::runToJson(sampleRun(2, 4));
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
            return netcanvas::projectFromJson(
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
        QCOMPARE(netcanvas::projectFromJson(nlohmann::json::parse(project(", \"settings\": {\"threads\": 1}")),
                     "old.ncproj", dir.path().toStdString())
                     .device,
            std::string("auto"));
        broken = nlohmann::json::parse(model);
        broken["nodes"][2]["params"]["kernel"] = "big";
        e = expectFormatError("{\"format\": \"netcanvas-project\", \"model\": " + broken.dump() + "}", path);
        QVERIFY2(e.contains(QStringLiteral("model")) && e.contains(QStringLiteral("nodes[2]")), qPrintable(e));
        // An unreadable file is an IoError naming it.
        try {
            netcanvas::loadProjectFile(QDir(dir.path()).filePath(QStringLiteral("missing.ncproj")).toStdString());
            QFAIL("no error for a missing file");
        } catch (const IoError& err) {
            QVERIFY(QString::fromStdString(err.what()).contains(QStringLiteral("missing.ncproj")));
        }
    }
};

QTEST_APPLESS_MAIN(TestProjectFile)
#include "test_project_file.moc"
