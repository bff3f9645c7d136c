// netcanvas-cli on sequences and numbers, as a user runs it: the shipped templates
// (models/lstm-forecast, gru-text, conv1d-text, mlp-regression) trained on tiny synthetic
// series, text and tables — metrics JSON with RMSE/MAE/R² and the naive forecast — then
// rnn-gates on the trained LSTM, and the errors a bad file gets.
#include "common/CliRun.h"

#include <QDir>
#include <QFile>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTextStream>
#include <QtTest>

#include <cmath>
#include <random>

namespace {

using netcanvas::test::cli;
using netcanvas::test::lastJsonLine;

QString model(const char* name)
{
    return QString(NETCANVAS_SOURCE_DIR) + "/models/" + name + ".json";
}

void writeText(const QString& path, const QString& text)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(text.toUtf8());
}

} // namespace

class TestCliSequence : public QObject {
    Q_OBJECT
private slots:
    void forecastBeatsNaiveAndGatesRender();
    void textTemplatesTrain();
    void regressionTemplateReportsR2();
    void badInputNamesFileAndLine();
};

void TestCliSequence::forecastBeatsNaiveAndGatesRender()
{
    QTemporaryDir dir;
    QString csv = "date,value\n";
    std::mt19937 rng(3);
    std::normal_distribution<double> noise(0.0, 0.1);
    for (int t = 0; t < 300; ++t)
        csv += QString("%1,%2\n").arg(t).arg(20 + 4 * std::sin(2 * M_PI * t / 12.0) + 0.05 * t + noise(rng));
    writeText(dir.filePath("series.csv"), csv);
    const auto r = cli({ "train", model("lstm-forecast"), "--data", dir.filePath("series.csv"), "--task", "series",
        "--differences", "--epochs", "12", "--out", dir.filePath("run"), "--threads", "2", "--json", "--quiet" });
    QVERIFY2(r.code == 0, qPrintable(r.err + r.out));
    const QJsonObject m = lastJsonLine(r.out);
    QCOMPARE(m["task"].toString(), QString("forecast"));
    QVERIFY(!m.contains("test_accuracy"));
    const double rmse = m["test_rmse"].toDouble(), naive = m["naive_test_rmse"].toDouble();
    QVERIFY2(rmse > 0 && rmse < 0.7 * naive, qPrintable(QString("LSTM rmse %1, naive %2").arg(rmse).arg(naive)));
    QVERIFY(m["test_r2"].toDouble() > 0.5);
    QVERIFY(r.out.contains("naive last-value forecast on the same test windows"));
    QVERIFY(QFile::exists(dir.filePath("run/weights.safetensors")));

    // The gate view of the trained LSTM for one window (52 steps of one feature).
    QString sample;
    for (int t = 0; t < 52; ++t)
        sample += QString::number(std::sin(2 * M_PI * t / 12.0)) + "\n";
    writeText(dir.filePath("sample.csv"), sample);
    const auto g = cli({ "rnn-gates", "--weights", dir.filePath("run/weights.safetensors"), "--sample",
        dir.filePath("sample.csv"), "--out", dir.filePath("gates") });
    QVERIFY2(g.code == 0, qPrintable(g.err + g.out));
    QVERIFY(g.out.contains("lstm (LSTM, direction forward): 52 steps \u00d7 32 units"));
    for (const char* part : { "h", "i", "f", "g", "o", "c" })
        QVERIFY2(QFile::exists(dir.filePath(QString("gates/lstm_%1.png").arg(part))), part);
    QFile norms(dir.filePath("gates/lstm_gradnorm.csv"));
    QVERIFY(norms.open(QIODevice::ReadOnly));
    const QStringList lines = QString::fromUtf8(norms.readAll()).split('\n', Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), 53);
    QCOMPARE(lines[0], QString("step,grad_norm"));
    QVERIFY(lines.last().section(',', 1).toDouble() > 0.0); // the last step gets a gradient
    // A sample of the wrong length names the file and both sizes.
    writeText(dir.filePath("short.csv"), "1\n2\n");
    const auto bad = cli({ "rnn-gates", "--weights", dir.filePath("run/weights.safetensors"), "--sample",
        dir.filePath("short.csv"), "--out", dir.filePath("gates2") });
    QVERIFY(bad.code != 0);
    QVERIFY2(bad.err.contains(dir.filePath("short.csv") + ": 2 values in 2 steps"), qPrintable(bad.err));
}

void TestCliSequence::textTemplatesTrain()
{
    // Four classes told apart by their words.
    QTemporaryDir dir;
    const char* words[4][3] = { { "kernel", "compiler", "bug" }, { "moon", "star", "night" },
        { "goal", "team", "score" }, { "bread", "soup", "salt" } };
    const char* labels[] = { "code", "sky", "sport", "food" };
    std::mt19937 rng(5);
    QString lines;
    for (int i = 0; i < 600; ++i) {
        const int c = i % 4;
        QString text;
        for (int k = 0; k < 6; ++k)
            text += QString(words[c][rng() % 3]) + (rng() % 2 ? " the " : " a ");
        lines += QString(labels[c]) + "\t" + text + "\n";
    }
    writeText(dir.filePath("texts.txt"), lines);
    for (const char* name : { "gru-text", "conv1d-text" }) {
        const auto r = cli({ "train", model(name), "--data", dir.filePath("texts.txt"), "--task", "text", "--epochs",
            "10", "--lr", "0.01", "--out", dir.filePath(name), "--threads", "2", "--json" });
        QVERIFY2(r.code == 0, qPrintable(r.err + r.out));
        QVERIFY2(r.err.contains("vocabulary of 16 (from the "), qPrintable(r.err)); // 14 words + pad + unk
        const QJsonObject m = lastJsonLine(r.out);
        QVERIFY2(m["test_accuracy"].toDouble() > 0.8,
            qPrintable(QString("%1: %2").arg(name).arg(m["test_accuracy"].toDouble())));
        QCOMPARE(m["vocabulary"].toInt(), 16);
    }
}

void TestCliSequence::regressionTemplateReportsR2()
{
    // 10 features, the target first: y = x0 + 2·x1 − x2 + noise.
    QTemporaryDir dir;
    std::mt19937 rng(8);
    std::normal_distribution<double> n01(0.0, 1.0);
    QString csv = "y";
    for (int k = 0; k < 10; ++k)
        csv += QString(",x%1").arg(k);
    csv += "\n";
    for (int i = 0; i < 300; ++i) {
        double x[10];
        for (double& v : x)
            v = n01(rng);
        csv += QString::number(50 + 10 * (x[0] + 2 * x[1] - x[2]) + n01(rng));
        for (double v : x)
            csv += "," + QString::number(v);
        csv += "\n";
    }
    writeText(dir.filePath("table.csv"), csv);
    const auto r = cli({ "train", model("mlp-regression"), "--data", dir.filePath("table.csv"), "--task", "regression",
        "--target", "y", "--epochs", "100", "--out", dir.filePath("run"), "--threads", "2", "--json" });
    QVERIFY2(r.code == 0, qPrintable(r.err + r.out));
    const QJsonObject m = lastJsonLine(r.out);
    QCOMPARE(m["task"].toString(), QString("regression"));
    QVERIFY2(m["test_r2"].toDouble() > 0.9, qPrintable(r.out));
    QVERIFY(m["test_rmse"].toDouble() < 10.0); // the target's deviation is about 24
    QVERIFY(m.contains("test_mae"));
    QVERIFY(r.out.contains("test: rmse "));
    // Asking for a classifier's loss on real-valued targets is refused with the reason.
    const auto ce = cli({ "train", model("mlp-regression"), "--data", dir.filePath("table.csv"), "--task", "regression",
        "--target", "y", "--epochs", "1", "--loss", "cross_entropy", "--out", dir.filePath("run2") });
    QVERIFY(ce.code != 0);
    QVERIFY2(ce.err.contains("has real-valued targets: choose the mse, mae or huber loss"), qPrintable(ce.err));
}

void TestCliSequence::badInputNamesFileAndLine()
{
    QTemporaryDir dir;
    QString bad = "value\n1\n2\nabc\n";
    for (int t = 0; t < 80; ++t)
        bad += QString::number(t) + "\n";
    writeText(dir.filePath("bad.csv"), bad);
    const auto r = cli({ "train", model("lstm-forecast"), "--data", dir.filePath("bad.csv"), "--task", "series",
        "--out", dir.filePath("run") });
    QVERIFY(r.code != 0);
    QVERIFY2(r.err.contains(dir.filePath("bad.csv") + ":4: column 'value': 'abc' is not a number"), qPrintable(r.err));
    writeText(dir.filePath("bad.txt"), "a\tfine\nno tab\n");
    const auto t = cli({ "train", model("gru-text"), "--data", dir.filePath("bad.txt"), "--task", "text", "--out",
        dir.filePath("run2") });
    QVERIFY(t.code != 0);
    QVERIFY2(t.err.contains(dir.filePath("bad.txt") + ":2: expected 'label<TAB>text'"), qPrintable(t.err));
    // A model whose outputs do not fit the targets is named.
    writeText(dir.filePath("ok.csv"), "value\n1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n");
    const auto h = cli({ "train", model("mlp-regression"), "--data", dir.filePath("ok.csv"), "--task", "series",
        "--window", "2", "--horizon", "3", "--out", dir.filePath("run3") });
    QVERIFY(h.code != 0);
    QVERIFY2(h.err.contains("'input'") || h.err.contains("'out'"), qPrintable(h.err));
}

QTEST_GUILESS_MAIN(TestCliSequence)
#include "test_cli_sequence.moc"
