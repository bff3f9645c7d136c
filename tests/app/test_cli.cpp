// netcanvas-cli end to end, as a user runs it: info, train, eval, predict, featuremaps, explain,
// runs (a project written by the engine's saveProjectFile) and their errors.
#include "common/BarImages.h"
#include "common/CliRun.h"
#include "engine/graph/ModelJson.h"
#include "engine/io/ProjectFile.h"
#include "engine/io/Safetensors.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <random>

namespace {

using netcanvas::test::cli;
using netcanvas::test::lastJsonLine;
using Run = netcanvas::test::CliRun;

// Three classes of 16×16 gray images: a horizontal bar, a vertical bar, a centred square.
void writeDataset(const QString& root, int perClass)
{
    netcanvas::test::writeBarImages(root, perClass);
    QFile corrupt(root + "/square/broken.png");
    corrupt.open(QIODevice::WriteOnly);
    corrupt.write("this is not a png at all");
}

const char* kModel = R"({
  "format": "netcanvas-model", "version": 1, "name": "tiny",
  "nodes": [
    {"id": "input", "type": "Input", "params": {"channels": 1, "height": 16, "width": 16}},
    {"id": "flat", "type": "Flatten", "inputs": ["input"]},
    {"id": "fc1", "type": "Dense", "inputs": ["flat"], "params": {"units": 32, "init": "he_uniform"}},
    {"id": "relu", "type": "ReLU", "inputs": ["fc1"]},
    {"id": "fc2", "type": "Dense", "inputs": ["relu"], "params": {"units": 3}}
  ],
  "training": {"epochs": 10, "batch_size": 16, "optimizer": "adam", "learning_rate": 0.003,
               "validation_fraction": 0.15, "seed": 3}
})";

// A small CNN for the inspection commands (featuremaps, explain).
const char* kCnn = R"({
  "format": "netcanvas-model", "version": 1, "name": "tinycnn",
  "nodes": [
    {"id": "input", "type": "Input", "params": {"channels": 1, "height": 16, "width": 16}},
    {"id": "conv1", "type": "Conv2D", "inputs": ["input"], "params": {"filters": 4, "kernel": 3, "padding": "same"}},
    {"id": "relu1", "type": "ReLU", "inputs": ["conv1"]},
    {"id": "pool1", "type": "MaxPool2D", "inputs": ["relu1"], "params": {"pool": 2}},
    {"id": "conv2", "type": "Conv2D", "inputs": ["pool1"], "params": {"filters": 8, "kernel": 3, "padding": "same"}},
    {"id": "relu2", "type": "ReLU", "inputs": ["conv2"]},
    {"id": "flat", "type": "Flatten", "inputs": ["relu2"]},
    {"id": "fc", "type": "Dense", "inputs": ["flat"], "params": {"units": 3}}
  ],
  "training": {"epochs": 4, "batch_size": 16, "optimizer": "adam", "learning_rate": 0.003,
               "validation_fraction": 0.15, "seed": 3}
})";

bool oneLine(const QString& err)
{
    return err.trimmed().count('\n') == 0;
}

} // namespace

class TestCli : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;
    QString m_data, m_model;

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_data = m_dir.filePath("shapes");
        writeDataset(m_data, 100);
        m_model = m_dir.filePath("tiny.json");
        QFile f(m_model);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(kModel);
    }

    void infoShowsShapesAndParameters()
    {
        const Run r = cli({ "info", m_model });
        QCOMPARE(r.code, 0);
        QVERIFY2(r.out.contains("8,323"), qPrintable(r.out)); // 256·32+32 + 32·3+3
        QVERIFY(r.out.contains("fc2"));
        const Run j = cli({ "info", m_model, "--json" });
        QCOMPARE(j.code, 0);
        QCOMPARE(lastJsonLine(j.out)["total_params"].toInt(), 8323);
    }

    void layersListsTheRegistry()
    {
        const Run r = cli({ "layers" });
        QCOMPARE(r.code, 0);
        for (const char* t : { "Conv2D", "Dense", "BatchNorm", "Dropout", "Concat", "GlobalAvgPool2D" })
            QVERIFY2(r.out.contains(t), t);
    }

    void trainEvalPredict()
    {
        const QString out = m_dir.filePath("run");
        const Run t = cli({ "train", m_model, "--data", m_data, "--out", out, "--json", "--threads", "2" });
        QVERIFY2(t.code == 0, qPrintable(t.err));
        const QJsonObject m = lastJsonLine(t.out);
        QVERIFY2(m.contains("test_accuracy"), qPrintable(t.out));
        QVERIFY2(m["test_accuracy"].toDouble() > 0.85, qPrintable(t.out));
        QCOMPARE(m["epochs"].toInt(), 10);
        QVERIFY(m["samples_per_second"].toDouble() > 0);
        QVERIFY(m.contains("test_loss"));
        // The device that ran, not only the one asked for (auto: the CPU without a usable GPU).
        QCOMPARE(m["device_requested"].toString(), QStringLiteral("auto"));
        QVERIFY2(m["device"].toString() == QStringLiteral("cpu") || m["device"].toString().startsWith("cuda:"),
            qPrintable(t.out));
        QVERIFY2(t.err.contains("broken.png"), qPrintable(t.err)); // skipped and reported
        for (const char* f : { "weights.safetensors", "model.json", "metrics.json", "history.csv",
                 "checkpoints/last.safetensors", "checkpoints/best.safetensors" })
            QVERIFY2(QFile::exists(out + "/" + f), f);

        const Run e = cli({ "eval", "--weights", out + "/weights.safetensors", "--data", m_data, "--json" });
        QVERIFY2(e.code == 0, qPrintable(e.err));
        QCOMPARE(lastJsonLine(e.out)["test_accuracy"].toDouble(), m["test_accuracy"].toDouble());
        // The training dataset: its test split, and the output says so.
        const QJsonObject own = lastJsonLine(e.out);
        QCOMPARE(own["split"].toString(), QStringLiteral("test"));
        QVERIFY(own["samples"].toInt() < own["dataset_samples"].toInt());
        QVERIFY2(own["split_reason"].toString().contains("trained on"), qPrintable(e.out));
        // Another dataset (same classes): evaluated whole, and why.
        const QString other = m_dir.filePath("shapes-other");
        writeDataset(other, 30);
        const Run o = cli({ "eval", "--weights", out + "/weights.safetensors", "--data", other, "--json" });
        QVERIFY2(o.code == 0, qPrintable(o.err));
        const QJsonObject whole = lastJsonLine(o.out);
        QCOMPARE(whole["split"].toString(), QStringLiteral("all"));
        QCOMPARE(whole["samples"].toInt(), whole["dataset_samples"].toInt());
        QVERIFY2(whole["split_reason"].toString().contains("not the one the model was trained on"), qPrintable(o.out));
        // An explicit --split is obeyed.
        const Run asked
            = cli({ "eval", "--weights", out + "/weights.safetensors", "--data", other, "--json", "--split", "test" });
        QCOMPARE(lastJsonLine(asked.out)["split"].toString(), QStringLiteral("test"));
        const Run table = cli(
            { "eval", "--weights", out + "/weights.safetensors", "--data", m_data, "--csv", m_dir.filePath("cm.csv") });
        QCOMPARE(table.code, 0);
        QVERIFY(table.out.contains("Confusion matrix"));
        // Without --json the count and the rule are said ("evaluating 30 of 300 samples: the test split …").
        QVERIFY2((table.out + table.err)
                     .contains(QStringLiteral("evaluating %1 of %2 samples: the test split of the dataset")
                                   .arg(own["samples"].toInt())
                                   .arg(own["dataset_samples"].toInt())),
            qPrintable(table.err));
        QVERIFY(table.out.contains("precision"));
        QVERIFY(QFile::exists(m_dir.filePath("cm.csv")));

        const Run p
            = cli({ "predict", "--weights", out + "/weights.safetensors", m_data + "/vertical/3.png", "--json" });
        QVERIFY2(p.code == 0, qPrintable(p.err));
        const QJsonObject pj = lastJsonLine(p.out);
        QCOMPARE(pj["top"].toArray().first().toObject()["class"].toString(), QString("vertical"));
        QVERIFY(pj["top"].toArray().first().toObject()["probability"].toDouble() > 0.5);
    }

    // A project (engine/io/ProjectFile) in place of model + weights: `runs` lists its runs and
    // exports its weights; eval and predict read its saved weights.
    void projectRunsEvalPredict()
    {
        const QString out = m_dir.filePath("prun");
        const Run t = cli({ "train", m_model, "--data", m_data, "--out", out, "--json", "--threads", "2", "--epochs",
            "3", "--seed", "4" });
        QVERIFY2(t.code == 0, qPrintable(t.err));
        const double testAccuracy = lastJsonLine(t.out)["test_accuracy"].toDouble();

        netcanvas::ProjectData project;
        project.graph = netcanvas::loadModelFile(m_model.toStdString());
        project.datasetPath = m_data.toStdString();
        netcanvas::RunRecord a;
        a.id = 1;
        a.label = "baseline";
        a.config.epochs = 3;
        a.running = false;
        for (int e = 0; e < 3; ++e) {
            netcanvas::EpochEvent ev;
            ev.epoch = e;
            ev.validationAccuracy = e == 1 ? 0.9 : 0.8;
            a.epochs.push_back(ev);
        }
        a.summary.epochsCompleted = 3;
        a.summary.testAccuracy = testAccuracy;
        netcanvas::RunRecord b = a;
        b.id = 2;
        b.label.clear();
        b.summary.stopped = true;
        b.summary.testAccuracy = std::nan("");
        project.runs = { a, b };
        const QString weights = m_dir.filePath("p.weights.safetensors");
        QVERIFY(QFile::copy(out + "/weights.safetensors", weights));
        project.weightsPath = weights.toStdString();
        project.weightsRun = 1;
        const QString path = m_dir.filePath("p.ncproj");
        netcanvas::saveProjectFile(path.toStdString(), project);

        const Run table = cli({ "runs", path });
        QVERIFY2(table.code == 0, qPrintable(table.err));
        QVERIFY2(table.out.contains("baseline") && table.out.contains("90.00%") && table.out.contains("80.00%"),
            qPrintable(table.out));
        QVERIFY2(table.out.contains("stopped") && table.out.contains("(weights)"), qPrintable(table.out));
        const Run j = cli({ "runs", path, "--json" });
        QVERIFY2(j.code == 0, qPrintable(j.err));
        const QJsonArray runs = lastJsonLine(j.out)["runs"].toArray();
        QCOMPARE(runs.size(), 2);
        QCOMPARE(runs[0].toObject()["label"].toString(), QString("baseline"));
        QCOMPARE(runs[0].toObject()["best_validation_accuracy"].toDouble(), 0.9);
        QCOMPARE(runs[0].toObject()["last_validation_accuracy"].toDouble(), 0.8);
        QCOMPARE(runs[0].toObject()["test_accuracy"].toDouble(), testAccuracy);
        QCOMPARE(runs[1].toObject()["state"].toString(), QString("stopped"));
        QVERIFY(runs[1].toObject()["test_accuracy"].isNull());

        const QString exported = m_dir.filePath("exported.safetensors");
        const Run x = cli({ "runs", path, "--export-weights", exported });
        QVERIFY2(x.code == 0, qPrintable(x.err));
        const netcanvas::TensorFile copy = netcanvas::loadSafetensors(exported.toStdString());
        const netcanvas::TensorFile original = netcanvas::loadSafetensors(weights.toStdString());
        QCOMPARE(copy.metadata, original.metadata); // class names, normalization, model
        QCOMPARE(copy.tensors.size(), original.tensors.size());

        const Run e = cli({ "eval", path, "--data", m_data, "--json" });
        QVERIFY2(e.code == 0, qPrintable(e.err));
        QCOMPARE(lastJsonLine(e.out)["test_accuracy"].toDouble(), testAccuracy);
        const Run p = cli({ "predict", "--model", path, m_data + "/vertical/3.png", "--json" });
        QVERIFY2(p.code == 0, qPrintable(p.err));
        QCOMPARE(lastJsonLine(p.out)["top"].toArray().first().toObject()["class"].toString(), QString("vertical"));

        // A project without saved weights: one line naming it.
        project.weightsPath.clear();
        const QString bare = m_dir.filePath("bare.ncproj");
        netcanvas::saveProjectFile(bare.toStdString(), project);
        const Run none = cli({ "eval", bare, "--data", m_data });
        QCOMPARE(none.code, 1);
        QVERIFY2(none.err.contains("bare.ncproj") && none.err.contains("no saved weights"), qPrintable(none.err));
    }

    // --precision on train, eval, predict and bench, and --tf32 as --precision tf32. The CPU
    // computes in FP32 whatever is asked for and says so in one line (loss scaling follows what
    // the backend runs: off here); a bad value is one line naming the flag.
    void precisionFlag()
    {
        const QString note16 = QStringLiteral("netcanvas-cli: note: FP16 mixed precision applies to GPUs only: the CPU "
                                              "computes in FP32");
        const QString note32
            = QStringLiteral("netcanvas-cli: note: TF32 applies to GPUs only: the CPU computes in FP32");
        const Run t = cli({ "train", m_model, "--data", m_data, "--out", m_dir.filePath("run-fp16"), "--json",
            "--threads", "2", "--epochs", "1", "--device", "cpu", "--precision", "fp16" });
        QVERIFY2(t.code == 0, qPrintable(t.err));
        QVERIFY2(t.err.contains(note16), qPrintable(t.err));
        const QJsonObject m = lastJsonLine(t.out);
        QCOMPARE(m["precision"].toString(), QStringLiteral("fp32")); // what ran
        QVERIFY2(!m.contains("skipped_steps") && !m.contains("loss_scale"), qPrintable(t.out));

        const Run tf = cli({ "train", m_model, "--data", m_data, "--out", m_dir.filePath("run-tf32"), "--quiet",
            "--threads", "2", "--epochs", "1", "--device", "cpu", "--tf32" });
        QVERIFY2(tf.code == 0, qPrintable(tf.err));
        QVERIFY2(tf.err.contains(note32), qPrintable(tf.err));
        QVERIFY(!tf.err.contains(note16));

        // Loss scaling forced on (exact on the CPU): reported in the metrics.
        const Run ls = cli({ "train", m_model, "--data", m_data, "--out", m_dir.filePath("run-scaled"), "--json",
            "--threads", "2", "--epochs", "1", "--device", "cpu", "--loss-scaling", "on" });
        QVERIFY2(ls.code == 0, qPrintable(ls.err));
        const QJsonObject lm = lastJsonLine(ls.out);
        QCOMPARE(lm["skipped_steps"].toInt(-1), 0);
        QCOMPARE(lm["loss_scale"].toDouble(), 65536.0);
        const Run badScaling = cli({ "train", m_model, "--data", m_data, "--loss-scaling", "yes" });
        QCOMPARE(badScaling.code, 1);
        QVERIFY2(badScaling.err.contains("--loss-scaling 'yes': expected auto, on or off") && oneLine(badScaling.err),
            qPrintable(badScaling.err));

        const QString weights = m_dir.filePath("run-fp16/weights.safetensors");
        const Run e = cli(
            { "eval", "--weights", weights, "--data", m_data, "--json", "--device", "cpu", "--precision", "tf32" });
        QVERIFY2(e.code == 0, qPrintable(e.err));
        QVERIFY2(e.err.contains(note32), qPrintable(e.err));
        const Run p = cli({ "predict", "--weights", weights, m_data + "/vertical/3.png", "--json", "--device", "cpu",
            "--precision", "fp16" });
        QVERIFY2(p.code == 0, qPrintable(p.err));
        QVERIFY2(p.err.contains(note16), qPrintable(p.err));
        const Run fp32 = cli(
            { "predict", "--weights", weights, m_data + "/vertical/3.png", "--device", "cpu", "--precision", "fp32" });
        QVERIFY2(fp32.code == 0 && !fp32.err.contains("note:"), qPrintable(fp32.err));
        const Run b = cli({ "bench", m_model, "--device", "cpu", "--precision", "fp16", "--json", "--batch", "8",
            "--steps", "2", "--warmup", "0", "--infer-batch", "8", "--latency-steps", "2" });
        QVERIFY2(b.code == 0, qPrintable(b.err));
        QVERIFY2(b.err.contains(note16), qPrintable(b.err));
        QCOMPARE(lastJsonLine(b.out)["precision"].toString(), QStringLiteral("fp32"));
        QVERIFY(!lastJsonLine(b.out).contains("loss_scale"));

        for (const QStringList& args : { QStringList { "train", m_model, "--data", m_data, "--precision", "fp64" },
                 QStringList { "bench", m_model, "--precision", "half" },
                 QStringList { "eval", "--weights", weights, "--data", m_data, "--precision", "FP16" } }) {
            const Run r = cli(args);
            QCOMPARE(r.code, 1);
            QVERIFY2(r.err.contains(QStringLiteral("--precision '%1': expected fp32, tf32 or fp16").arg(args.last())),
                qPrintable(r.err));
            QVERIFY2(oneLine(r.err), qPrintable(r.err));
        }
        const Run both = cli({ "train", m_model, "--data", m_data, "--tf32", "--precision", "fp16" });
        QVERIFY(both.code != 0);
        QVERIFY2(both.err.contains("--tf32") && both.err.contains("excludes"), qPrintable(both.err));
    }

    // predict DIR --out preds.csv: every image under the folder (recursively, sorted), one
    // CSV row each with the class, its confidence and the next top-k columns; unreadable
    // images reported and skipped (exit 2); the CSV written atomically.
    void predictFolderToCsv()
    {
        const QString weights = m_dir.filePath("run/weights.safetensors");
        if (!QFile::exists(weights)) {
            const Run t
                = cli({ "train", m_model, "--data", m_data, "--out", m_dir.filePath("run"), "-q", "--threads", "2" });
            QVERIFY2(t.code == 0, qPrintable(t.err));
        }
        const QString dir = m_dir.filePath("unlabeled");
        QVERIFY(QDir().mkpath(dir + "/a") && QDir().mkpath(dir + "/b/c"));
        QVERIFY(QFile::copy(m_data + "/vertical/3.png", dir + "/a/v3.png"));
        QVERIFY(QFile::copy(m_data + "/square/7.png", dir + "/b/c/s7.png"));
        QVERIFY(QFile::copy(m_data + "/horizontal/5.png", dir + "/h5.png"));
        QVERIFY(QFile::copy(m_data + "/square/broken.png", dir + "/b/bad.png"));
        QFile notes(dir + "/notes.txt");
        QVERIFY(notes.open(QIODevice::WriteOnly));
        notes.write("not an image");
        notes.close();

        const QString csv = m_dir.filePath("preds/preds.csv");
        Run r = cli({ "predict", "--weights", weights, dir, "--out", csv, "--top", "2" });
        QCOMPARE(r.code, 2); // one image skipped
        QVERIFY2(r.err.contains("b/bad.png") && r.err.count('\n') == 1, qPrintable(r.err));
        QVERIFY2(r.out.contains("wrote 3 predictions") && r.out.contains("1 unreadable"), qPrintable(r.out));
        QFile f(csv);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QStringList lines = QString::fromUtf8(f.readAll()).split('\n', Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), 4);
        QCOMPARE(lines[0], QString("path,class,confidence,class_2,confidence_2"));
        const QStringList want = { dir + "/a/v3.png", dir + "/b/c/s7.png", dir + "/h5.png" }; // sorted ids
        for (int i = 0; i < 3; ++i) {
            const QStringList cols = lines[i + 1].split(',');
            QCOMPARE(cols.size(), 5);
            QCOMPARE(cols[0], want[i]);
            const double p1 = cols[2].toDouble(), p2 = cols[4].toDouble();
            QVERIFY2(p1 >= p2 && p2 >= 0 && p1 + p2 <= 1.0 + 1e-5, qPrintable(lines[i + 1]));
            QVERIFY(cols[1] != cols[3]);
        }
        QCOMPARE(lines[1].split(',')[1], QString("vertical"));
        const QStringList written = QDir(m_dir.filePath("preds")).entryList(QDir::Files | QDir::Hidden);
        QCOMPARE(written, QStringList { "preds.csv" }); // no temp file left

        // Files and folders mixed; without --out, the usual lines on stdout.
        r = cli({ "predict", "--weights", weights, dir + "/a", m_data + "/square/3.png", "--json" });
        QCOMPARE(r.code, 0);
        QCOMPARE(r.out.split('\n', Qt::SkipEmptyParts).size(), 2);
        QVERIFY(r.out.contains("a/v3.png"));

        // Nothing readable: one line, exit 1, no CSV.
        const QString bad = m_dir.filePath("only-bad");
        QVERIFY(QDir().mkpath(bad));
        QVERIFY(QFile::copy(m_data + "/square/broken.png", bad + "/x.png"));
        r = cli({ "predict", "--weights", weights, bad, "--out", m_dir.filePath("none.csv") });
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("none of the images could be read"), qPrintable(r.err));
        QVERIFY(!QFile::exists(m_dir.filePath("none.csv")));
        r = cli({ "predict", "--weights", weights, m_dir.filePath("preds/.."), "--out", m_dir.filePath("preds") });
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("is a folder") && oneLine(r.err), qPrintable(r.err));
    }

    void errorsAreOneClearLine()
    {
        QFile bad(m_dir.filePath("bad.json"));
        QVERIFY(bad.open(QIODevice::WriteOnly));
        bad.write("{\n \"nodes\": [\n  {\"id\": \"x\" \"type\": \"Input\"}\n ]\n}");
        bad.close();
        Run r = cli({ "info", bad.fileName() });
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("bad.json:3:"), qPrintable(r.err));
        QCOMPARE(r.err.trimmed().count('\n'), 0);

        r = cli({ "train", m_model, "--data", m_dir.filePath("nowhere") });
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("nowhere"), qPrintable(r.err));

        // Output units that do not match the classes: named node, both numbers.
        QString wrong = QString(kModel).replace("\"units\": 3", "\"units\": 5");
        QFile w(m_dir.filePath("wrong.json"));
        QVERIFY(w.open(QIODevice::WriteOnly));
        w.write(wrong.toUtf8());
        w.close();
        r = cli({ "train", w.fileName(), "--data", m_data });
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("fc2") && r.err.contains("3 classes"), qPrintable(r.err));

        r = cli({ "train", m_model, "--data", m_data, "--optimizer", "magic" });
        QVERIFY(r.code != 0);
    }

    // eval's top-k accuracy and --metrics-out (JSON and CSV), featuremaps and explain on a
    // small trained CNN, and their errors: one line naming the layer, class or file.
    void inspectionCommands()
    {
        const QString model = m_dir.filePath("tinycnn.json");
        QFile f(model);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(kCnn);
        f.close();
        const QString run = m_dir.filePath("cnnrun");
        const Run t = cli({ "train", model, "--data", m_data, "--out", run, "--json", "--threads", "2", "-q" });
        QVERIFY2(t.code == 0, qPrintable(t.err));
        QVERIFY2(lastJsonLine(t.out)["test_accuracy"].toDouble() > 0.8, qPrintable(t.out));
        const QString weights = run + "/weights.safetensors";
        const QString image = m_data + "/vertical/3.png";

        // eval: top-k on stdout, metrics files.
        const QString mj = m_dir.filePath("metrics.json"), mc = m_dir.filePath("metrics.csv");
        Run e = cli({ "eval", "--weights", weights, "--data", m_data, "--top-k", "2", "--metrics-out", mj });
        QVERIFY2(e.code == 0, qPrintable(e.err));
        QVERIFY2(e.out.contains("top-2 accuracy"), qPrintable(e.out));
        QFile jf(mj);
        QVERIFY(jf.open(QIODevice::ReadOnly));
        const QJsonObject metrics = QJsonDocument::fromJson(jf.readAll()).object();
        QCOMPARE(metrics["top_k"].toInt(), 2);
        const double acc = metrics["accuracy"].toDouble(), topk = metrics["top_k_accuracy"].toDouble();
        QVERIFY2(topk >= acc && topk <= 1.0, qPrintable(QString("%1 %2").arg(acc).arg(topk)));
        const QJsonArray matrix = metrics["confusion"].toObject()["matrix"].toArray();
        QCOMPARE(matrix.size(), 3);
        int total = 0, diagonal = 0;
        for (int i = 0; i < 3; ++i)
            for (int j = 0; j < 3; ++j) {
                total += matrix[i].toArray()[j].toInt();
                diagonal += i == j ? matrix[i].toArray()[j].toInt() : 0;
            }
        QCOMPARE(total, metrics["samples"].toInt());
        QVERIFY(std::abs(static_cast<double>(diagonal) / total - acc) < 1e-9);
        QCOMPARE(metrics["confusion"].toObject()["per_class"].toArray().size(), 3);

        e = cli({ "eval", "--weights", weights, "--data", m_data, "--metrics-out", mc, "--json" });
        QVERIFY2(e.code == 0, qPrintable(e.err));
        QCOMPARE(lastJsonLine(e.out)["top_k"].toInt(), 3); // 5 clamped to the 3 classes
        QCOMPARE(lastJsonLine(e.out)["top_k_accuracy"].toDouble(), 1.0);
        QFile cf(mc);
        QVERIFY(cf.open(QIODevice::ReadOnly));
        const QStringList csv = QString::fromUtf8(cf.readAll()).split('\n', Qt::SkipEmptyParts);
        QCOMPARE(csv.size(), 1 + 3 + 2); // header, 3 classes, accuracy, top-k
        QVERIFY2(csv[0].startsWith("class,precision,recall,f1,support,\"predicted horizontal\""), qPrintable(csv[0]));
        QVERIFY2(csv[4].startsWith("accuracy,,,"), qPrintable(csv[4]));
        QVERIFY2(csv[5].startsWith("\"top-3 accuracy\",,,1,"), qPrintable(csv[5]));
        for (const QString& line : csv)
            QCOMPARE(line.count(','), 4 + 3);

        e = cli({ "eval", "--weights", weights, "--data", m_data, "--metrics-out", m_dir.filePath("metrics.txt") });
        QCOMPARE(e.code, 1);
        QVERIFY2(e.err.contains("metrics.txt") && oneLine(e.err), qPrintable(e.err));

        // featuremaps: 4 channels of 16×16 → a 2×2 grid of 96-px cells with a 1-px gap.
        const QString maps = m_dir.filePath("maps");
        Run r = cli({ "featuremaps", "--weights", weights, "--layer", "conv1", "--image", image, "--out", maps });
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY2(r.out.contains("conv1 (Conv2D): 4 channels"), qPrintable(r.out));
        const cv::Mat grid = cv::imread((maps + "/conv1.png").toStdString(), cv::IMREAD_COLOR);
        QCOMPARE(grid.cols, 2 * 96 + 1);
        QCOMPARE(grid.rows, 2 * 96 + 1);
        QCOMPARE(grid.at<cv::Vec3b>(10, 96), cv::Vec3b(255, 255, 255)); // the gap
        QVERIFY(grid.at<cv::Vec3b>(10, 95) != cv::Vec3b(255, 255, 255)); // viridis has no white
        const cv::Mat input = cv::imread((maps + "/input.png").toStdString(), cv::IMREAD_COLOR);
        QCOMPARE(input.cols, 224);
        // With the model given, a flat layer too (wrapped into a square).
        r = cli({ "featuremaps", model, "--weights", weights, "--layer", "fc", "--image", image, "--out", maps });
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY(QFile::exists(maps + "/fc.png"));

        r = cli({ "featuremaps", "--weights", weights, "--layer", "nope", "--image", image, "--out", maps });
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("'nope'") && r.err.contains("conv1") && oneLine(r.err), qPrintable(r.err));

        // explain: the top 3 classes, a 224×224 overlay (16 px × 14).
        const QString cam = m_dir.filePath("cam.png"), sal = m_dir.filePath("saliency.png");
        r = cli({ "explain", "--weights", weights, image, "--out", cam, "--saliency", sal });
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const QStringList lines = r.out.split('\n', Qt::SkipEmptyParts);
        QVERIFY2(lines.size() >= 5, qPrintable(r.out));
        QVERIFY2(lines[1].contains("vertical"), qPrintable(r.out)); // most probable first
        QVERIFY2(r.out.contains("Grad-CAM of 'vertical'") && r.out.contains("conv2"), qPrintable(r.out));
        const cv::Mat overlay = cv::imread(cam.toStdString(), cv::IMREAD_COLOR);
        QCOMPARE(overlay.cols, 224);
        QCOMPARE(overlay.rows, 224);
        QVERIFY(QFile::exists(sal));
        r = cli({ "explain", "--weights", weights, image, "--class", "square", "--layer", "relu1", "--out", cam });
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY2(r.out.contains("Grad-CAM of 'square' (class 1) on relu1"), qPrintable(r.out));

        r = cli({ "explain", "--weights", weights, image, "--layer", "fc", "--out", cam });
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("'fc'") && oneLine(r.err), qPrintable(r.err));
        r = cli({ "explain", "--weights", weights, image, "--layer", "nope", "--out", cam });
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("'nope'") && oneLine(r.err), qPrintable(r.err));
        r = cli({ "explain", "--weights", weights, image, "--class", "circle", "--out", cam });
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("'circle'") && r.err.contains("vertical") && oneLine(r.err), qPrintable(r.err));
        r = cli({ "explain", "--weights", weights, image, "--class", "7", "--out", cam });
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("--class 7") && oneLine(r.err), qPrintable(r.err));
        r = cli({ "explain", "--weights", weights, image, "--out", m_model + "/cam.png" }); // under a file
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("cam.png") && oneLine(r.err), qPrintable(r.err));
    }
};

QTEST_GUILESS_MAIN(TestCli)
#include "test_cli.moc"
