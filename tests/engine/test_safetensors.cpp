// The safetensors reader/writer: round trip, exact layout, every malformed case, dtype
// conversion, and network weights (saveWeights/loadWeights).
#include "engine/backend/Backend.h"
#include "engine/core/Error.h"
#include "engine/graph/ModelGraph.h"
#include "engine/io/AtomicFile.h"
#include "engine/io/Safetensors.h"
#include "engine/layers/LayerRegistry.h"
#include "engine/train/Network.h"

#include <QDir>
#include <QTemporaryDir>
#include <QtTest>
#include <cstring>

using namespace netcanvas;

namespace {

// A file from a header (as JSON text) and a data buffer, as the format lays them out.
std::string rawFile(const std::string& header, const std::string& buffer)
{
    std::string out(8, '\0');
    const uint64_t n = header.size();
    std::memcpy(out.data(), &n, 8);
    return out + header + buffer;
}

std::string floatBytes(std::initializer_list<float> v)
{
    std::string s(v.size() * 4, '\0');
    size_t i = 0;
    for (float f : v)
        std::memcpy(s.data() + 4 * i++, &f, 4);
    return s;
}

std::string u16Bytes(std::initializer_list<uint16_t> v)
{
    std::string s(v.size() * 2, '\0');
    size_t i = 0;
    for (uint16_t h : v)
        std::memcpy(s.data() + 2 * i++, &h, 2);
    return s;
}

std::string errorOf(const std::string& path)
{
    try {
        loadSafetensors(path);
    } catch (const FormatError& e) {
        return e.what();
    } catch (const std::exception& e) {
        return std::string("<wrong exception type> ") + e.what();
    }
    return "<no exception>";
}

GraphNode node(const std::string& id, const std::string& type, std::vector<std::string> inputs, nlohmann::json params)
{
    GraphNode n;
    n.id = id;
    n.type = type;
    n.inputs = std::move(inputs);
    n.params = std::move(params);
    return n;
}

ModelGraph denseModel(int units)
{
    ModelGraph g;
    g.addNode(node("in", "Input", {}, { { "channels", 1 }, { "height", 4 }, { "width", 4 } }));
    g.addNode(node("flat", "Flatten", { "in" }, nlohmann::json::object()));
    g.addNode(node("fc1", "Dense", { "flat" }, { { "units", units } }));
    g.addNode(node("fc2", "Dense", { "fc1" }, { { "units", 3 } }));
    return g;
}

bool haveLayers()
{
    const auto& r = LayerRegistry::builtin();
    return r.find("Input") && r.find("Flatten") && r.find("Dense");
}

} // namespace

class TestSafetensors : public QObject {
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    std::string path(const char* name) const { return QDir(m_dir.path()).filePath(name).toStdString(); }

private slots:
    void roundTrip()
    {
        TensorFile f;
        f.tensors["scalar"] = Tensor(Shape {}, std::vector<float> { 3.5f });
        f.tensors["b.bias"] = Tensor({ 3 }, std::vector<float> { 1.0f, -2.0f, 1e-30f });
        Tensor w({ 2, 3, 2, 2 });
        for (int64_t i = 0; i < w.size(); ++i)
            w[i] = 0.25f * static_cast<float>(i) - 3.0f;
        f.tensors["conv.weight"] = w;
        f.tensors["empty"] = Tensor(Shape { 0, 4 });
        f.metadata["netcanvas.classes"] = "[\"a\",\"b\"]";
        f.metadata["note"] = "h\u00e9llo \"quoted\"";
        const std::string p = path("round.safetensors");
        saveSafetensors(p, f);

        const TensorFile back = loadSafetensors(p);
        QCOMPARE(back.tensors.size(), f.tensors.size());
        QCOMPARE(back.metadata, f.metadata);
        for (const auto& [name, t] : f.tensors) {
            const Tensor& b = back.tensors.at(name);
            QCOMPARE(b.shape(), t.shape());
            QVERIFY(t.size() == 0 || std::memcmp(b.data(), t.data(), static_cast<size_t>(t.size()) * 4) == 0);
        }
        QCOMPARE(back.tensors.at("scalar").shape().rank(), 0);

        // Layout: u64 LE header size, multiple of 8, JSON, then data in name order.
        const std::string bytes = readFile(p);
        uint64_t n = 0;
        std::memcpy(&n, bytes.data(), 8);
        QCOMPARE(n % 8, uint64_t(0));
        QCOMPARE(bytes.size(), size_t(8 + n + 4 * (1 + 3 + 24)));
        const auto header = nlohmann::json::parse(bytes.substr(8, n));
        QCOMPARE(header["b.bias"]["dtype"].get<std::string>(), std::string("F32"));
        QCOMPARE(header["b.bias"]["data_offsets"], nlohmann::json({ 0, 12 }));
        QCOMPARE(header["conv.weight"]["data_offsets"], nlohmann::json({ 12, 108 }));
        QCOMPARE(header["empty"]["data_offsets"], nlohmann::json({ 108, 108 }));
        QCOMPARE(header["scalar"]["shape"], nlohmann::json::array());
        QCOMPARE(header["scalar"]["data_offsets"], nlohmann::json({ 108, 112 }));
        QCOMPARE(header["__metadata__"]["note"].get<std::string>(), f.metadata["note"]);
        // Names appear sorted in the header text as well.
        QVERIFY(bytes.find("\"b.bias\"") < bytes.find("\"conv.weight\""));
        QVERIFY(bytes.find("\"conv.weight\"") < bytes.find("\"scalar\""));
    }

    void otherDtypes()
    {
        std::string header = R"({"d":{"dtype":"F64","shape":[2],"data_offsets":[0,16]},)"
                             R"("h":{"dtype":"F16","shape":[5],"data_offsets":[16,26]},)"
                             R"("b":{"dtype":"BF16","shape":[2],"data_offsets":[26,30]}})";
        std::string buffer(16, '\0');
        const double d[2] = { 1.5, -2.25 };
        std::memcpy(buffer.data(), d, 16);
        // 1, -2, 65504 (max half), smallest subnormal 2^-24, +inf
        buffer += u16Bytes({ 0x3C00, 0xC000, 0x7BFF, 0x0001, 0x7C00 });
        buffer += u16Bytes({ 0x3F80, 0xC049 }); // 1.0, -3.140625
        const std::string p = path("dtypes.safetensors");
        writeFileAtomic(p, rawFile(header, buffer));
        const TensorFile f = loadSafetensors(p);
        QCOMPARE(f.tensors.at("d")[0], 1.5f);
        QCOMPARE(f.tensors.at("d")[1], -2.25f);
        const Tensor& h = f.tensors.at("h");
        QCOMPARE(h[0], 1.0f);
        QCOMPARE(h[1], -2.0f);
        QCOMPARE(h[2], 65504.0f);
        QCOMPARE(h[3], std::ldexp(1.0f, -24));
        QVERIFY(std::isinf(h[4]) && h[4] > 0);
        QCOMPARE(f.tensors.at("b")[0], 1.0f);
        QCOMPARE(f.tensors.at("b")[1], -3.140625f);
    }

    void malformed_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QString>("expected");
        auto raw = [](const std::string& s) { return QByteArray(s.data(), static_cast<qsizetype>(s.size())); };
        const std::string ok4 = floatBytes({ 1, 2, 3, 4 });
        QTest::newRow("short") << QByteArray("abc", 3) << "only 3 bytes";
        {
            std::string s(8, '\0');
            const uint64_t n = 1000;
            std::memcpy(s.data(), &n, 8);
            QTest::newRow("header beyond file") << raw(s + "{}") << "beyond the end of the file";
        }
        {
            std::string s(8, '\xff');
            QTest::newRow("huge header length") << raw(s + "{}") << "beyond the end of the file";
        }
        QTest::newRow("invalid json") << raw(rawFile("{\"a\": {", ok4)) << "not valid JSON";
        QTest::newRow("not an object") << raw(rawFile("[1,2]", ok4)) << "must be a JSON object";
        QTest::newRow("unknown dtype") << raw(rawFile(R"({"w":{"dtype":"Q4","shape":[4],"data_offsets":[0,16]}})", ok4))
                                       << "tensor 'w': unsupported dtype 'Q4'";
        QTest::newRow("missing dtype") << raw(rawFile(R"({"w":{"shape":[4],"data_offsets":[0,16]}})", ok4))
                                       << "tensor 'w'";
        QTest::newRow("bad shape") << raw(rawFile(R"({"w":{"dtype":"F32","shape":[-4],"data_offsets":[0,16]}})", ok4))
                                   << "tensor 'w': shape";
        QTest::newRow("offsets out of range")
            << raw(rawFile(R"({"w":{"dtype":"F32","shape":[8],"data_offsets":[0,32]}})", ok4))
            << "tensor 'w': data_offsets [0, 32] out of range";
        QTest::newRow("offsets reversed")
            << raw(rawFile(R"({"w":{"dtype":"F32","shape":[0],"data_offsets":[8,4]}})", ok4))
            << "tensor 'w': data_offsets [8, 4]";
        QTest::newRow("offsets size mismatch")
            << raw(rawFile(R"({"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,16]}})", ok4))
            << "tensor 'w': data_offsets [0, 16] hold 16 bytes, but shape [2, 3] of F32 needs 24";
        QTest::newRow("huge shape") << raw(
            rawFile(R"({"w":{"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,16]}})", ok4))
                                    << "tensor 'w'";
        QTest::newRow("offsets malformed")
            << raw(rawFile(R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0]}})", ok4))
            << "tensor 'w': \"data_offsets\"";
        QTest::newRow("overlap") << raw(rawFile(
            R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})",
            ok4)) << "tensors 'a' and 'b' overlap";
        QTest::newRow("non-string metadata") << raw(
            rawFile(R"({"__metadata__":{"epochs":5},"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", ok4))
                                             << "__metadata__ entry 'epochs' must be a string";
    }

    void malformed()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(QString, expected);
        const std::string p = path("bad.safetensors");
        writeFileAtomic(p, std::string_view(bytes.constData(), static_cast<size_t>(bytes.size())));
        const QString msg = QString::fromStdString(errorOf(p));
        QVERIFY2(msg.startsWith(QString::fromStdString(p) + ": "), qPrintable(msg));
        QVERIFY2(msg.contains(expected), qPrintable(msg));
    }

    void invalidUtf8NameIsFormatError()
    {
        TensorFile f;
        f.tensors["bad\xff"] = Tensor({ 1 });
        QVERIFY_THROWS_EXCEPTION(FormatError, saveSafetensors(path("utf8.safetensors"), f));
    }

    void missingFileIsIoError() { QVERIFY_THROWS_EXCEPTION(IoError, loadSafetensors(path("nope.safetensors"))); }

    void atomicWriteLeavesNoTemporaries()
    {
        QTemporaryDir dir;
        const std::string p = QDir(dir.path()).filePath("w.safetensors").toStdString();
        TensorFile f;
        f.tensors["x"] = Tensor({ 1000 }, 0.5f);
        for (int i = 0; i < 5; ++i)
            saveSafetensors(p, f);
        const QStringList entries = QDir(dir.path()).entryList(QDir::Files | QDir::Hidden);
        QCOMPARE(entries, QStringList { "w.safetensors" });
        // A failed write (target is a directory) leaves the old state and no temporary either.
        const std::string asDir = QDir(dir.path()).filePath("sub").toStdString();
        QVERIFY(QDir(dir.path()).mkdir("sub"));
        QVERIFY_THROWS_EXCEPTION(Error, saveSafetensors(asDir, f));
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden), QStringList { "w.safetensors" });
    }

    void weightsRoundTrip()
    {
        if (!haveLayers())
            QSKIP("Input/Flatten/Dense layers are not registered yet");
        auto backend = createCpuBackend(1);
        Network a(denseModel(5), *backend, 1), b(denseModel(5), *backend, 2);
        WeightsMeta meta;
        meta.classNames = { "zero", "one", "two" };
        meta.mean = { 0.5f };
        meta.stddev = { 0.25f };
        meta.modelJson = "{\"name\":\"m\"}";
        const std::string p = path("weights.safetensors");
        saveWeights(p, a, meta);
        const WeightsMeta back = loadWeights(p, b);
        QCOMPARE(back.classNames, meta.classNames);
        QCOMPARE(back.mean, meta.mean);
        QCOMPARE(back.stddev, meta.stddev);
        QCOMPARE(back.modelJson, meta.modelJson);
        auto pa = a.parameters(), pb = b.parameters();
        QCOMPARE(pa.size(), pb.size());
        for (size_t i = 0; i < pa.size(); ++i) {
            QCOMPARE(pa[i].key(), pb[i].key());
            QVERIFY(std::memcmp(pa[i].param->value.data(), pb[i].param->value.data(),
                        static_cast<size_t>(pa[i].param->value.size()) * 4)
                == 0);
        }
        // Every parameter is in the file under "node.param".
        const TensorFile f = loadSafetensors(p);
        QCOMPARE(f.tensors.size(), pa.size());
        QVERIFY(f.tensors.count(pa.front().key()));
    }

    void weightsShapeMismatch()
    {
        if (!haveLayers())
            QSKIP("Input/Flatten/Dense layers are not registered yet");
        auto backend = createCpuBackend(1);
        Network a(denseModel(5), *backend, 1), wider(denseModel(6), *backend, 1);
        const std::string p = path("mismatch.safetensors");
        saveWeights(p, a);
        try {
            loadWeights(p, wider);
            QFAIL("no error");
        } catch (const FormatError& e) {
            const QString m = e.what();
            QVERIFY2(m.startsWith(QString::fromStdString(p)), e.what());
            QVERIFY2(m.contains("fc1.") && m.contains("[5") && m.contains("6"), e.what());
        }
        // Extra and missing tensors are named too; a file of another model says so.
        TensorFile f = loadSafetensors(p);
        f.tensors["extra.weight"] = Tensor({ 2 });
        saveSafetensors(p, f);
        Network c(denseModel(5), *backend, 1);
        try {
            loadWeights(p, c);
            QFAIL("no error");
        } catch (const FormatError& e) {
            QVERIFY2(QString(e.what()).contains("'extra.weight'"), e.what());
        }
        TensorFile other;
        other.tensors["encoder.layer0.weight"] = Tensor({ 2, 2 });
        saveSafetensors(p, other);
        try {
            loadWeights(p, c);
            QFAIL("no error");
        } catch (const FormatError& e) {
            QVERIFY2(QString(e.what()).contains("another model"), e.what());
        }
    }
};

QTEST_APPLESS_MAIN(TestSafetensors)
#include "test_safetensors.moc"
