// netcanvas-cli end to end, as a user runs it: info, train, eval, predict and its errors.
#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <random>

namespace {

struct Run {
    int code = -1;
    QString out, err;
};

Run cli(const QStringList& args, int timeoutMs = 120000)
{
    QProcess p;
    p.start(QStringLiteral(NETCANVAS_CLI_PATH), args);
    Run r;
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished();
        r.err = "timed out";
        return r;
    }
    r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

QJsonObject lastJsonLine(const QString& out)
{
    const QStringList lines = out.split('\n', Qt::SkipEmptyParts);
    return lines.isEmpty() ? QJsonObject() : QJsonDocument::fromJson(lines.last().toUtf8()).object();
}

// Three classes of 16×16 gray images: a horizontal bar, a vertical bar, a centred square.
void writeDataset(const QString& root, int perClass)
{
    std::mt19937 rng(7);
    std::uniform_int_distribution<int> pos(2, 13), noise(0, 40);
    const char* names[] = {"horizontal", "square", "vertical"};
    for (int c = 0; c < 3; ++c) {
        QDir().mkpath(root + "/" + names[c]);
        for (int i = 0; i < perClass; ++i) {
            cv::Mat img(16, 16, CV_8UC1);
            for (int y = 0; y < 16; ++y)
                for (int x = 0; x < 16; ++x)
                    img.at<uint8_t>(y, x) = static_cast<uint8_t>(noise(rng));
            const int p = pos(rng);
            for (int k = 0; k < 16; ++k) {
                if (c == 0)
                    img.at<uint8_t>(p, k) = 255;
                if (c == 2)
                    img.at<uint8_t>(k, p) = 255;
            }
            if (c == 1)
                img(cv::Rect(5, 5, 6, 6)).setTo(255);
            cv::imwrite(QString("%1/%2/%3.png").arg(root, names[c]).arg(i).toStdString(), img);
        }
    }
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
        const Run r = cli({"info", m_model});
        QCOMPARE(r.code, 0);
        QVERIFY2(r.out.contains("8,323"), qPrintable(r.out)); // 256·32+32 + 32·3+3
        QVERIFY(r.out.contains("fc2"));
        const Run j = cli({"info", m_model, "--json"});
        QCOMPARE(j.code, 0);
        QCOMPARE(lastJsonLine(j.out)["total_params"].toInt(), 8323);
    }

    void layersListsTheRegistry()
    {
        const Run r = cli({"layers"});
        QCOMPARE(r.code, 0);
        for (const char* t : {"Conv2D", "Dense", "BatchNorm", "Dropout", "Concat", "GlobalAvgPool2D"})
            QVERIFY2(r.out.contains(t), t);
    }

    void trainEvalPredict()
    {
        const QString out = m_dir.filePath("run");
        const Run t = cli({"train", m_model, "--data", m_data, "--out", out, "--json", "--threads", "2"});
        QVERIFY2(t.code == 0, qPrintable(t.err));
        const QJsonObject m = lastJsonLine(t.out);
        QVERIFY2(m.contains("test_accuracy"), qPrintable(t.out));
        QVERIFY2(m["test_accuracy"].toDouble() > 0.85, qPrintable(t.out));
        QCOMPARE(m["epochs"].toInt(), 10);
        QVERIFY(m["samples_per_second"].toDouble() > 0);
        QVERIFY(m.contains("test_loss"));
        QVERIFY2(t.err.contains("broken.png"), qPrintable(t.err)); // skipped and reported
        for (const char* f : {"weights.safetensors", "model.json", "metrics.json", "history.csv",
                              "checkpoints/last.safetensors", "checkpoints/best.safetensors"})
            QVERIFY2(QFile::exists(out + "/" + f), f);

        const Run e = cli({"eval", "--weights", out + "/weights.safetensors", "--data", m_data, "--json"});
        QVERIFY2(e.code == 0, qPrintable(e.err));
        QCOMPARE(lastJsonLine(e.out)["test_accuracy"].toDouble(), m["test_accuracy"].toDouble());
        const Run table = cli({"eval", "--weights", out + "/weights.safetensors", "--data", m_data, "--csv",
                               m_dir.filePath("cm.csv")});
        QCOMPARE(table.code, 0);
        QVERIFY(table.out.contains("Confusion matrix"));
        QVERIFY(table.out.contains("precision"));
        QVERIFY(QFile::exists(m_dir.filePath("cm.csv")));

        const Run p = cli({"predict", "--weights", out + "/weights.safetensors", m_data + "/vertical/3.png", "--json"});
        QVERIFY2(p.code == 0, qPrintable(p.err));
        const QJsonObject pj = lastJsonLine(p.out);
        QCOMPARE(pj["top"].toArray().first().toObject()["class"].toString(), QString("vertical"));
        QVERIFY(pj["top"].toArray().first().toObject()["probability"].toDouble() > 0.5);
    }

    void errorsAreOneClearLine()
    {
        QFile bad(m_dir.filePath("bad.json"));
        QVERIFY(bad.open(QIODevice::WriteOnly));
        bad.write("{\n \"nodes\": [\n  {\"id\": \"x\" \"type\": \"Input\"}\n ]\n}");
        bad.close();
        Run r = cli({"info", bad.fileName()});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("bad.json:3:"), qPrintable(r.err));
        QCOMPARE(r.err.trimmed().count('\n'), 0);

        r = cli({"train", m_model, "--data", m_dir.filePath("nowhere")});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("nowhere"), qPrintable(r.err));

        // Output units that do not match the classes: named node, both numbers.
        QString wrong = QString(kModel).replace("\"units\": 3", "\"units\": 5");
        QFile w(m_dir.filePath("wrong.json"));
        QVERIFY(w.open(QIODevice::WriteOnly));
        w.write(wrong.toUtf8());
        w.close();
        r = cli({"train", w.fileName(), "--data", m_data});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("fc2") && r.err.contains("3 classes"), qPrintable(r.err));

        r = cli({"train", m_model, "--data", m_data, "--optimizer", "magic"});
        QVERIFY(r.code != 0);
    }
};

QTEST_GUILESS_MAIN(TestCli)
#include "test_cli.moc"
