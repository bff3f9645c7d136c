// netcanvas-cli's transfer learning as a user runs it: train --init-from (the by-name report in
// the output and the JSON summary), --freeze (an unknown node named), --fit-output (a model of
// another number of classes trains; without the flag the error says to use it), info's
// trainable/frozen counts, and the model zoo's index (every entry loads into its template; its
// recorded accuracy matches an evaluation when Fashion-MNIST is installed).
#include "common/CliRun.h"
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <random>

namespace {

using netcanvas::test::cli;
using netcanvas::test::lastJsonLine;
using Run = netcanvas::test::CliRun;

// Gray 16×16 images: class c is a bright bar at one of `classes` orientations/places.
void writeBars(const QString& root, int classes, int perClass)
{
    std::mt19937 rng(5);
    std::uniform_int_distribution<int> noise(0, 40), pos(2, 13);
    for (int c = 0; c < classes; ++c) {
        const QString dir = QString("%1/c%2").arg(root).arg(c);
        QDir().mkpath(dir);
        for (int i = 0; i < perClass; ++i) {
            cv::Mat img(16, 16, CV_8UC1);
            for (int y = 0; y < 16; ++y)
                for (int x = 0; x < 16; ++x)
                    img.at<uint8_t>(y, x) = static_cast<uint8_t>(noise(rng));
            const int p = pos(rng);
            for (int k = 0; k < 16; ++k) {
                if (c == 0)
                    img.at<uint8_t>(p, k) = 255;
                else if (c == 1)
                    img.at<uint8_t>(k, p) = 255;
                else if (c == 2)
                    img.at<uint8_t>(k, k) = 255;
                else
                    img.at<uint8_t>(k, 15 - k) = 255;
            }
            cv::imwrite(QString("%1/%2.png").arg(dir).arg(i).toStdString(), img);
        }
    }
}

const char* kCnn = R"({
  "format": "netcanvas-model", "version": 1, "name": "tcnn",
  "nodes": [
    {"id": "input", "type": "Input", "params": {"channels": 1, "height": 16, "width": 16}},
    {"id": "conv1", "type": "Conv2D", "inputs": ["input"], "params": {"filters": 4, "kernel": 3, "padding": "same"}},
    {"id": "relu1", "type": "ReLU", "inputs": ["conv1"]},
    {"id": "pool1", "type": "MaxPool2D", "inputs": ["relu1"], "params": {"pool": 2}},
    {"id": "flat", "type": "Flatten", "inputs": ["pool1"]},
    {"id": "fc", "type": "Dense", "inputs": ["flat"], "params": {"units": 4}}
  ],
  "training": {"epochs": 6, "batch_size": 16, "optimizer": "adam", "learning_rate": 0.005,
               "validation_fraction": 0.15, "seed": 3}
})";

} // namespace

class TestCliTransfer : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;
    QString m_four, m_two, m_model, m_weights;

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_four = m_dir.filePath("four");
        m_two = m_dir.filePath("two");
        writeBars(m_four, 4, 40);
        writeBars(m_two, 2, 40);
        m_model = m_dir.filePath("tcnn.json");
        QFile f(m_model);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(kCnn);
        f.close();
        const Run t = cli(
            { "train", m_model, "--data", m_four, "--out", m_dir.filePath("base"), "--json", "-q", "--threads", "2" });
        QVERIFY2(t.code == 0, qPrintable(t.err));
        m_weights = m_dir.filePath("base/weights.safetensors");
    }

    void fitOutputTrainsOnAnotherNumberOfClasses()
    {
        // Without the flag: one line that says to use it.
        const Run no = cli({ "train", m_model, "--data", m_two, "--out", m_dir.filePath("no"), "-q" });
        QVERIFY(no.code != 0);
        QVERIFY2(no.err.contains("--fit-output") && no.err.contains("'fc'") && no.err.contains("2 classes"),
            qPrintable(no.err));
        QCOMPARE(no.err.trimmed().count('\n'), 0);

        // With it, from the 4-class weights by name, the convolution frozen.
        const Run r = cli({ "train", m_model, "--data", m_two, "--out", m_dir.filePath("ft"), "--init-from", m_weights,
            "--freeze", "conv1", "--fit-output", "--json", "--threads", "2" });
        QVERIFY2(r.code == 0, qPrintable(r.err + r.out));
        // The report is on stderr (progress messages), the summary on stdout.
        QVERIFY2(r.err.contains("new output layer 'fc' with 2 units (was 4)"), qPrintable(r.err));
        QVERIFY2(r.err.contains("loaded 2 tensors: conv1.weight, conv1.bias"), qPrintable(r.err));
        QVERIFY2(r.err.contains("new (initialized): fc.weight, fc.bias"), qPrintable(r.err));
        QVERIFY2(r.err.contains("frozen: conv1 (40 of"), qPrintable(r.err));
        const QJsonObject m = lastJsonLine(r.out);
        QVERIFY2(m["test_accuracy"].toDouble() > 0.8, qPrintable(r.out));
        QCOMPARE(m["frozen_parameters"].toInt(), 40);
        const QJsonObject init = m["init_weights"].toObject();
        QCOMPARE(init["loaded"].toArray().size(), 2);
        QCOMPARE(init["new"].toArray().size(), 2);
        QCOMPARE(init["skipped"].toArray().size(), 0);

        // The saved model keeps the freeze; info counts it.
        const Run info = cli({ "info", m_dir.filePath("ft/model.json"), "--json" });
        QCOMPARE(info.code, 0);
        const QJsonObject ij = lastJsonLine(info.out);
        QCOMPARE(ij["frozen_params"].toInt(), 40);
        QCOMPARE(ij["trainable_params"].toInt(), ij["total_params"].toInt() - 40);
        const Run table = cli({ "info", m_dir.filePath("ft/model.json") });
        QVERIFY2(table.out.contains("trainable: ") && table.out.contains("frozen: 40"), qPrintable(table.out));
    }

    void skippedTensorsAreReportedWithBothShapes()
    {
        // Same ids, the head refitted but not replaced: fc is skipped with both shapes. A
        // model with fc of 2 units, by name from 4-class weights.
        QString text = QString::fromUtf8(kCnn).replace("\"units\": 4", "\"units\": 2");
        const QString two = m_dir.filePath("tcnn2.json");
        QFile f(two);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(text.toUtf8());
        f.close();
        const Run r = cli({ "train", two, "--data", m_two, "--out", m_dir.filePath("sk"), "--init-from", m_weights,
            "--epochs", "1", "--json", "--threads", "2" });
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY2(r.err.contains("skipped fc.weight: 4\u00d7256 in the weights, 2\u00d7256 in the model (initialized)"),
            qPrintable(r.err));
        const QJsonArray skipped = lastJsonLine(r.out)["init_weights"].toObject()["skipped"].toArray();
        QCOMPARE(skipped.size(), 2);
        QCOMPARE(skipped[0].toObject()["tensor"].toString(), QString("fc.weight"));
        // The strict mode (--weights) refuses the same weights, naming the tensor.
        const Run strict = cli({ "train", two, "--data", m_two, "--out", m_dir.filePath("st"), "--weights", m_weights,
            "--epochs", "1", "-q" });
        QVERIFY(strict.code != 0);
        QVERIFY2(strict.err.contains("fc.weight"), qPrintable(strict.err));
    }

    // --reinit: loaded by name except these nodes, which keep their fresh initialization and
    // are reported as new (a new classifier on pretrained features); it needs --init-from, and
    // an unknown id is named.
    void reinitLeavesNodesFresh()
    {
        const Run r = cli({ "train", m_model, "--data", m_four, "--out", m_dir.filePath("re"), "--init-from", m_weights,
            "--reinit", "conv1", "--epochs", "1", "--json", "--threads", "2" });
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY2(r.err.contains("loaded 2 tensors: fc.weight, fc.bias"), qPrintable(r.err));
        QVERIFY2(r.err.contains("new (initialized): conv1.weight, conv1.bias"), qPrintable(r.err));
        const QJsonObject init = lastJsonLine(r.out)["init_weights"].toObject();
        QCOMPARE(init["loaded"].toArray().size(), 2);
        QCOMPARE(init["new"].toArray().size(), 2);
        // With --fit-output too, the listed node and the head start afresh: here that is every
        // tensor, and nothing left to load is an error that says why.
        const Run both = cli({ "train", m_model, "--data", m_two, "--out", m_dir.filePath("re2"), "--init-from",
            m_weights, "--reinit", "conv1", "--fit-output", "--epochs", "1", "-q", "--threads", "2" });
        QVERIFY(both.code != 0);
        QVERIFY2(both.err.contains("kept freshly initialized: conv1, fc"), qPrintable(both.err));

        const Run alone
            = cli({ "train", m_model, "--data", m_four, "--out", m_dir.filePath("re3"), "--reinit", "conv1", "-q" });
        QVERIFY(alone.code != 0);
        QVERIFY2(alone.err.contains("--reinit") && alone.err.contains("--init-from"), qPrintable(alone.err));
        const Run unknown = cli({ "train", m_model, "--data", m_four, "--out", m_dir.filePath("re4"), "--init-from",
            m_weights, "--reinit", "fc9", "-q" });
        QVERIFY(unknown.code != 0);
        QVERIFY2(unknown.err.contains("--reinit: no node 'fc9'"), qPrintable(unknown.err));
    }

    void freezeUnknownNodeIsNamed()
    {
        const Run r = cli(
            { "train", m_model, "--data", m_four, "--out", m_dir.filePath("x"), "--freeze", "conv1,convX", "-q" });
        QVERIFY(r.code != 0);
        QVERIFY2(r.err.contains("--freeze: no node 'convX'") && r.err.contains("conv1"), qPrintable(r.err));
        QCOMPARE(r.err.trimmed().count('\n'), 0);
    }

    // Every zoo entry: its weights load into its template (strictly: every tensor), and with
    // Fashion-MNIST installed its recorded accuracy matches an evaluation (±0.2 points).
    void zooIndexEntriesLoad()
    {
        const QString zoo = QStringLiteral(NETCANVAS_SOURCE_DIR "/models/zoo");
        QFile f(zoo + "/index.json");
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonArray models = QJsonDocument::fromJson(f.readAll()).object()["models"].toArray();
        QVERIFY(models.size() >= 2);
        const QString fashion = "/usr/share/datasets/fashion-mnist";
        const bool haveData = QFile::exists(fashion + "/t10k-images-idx3-ubyte.gz");
        for (const auto& v : models) {
            const QJsonObject e = v.toObject();
            const QString model = QStringLiteral(NETCANVAS_SOURCE_DIR "/models/") + e["template"].toString();
            const QString weights = zoo + "/" + e["weights"].toString();
            QVERIFY2(QFile::exists(weights), qPrintable(weights));
            const double recorded = e["test_accuracy"].toDouble();
            QVERIFY(recorded > 0.8 && recorded < 1.0);
            if (!haveData)
                continue;
            const Run r = cli({ "eval", model, "--weights", weights, "--data", fashion, "--json", "--threads", "2" });
            QVERIFY2(r.code == 0, qPrintable(r.err));
            const double measured = lastJsonLine(r.out)["test_accuracy"].toDouble();
            QVERIFY2(std::abs(measured - recorded) <= 0.002,
                qPrintable(
                    QString("%1: recorded %2, measured %3").arg(e["name"].toString()).arg(recorded).arg(measured)));
        }
        if (!haveData)
            QSKIP("Fashion-MNIST (dataset-fashion-mnist) is not installed: the weights load, the accuracies "
                  "are not re-measured");
    }
};

QTEST_GUILESS_MAIN(TestCliTransfer)
#include "test_cli_transfer.moc"
