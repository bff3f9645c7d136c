// Tests of engine/data: dataset formats (folder-per-class, IDX, CSV), splits,
// normalization and the prefetching DataLoader. Fixtures are generated in a QTemporaryDir.
#include "engine/core/Error.h"
#include "engine/data/DataLoader.h"
#include "engine/data/Dataset.h"
#include "engine/data/Split.h"

#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QtTest>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <random>
#include <set>

using namespace netcanvas;
namespace fs = std::filesystem;

namespace {

void writeFile(const std::string& path, const std::string& bytes)
{
    std::ofstream out(path, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string idxBytes(uint8_t type, const std::vector<int>& dims, const std::vector<uint8_t>& data, uint8_t magic0 = 0)
{
    std::string s;
    s.push_back(static_cast<char>(magic0));
    s.push_back(0);
    s.push_back(static_cast<char>(type));
    s.push_back(static_cast<char>(dims.size()));
    for (int d : dims) {
        s.push_back(static_cast<char>((d >> 24) & 0xff));
        s.push_back(static_cast<char>((d >> 16) & 0xff));
        s.push_back(static_cast<char>((d >> 8) & 0xff));
        s.push_back(static_cast<char>(d & 0xff));
    }
    s.append(data.begin(), data.end());
    return s;
}

void writeGz(const std::string& path, const std::string& bytes)
{
    gzFile f = gzopen(path.c_str(), "wb");
    QVERIFY(f != nullptr);
    QCOMPARE(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())), static_cast<int>(bytes.size()));
    gzclose(f);
}

// n images of h×w with pixel (i, y, x) = (i*31 + y*7 + x) & 255, and labels i % classes.
void makeIdxSet(const std::string& dir, const std::string& prefix, int n, int h, int w, int classes, bool gz,
    std::vector<uint8_t>* pixelsOut = nullptr, std::vector<uint8_t>* labelsOut = nullptr)
{
    std::vector<uint8_t> pixels, labels;
    for (int i = 0; i < n; ++i) {
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < w; ++x)
                pixels.push_back(static_cast<uint8_t>((i * 31 + y * 7 + x) & 255));
        labels.push_back(static_cast<uint8_t>(i % classes));
    }
    const std::string img = idxBytes(0x08, { n, h, w }, pixels);
    const std::string lab = idxBytes(0x08, { n }, labels);
    const std::string ext = gz ? ".gz" : "";
    if (gz) {
        writeGz(dir + "/" + prefix + "-images-idx3-ubyte" + ext, img);
        writeGz(dir + "/" + prefix + "-labels-idx1-ubyte" + ext, lab);
    } else {
        writeFile(dir + "/" + prefix + "-images-idx3-ubyte", img);
        writeFile(dir + "/" + prefix + "-labels-idx1-ubyte", lab);
    }
    if (pixelsOut)
        *pixelsOut = pixels;
    if (labelsOut)
        *labelsOut = labels;
}

// Expects `f` to throw E whose message contains every one of `parts`.
template <typename E, typename F> void expectThrow(F&& f, std::initializer_list<std::string> parts)
{
    try {
        f();
    } catch (const E& e) {
        const std::string msg = e.what();
        for (const auto& p : parts)
            QVERIFY2(msg.find(p) != std::string::npos, ("message '" + msg + "' lacks '" + p + "'").c_str());
        return;
    } catch (const std::exception& e) {
        QFAIL((std::string("wrong exception type: ") + e.what()).c_str());
    }
    QFAIL("no exception thrown");
}

// A hand-made image dataset: n samples C×H×W, sample i filled with value (i*13 + k) & 255,
// label i % classes.
Dataset makeImageDataset(int n, int c, int h, int w, int classes)
{
    Dataset ds;
    ds.channels = c;
    ds.height = h;
    ds.width = w;
    ds.root = "memory";
    ds.format = "test";
    for (int k = 0; k < classes; ++k)
        ds.classNames.push_back(std::string("c").append(std::to_string(k)));
    const int64_t ss = ds.sampleSize();
    ds.pixels.resize(static_cast<size_t>(n * ss));
    for (int i = 0; i < n; ++i) {
        for (int64_t k = 0; k < ss; ++k)
            ds.pixels[static_cast<size_t>(i * ss + k)] = static_cast<uint8_t>((i * 13 + k) & 255);
        ds.labels.push_back(i % classes);
        ds.sources.push_back(std::string("memory#").append(std::to_string(i)));
    }
    return ds;
}

std::vector<int64_t> iota(int64_t n)
{
    std::vector<int64_t> v(static_cast<size_t>(n));
    std::iota(v.begin(), v.end(), int64_t(0));
    return v;
}

// Collects a whole epoch: the indices in order, and each batch's size.
std::vector<int64_t> runEpoch(DataLoader& loader, int epoch, std::vector<int64_t>* sizes = nullptr)
{
    loader.startEpoch(epoch);
    std::vector<int64_t> seen;
    Batch b;
    while (loader.next(b)) {
        if (sizes)
            sizes->push_back(b.size());
        seen.insert(seen.end(), b.indices.begin(), b.indices.end());
    }
    return seen;
}

} // namespace

class TestData : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_tmp;
    std::string path(const std::string& rel) const { return m_tmp.path().toStdString() + "/" + rel; }

    // animals/: cat (color 40×30, gray 20×20, BGRA png, 16-bit png, corrupt png, 0-byte png,
    // notes.txt), dog (jpg + bmp, upper-case extension).
    std::string makeAnimals()
    {
        const std::string root = path("animals");
        fs::create_directories(root + "/cat");
        fs::create_directories(root + "/dog");
        cv::Mat blue(30, 40, CV_8UC3, cv::Scalar(255, 0, 0)); // BGR: pure blue
        cv::imwrite(root + "/cat/a_blue.png", blue);
        cv::Mat gray(20, 20, CV_8UC1, cv::Scalar(100));
        cv::imwrite(root + "/cat/b_gray.png", gray);
        cv::Mat bgra(16, 16, CV_8UC4, cv::Scalar(0, 0, 255, 0)); // red but fully transparent → black
        cv::imwrite(root + "/cat/c_alpha.png", bgra);
        cv::Mat g16(16, 16, CV_16UC1, cv::Scalar(65535)); // 16-bit white
        cv::imwrite(root + "/cat/d_16bit.png", g16);
        std::string junk(300, '\0');
        std::mt19937 gen(42);
        for (auto& ch : junk)
            ch = static_cast<char>(gen() & 0xff);
        writeFile(root + "/cat/e_corrupt.png", junk);
        writeFile(root + "/cat/f_empty.png", "");
        writeFile(root + "/cat/notes.txt", "not an image");
        cv::Mat green(24, 24, CV_8UC3, cv::Scalar(0, 255, 0));
        cv::imwrite(root + "/dog/a_green.jpg", green);
        cv::imwrite(root + "/dog/b_green.BMP", green);
        return root;
    }

private slots:
    void initTestCase() { QVERIFY(m_tmp.isValid()); }

    // ---------------------------------------------------------------- folder per class
    void folderPerClass()
    {
        const std::string root = makeAnimals();
        DatasetOptions opt;
        opt.channels = 3;
        opt.height = 8;
        opt.width = 8;
        Dataset ds = openDataset(root, opt);
        QCOMPARE(ds.format, std::string("folder"));
        QCOMPARE(ds.classNames, (std::vector<std::string> { "cat", "dog" }));
        QCOMPARE(ds.size(), int64_t(6)); // 4 readable cats + 2 dogs
        QCOMPARE(ds.labels, (std::vector<int32_t> { 0, 0, 0, 0, 1, 1 }));
        QCOMPARE(ds.sampleShape(), (Shape { 3, 8, 8 }));
        QCOMPARE(ds.pixels.size(), size_t(6 * 3 * 64));
        QVERIFY(ds.features.empty());
        QVERIFY(ds.isImages());
        QVERIFY(ds.sources[0].find("a_blue.png") != std::string::npos);
        QVERIFY(ds.sources[5].find("b_green.BMP") != std::string::npos);

        // Two skipped files, named, with reasons; notes.txt ignored.
        QCOMPARE(ds.skipped.size(), size_t(2));
        QVERIFY(ds.skipped[0].path.find("e_corrupt.png") != std::string::npos);
        QVERIFY(!ds.skipped[0].reason.empty());
        QVERIFY(ds.skipped[1].path.find("f_empty.png") != std::string::npos);
        QVERIFY(ds.skipped[1].reason.find("empty") != std::string::npos);

        auto px = [&](int64_t i, int c, int y, int x) {
            return ds.pixels[static_cast<size_t>(i * ds.sampleSize() + (c * 8 + y) * 8 + x)];
        };
        // Blue stored RGB: R=0, G=0, B=255.
        QCOMPARE(int(px(0, 0, 4, 4)), 0);
        QCOMPARE(int(px(0, 2, 4, 4)), 255);
        // Gray replicated to 3 channels.
        QCOMPARE(int(px(1, 0, 3, 3)), 100);
        QCOMPARE(int(px(1, 1, 3, 3)), 100);
        // Transparent red composited over black.
        QCOMPARE(int(px(2, 0, 3, 3)), 0);
        // 16-bit white → 255.
        QCOMPARE(int(px(3, 1, 3, 3)), 255);
        // Green jpg: G high, R and B low (JPEG is lossy).
        QVERIFY(px(4, 1, 4, 4) > 240);
        QVERIFY(px(4, 0, 4, 4) < 15);

        // Grayscale target.
        opt.channels = 1;
        Dataset g = loadImageFolder(root, opt);
        QCOMPARE(g.sampleShape(), (Shape { 1, 8, 8 }));
        QCOMPARE(g.size(), int64_t(6));
        QCOMPARE(int(g.pixels[static_cast<size_t>(1 * 64 + 10)]), 100);
        std::vector<int64_t> counts = g.classCounts();
        QCOMPARE(counts, (std::vector<int64_t> { 4, 2 }));
    }

    void folderGeometryFromFirstImage()
    {
        const std::string root = path("firstgeom");
        fs::create_directories(root + "/a");
        fs::create_directories(root + "/b");
        writeFile(root + "/a/0_broken.png", "garbage");
        cv::imwrite(root + "/a/1.png", cv::Mat(12, 10, CV_8UC1, cv::Scalar(7)));
        cv::imwrite(root + "/b/1.png", cv::Mat(30, 30, CV_8UC3, cv::Scalar(1, 2, 3)));
        Dataset ds = loadImageFolder(root);
        QCOMPARE(ds.sampleShape(), (Shape { 1, 12, 10 })); // the first readable image: gray 10 wide, 12 high
        QCOMPARE(ds.size(), int64_t(2));
        QCOMPARE(ds.skipped.size(), size_t(1));

        int calls = 0;
        DatasetOptions cancel;
        cancel.progress = [&](int64_t, int64_t) {
            ++calls;
            return false;
        };
        expectThrow<DataError>([&] { loadImageFolder(root, cancel); }, { "cancelled" });
        QVERIFY(calls > 0);
    }

    void folderReadsWebp()
    {
        // webp is listed like the other formats (the label store scans it too, so exports read back whole).
        const std::string root = path("webp");
        fs::create_directories(root + "/a");
        fs::create_directories(root + "/b");
        QVERIFY(cv::imwrite(
            root + "/a/1.webp", cv::Mat(8, 8, CV_8UC1, cv::Scalar(200)), { cv::IMWRITE_WEBP_QUALITY, 101 }));
        cv::imwrite(root + "/b/1.png", cv::Mat(8, 8, CV_8UC1, cv::Scalar(40)));
        Dataset ds = loadImageFolder(root);
        QCOMPARE(ds.size(), int64_t(2));
        QCOMPARE(ds.skipped.size(), size_t(0));
        QCOMPARE(int(ds.pixels[0]), 200); // lossless: the pixel survives
    }

    void resizePolicies()
    {
        // 40 wide × 20 high, white in the middle columns [10, 30), black at both ends.
        cv::Mat m(20, 40, CV_8UC1, cv::Scalar(0));
        m(cv::Rect(10, 0, 20, 20)).setTo(255);
        const std::string file = path("policy.png");
        cv::imwrite(file, m);

        std::vector<uint8_t> crop = loadImageSample(file, 1, 20, 20, ResizePolicy::CenterCrop);
        QCOMPARE(crop.size(), size_t(400));
        QVERIFY(std::all_of(crop.begin(), crop.end(), [](uint8_t v) { return v == 255; }));

        std::vector<uint8_t> stretch = loadImageSample(file, 1, 20, 20, ResizePolicy::Stretch);
        QCOMPARE(int(stretch[10 * 20 + 0]), 0); // left edge still black
        QCOMPARE(int(stretch[10 * 20 + 10]), 255); // middle white

        // Pad: 40×20 fits as 20×10, rows 5..14, black above and below.
        std::vector<uint8_t> pad = loadImageSample(file, 3, 20, 20, ResizePolicy::Pad);
        QCOMPARE(pad.size(), size_t(3 * 400));
        QCOMPARE(int(pad[0 * 20 + 10]), 0); // top row: padding
        QCOMPARE(int(pad[19 * 20 + 10]), 0); // bottom row: padding
        QCOMPARE(int(pad[10 * 20 + 10]), 255); // centre: image
        QCOMPARE(int(pad[2 * 400 + 10 * 20 + 10]), 255); // blue plane too (gray → RGB)

        // Geometry 0 = native.
        std::vector<uint8_t> native = loadImageSample(file, 1, 0, 0);
        QCOMPARE(native.size(), size_t(800));

        QCOMPARE(resizePolicyFromString("pad"), ResizePolicy::Pad);
        QCOMPARE(resizePolicyFromString("crop"), ResizePolicy::CenterCrop);
        QCOMPARE(resizePolicyFromString("stretch"), ResizePolicy::Stretch);
        expectThrow<FormatError>([] { resizePolicyFromString("zoom"); }, { "zoom" });
        expectThrow<DataError>([&] { loadImageSample(path("nope.png"), 1, 8, 8); }, { "nope.png" });
        writeFile(path("bad.jpg"), "xxxx");
        expectThrow<DataError>([&] { loadImageSample(path("bad.jpg"), 1, 8, 8); }, { "bad.jpg" });
    }

    void folderErrors()
    {
        const std::string root = path("emptyclass");
        fs::create_directories(root + "/full");
        fs::create_directories(root + "/hollow");
        cv::imwrite(root + "/full/1.png", cv::Mat(8, 8, CV_8UC1, cv::Scalar(1)));
        writeFile(root + "/hollow/readme.txt", "no images");
        expectThrow<DataError>([&] { loadImageFolder(root); }, { "hollow" });

        // A class whose only image is corrupt is empty too.
        const std::string root2 = path("corruptclass");
        fs::create_directories(root2 + "/ok");
        fs::create_directories(root2 + "/bad");
        cv::imwrite(root2 + "/ok/1.png", cv::Mat(8, 8, CV_8UC1, cv::Scalar(1)));
        writeFile(root2 + "/bad/1.png", "garbage bytes");
        expectThrow<DataError>([&] { openDataset(root2); }, { "bad", "1.png" });

        // No class folders at all.
        const std::string flat = path("flat");
        fs::create_directories(flat);
        cv::imwrite(flat + "/1.png", cv::Mat(8, 8, CV_8UC1, cv::Scalar(1)));
        expectThrow<DataError>([&] { openDataset(flat); }, { flat, "subfolder per class" });

        expectThrow<IoError>([&] { openDataset(path("does-not-exist")); }, { "does-not-exist" });
    }

    // ---------------------------------------------------------------- IDX
    void idxRoundTrip()
    {
        for (bool gz : { false, true }) {
            const std::string dir = path(gz ? "idx-gz" : "idx-plain");
            fs::create_directories(dir);
            std::vector<uint8_t> trainPixels, trainLabels, testPixels, testLabels;
            makeIdxSet(dir, "train", 7, 4, 3, 3, gz, &trainPixels, &trainLabels);
            makeIdxSet(dir, "t10k", 2, 4, 3, 3, gz, &testPixels, &testLabels);

            IdxArray a = readIdxFile(dir + "/train-images-idx3-ubyte" + (gz ? ".gz" : ""));
            QCOMPARE(a.dims, (std::vector<int> { 7, 4, 3 }));
            QCOMPARE(a.data, trainPixels);

            Dataset ds = openDataset(dir);
            QCOMPARE(ds.format, std::string("idx"));
            QCOMPARE(ds.size(), int64_t(9));
            QCOMPARE(ds.officialTestBegin, int64_t(7));
            QCOMPARE(ds.sampleShape(), (Shape { 1, 4, 3 }));
            std::vector<uint8_t> all = trainPixels;
            all.insert(all.end(), testPixels.begin(), testPixels.end());
            QCOMPARE(ds.pixels, all);
            std::vector<int32_t> labels(trainLabels.begin(), trainLabels.end());
            labels.insert(labels.end(), testLabels.begin(), testLabels.end());
            QCOMPARE(ds.labels, labels);
            QCOMPARE(ds.numClasses(), 10); // digits, at least 10
            QCOMPARE(ds.classNames[3], std::string("3"));
            QVERIFY(ds.sources[8].find("t10k-images") != std::string::npos);
        }

        // classes.txt wins; another geometry is fitted.
        const std::string dir = path("idx-named");
        fs::create_directories(dir);
        makeIdxSet(dir, "train", 6, 4, 4, 3, true);
        writeFile(dir + "/classes.txt", "red\ngreen\nblue\n");
        DatasetOptions opt;
        opt.channels = 3;
        opt.height = 8;
        opt.width = 8;
        Dataset ds = loadIdxDataset(dir, opt);
        QCOMPARE(ds.classNames, (std::vector<std::string> { "red", "green", "blue" }));
        QCOMPARE(ds.officialTestBegin, int64_t(-1));
        QCOMPARE(ds.sampleShape(), (Shape { 3, 8, 8 }));
        QCOMPARE(ds.pixels.size(), size_t(6 * 3 * 64));

        // Prefixed names (EMNIST style).
        const std::string emnist = path("emnist");
        fs::create_directories(emnist);
        makeIdxSet(emnist, "emnist-digits-train", 4, 3, 3, 2, true);
        makeIdxSet(emnist, "emnist-digits-test", 2, 3, 3, 2, true);
        Dataset e = openDataset(emnist);
        QCOMPARE(e.size(), int64_t(6));
        QCOMPARE(e.officialTestBegin, int64_t(4));

        // "fashion" in the path → Fashion-MNIST names.
        const std::string fashion = path("my-fashion-set");
        fs::create_directories(fashion);
        makeIdxSet(fashion, "train", 10, 2, 2, 10, false);
        Dataset f = openDataset(fashion);
        QCOMPARE(f.numClasses(), 10);
        QCOMPARE(f.classNames[0], std::string("T-shirt/top"));
        QCOMPARE(f.classNames[9], std::string("Ankle boot"));
    }

    void idxErrors()
    {
        const std::string dir = path("idx-bad");
        fs::create_directories(dir);
        std::vector<uint8_t> px(5 * 4, 1), lab(5, 1);

        // Truncated, plain and gzipped: the message names the file.
        std::string full = idxBytes(0x08, { 5, 2, 2 }, px);
        writeFile(dir + "/trunc-idx3-ubyte", full.substr(0, full.size() - 3));
        expectThrow<FormatError>([&] { readIdxFile(dir + "/trunc-idx3-ubyte"); }, { "trunc-idx3-ubyte", "truncated" });
        writeGz(dir + "/trunc2-idx3-ubyte.gz", full.substr(0, full.size() - 3));
        expectThrow<FormatError>(
            [&] { readIdxFile(dir + "/trunc2-idx3-ubyte.gz"); }, { "trunc2-idx3-ubyte.gz", "truncated" });
        writeFile(dir + "/short-idx3-ubyte", std::string("\0\0", 2));
        expectThrow<FormatError>([&] { readIdxFile(dir + "/short-idx3-ubyte"); }, { "short-idx3-ubyte" });
        // A gzip stream cut in the middle.
        {
            writeGz(dir + "/whole.gz", idxBytes(0x08, { 200, 10, 10 }, std::vector<uint8_t>(20000, 7)));
            std::ifstream in(dir + "/whole.gz", std::ios::binary);
            std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
            writeFile(dir + "/cut-idx3-ubyte.gz", bytes.substr(0, bytes.size() / 2));
            expectThrow<FormatError>([&] { readIdxFile(dir + "/cut-idx3-ubyte.gz"); }, { "cut-idx3-ubyte.gz" });
        }
        // Wrong magic.
        writeFile(dir + "/magic-idx3-ubyte", idxBytes(0x08, { 5, 2, 2 }, px, 0x12));
        expectThrow<FormatError>([&] { readIdxFile(dir + "/magic-idx3-ubyte"); }, { "magic-idx3-ubyte", "magic" });
        writeFile(dir + "/type-idx3-ubyte", idxBytes(0x0D, { 5, 2, 2 }, px));
        expectThrow<FormatError>([&] { readIdxFile(dir + "/type-idx3-ubyte"); }, { "type-idx3-ubyte" });
        expectThrow<IoError>([&] { readIdxFile(dir + "/missing-idx3-ubyte"); }, { "missing-idx3-ubyte" });

        // Count mismatch between images and labels.
        const std::string mismatch = path("idx-mismatch");
        fs::create_directories(mismatch);
        writeFile(mismatch + "/train-images-idx3-ubyte", idxBytes(0x08, { 5, 2, 2 }, px));
        writeFile(mismatch + "/train-labels-idx1-ubyte", idxBytes(0x08, { 4 }, std::vector<uint8_t>(4, 0)));
        expectThrow<DataError>(
            [&] { openDataset(mismatch); }, { "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "5", "4" });

        // Label out of range for the classes.txt names.
        const std::string range = path("idx-range");
        fs::create_directories(range);
        writeFile(range + "/train-images-idx3-ubyte", idxBytes(0x08, { 5, 2, 2 }, px));
        writeFile(range + "/train-labels-idx1-ubyte", idxBytes(0x08, { 5 }, { 0, 1, 2, 5, 1 }));
        writeFile(range + "/classes.txt", "a\nb\nc\n");
        expectThrow<DataError>([&] { openDataset(range); }, { "train-labels-idx1-ubyte", "label 5", "out of range" });

        // Labels without images.
        const std::string lonely = path("idx-lonely");
        fs::create_directories(lonely);
        writeFile(lonely + "/train-images-idx3-ubyte", idxBytes(0x08, { 5, 2, 2 }, px));
        expectThrow<DataError>([&] { loadIdxDataset(lonely); }, { "train-labels" });
    }

    void fashionMnist()
    {
        const std::string dir = "/usr/share/datasets/fashion-mnist";
        if (!fs::exists(dir + "/train-images-idx3-ubyte.gz"))
            QSKIP("Fashion-MNIST is not installed at /usr/share/datasets/fashion-mnist (Debian package "
                  "dataset-fashion-mnist)");
        QElapsedTimer timer;
        timer.start();
        Dataset ds = openDataset(dir);
        const qint64 ms = timer.elapsed();
        qInfo("Fashion-MNIST (70000 samples) loaded in %lld ms", static_cast<long long>(ms));
        QCOMPARE(ds.size(), int64_t(70000));
        QCOMPARE(ds.officialTestBegin, int64_t(60000));
        QCOMPARE(ds.sampleShape(), (Shape { 1, 28, 28 }));
        QCOMPARE(ds.numClasses(), 10);
        QCOMPARE(ds.classNames.front(), std::string("T-shirt/top"));
        QCOMPARE(ds.classNames.back(), std::string("Ankle boot"));
        QCOMPARE(ds.pixels.size(), size_t(70000) * 784);
        const std::vector<int64_t> counts = ds.classCounts();
        for (int64_t c : counts)
            QCOMPARE(c, int64_t(7000));

        DataSplit split = splitDataset(ds, 0.1, 0.5, 3);
        QCOMPARE(split.test.size(), size_t(10000));
        QCOMPARE(split.test.front(), int64_t(60000));
        QCOMPARE(split.validation.size(), size_t(6000));
        QCOMPARE(split.train.size(), size_t(54000));
    }

    // ---------------------------------------------------------------- CSV
    void csvFeatures()
    {
        const std::string file = path("iris.csv");
        writeFile(file,
            "sepal_len,sepal_wid,petal_len,petal_wid,species\n"
            "5.1,3.5,1.4,0.2,setosa\r\n"
            "\n"
            "7.0,3.2,4.7,1.4,versicolor\n"
            "6.3, 3.3 ,6.0,2.5,virginica\n"
            "4.9,3.0,1.4,0.2,setosa\n");
        Dataset ds = openDataset(file);
        QCOMPARE(ds.format, std::string("csv-features"));
        QCOMPARE(ds.size(), int64_t(4));
        QCOMPARE(ds.sampleShape(), (Shape { 4, 1, 1 }));
        QCOMPARE(ds.classNames, (std::vector<std::string> { "setosa", "versicolor", "virginica" }));
        QCOMPARE(ds.labels, (std::vector<int32_t> { 0, 1, 2, 0 }));
        QVERIFY(!ds.isImages());
        QVERIFY(ds.pixels.empty());
        QCOMPARE(ds.features.size(), size_t(16));
        QCOMPARE(ds.features[8 + 1], 3.3f);
        QCOMPARE(ds.sources[2], file + ":5");
        float buf[4];
        ds.sampleToFloat(1, buf);
        QCOMPARE(buf[2], 4.7f);

        // No header, integer labels, and a C×H×W with the same product.
        const std::string grid = path("grid.csv");
        writeFile(grid, "1,2,3,4,0\n5,6,7,8,2\n");
        DatasetOptions opt;
        opt.channels = 1;
        opt.height = 2;
        opt.width = 2;
        Dataset g = loadCsvDataset(grid, opt);
        QCOMPARE(g.size(), int64_t(2));
        QCOMPARE(g.sampleShape(), (Shape { 1, 2, 2 }));
        // The classes are the labels seen (issue 22: a label 999999999 is one class, not a billion).
        QCOMPARE(g.classNames, (std::vector<std::string> { "0", "2" }));
        QCOMPARE(g.labels, (std::vector<int32_t> { 0, 1 }));
        // A geometry of another product is ignored.
        opt.height = 3;
        QCOMPARE(loadCsvDataset(grid, opt).sampleShape(), (Shape { 4, 1, 1 }));

        // Malformed lines: file and line number.
        const std::string bad = path("bad.csv");
        writeFile(bad, "a,b,label\n1,2,x\n3,4,y\n5,6\n");
        expectThrow<FormatError>([&] { loadCsvDataset(bad); }, { "bad.csv:4:", "3 columns" });
        writeFile(bad, "1,2,x\n3,oops,y\n");
        expectThrow<FormatError>([&] { loadCsvDataset(bad); }, { "bad.csv:2:", "oops", "not a number" });
        writeFile(bad, "");
        expectThrow<DataError>([&] { loadCsvDataset(bad); }, { "bad.csv" });
        expectThrow<IoError>([&] { loadCsvDataset(path("none.csv")); }, { "none.csv" });
    }

    void csvImages()
    {
        const std::string dir = path("csvimg");
        fs::create_directories(dir + "/img");
        cv::imwrite(dir + "/img/a.png", cv::Mat(10, 10, CV_8UC1, cv::Scalar(10)));
        cv::imwrite(dir + "/img/b.png", cv::Mat(20, 20, CV_8UC1, cv::Scalar(20)));
        cv::imwrite(dir + "/img/c.png", cv::Mat(10, 10, CV_8UC1, cv::Scalar(30)));
        writeFile(dir + "/img/broken.png", "nope");
        const std::string file = dir + "/labels.csv";
        writeFile(file,
            "path,label\nimg/a.png,dog\nimg/b.png,cat\nimg/missing.png,cat\nimg/broken.png,dog\n\"img/c.png\",dog\n");
        Dataset ds = openDataset(file);
        QCOMPARE(ds.format, std::string("csv-images"));
        QCOMPARE(ds.classNames, (std::vector<std::string> { "cat", "dog" }));
        QCOMPARE(ds.size(), int64_t(3));
        QCOMPARE(ds.labels, (std::vector<int32_t> { 1, 0, 1 }));
        QCOMPARE(ds.sampleShape(), (Shape { 1, 10, 10 })); // from the first image
        QCOMPARE(int(ds.pixels[100 + 5]), 20); // b.png resized to 10×10
        QCOMPARE(ds.skipped.size(), size_t(2));
        QVERIFY(ds.skipped[0].path.find("missing.png") != std::string::npos);
        QVERIFY(ds.skipped[1].path.find("broken.png") != std::string::npos);

        // No header, integer labels.
        const std::string plain = dir + "/plain.csv";
        writeFile(plain, "img/a.png,1\nimg/c.png,0\n");
        Dataset p = loadCsvDataset(plain);
        QCOMPARE(p.classNames, (std::vector<std::string> { "0", "1" }));
        QCOMPARE(p.labels, (std::vector<int32_t> { 1, 0 }));

        // An unusual header over string labels: detected because it names no image file.
        const std::string odd = dir + "/odd.csv";
        writeFile(odd, "picture;kind\nimg/a.png;x\nimg/c.png;y\n");
        Dataset o = loadCsvDataset(odd);
        QCOMPARE(o.classNames, (std::vector<std::string> { "x", "y" }));
        QCOMPARE(o.size(), int64_t(2));
        QVERIFY(o.skipped.empty());

        writeFile(plain, "img/a.png,1\nimg/c.png,0,extra\n");
        expectThrow<FormatError>([&] { loadCsvDataset(plain); }, { "plain.csv:2:" });
    }

    // ---------------------------------------------------------------- split and normalization
    void splitStratified()
    {
        // 3 classes of very different sizes: 100, 50, 10.
        Dataset ds = makeImageDataset(160, 1, 2, 2, 3);
        for (int i = 0; i < 160; ++i)
            ds.labels[static_cast<size_t>(i)] = i < 100 ? 0 : i < 150 ? 1 : 2;
        DataSplit a = splitDataset(ds, 0.2, 0.1, 7);
        DataSplit b = splitDataset(ds, 0.2, 0.1, 7);
        DataSplit c = splitDataset(ds, 0.2, 0.1, 8);
        QCOMPARE(a.train, b.train);
        QCOMPARE(a.validation, b.validation);
        QCOMPARE(a.test, b.test);
        QVERIFY(a.validation != c.validation);

        QCOMPARE(a.validation.size(), size_t(32));
        QCOMPARE(a.test.size(), size_t(16));
        QCOMPARE(a.train.size(), size_t(112));
        std::vector<int64_t> all;
        all.insert(all.end(), a.train.begin(), a.train.end());
        all.insert(all.end(), a.validation.begin(), a.validation.end());
        all.insert(all.end(), a.test.begin(), a.test.end());
        std::sort(all.begin(), all.end());
        QCOMPARE(all, iota(160)); // every index exactly once: no overlap, nothing lost

        auto perClass = [](const Dataset& d, const std::vector<int64_t>& idx) {
            std::vector<int> n(static_cast<size_t>(d.numClasses()), 0);
            for (int64_t i : idx)
                ++n[static_cast<size_t>(d.labels[static_cast<size_t>(i)])];
            return n;
        };
        QCOMPARE(perClass(ds, a.validation), (std::vector<int> { 20, 10, 2 }));
        QCOMPARE(perClass(ds, a.test), (std::vector<int> { 10, 5, 1 }));

        // Official test split: exactly that part, validation from the rest.
        Dataset off = makeImageDataset(100, 1, 2, 2, 2);
        off.officialTestBegin = 80;
        DataSplit o = splitDataset(off, 0.25, 0.5, 1);
        QCOMPARE(o.test, (std::vector<int64_t>([] {
            std::vector<int64_t> v;
            for (int64_t i = 80; i < 100; ++i)
                v.push_back(i);
            return v;
        }())));
        QCOMPARE(o.validation.size(), size_t(20));
        QCOMPARE(o.train.size(), size_t(60));
        for (int64_t i : o.validation)
            QVERIFY(i < 80);
        for (int64_t i : o.train)
            QVERIFY(i < 80);
        QCOMPARE(perClass(off, o.validation), (std::vector<int> { 10, 10 }));

        expectThrow<DataError>([&] { splitDataset(ds, 0.6, 0.5, 1); }, { "fractions" });
    }

    void normalization()
    {
        // Two 2-channel 1×2 samples: channel 0 = {0, 255, 255, 255}, channel 1 = {51, 51, 51, 51}.
        Dataset ds;
        ds.channels = 2;
        ds.height = 1;
        ds.width = 2;
        ds.classNames = { "x" };
        ds.pixels = { 0, 255, 51, 51, 255, 255, 51, 51, 9, 9, 9, 9 };
        ds.labels = { 0, 0, 0 };
        Normalization n = computeNormalization(ds, { 0, 1 });
        QCOMPARE(n.mean.size(), size_t(2));
        QVERIFY(std::abs(n.mean[0] - 0.75f) < 1e-6f);
        QVERIFY(std::abs(n.stddev[0] - std::sqrt(0.1875f)) < 1e-6f);
        QVERIFY(std::abs(n.mean[1] - 0.2f) < 1e-6f);
        QCOMPARE(n.stddev[1], 1.0f); // constant channel: only centred
        QVERIFY(computeNormalization(ds, {}).empty());

        // Features.
        Dataset f;
        f.channels = 2;
        f.height = 1;
        f.width = 1;
        f.classNames = { "x" };
        f.features = { 1.0f, 10.0f, 3.0f, 20.0f, 5.0f, 30.0f };
        f.labels = { 0, 0, 0 };
        Normalization fn = computeNormalization(f, { 0, 1, 2 });
        QVERIFY(std::abs(fn.mean[0] - 3.0f) < 1e-6f);
        QVERIFY(std::abs(fn.stddev[0] - std::sqrt(8.0f / 3.0f)) < 1e-5f);
        QVERIFY(std::abs(fn.mean[1] - 20.0f) < 1e-5f);

        float out[2];
        prepareSample(f, 2, fn, out);
        QVERIFY(std::abs(out[0] - 2.0f / std::sqrt(8.0f / 3.0f)) < 1e-5f);

        float img[4];
        prepareSample(ds, 0, n, img);
        QVERIFY(std::abs(img[0] - (0.0f - 0.75f) / std::sqrt(0.1875f)) < 1e-5f);
        QVERIFY(std::abs(img[2] - 0.0f) < 1e-6f);
    }

    // ---------------------------------------------------------------- DataLoader
    void loaderEpochs()
    {
        Dataset ds = makeImageDataset(103, 3, 4, 5, 4);
        std::vector<int64_t> idx = iota(103);
        LoaderOptions opt;
        opt.batchSize = 10;
        opt.seed = 99;
        DataLoader loader(ds, idx, opt);
        QCOMPARE(loader.sampleCount(), int64_t(103));
        QCOMPARE(loader.batchesPerEpoch(), int64_t(11));

        std::vector<int64_t> sizes;
        std::vector<int64_t> e0 = runEpoch(loader, 0, &sizes);
        QCOMPARE(sizes.size(), size_t(11));
        QCOMPARE(sizes.back(), int64_t(3)); // partial last batch
        std::vector<int64_t> sorted = e0;
        std::sort(sorted.begin(), sorted.end());
        QCOMPARE(sorted, idx); // every index exactly once
        QVERIFY(e0 != idx); // shuffled

        std::vector<int64_t> e1 = runEpoch(loader, 1);
        QVERIFY(e1 != e0);
        QCOMPARE(runEpoch(loader, 0), e0); // same (seed, epoch) → same order

        DataLoader other(ds, idx, opt);
        QCOMPARE(runEpoch(other, 1), e1);

        opt.dropLast = true;
        DataLoader drop(ds, idx, opt);
        QCOMPARE(drop.batchesPerEpoch(), int64_t(10));
        sizes.clear();
        QCOMPARE(runEpoch(drop, 0, &sizes).size(), size_t(100));
        QCOMPARE(sizes.size(), size_t(10));

        opt.dropLast = false;
        opt.shuffle = false;
        DataLoader ordered(ds, { 5, 3, 1 }, opt);
        QCOMPARE(runEpoch(ordered, 4), (std::vector<int64_t> { 5, 3, 1 }));

        expectThrow<DataError>([&] { DataLoader bad(ds, { 0, 500 }, opt); }, { "500" });
    }

    void loaderBatchContents()
    {
        Dataset ds = makeImageDataset(20, 2, 3, 3, 2);
        LoaderOptions opt;
        opt.batchSize = 8;
        opt.normalization.mean = { 0.5f, 0.25f };
        opt.normalization.stddev = { 0.5f, 2.0f };
        DataLoader loader(ds, iota(20), opt);
        loader.startEpoch(0);
        Batch b;
        int batches = 0;
        std::vector<float> expect(static_cast<size_t>(ds.sampleSize()));
        while (loader.next(b)) {
            ++batches;
            QCOMPARE(b.images.shape(), (Shape { b.size(), 2, 3, 3 }));
            QCOMPARE(b.indices.size(), b.labels.size());
            for (int64_t j = 0; j < b.size(); ++j) {
                const int64_t i = b.indices[static_cast<size_t>(j)];
                QCOMPARE(b.labels[static_cast<size_t>(j)], ds.labels[static_cast<size_t>(i)]);
                ds.sampleToFloat(i, expect.data());
                for (int64_t k = 0; k < ds.sampleSize(); ++k) {
                    const int c = static_cast<int>(k / 9);
                    const float want = (expect[static_cast<size_t>(k)] - opt.normalization.mean[static_cast<size_t>(c)])
                        / opt.normalization.stddev[static_cast<size_t>(c)];
                    QVERIFY(std::abs(b.images[j * ds.sampleSize() + k] - want) < 1e-5f);
                }
            }
        }
        QCOMPARE(batches, 3);
        QCOMPARE(b.size(), int64_t(4));

        // prepareSample agrees with the loader.
        std::vector<float> prepared(static_cast<size_t>(ds.sampleSize()));
        prepareSample(ds, b.indices[0], opt.normalization, prepared.data());
        for (int64_t k = 0; k < ds.sampleSize(); ++k)
            QCOMPARE(prepared[static_cast<size_t>(k)], b.images[k]);

        // Features datasets go through the same path.
        Dataset f;
        f.channels = 3;
        f.height = 1;
        f.width = 1;
        f.classNames = { "a", "b" };
        f.features = { 1, 2, 3, 4, 5, 6 };
        f.labels = { 0, 1 };
        LoaderOptions fo;
        fo.batchSize = 4;
        fo.shuffle = false;
        fo.normalization.mean = { 1, 2, 3 };
        fo.normalization.stddev = { 1, 1, 2 };
        DataLoader fl(f, { 0, 1 }, fo);
        fl.startEpoch(0);
        QVERIFY(fl.next(b));
        QCOMPARE(b.images.shape(), (Shape { 2, 3, 1, 1 }));
        QCOMPARE(b.images[5], 1.5f);
        QVERIFY(!fl.next(b));
    }

    void loaderAugmentation()
    {
        Dataset ds = makeImageDataset(40, 1, 12, 12, 2);
        LoaderOptions opt;
        opt.batchSize = 16;
        opt.augmentation.flipHorizontal = true;
        opt.augmentation.maxShift = 2;
        opt.augmentation.maxRotation = 10.0f;
        bool shapesOk = true;
        auto collect = [&](const LoaderOptions& o, int epoch) -> std::vector<float> {
            DataLoader loader(ds, iota(40), o);
            loader.startEpoch(epoch);
            Batch b;
            std::vector<float> all;
            while (loader.next(b)) {
                if (b.images.shape() != (Shape { b.size(), 1, 12, 12 }))
                    shapesOk = false;
                all.insert(all.end(), b.images.data(), b.images.data() + b.images.size());
            }
            return all;
        };
        const std::vector<float> a = collect(opt, 3);
        QCOMPARE(a.size(), size_t(40 * 144));
        QCOMPARE(collect(opt, 3), a); // deterministic for (seed, epoch)
        QVERIFY(collect(opt, 4) != a);
        for (float v : a)
            QVERIFY(v >= 0.0f && v <= 1.0f);

        // Shift only: a pure integer translation with zero fill keeps the pixel values.
        LoaderOptions shift;
        shift.batchSize = 40;
        shift.shuffle = false;
        shift.augmentation.maxShift = 3;
        const std::vector<float> s = collect(shift, 0);
        int changed = 0;
        std::vector<float> orig(144);
        for (int i = 0; i < 40; ++i) {
            ds.sampleToFloat(i, orig.data());
            if (!std::equal(orig.begin(), orig.end(), s.begin() + i * 144))
                ++changed;
        }
        QVERIFY(changed > 20);

        // Flip only, always the same draws: flipping twice over two samples is exact.
        LoaderOptions flip;
        flip.batchSize = 40;
        flip.shuffle = false;
        flip.augmentation.flipHorizontal = true;
        const std::vector<float> fl = collect(flip, 0);
        int flipped = 0;
        for (int i = 0; i < 40; ++i) {
            ds.sampleToFloat(i, orig.data());
            bool same = true, mirrored = true;
            for (int y = 0; y < 12; ++y)
                for (int x = 0; x < 12; ++x) {
                    const float v = fl[static_cast<size_t>(i * 144 + y * 12 + x)];
                    same = same && v == orig[static_cast<size_t>(y * 12 + x)];
                    mirrored = mirrored && v == orig[static_cast<size_t>(y * 12 + 11 - x)];
                }
            QVERIFY(same || mirrored);
            flipped += mirrored ? 1 : 0;
        }
        QVERIFY(flipped > 5 && flipped < 35);

        // Rotation only, of a uniform image: the centre keeps its value, some corner gets the zero fill.
        std::fill(ds.pixels.begin(), ds.pixels.end(), uint8_t(200));
        LoaderOptions rot;
        rot.batchSize = 40;
        rot.augmentation.maxRotation = 30.0f;
        const std::vector<float> r = collect(rot, 0);
        int zeroCorners = 0;
        for (int i = 0; i < 40; ++i) {
            QVERIFY(std::abs(r[static_cast<size_t>(i * 144 + 6 * 12 + 6)] - 200.0f / 255.0f) < 1e-3f);
            zeroCorners += r[static_cast<size_t>(i * 144)] < 0.5f ? 1 : 0;
        }
        QVERIFY(zeroCorners > 10);
        QVERIFY(shapesOk);
    }

    void loaderTeardownAndRestart()
    {
        Dataset ds = makeImageDataset(500, 1, 8, 8, 5);
        LoaderOptions opt;
        opt.batchSize = 7;
        opt.prefetch = 2;
        opt.augmentation.maxRotation = 5.0f;
        {
            DataLoader loader(ds, iota(500), opt);
            loader.startEpoch(0);
            Batch b;
            QVERIFY(loader.next(b));
            // Destroyed mid-epoch with the queue full: must not hang or crash.
        }
        {
            DataLoader never(ds, iota(500), opt); // never started
            Batch b;
            QVERIFY(!never.next(b));
        }
        // Abandon an epoch halfway, start another: it is complete and exactly as if fresh.
        DataLoader loader(ds, iota(500), opt);
        loader.startEpoch(0);
        Batch b;
        for (int i = 0; i < 10; ++i)
            QVERIFY(loader.next(b));
        std::vector<int64_t> sizes;
        const std::vector<int64_t> e1 = runEpoch(loader, 1, &sizes);
        DataLoader fresh(ds, iota(500), opt);
        QCOMPARE(runEpoch(fresh, 1), e1);
        QCOMPARE(e1.size(), size_t(500));
        QCOMPARE(sizes.size(), size_t(72));
        // Next after the end stays false.
        QVERIFY(!loader.next(b));
        // After warm-up, batches cycle through the same buffers: no allocation per batch.
        {
            LoaderOptions o;
            o.batchSize = 10;
            o.prefetch = 2;
            DataLoader pool(ds, iota(500), o);
            pool.startEpoch(0);
            Batch out;
            std::set<const float*> warm;
            for (int i = 0; i < 4; ++i) {
                QVERIFY(pool.next(out));
                warm.insert(out.images.data());
            }
            bool reused = true;
            while (pool.next(out))
                reused = reused && warm.count(out.images.data()) == 1;
            QVERIFY(reused);
            QVERIFY(warm.size() <= 3); // prefetch slots + the caller's batch
        }
        // Restarting many times quickly.
        for (int e = 0; e < 20; ++e) {
            loader.startEpoch(e);
            if (e % 2)
                QVERIFY(loader.next(b));
        }
    }
};

QTEST_APPLESS_MAIN(TestData)
#include "test_data.moc"
