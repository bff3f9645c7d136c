// netcanvas-cli experiment: an inline spec over a model and the sample dataset (ranking on
// stdout, experiment.json, a run folder per variant, the HTML report), a shipped lesson by
// name, and the errors (unknown variable, a value the variable cannot take, no model).
#include "common/CliRun.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

using netcanvas::test::cli;

namespace {
const QString kSource = QStringLiteral(NETCANVAS_SOURCE_DIR);
const QString kSample = kSource + "/resources/sample-fashion";
const QString kMlp = kSource + "/models/mlp.json";
} // namespace

class TestCliExperiment : public QObject {
    Q_OBJECT

private slots:
    void inlineSpecRanksVariantsAndWritesTheReport()
    {
        QTemporaryDir dir;
        const QString out = dir.filePath("exp"), report = dir.filePath("r.html");
        const auto r = cli({ "experiment", "activation=ReLU,Sigmoid", "--model", kMlp, "--data", kSample, "--out", out,
            "--epochs", "2", "--parallel", "2", "--threads", "2", "--report", report, "--quiet", "--json" });
        QVERIFY2(r.code == 0, qPrintable(r.err + r.out));
        QVERIFY2(r.out.contains("activation = ReLU") && r.out.contains("activation = Sigmoid"), qPrintable(r.out));
        QVERIFY(r.out.contains("rank"));
        QFile f(out + "/experiment.json");
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonObject j = QJsonDocument::fromJson(f.readAll()).object();
        QCOMPARE(j["parallel"].toInt(), 2);
        QCOMPARE(j["threads_each"].toInt(), 1);
        const QJsonArray ranking = j["ranking"].toArray();
        QCOMPARE(ranking.size(), 2);
        for (const auto& item : ranking) {
            const QJsonObject v = item.toObject();
            QCOMPARE(v["state"].toString(), QString("finished"));
            QCOMPARE(v["history"].toArray().size(), 2);
            QVERIFY(v["best_validation_accuracy"].toDouble() > 0.0);
        }
        QVERIFY(ranking[0].toObject()["best_validation_accuracy"].toDouble()
            >= ranking[1].toObject()["best_validation_accuracy"].toDouble());
        QVERIFY(QFile::exists(out + "/variant-1/weights.safetensors"));
        QVERIFY(QFile::exists(out + "/variant-2/history.csv"));
        QFile html(report);
        QVERIFY(html.open(QIODevice::ReadOnly));
        const QString text = QString::fromUtf8(html.readAll());
        QVERIFY(text.contains("<polyline"));
        QVERIFY(text.contains("class='cm'"));
        // The last line is the ranking as JSON.
        const QStringList lines = r.out.split('\n', Qt::SkipEmptyParts);
        QCOMPARE(QJsonDocument::fromJson(lines.last().toUtf8()).array().size(), 2);
    }

    void shippedLessonByName()
    {
        if (!QDir("/usr/share/datasets/fashion-mnist").exists())
            QSKIP("the lessons train on Debian's dataset-fashion-mnist (scripts/install-deps.sh installs it)");
        QTemporaryDir dir;
        const auto r = cli({ "experiment", "04-batch-norm", "--out", dir.filePath("bn"), "--epochs", "1",
            "--samples-per-class", "20", "--quiet" });
        QVERIFY2(r.code == 0, qPrintable(r.err + r.out));
        QVERIFY(r.out.contains("batch_norm = on"));
        QVERIFY(r.out.contains("batch_norm = off"));
    }

    void errorsNameWhatIsWrong()
    {
        QTemporaryDir dir;
        auto r
            = cli({ "experiment", "colour=red,blue", "--model", kMlp, "--data", kSample, "--out", dir.filePath("a") });
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("colour") && r.err.contains("learning_rate"), qPrintable(r.err));
        r = cli({ "experiment", "activation=Swish", "--model", kMlp, "--data", kSample, "--out", dir.filePath("b") });
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("Swish"), qPrintable(r.err));
        r = cli({ "experiment", "activation=ReLU,Tanh", "--data", kSample, "--out", dir.filePath("c") });
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("--model"), qPrintable(r.err));
        r = cli({ "experiment", "no-such-lesson", "--data", kSample, "--out", dir.filePath("d") });
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("no-such-lesson"), qPrintable(r.err));
    }
};

QTEST_GUILESS_MAIN(TestCliExperiment)
#include "test_cli_experiment.moc"
