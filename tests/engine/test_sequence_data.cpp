// Sequences and numbers: time-series windows, text sequences and tabular regression from
// files (round trips and malformed input), the regression losses (finite differences and
// PyTorch), regression metrics, and the Trainer on real-valued targets.
#include "engine/backend/Backend.h"
#include "engine/core/Error.h"
#include "engine/core/Rng.h"
#include "engine/data/DataLoader.h"
#include "engine/data/SequenceData.h"
#include "engine/data/Split.h"
#include "engine/graph/ModelJson.h"
#include "engine/train/Loss.h"
#include "engine/train/Metrics.h"
#include "engine/train/Trainer.h"

#include <nlohmann/json.hpp>

#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <filesystem>
#include <fstream>

using namespace netcanvas;
using nlohmann::json;

namespace {

std::string writeFile(const QTemporaryDir& dir, const std::string& name, const std::string& text)
{
    const std::string path = (std::filesystem::path(dir.path().toStdString()) / name).string();
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream(path, std::ios::binary) << text;
    return path;
}

// Runs f and returns the message of the netcanvas::Error it throws ("" when none).
template <typename F> std::string errorOf(F f)
{
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return {};
}

DatasetOptions seriesOptions(int window, int horizon)
{
    DatasetOptions o;
    o.task = "series";
    o.window = window;
    o.horizon = horizon;
    o.validationFraction = 0.2;
    o.testFraction = 0.2;
    return o;
}

} // namespace

class TestSequenceData : public QObject {
    Q_OBJECT
private slots:
    void seriesWindowsRoundTrip();
    void seriesSplitInTimeOrderScaledByTrainingPart();
    void seriesMissingValuesAndColumns();
    void seriesMalformedInput();
    void textLinesVocabularyFromTrainingSplit();
    void textFolderPerClass();
    void textMalformedInput();
    void tabularRegressionTargetByNameOrIndex();
    void classificationTargetColumnFirst();
    void tabularMalformedInput();
    void regressionLossGradients();
    void regressionLossesAgreeWithPyTorch();
    void regressionMetrics();
    void trainerLearnsRegression();
    void trainerForecastBeatsNaive();
    void loaderNormalizesTargets();
    void templatesLoadAndRoundTrip();
};

void TestSequenceData::seriesWindowsRoundTrip()
{
    QTemporaryDir dir;
    std::string csv = "date,value,other\n";
    for (int t = 0; t < 20; ++t)
        csv += std::to_string(20000101 + t) + "," + std::to_string(t * 2) + "," + std::to_string(100 - t) + "\n";
    const std::string path = writeFile(dir, "s.csv", csv);
    DatasetOptions o = seriesOptions(4, 2);
    o.columns = { "value", "other" };
    o.target = "value";
    const Dataset d = loadTimeSeriesCsv(path, o);
    QCOMPARE(d.size(), int64_t(20 - 4 - 2 + 1));
    QCOMPARE(d.height, 4);
    QCOMPARE(d.width, 2);
    QCOMPARE(d.targetShape, (Shape { 2 }));
    QCOMPARE(d.seriesTargetFeature, 0);
    QVERIFY(d.isRegression());
    // Back in the data's units, sample i's window is rows i..i+3 and its targets rows i+4, i+5.
    auto value = [&](float stored) { return stored * d.targetScale + d.targetOffset; };
    for (int64_t i = 0; i < d.size(); ++i) {
        for (int t = 0; t < 4; ++t)
            QVERIFY(std::abs(value(d.features[static_cast<size_t>(i * 8 + t * 2)]) - 2.0f * (i + t)) < 1e-3f);
        QVERIFY(std::abs(value(d.targets[static_cast<size_t>(i * 2)]) - 2.0f * (i + 4)) < 1e-3f);
        QVERIFY(std::abs(value(d.targets[static_cast<size_t>(i * 2 + 1)]) - 2.0f * (i + 5)) < 1e-3f);
        QCOMPARE(d.targetTime[static_cast<size_t>(i)], i + 4);
    }
    QCOMPARE(d.sources[0], path + ":6"); // header line 1, first target row 5 → line 6
    // The naive last-value forecast: window's last value (i+3)·2 for targets (i+4)·2, (i+5)·2.
    const ForecastBaseline naive = naiveLastValueForecast(d, { 0, 1, 2 });
    QVERIFY(std::abs(naive.mae - 3.0) < 1e-3); // errors 2 and 4
    QVERIFY(std::abs(naive.rmse - std::sqrt(10.0)) < 1e-3);

    // Changes: each window holds the steps between rows (all 2) and the targets are the changes
    // from the window's last value (2 and 4); the naive forecast is "no change", as wrong as before.
    o.differences = true;
    const Dataset c = loadTimeSeriesCsv(path, o);
    QVERIFY(c.seriesDifferenced);
    QCOMPARE(c.size(), int64_t(20 - 1 - 4 - 2 + 1));
    auto change = [&](float stored) { return stored * c.targetScale + c.targetOffset; };
    QVERIFY(std::abs(change(c.targets[0]) - 2.0f) < 1e-3f);
    QVERIFY(std::abs(change(c.targets[1]) - 4.0f) < 1e-3f);
    QCOMPARE(c.targetTime[0], int64_t(5)); // rows 0..4 give the first window's 4 changes
    QCOMPARE(c.series[5], 10.0f);
    const ForecastBaseline still = naiveLastValueForecast(c, { 0, 1, 2 });
    QVERIFY(std::abs(still.mae - 3.0) < 1e-3);
}

void TestSequenceData::seriesSplitInTimeOrderScaledByTrainingPart()
{
    QTemporaryDir dir;
    std::string csv = "v\n";
    for (int t = 0; t < 105; ++t)
        csv += std::to_string(t < 60 ? 1.0 + (t % 2) : 1000.0) + "\n"; // the late part is far off
    const std::string path = writeFile(dir, "s.csv", csv);
    const Dataset d = loadTimeSeriesCsv(path, seriesOptions(5, 1));
    QCOMPARE(d.size(), int64_t(100));
    const DataSplit split = splitDataset(d, 0.5, 0.5, 7); // fractions of the reader win
    QCOMPARE(split.train.size(), size_t(60));
    QCOMPARE(split.validation.size(), size_t(20));
    QCOMPARE(split.test.size(), size_t(20));
    for (size_t k = 1; k < split.train.size(); ++k)
        QVERIFY(split.train[k] == split.train[k - 1] + 1);
    QVERIFY(split.train.back() < split.validation.front());
    QVERIFY(split.validation.back() < split.test.front());
    // Scaled by rows 0..64 (training windows' inputs and targets): mostly 1s and 2s, so the
    // offset is near 1.5 + a few 1000s and the far-off test values stay large.
    QVERIFY(d.targetOffset < 100.0f);
    QVERIFY(d.targets.back() > 3.0f);
}

void TestSequenceData::seriesMissingValuesAndColumns()
{
    QTemporaryDir dir;
    std::string csv = "\"date\",\"co2\"\n";
    for (int t = 0; t < 12; ++t)
        csv += std::to_string(t) + ","
            + (t == 3        ? std::string("")
                    : t == 4 ? std::string("NA")
                             : std::to_string(t * 10))
            + "\n";
    const std::string path = writeFile(dir, "c.csv", csv);
    const Dataset d = loadTimeSeriesCsv(path, seriesOptions(2, 1));
    QCOMPARE(d.width, 1); // "date" is not a value column by default
    bool noted = false;
    for (const auto& n : d.notes)
        noted = noted
            || n.find("2 missing value(s) filled by linear interpolation (first at line 5)") != std::string::npos;
    QVERIFY2(noted, d.notes.back().c_str());
    // Row 3 interpolated between 20 and 50: 30.
    const float row3 = d.series[3]; // the data's units
    QVERIFY(std::abs(row3 - 30.0f) < 1e-3f);
}

void TestSequenceData::seriesMalformedInput()
{
    QTemporaryDir dir;
    const std::string bad = writeFile(dir, "bad.csv", "t,v\n1,2\n2,3\n3,x7\n4,5\n5,6\n6,7\n");
    QCOMPARE(
        errorOf([&] { loadTimeSeriesCsv(bad, seriesOptions(2, 1)); }), bad + ":4: column 'v': 'x7' is not a number");
    const std::string ragged = writeFile(dir, "ragged.csv", "t,v\n1,2\n2,3,4\n3,4\n4,5\n5,6\n");
    QCOMPARE(
        errorOf([&] { loadTimeSeriesCsv(ragged, seriesOptions(1, 1)); }), ragged + ":3: expected 2 columns, found 3");
    const std::string small = writeFile(dir, "small.csv", "v\n1\n2\n3\n");
    QVERIFY(
        errorOf([&] { loadTimeSeriesCsv(small, seriesOptions(5, 1)); }).find(small + ": 3 rows make 0 windows") == 0);
    DatasetOptions o = seriesOptions(2, 1);
    o.target = "nope";
    const std::string ok = writeFile(dir, "ok.csv", "a,b\n1,2\n2,3\n3,4\n4,5\n5,6\n6,7\n");
    QCOMPARE(errorOf([&] { loadTimeSeriesCsv(ok, o); }), ok + ": no target column 'nope' (columns: a, b; or 1 to 2)");
    QCOMPARE(errorOf([&] { loadTimeSeriesCsv(dir.path().toStdString() + "/none.csv", o); }),
        dir.path().toStdString() + "/none.csv: cannot open");
    const std::string empty = writeFile(dir, "empty.csv", "\n\n");
    QCOMPARE(errorOf([&] { loadTimeSeriesCsv(empty, seriesOptions(2, 1)); }), empty + ": the CSV file has no rows");
}

void TestSequenceData::textLinesVocabularyFromTrainingSplit()
{
    QTemporaryDir dir;
    std::string lines;
    for (int i = 0; i < 30; ++i)
        lines += std::string(i % 2 ? "pos\tgood fine great day " : "neg\tbad awful day ") + std::to_string(i) + "\n";
    const std::string path = writeFile(dir, "t.txt", lines);
    DatasetOptions o;
    o.task = "text";
    o.tokens = "word";
    o.sequenceLength = 3;
    o.validationFraction = 0.2;
    o.testFraction = 0.2;
    const Dataset d = loadTextDataset(path, o);
    QCOMPARE(d.size(), int64_t(30));
    QCOMPARE(d.classNames, (std::vector<std::string> { "neg", "pos" }));
    QVERIFY(d.tokenInputs);
    QCOMPARE(d.width, 3);
    QCOMPARE(d.vocabulary[0], std::string("<pad>"));
    QCOMPARE(d.vocabulary[1], std::string("<unk>"));
    QCOMPARE(d.sequenceLengths[0], 4); // "bad awful day 0"
    const DataSplit split = splitDataset(d, 0.0, 0.0, 1);
    QCOMPARE(split.test.size(), size_t(6));
    // The number tokens of test texts are not in the vocabulary: only training texts' are.
    for (int64_t i : split.test) {
        const std::string number = std::to_string(i);
        QVERIFY(std::find(d.vocabulary.begin(), d.vocabulary.end(), number) == d.vocabulary.end());
    }
    for (int64_t i : split.train) {
        const std::string number = std::to_string(i);
        QVERIFY(std::find(d.vocabulary.begin(), d.vocabulary.end(), number) != d.vocabulary.end());
    }
    // Truncated to 3 ids, no normalization of token ids.
    QCOMPARE(d.features.size(), size_t(90));
    QVERIFY(computeNormalization(d, split.train).empty());
    // Padding: a length of 6 pads the 4 tokens with two 0s.
    o.sequenceLength = 6;
    const Dataset padded = loadTextDataset(path, o);
    QCOMPARE(padded.features[4], 0.0f);
    QCOMPARE(padded.features[5], 0.0f);
    QVERIFY(padded.features[0] >= 2.0f);
    // Characters.
    QCOMPARE(tokenize("Ab  c\u00e9", "char"), (std::vector<std::string> { "a", "b", " ", "c", "\u00e9" }));
    QCOMPARE(tokenize("It's a dog's-life!", "word"), (std::vector<std::string> { "it's", "a", "dog's", "life" }));
    // A vocabulary cap keeps the most frequent: "day" (all texts) survives a cap of 3.
    o.maxVocabulary = 3;
    const Dataset capped = loadTextDataset(path, o);
    QCOMPARE(capped.vocabulary, (std::vector<std::string> { "<pad>", "<unk>", "day" }));
}

void TestSequenceData::textFolderPerClass()
{
    QTemporaryDir dir;
    for (int i = 0; i < 5; ++i) {
        writeFile(dir, "corpus/ham/" + std::to_string(i) + ".txt", "hello friend " + std::to_string(i));
        writeFile(dir, "corpus/spam/" + std::to_string(i) + ".txt", "buy now cheap " + std::to_string(i));
    }
    DatasetOptions o;
    o.task = "text";
    o.tokens = "char";
    o.sequenceLength = 8;
    o.validationFraction = 0.0;
    o.testFraction = 0.2;
    const Dataset d = openDataset(dir.path().toStdString() + "/corpus", o);
    QCOMPARE(d.size(), int64_t(10));
    QCOMPARE(d.classNames, (std::vector<std::string> { "ham", "spam" }));
    QCOMPARE(d.format, std::string("text"));
    QVERIFY(!d.examples.empty());
    QVERIFY(d.sources[0].find("ham/0.txt") != std::string::npos);
}

void TestSequenceData::textMalformedInput()
{
    QTemporaryDir dir;
    DatasetOptions o;
    o.task = "text";
    const std::string noTab = writeFile(dir, "a.txt", "pos\tfine\nneg no tab here\n");
    QCOMPARE(
        errorOf([&] { loadTextDataset(noTab, o); }), noTab + ":2: expected 'label<TAB>text' (a tab after the label)");
    const std::string noLabel = writeFile(dir, "b.txt", "pos\tfine\n\tno label\n");
    QCOMPARE(errorOf([&] { loadTextDataset(noLabel, o); }), noLabel + ":2: empty label");
    const std::string oneClass = writeFile(dir, "c.txt", "pos\tfine\npos\tgood\n");
    QCOMPARE(errorOf([&] { loadTextDataset(oneClass, o); }),
        oneClass + ": every text has the label 'pos': a classifier needs at least 2 classes");
    o.tokens = "bytes";
    QCOMPARE(errorOf([&] { loadTextDataset(noTab, o); }), std::string("tokens must be 'char' or 'word', not 'bytes'"));
    o.tokens = "word";
    o.sequenceLength = 0;
    QVERIFY(
        errorOf([&] { loadTextDataset(noTab, o); }).find("sequence length must be 1 to 100000") != std::string::npos);
    writeFile(dir, "one/only/x.txt", "x");
    o.sequenceLength = 4;
    QVERIFY(errorOf([&] {
        loadTextDataset(dir.path().toStdString() + "/one", o);
    }).find("needs one subfolder per class (at least 2), found 1")
        != std::string::npos);
}

void TestSequenceData::tabularRegressionTargetByNameOrIndex()
{
    QTemporaryDir dir;
    const std::string path = writeFile(dir, "r.csv", "price,a,b\n10.5,1,2\n20.25,3,4\n-3,5,6\n");
    DatasetOptions o;
    o.task = "regression";
    o.target = "price";
    const Dataset d = openDataset(path, o);
    QCOMPARE(d.format, std::string("csv-regression"));
    QCOMPARE(d.targets, (std::vector<float> { 10.5f, 20.25f, -3.0f }));
    QCOMPARE(d.features, (std::vector<float> { 1, 2, 3, 4, 5, 6 }));
    QCOMPARE(d.channels, 2);
    QCOMPARE(d.targetShape, (Shape { 1 }));
    o.target = "1";
    QCOMPARE(openDataset(path, o).targets, d.targets);
    // No header: the target by index, the last column by default.
    const std::string plain = writeFile(dir, "p.csv", "1,2,3.5\n4,5,6.5\n");
    o.target.clear();
    const Dataset last = openDataset(plain, o);
    QCOMPARE(last.targets, (std::vector<float> { 3.5f, 6.5f }));
    // Target normalization from the given samples only.
    const Normalization tn = computeTargetNormalization(d, { 0, 1 });
    QVERIFY(std::abs(tn.mean[0] - 15.375f) < 1e-4f);
    QVERIFY(std::abs(tn.stddev[0] - 4.875f) < 1e-4f);
}

void TestSequenceData::classificationTargetColumnFirst()
{
    QTemporaryDir dir;
    const std::string path = writeFile(dir, "c.csv", "species,x,y\nb,1,2\na,3,4\nb,5,6\n");
    DatasetOptions o;
    o.target = "species";
    const Dataset d = openDataset(path, o);
    QCOMPARE(d.classNames, (std::vector<std::string> { "a", "b" }));
    QCOMPARE(d.labels, (std::vector<int32_t> { 1, 0, 1 }));
    QCOMPARE(d.features, (std::vector<float> { 1, 2, 3, 4, 5, 6 }));
    QVERIFY(!d.isRegression());
}

void TestSequenceData::tabularMalformedInput()
{
    QTemporaryDir dir;
    DatasetOptions o;
    o.task = "regression";
    o.target = "y";
    const std::string text = writeFile(dir, "a.csv", "x,y\n1,2\n3,high\n");
    QCOMPARE(errorOf([&] { openDataset(text, o); }), text + ":3: target column 'y': 'high' is not a number");
    const std::string feature = writeFile(dir, "b.csv", "x,y\n1,2\nabc,3\n");
    QCOMPARE(errorOf([&] { openDataset(feature, o); }), feature + ":3: column 'x': 'abc' is not a number");
    const std::string ragged = writeFile(dir, "c.csv", "x,y\n1,2\n3\n");
    QCOMPARE(errorOf([&] { openDataset(ragged, o); }),
        ragged + ":3: expected 2 columns (1 features and the target 'y'), found 1");
    o.target = "z";
    QCOMPARE(errorOf([&] { openDataset(text, o); }), text + ": no target column 'z' (columns: x, y; or 1 to 2)");
    o.task = "forecast";
    QVERIFY(errorOf([&] { openDataset(text, o); }).find("unknown task 'forecast'") != std::string::npos);
}

void TestSequenceData::regressionLossGradients()
{
    Rng rng(5);
    for (LossKind kind : { LossKind::MeanSquaredError, LossKind::MeanAbsoluteError, LossKind::Huber }) {
        Tensor out(Shape { 4, 3 }), target(Shape { 4, 3 }), grad;
        for (int64_t i = 0; i < out.size(); ++i) {
            out[i] = 2.0f * rng.normal();
            target[i] = 2.0f * rng.normal();
            if (std::abs(out[i] - target[i]) < 0.05f || std::abs(std::abs(out[i] - target[i]) - 1.0f) < 0.05f)
                out[i] += 0.3f; // away from the kinks (0 and Huber's delta)
        }
        regressionLoss(kind, out, target, grad);
        Tensor scratch;
        for (int64_t i = 0; i < out.size(); ++i) {
            const float saved = out[i];
            const double eps = 1e-3;
            out[i] = saved + static_cast<float>(eps);
            const double up = regressionLoss(kind, out, target, scratch);
            out[i] = saved - static_cast<float>(eps);
            const double down = regressionLoss(kind, out, target, scratch);
            out[i] = saved;
            const double numeric = (up - down) / (2 * eps);
            QVERIFY2(std::abs(numeric - grad[i]) < 2e-3 * std::max(1.0, std::abs(numeric)),
                qPrintable(QString("%1 element %2: analytic %3, numeric %4")
                               .arg(QString::fromStdString(toString(kind)))
                               .arg(i)
                               .arg(grad[i])
                               .arg(numeric)));
        }
    }
    // Known values: errors 1 and 3.
    Tensor o(Shape { 2 }), t(Shape { 2 }), g;
    o[0] = 1;
    o[1] = 3;
    t[0] = 0;
    t[1] = 0;
    QCOMPARE(regressionLoss(LossKind::MeanSquaredError, o, t, g), 5.0f);
    QCOMPARE(regressionLoss(LossKind::MeanAbsoluteError, o, t, g), 2.0f);
    QCOMPARE(regressionLoss(LossKind::Huber, o, t, g), 1.5f); // (0.5 + 2.5) / 2
    QVERIFY(
        errorOf([&] { regressionLoss(LossKind::CrossEntropy, o, t, g); }).find("cross_entropy loss needs class labels")
        != std::string::npos);
    QVERIFY(lossKindFromString("huber") == LossKind::Huber);
    QCOMPARE(toString(LossKind::MeanAbsoluteError), std::string("mae"));
}

void TestSequenceData::regressionLossesAgreeWithPyTorch()
{
    const QString python = "/usr/bin/python3";
    if (!QFileInfo::exists(python))
        QSKIP("no /usr/bin/python3: the PyTorch cross-check needs Debian's python3 with python3-torch");
    Rng rng(11);
    Tensor out(Shape { 8, 3 }), target(Shape { 8, 3 });
    for (int64_t i = 0; i < out.size(); ++i) {
        out[i] = 1.5f * rng.normal();
        target[i] = 1.5f * rng.normal();
    }
    json cases = json::array();
    std::vector<std::pair<float, Tensor>> ours;
    for (const char* name : { "mse", "mae", "huber" }) {
        Tensor grad;
        const float loss = regressionLoss(lossKindFromString(name), out, target, grad);
        ours.push_back({ loss, grad });
        cases.push_back(name);
    }
    json in { { "losses", cases }, { "output", std::vector<float>(out.data(), out.data() + out.size()) },
        { "target", std::vector<float>(target.data(), target.data() + target.size()) } };
    const QString script = "import json,sys\n"
                           "try:\n  import torch\nexcept ImportError as e:\n"
                           "  sys.stderr.write('PyTorch is not installed for /usr/bin/python3: %s' % e); sys.exit(77)\n"
                           "d = json.load(sys.stdin); res = []\n"
                           "fn = {'mse': torch.nn.MSELoss(), 'mae': torch.nn.L1Loss(), 'huber': torch.nn.HuberLoss()}\n"
                           "for k in d['losses']:\n"
                           "  o = torch.tensor(d['output'], dtype=torch.float64, requires_grad=True)\n"
                           "  t = torch.tensor(d['target'], dtype=torch.float64)\n"
                           "  l = fn[k](o, t); l.backward()\n"
                           "  res.append({'loss': l.item(), 'grad': o.grad.tolist()})\n"
                           "print(json.dumps(res))\n";
    QProcess proc;
    proc.start(python, { "-c", script });
    proc.write(QByteArray::fromStdString(in.dump()));
    proc.closeWriteChannel();
    QVERIFY2(proc.waitForFinished(120000), "python3 did not finish");
    const QString err = QString::fromUtf8(proc.readAllStandardError()).trimmed();
    if (proc.exitCode() == 77)
        QSKIP(qPrintable("PyTorch cross-check skipped: " + err));
    QVERIFY2(proc.exitCode() == 0, qPrintable(err));
    const json res = json::parse(proc.readAllStandardOutput().toStdString());
    QCOMPARE(res.size(), size_t(3));
    for (size_t k = 0; k < 3; ++k) {
        const double theirs = res[k]["loss"].get<double>();
        QVERIFY2(std::abs(ours[k].first - theirs) < 1e-5 * (1 + std::abs(theirs)),
            qPrintable(QString("%1: ours %2, PyTorch %3")
                           .arg(cases[k].get<std::string>().c_str())
                           .arg(ours[k].first)
                           .arg(theirs)));
        for (int64_t i = 0; i < out.size(); ++i)
            QVERIFY(std::abs(ours[k].second[i] - res[k]["grad"][static_cast<size_t>(i)].get<double>()) < 1e-6);
    }
}

void TestSequenceData::regressionMetrics()
{
    RegressionMetrics m;
    const float p[] = { 1, 2, 3, 5 };
    const float t[] = { 1, 2, 3, 4 };
    m.add(p, t, 2);
    m.add(p + 2, t + 2, 2);
    QCOMPARE(m.count(), int64_t(4));
    QVERIFY(std::abs(m.rmse() - 0.5) < 1e-12);
    QVERIFY(std::abs(m.mae(2.0) - 0.5) < 1e-12);
    QVERIFY(std::abs(m.r2() - (1.0 - 1.0 / 5.0)) < 1e-12); // SST of 1..4 = 5
    RegressionMetrics constant;
    constant.add(t, t, 1);
    QVERIFY(std::isnan(constant.r2()));
}

namespace {

ModelGraph denseModel(int inputs, int outputs, int hidden)
{
    json nodes = json::array();
    nodes.push_back({ { "id", "input" }, { "type", "Input" },
        { "params", { { "channels", 1 }, { "height", 1 }, { "width", inputs } } } });
    nodes.push_back({ { "id", "flat" }, { "type", "Flatten" }, { "inputs", { "input" } } });
    nodes.push_back(
        { { "id", "fc" }, { "type", "Dense" }, { "inputs", { "flat" } }, { "params", { { "units", hidden } } } });
    nodes.push_back({ { "id", "act" }, { "type", "Tanh" }, { "inputs", { "fc" } } });
    nodes.push_back(
        { { "id", "out" }, { "type", "Dense" }, { "inputs", { "act" } }, { "params", { { "units", outputs } } } });
    json model { { "format", "netcanvas-model" }, { "version", 1u }, { "name", "reg" }, { "nodes", nodes } };
    return modelFromJson(model);
}

} // namespace

void TestSequenceData::trainerLearnsRegression()
{
    // y = 3·x0 − 2·x1 + 100 in 200 samples: R² near 1 and RMSE in the data's units.
    Dataset d;
    d.root = "synthetic";
    d.format = "csv-regression";
    d.channels = 1;
    d.height = 1;
    d.width = 2;
    d.targetShape = Shape { 1 };
    Rng rng(3);
    for (int i = 0; i < 200; ++i) {
        const float a = rng.normal(), b = rng.normal();
        d.features.push_back(a);
        d.features.push_back(b);
        d.targets.push_back(3 * a - 2 * b + 100);
        d.labels.push_back(0);
        d.sources.push_back("row" + std::to_string(i));
    }
    auto backend = createCpuBackend(2);
    TrainConfig cfg;
    cfg.epochs = 40;
    cfg.batchSize = 16;
    cfg.optimizer.kind = "adam";
    cfg.optimizer.learningRate = 0.01;
    cfg.loss = LossKind::CrossEntropy;
    Trainer bad(denseModel(2, 1, 8), cfg, *backend);
    const DataSplit split = splitDataset(d, 0.1, 0.2, 1);
    QVERIFY(errorOf([&] { bad.fit(d, split); }).find("choose the mse, mae or huber loss") != std::string::npos);
    cfg.loss = LossKind::Huber;
    Trainer trainer(denseModel(2, 1, 8), cfg, *backend);
    std::vector<double> rmse;
    trainer.setOnEpoch([&](const EpochEvent& e) {
        QVERIFY(e.regression);
        QVERIFY(std::isnan(e.trainAccuracy));
        rmse.push_back(e.validationRmse);
    });
    const TrainResult r = trainer.fit(d, split);
    QCOMPARE(r.epochsCompleted, 40);
    QVERIFY(rmse.back() < rmse.front());
    QVERIFY(std::abs(trainer.targetNormalization().mean[0] - 100.0f) < 1.0f);
    const EvalResult test = trainer.evaluate(d, split.test);
    QVERIFY(test.regression);
    QVERIFY2(test.r2 > 0.95, qPrintable(QString("R² %1").arg(test.r2)));
    QVERIFY(test.rmse < 1.0); // the target's deviation is about 3.6
    QCOMPARE(test.predicted.size(), split.test.size());
    QCOMPARE(test.actual[0], d.targets[static_cast<size_t>(split.test[0])]);
    // A model with another number of outputs: the error names the output node and both sizes.
    Trainer wrong(denseModel(2, 3, 8), cfg, *backend);
    QVERIFY(errorOf([&] {
        wrong.fit(d, split);
    }).find("'out' gives 3 values per sample, but the targets of 'synthetic' are 1")
        != std::string::npos);
}

void TestSequenceData::trainerForecastBeatsNaive()
{
    // A noisy sine with period 12: a small network on 12-step windows beats "the last value".
    QTemporaryDir dir;
    std::string csv = "v\n";
    Rng rng(9);
    for (int t = 0; t < 400; ++t)
        csv += std::to_string(10 + 5 * std::sin(2 * 3.14159265 * t / 12.0) + 0.2 * rng.normal()) + "\n";
    const std::string path = writeFile(dir, "sine.csv", csv);
    const Dataset d = loadTimeSeriesCsv(path, seriesOptions(12, 1));
    auto backend = createCpuBackend(2);
    TrainConfig cfg;
    cfg.epochs = 25;
    cfg.batchSize = 16;
    cfg.optimizer.kind = "adam";
    cfg.optimizer.learningRate = 0.01;
    cfg.loss = LossKind::MeanSquaredError;
    Trainer trainer(denseModel(12, 1, 16), cfg, *backend);
    const DataSplit split = splitDataset(d, 0, 0, 1);
    trainer.fit(d, split);
    const EvalResult test = trainer.evaluate(d, split.test);
    const ForecastBaseline naive = naiveLastValueForecast(d, split.test);
    QVERIFY2(test.rmse < 0.5 * naive.rmse, qPrintable(QString("model %1, naive %2").arg(test.rmse).arg(naive.rmse)));
    // Predictions come back in the data's units (around 10).
    QVERIFY(std::abs(test.actual[0] - 10.0f) < 6.0f);
}

void TestSequenceData::loaderNormalizesTargets()
{
    Dataset d;
    d.root = "t";
    d.channels = 1;
    d.height = 1;
    d.width = 1;
    d.targetShape = Shape { 2 };
    d.features = { 0, 1, 2 };
    d.targets = { 1, 2, 3, 4, 5, 6 };
    d.labels = { 0, 0, 0 };
    LoaderOptions opt;
    opt.batchSize = 2;
    opt.shuffle = false;
    opt.targetNormalization.mean = { 2.0f };
    opt.targetNormalization.stddev = { 2.0f };
    DataLoader loader(d, { 0, 1, 2 }, opt);
    loader.startEpoch(0);
    Batch b;
    QVERIFY(loader.next(b));
    QCOMPARE(b.targets.shape(), (Shape { 2, 2 }));
    QCOMPARE(b.targets[0], -0.5f);
    QCOMPARE(b.targets[3], 1.0f);
    QVERIFY(loader.next(b));
    QCOMPARE(b.targets.shape(), (Shape { 1, 2 }));
    QCOMPARE(b.targets[1], 2.0f);
}

void TestSequenceData::templatesLoadAndRoundTrip()
{
    struct Case {
        const char* file;
        Shape input, output;
        LossKind loss;
    };
    for (const Case& c : { Case { "lstm-forecast", Shape { 1, 52, 1 }, Shape { 1 }, LossKind::MeanSquaredError },
             Case { "gru-text", Shape { 1, 1, 64 }, Shape { 4 }, LossKind::CrossEntropy },
             Case { "conv1d-text", Shape { 1, 1, 64 }, Shape { 4 }, LossKind::CrossEntropy },
             Case { "mlp-regression", Shape { 10, 1, 1 }, Shape { 1 }, LossKind::MeanSquaredError } }) {
        const ModelGraph g = loadModelFile(std::string(NETCANVAS_SOURCE_DIR) + "/models/" + c.file + ".json");
        const GraphAnalysis a = g.validate();
        QVERIFY2(a.ok, c.file);
        QCOMPARE(a.inputShape, c.input);
        QCOMPARE(a.outputShape, c.output);
        QVERIFY(!g.description.empty());
        QVERIFY(trainConfigFromJson(g.training).loss == c.loss);
        QCOMPARE(serializeModel(parseModelJson(serializeModel(g))), serializeModel(g));
    }
}

QTEST_APPLESS_MAIN(TestSequenceData)
#include "test_sequence_data.moc"
