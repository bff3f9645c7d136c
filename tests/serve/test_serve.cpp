// The inference service in process (engine/serve): every endpoint, every limit and error path,
// dynamic batching, reload under traffic and a graceful shutdown with requests in flight.
#include "ServeFixtures.h"
#include "common/WaitFor.h"

#include "engine/core/Error.h"
#include "engine/serve/ImageProbe.h"
#include "engine/serve/InferenceServer.h"
#include "engine/serve/TensorBody.h"

#include <QTemporaryDir>
#include <QtTest>

#include <atomic>
#include <nlohmann/json.hpp>
#include <thread>

using namespace netcanvas;
using namespace netcanvas::serve;
using nlohmann::json;

namespace {

std::unique_ptr<InferenceServer> startServer(const std::string& weights, ServeOptions o = {})
{
    o.host = "127.0.0.1";
    o.port = 0;
    auto server = std::make_unique<InferenceServer>(
        o, [weights](int64_t generation) { return ServedModel::fromFiles(weights, {}, 1, generation); });
    server->start();
    return server;
}

httplib::Client client(const InferenceServer& s)
{
    httplib::Client c("127.0.0.1", s.port());
    c.set_read_timeout(20, 0);
    return c;
}

json body(const httplib::Result& r)
{
    return json::parse(r->body);
}

// The status of `r`, failing the test (with the transport error) when there is no response.
int statusOf(const httplib::Result& r)
{
    if (!r)
        qWarning("no response: %s", httplib::to_string(r.error()).c_str());
    return r ? r->status : -1;
}

std::string jsonTensors(int n, int64_t values, float v)
{
    json inputs = json::array();
    for (int i = 0; i < n; ++i)
        inputs.push_back(std::vector<float>(static_cast<size_t>(values), v));
    return json { { "inputs", inputs } }.dump();
}

} // namespace

class TestServe : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    std::string m_weights;

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_weights = m_dir.filePath("lenet5.safetensors").toStdString();
        fixtures::writeTemplateWeights("lenet5", m_weights, 7);
    }

    void probeReadsHeadersOfEveryFormat()
    {
        for (const char* ext : { ".png", ".jpg", ".bmp", ".tiff", ".webp", ".pgm" }) {
            const std::string bytes = fixtures::encodedImage(37, 21, ext);
            QVERIFY2(!bytes.empty(), ext);
            const ImageInfo info = probeImage(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
            QVERIFY2(info.ok(), (std::string(ext) + ": " + info.error).c_str());
            QCOMPARE(info.width, 37);
            QCOMPARE(info.height, 21);
        }
        const std::string color = fixtures::encodedImage(640, 480, ".jpg", 3);
        const ImageInfo c = probeImage(reinterpret_cast<const uint8_t*>(color.data()), color.size());
        QCOMPARE(c.format, std::string("jpeg"));
        QCOMPARE(c.width, 640);
        QCOMPARE(c.height, 480);
    }

    void probeRejectsGarbageAndTruncation()
    {
        const std::string text = "hello, world";
        QVERIFY(probeImage(reinterpret_cast<const uint8_t*>(text.data()), text.size()).error.find("not an image")
            != std::string::npos);
        QVERIFY(!probeImage(nullptr, 0).ok());
        for (const char* ext : { ".png", ".jpg", ".bmp", ".tiff", ".webp" }) {
            const std::string bytes = fixtures::encodedImage(64, 64, ext);
            for (size_t keep : { size_t(4), size_t(20), bytes.size() / 2 }) {
                const ImageInfo info = probeImage(reinterpret_cast<const uint8_t*>(bytes.data()), keep);
                QVERIFY2(!info.ok(), (std::string(ext) + " cut at " + std::to_string(keep)).c_str());
                QVERIFY2(info.error.find("truncated") != std::string::npos
                        || info.error.find("corrupt") != std::string::npos,
                    info.error.c_str());
            }
        }
    }

    void tensorBodyRoundTripsAndRejectsMalformed()
    {
        std::vector<uint8_t> pixels(2 * 3 * 4 * 5);
        for (size_t i = 0; i < pixels.size(); ++i)
            pixels[i] = static_cast<uint8_t>(i * 7);
        const std::string u8 = encodeTensorBody(TensorDType::UInt8, 2, 3, 4, 5, pixels.data());
        QCOMPARE(u8.size(), kTensorHeaderBytes + pixels.size());
        const TensorBodyView v = parseTensorBody(reinterpret_cast<const uint8_t*>(u8.data()), u8.size());
        QCOMPARE(v.dtype, TensorDType::UInt8);
        QCOMPARE(v.n, 2);
        QCOMPARE(v.c, 3);
        QCOMPARE(v.h, 4);
        QCOMPARE(v.w, 5);
        QCOMPARE(v.sampleValues(), 60);
        QVERIFY(std::equal(pixels.begin(), pixels.end(), v.values));
        const std::vector<float> values = { 0.5f, -1.25f, 3e-7f, 1e30f };
        const std::string f32 = encodeTensorBody(TensorDType::Float32, 1, 1, 2, 2, values.data());
        const TensorBodyView fv = parseTensorBody(reinterpret_cast<const uint8_t*>(f32.data()), f32.size());
        QCOMPARE(fv.dtype, TensorDType::Float32);
        std::vector<float> back(4);
        std::memcpy(back.data(), fv.values, 16);
        QCOMPARE(back, values);

        auto fails = [](std::string bytes, const std::string& reason) {
            try {
                parseTensorBody(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
            } catch (const DataError& e) {
                if (std::string(e.what()).find(reason) != std::string::npos)
                    return true;
                qWarning("error without \"%s\": %s", reason.c_str(), e.what());
                return false;
            }
            qWarning("no error (expected \"%s\")", reason.c_str());
            return false;
        };
        QVERIFY(fails(u8.substr(0, 10), "shorter than its 24-byte header"));
        QVERIFY(fails("NCT2" + u8.substr(4), "magic"));
        std::string dtype = u8;
        dtype[4] = 3;
        QVERIFY(fails(dtype, "dtype 3"));
        std::string zero = u8;
        zero[8] = 0; // N = 0
        QVERIFY(fails(zero, "zero dimension"));
        QVERIFY(fails(u8.substr(0, u8.size() - 1), "needs 24 + 120"));
        QVERIFY(fails(u8 + "x", "needs 24 + 120"));
        QVERIFY(fails(f32.substr(0, f32.size() - 2), "float32 tensor needs 24 + 16"));
        // Dimensions whose product overflows 64 bits are refused from the size, not multiplied.
        std::string huge = u8;
        for (size_t i = 8; i < 24; ++i)
            huge[i] = static_cast<char>(0xFF);
        QVERIFY(fails(huge, "needs 24 + more than 2^64"));
    }

    void healthReadyModelAndMetrics()
    {
        auto server = startServer(m_weights);
        auto c = client(*server);
        auto h = c.Get("/healthz");
        QCOMPARE(statusOf(h), 200);
        QCOMPARE(body(h)["status"], "ok");
        auto r = c.Get("/readyz");
        QCOMPARE(statusOf(r), 200);
        QCOMPARE(body(r)["generation"], 1);
        auto m = c.Get("/v1/model");
        QCOMPARE(statusOf(m), 200);
        const json info = body(m);
        QCOMPARE(info["name"], "lenet5");
        QCOMPARE(info["input_shape"], json({ 1, 28, 28 }));
        QCOMPARE(info["classes"].size(), size_t(10));
        QCOMPARE(info["classes"][3], "class3");
        QCOMPARE(info["normalization"]["mean"][0].get<float>(), 0.25f);
        QCOMPARE(info["version"].get<std::string>().size(), size_t(16));
        QCOMPARE(info["limits"]["max_images_per_request"], 64);
        QCOMPARE(statusOf(c.Post("/v1/predict", fixtures::encodedImage(28, 28, ".png"), "image/png")), 200);
        QCOMPARE(statusOf(c.Get("/nope")), 404);
        // Requests are counted just after their answer is sent (httplib's logger): wait for the 404's.
        QVERIFY(testing::waitFor([&] {
            auto m = c.Get("/metrics");
            return m && m->body.find("code=\"404\"} 1") != std::string::npos;
        }));
        auto metrics = c.Get("/metrics");
        QCOMPARE(statusOf(metrics), 200);
        QVERIFY(metrics->get_header_value("Content-Type").find("text/plain") == 0);
        const std::string text = metrics->body;
        for (const char* line : { "netcanvas_http_requests_total{endpoint=\"/v1/predict\",code=\"200\"} 1",
                 "netcanvas_http_requests_total{endpoint=\"other\",code=\"404\"} 1",
                 "netcanvas_http_requests_total{endpoint=\"/healthz\",code=\"200\"} 1",
                 "netcanvas_predict_latency_seconds_count 1", "netcanvas_batch_size_count 1",
                 "netcanvas_batch_size_bucket{le=\"1\"} 1", "netcanvas_queue_depth 0", "netcanvas_images_total 1",
                 "netcanvas_model_generation 1", "# TYPE netcanvas_predict_latency_seconds histogram" })
            QVERIFY2(text.find(line) != std::string::npos, line);
    }

    void predictMatchesTheEnginesInference()
    {
        auto server = startServer(m_weights);
        auto c = client(*server);
        const std::string png = fixtures::encodedImage(28, 28, ".png");
        auto r = c.Post("/v1/predict?top_k=10", png, "image/png");
        QCOMPARE(statusOf(r), 200);
        const json j = body(r);
        QCOMPARE(j["model"]["name"], "lenet5");
        QCOMPARE(j["predictions"].size(), size_t(1));
        const json& top = j["predictions"][0]["top"];
        QCOMPARE(top.size(), size_t(10));
        double sum = 0;
        for (size_t i = 0; i < top.size(); ++i) {
            sum += top[i]["probability"].get<double>();
            if (i > 0)
                QVERIFY(top[i]["probability"].get<double>() <= top[i - 1]["probability"].get<double>());
        }
        QVERIFY(std::abs(sum - 1.0) < 1e-4);
        // The same image through the model's own path (decode, normalize, forward) on a second load.
        auto reference = ServedModel::fromFiles(m_weights, {}, 1, 1);
        std::vector<float> in;
        reference->prepareImage(reinterpret_cast<const uint8_t*>(png.data()), png.size(), "ref", in);
        std::vector<float> p(10);
        reference->run(in.data(), 1, p.data());
        const int best = top[0]["index"].get<int>();
        QCOMPARE(static_cast<int>(std::max_element(p.begin(), p.end()) - p.begin()), best);
        QVERIFY(std::abs(p[static_cast<size_t>(best)] - top[0]["probability"].get<float>()) < 1e-5f);
        QCOMPARE(top[0]["class"], "class" + std::to_string(best));
        // Default top-k is 5; an image of another size and a JPEG are fitted like predict does.
        auto jpg = c.Post("/v1/predict", fixtures::encodedImage(100, 60, ".jpg", 3), "image/jpeg");
        QCOMPARE(statusOf(jpg), 200);
        QCOMPARE(body(jpg)["predictions"][0]["top"].size(), size_t(5));
    }

    void multipartAndJsonTensors()
    {
        auto server = startServer(m_weights);
        auto c = client(*server);
        httplib::MultipartFormDataItems items = {
            { "a", fixtures::encodedImage(28, 28, ".png"), "first.png", "image/png" },
            { "b", fixtures::encodedImage(50, 40, ".bmp"), "second.bmp", "image/bmp" },
            { "c", fixtures::encodedImage(28, 28, ".jpg"), "third.jpg", "image/jpeg" },
        };
        auto m = c.Post("/v1/predict?top_k=2", items);
        QCOMPARE(statusOf(m), 200);
        const json mj = body(m);
        QCOMPARE(mj["predictions"].size(), size_t(3));
        QCOMPARE(mj["predictions"][0]["name"], "first.png");
        QCOMPARE(mj["predictions"][1]["name"], "second.bmp");
        QCOMPARE(mj["predictions"][2]["top"].size(), size_t(2));

        auto t = c.Post("/v1/predict", jsonTensors(3, 784, 0.5f), "application/json");
        QCOMPARE(statusOf(t), 200);
        QCOMPARE(body(t)["predictions"].size(), size_t(3));
        // A bare array of nested C×H×W tensors, top_k in the body, normalization off.
        json nested = json::array({ json::array({ json::array() }) });
        for (int y = 0; y < 28; ++y)
            nested[0][0].push_back(std::vector<float>(28, 0.1f));
        nested[0] = json::array({ nested[0][0] });
        auto bare = c.Post("/v1/predict", json::array({ nested[0] }).dump(), "application/json");
        QCOMPARE(statusOf(bare), 200);
        auto raw = c.Post("/v1/predict",
            json {
                { "inputs", json::array({ std::vector<float>(784, -0.5f) }) }, { "normalize", false }, { "top_k", 1 } }
                .dump(),
            "application/json");
        QCOMPARE(statusOf(raw), 200);
        QCOMPARE(body(raw)["predictions"][0]["top"].size(), size_t(1));
        // Tensor values 0.25 normalized with mean 0.25 equal a raw input of zeros.
        auto a = c.Post("/v1/predict?top_k=1", jsonTensors(1, 784, 0.25f), "application/json");
        auto z = c.Post("/v1/predict?top_k=1",
            json { { "inputs", json::array({ std::vector<float>(784, 0.0f) }) }, { "normalize", false } }.dump(),
            "application/json");
        QCOMPARE(statusOf(a), 200);
        QCOMPARE(statusOf(z), 200);
        QCOMPARE(body(a)["predictions"][0]["top"][0]["index"], body(z)["predictions"][0]["top"][0]["index"]);
        QVERIFY(std::abs(body(a)["predictions"][0]["top"][0]["probability"].get<double>()
                    - body(z)["predictions"][0]["top"][0]["probability"].get<double>())
            < 1e-5);
    }

    void binaryTensorBodiesPredictLikeImagesAndJson()
    {
        auto server = startServer(m_weights);
        auto c = client(*server);
        // Three 28×28 samples; the first is the pixels of a PNG the service also gets as an image.
        const std::string png = fixtures::encodedImage(28, 28, ".png");
        const cv::Mat decoded = cv::imdecode(
            cv::Mat(1, static_cast<int>(png.size()), CV_8UC1, const_cast<char*>(png.data())), cv::IMREAD_GRAYSCALE);
        std::vector<uint8_t> pixels(3 * 784);
        std::memcpy(pixels.data(), decoded.data, 784);
        for (size_t i = 784; i < pixels.size(); ++i)
            pixels[i] = static_cast<uint8_t>((i * 31) % 251);
        auto t = c.Post("/v1/predict?top_k=10", encodeTensorBody(TensorDType::UInt8, 3, 1, 28, 28, pixels.data()),
            kTensorContentType);
        QCOMPARE(statusOf(t), 200);
        const json tj = body(t);
        QCOMPARE(tj["predictions"].size(), size_t(3));
        auto i = c.Post("/v1/predict?top_k=10", png, "image/png");
        QCOMPARE(statusOf(i), 200);
        const json fromImage = body(i)["predictions"][0]["top"];
        for (size_t k = 0; k < 10; ++k) {
            QCOMPARE(tj["predictions"][0]["top"][k]["index"], fromImage[k]["index"]);
            QVERIFY(std::abs(tj["predictions"][0]["top"][k]["probability"].get<double>()
                        - fromImage[k]["probability"].get<double>())
                < 1e-6);
        }
        // float32 bodies: values in [0, 1] are normalized like JSON tensors; ?normalize=false
        // takes them as the network's input.
        std::vector<float> floats(784);
        for (size_t k = 0; k < 784; ++k)
            floats[k] = static_cast<float>(pixels[784 + k]) / 255.0f;
        auto f = c.Post("/v1/predict?top_k=3", encodeTensorBody(TensorDType::Float32, 1, 1, 28, 28, floats.data()),
            kTensorContentType);
        QCOMPARE(statusOf(f), 200);
        QCOMPARE(body(f)["predictions"][0]["top"][0]["index"], tj["predictions"][1]["top"][0]["index"]);
        QVERIFY(std::abs(body(f)["predictions"][0]["top"][0]["probability"].get<double>()
                    - tj["predictions"][1]["top"][0]["probability"].get<double>())
            < 1e-5);
        const std::vector<float> zeros(784, 0.0f), quarter(784, 0.25f);
        auto raw = c.Post("/v1/predict?top_k=1&normalize=false",
            encodeTensorBody(TensorDType::Float32, 1, 1, 28, 28, zeros.data()), kTensorContentType);
        auto normalized = c.Post("/v1/predict?top_k=1",
            encodeTensorBody(TensorDType::Float32, 1, 1, 28, 28, quarter.data()), kTensorContentType);
        QCOMPARE(statusOf(raw), 200);
        QCOMPARE(statusOf(normalized), 200);
        QVERIFY(std::abs(body(raw)["predictions"][0]["top"][0]["probability"].get<double>()
                    - body(normalized)["predictions"][0]["top"][0]["probability"].get<double>())
            < 1e-6);

        // Errors: 400 naming the fault, 413 beyond --max-images.
        auto expect = [&](const std::string& payload, const std::string& query, int status, const std::string& reason) {
            auto r = c.Post("/v1/predict" + query, payload, kTensorContentType);
            if (statusOf(r) != status)
                return false;
            const std::string error = body(r)["error"].get<std::string>();
            if (error.find(reason) == std::string::npos)
                qWarning("%s", error.c_str());
            return error.find(reason) != std::string::npos;
        };
        QVERIFY(expect(encodeTensorBody(TensorDType::UInt8, 1, 3, 28, 28, std::vector<uint8_t>(3 * 784).data()), "",
            400, "samples of 3×28×28, but the model takes 1×28×28"));
        QVERIFY(expect("NCT1 but short", "", 400, "tensor body"));
        QVERIFY(expect(encodeTensorBody(TensorDType::UInt8, 1, 1, 28, 28, pixels.data()).substr(0, 500), "", 400,
            "needs 24 + 784"));
        std::vector<float> bad = floats;
        bad[100] = std::numeric_limits<float>::quiet_NaN();
        QVERIFY(expect(encodeTensorBody(TensorDType::Float32, 1, 1, 28, 28, bad.data()), "", 400, "not finite"));
        QVERIFY(expect(encodeTensorBody(TensorDType::UInt8, 1, 1, 28, 28, pixels.data()), "?normalize=maybe", 400,
            "normalize must be true or false"));
        std::vector<uint8_t> many(65 * 784, 1);
        QVERIFY(expect(encodeTensorBody(TensorDType::UInt8, 65, 1, 28, 28, many.data()), "", 413, "--max-images"));
        QCOMPARE(statusOf(c.Post("/v1/predict", png, "image/png")), 200);
    }

    void badUploadsAre400WithTheReason_data()
    {
        QTest::addColumn<QString>("contentType");
        QTest::addColumn<QByteArray>("payload");
        QTest::addColumn<QString>("reason");
        const std::string png = fixtures::encodedImage(28, 28, ".png");
        const std::string jpg = fixtures::encodedImage(28, 28, ".jpg");
        QTest::newRow("not an image") << "application/octet-stream" << QByteArray("just some text") << "not an image";
        QTest::newRow("truncated png") << "image/png" << QByteArray(png.data(), int(png.size() / 2)) << "truncated PNG";
        QTest::newRow("truncated jpeg") << "image/jpeg" << QByteArray(jpg.data(), int(jpg.size() - 40))
                                        << "truncated JPEG";
        QTest::newRow("empty body") << "image/png" << QByteArray() << "empty body";
        QTest::newRow("wrong tensor size") << "application/json" << QByteArray(R"({"inputs": [[1, 2, 3]]})")
                                           << "3 values, but the model takes 1×28×28 = 784";
        QTest::newRow("not numbers") << "application/json" << QByteArray(R"({"inputs": [["a"]]})")
                                     << "array of numbers";
        QTest::newRow("malformed json") << "application/json" << QByteArray(R"({"inputs": [[1, 2)") << "malformed JSON";
        QTest::newRow("no inputs") << "application/json" << QByteArray(R"({"images": []})") << "expected {\"inputs\"";
        QTest::newRow("no tensors") << "application/json" << QByteArray(R"([])") << "no tensors";
        QTest::newRow("deep json") << "application/json" << QByteArray(5000, '[') << "nested deeper";
        QTest::newRow("bad top_k") << "application/json" << QByteArray(R"({"inputs": [[1]], "top_k": 0})") << "top_k";
        QTest::newRow("bad normalize") << "application/json" << QByteArray(R"({"inputs": [[1]], "normalize": 1})")
                                       << "normalize";
        std::string huge = "{\"inputs\": [[1e39";
        for (int i = 1; i < 784; ++i)
            huge += ",1";
        QTest::newRow("not finite") << "application/json" << QByteArray::fromStdString(huge + "]]}") << "not finite";
    }

    void badUploadsAre400WithTheReason()
    {
        QFETCH(QString, contentType);
        QFETCH(QByteArray, payload);
        QFETCH(QString, reason);
        auto server = startServer(m_weights);
        auto c = client(*server);
        auto r = c.Post("/v1/predict", payload.toStdString(), contentType.toStdString().c_str());
        QCOMPARE(statusOf(r), 400);
        QCOMPARE(r->get_header_value("Content-Type"), std::string("application/json"));
        const json j = body(r);
        QCOMPARE(j["status"], 400);
        QVERIFY2(j["error"].get<std::string>().find(reason.toStdString()) != std::string::npos,
            j["error"].get<std::string>().c_str());
        // A bad top_k in the query too; and the service still answers afterwards.
        QCOMPARE(statusOf(c.Post("/v1/predict?top_k=x", fixtures::encodedImage(28, 28, ".png"), "image/png")), 400);
        QCOMPARE(statusOf(c.Post("/v1/predict", fixtures::encodedImage(28, 28, ".png"), "image/png")), 200);
    }

    void limitsAnswer413()
    {
        ServeOptions o;
        o.limits.maxBodyBytes = 64 * 1024;
        o.limits.maxImageSide = 1000;
        o.limits.maxImagePixels = 250'000;
        o.limits.maxImagesPerRequest = 3;
        auto server = startServer(m_weights, o);
        auto c = client(*server);
        auto big = c.Post("/v1/predict", std::string(100 * 1024, 'x'), "application/octet-stream");
        QCOMPARE(statusOf(big), 413);
        QVERIFY(json::parse(big->body)["error"].get<std::string>().find("--max-body-mb") != std::string::npos);
        // Pixels and sides come from the header: these are small files of large images.
        auto wide = c.Post("/v1/predict", fixtures::encodedImage(1200, 10, ".png"), "image/png");
        QCOMPARE(statusOf(wide), 413);
        QVERIFY(body(wide)["error"].get<std::string>().find("--max-image-side") != std::string::npos);
        auto many = c.Post("/v1/predict", fixtures::encodedImage(600, 600, ".png"), "image/png");
        QCOMPARE(statusOf(many), 413);
        QVERIFY2(body(many)["error"].get<std::string>().find("360000 pixels") != std::string::npos, many->body.c_str());
        httplib::MultipartFormDataItems items;
        for (int i = 0; i < 4; ++i)
            items.push_back({ "f" + std::to_string(i), fixtures::encodedImage(28, 28, ".png"), "x.png", "image/png" });
        auto four = c.Post("/v1/predict", items);
        QCOMPARE(statusOf(four), 413);
        QVERIFY(body(four)["error"].get<std::string>().find("--max-images") != std::string::npos);
        auto tensors = c.Post("/v1/predict", jsonTensors(4, 784, 0.1f), "application/json");
        QCOMPARE(statusOf(tensors), 413);
        // Below the limits the same service answers.
        QCOMPARE(statusOf(c.Post("/v1/predict", fixtures::encodedImage(500, 500, ".png"), "image/png")), 200);
    }

    void fullQueueAnswers429()
    {
        ServeOptions o;
        o.limits.maxQueue = 2;
        auto server = startServer(m_weights, o);
        auto c = client(*server);
        auto r = c.Post("/v1/predict", jsonTensors(3, 784, 0.1f), "application/json");
        QCOMPARE(statusOf(r), 429);
        QCOMPARE(r->get_header_value("Retry-After"), std::string("1"));
        QVERIFY(body(r)["error"].get<std::string>().find("--max-queue") != std::string::npos);
        QCOMPARE(statusOf(c.Post("/v1/predict", jsonTensors(2, 784, 0.1f), "application/json")), 200);
    }

    void connectionsBeyondTheLimitAnswer503()
    {
        ServeOptions o;
        o.limits.maxConnections = 2;
        auto server = startServer(m_weights, o);
        // Two keep-alive connections hold the two connection threads.
        httplib::Client a("127.0.0.1", server->port()), b("127.0.0.1", server->port());
        a.set_keep_alive(true);
        b.set_keep_alive(true);
        QCOMPARE(statusOf(a.Get("/healthz")), 200);
        QCOMPARE(statusOf(b.Get("/healthz")), 200);
        httplib::Client third("127.0.0.1", server->port());
        auto r = third.Get("/v1/model");
        QCOMPARE(statusOf(r), 503);
        QVERIFY(body(r)["error"].get<std::string>().find("--max-connections") != std::string::npos);
        // The held connections still work; once one closes, a new one is served.
        QCOMPARE(statusOf(a.Post("/v1/predict", fixtures::encodedImage(28, 28, ".png"), "image/png")), 200);
        b.stop();
        QVERIFY(testing::waitFor(
            [&] {
                httplib::Client next("127.0.0.1", server->port());
                auto n = next.Get("/healthz");
                return n && n->status == 200;
            },
            10000));
    }

    void tokenIsRequiredWhenSet()
    {
        ServeOptions o;
        o.token = "0123456789abcdef-secret";
        auto server = startServer(m_weights, o);
        auto c = client(*server);
        QCOMPARE(statusOf(c.Get("/healthz")), 200);
        QCOMPARE(statusOf(c.Get("/readyz")), 200);
        auto none = c.Get("/v1/model");
        QCOMPARE(statusOf(none), 401);
        QVERIFY(body(none)["error"].get<std::string>().find("Bearer") != std::string::npos);
        QCOMPARE(statusOf(c.Get("/metrics", { { "Authorization", "Bearer wrong-token-0000000" } })), 401);
        QCOMPARE(statusOf(c.Post("/v1/predict", fixtures::encodedImage(28, 28, ".png"), "image/png")), 401);
        c.set_bearer_token_auth(o.token.c_str());
        QCOMPARE(statusOf(c.Get("/v1/model")), 200);
        QCOMPARE(statusOf(c.Post("/v1/predict", fixtures::encodedImage(28, 28, ".png"), "image/png")), 200);
    }

    void nonLoopbackNeedsATokenOrAnExplicitFlag()
    {
        auto loader = [this](int64_t g) { return ServedModel::fromFiles(m_weights, {}, 1, g); };
        ServeOptions o;
        o.host = "0.0.0.0";
        try {
            InferenceServer s(o, loader);
            QFAIL("a non-loopback bind without a token was accepted");
        } catch (const FormatError& e) {
            QVERIFY(std::string(e.what()).find("--token-file") != std::string::npos);
        }
        o.allowUnauthenticatedRemote = true;
        InferenceServer allowed(o, loader); // not started: the check is in the constructor
        o.allowUnauthenticatedRemote = false;
        o.token = "0123456789abcdef";
        InferenceServer withToken(o, loader);
        QVERIFY(isLoopbackHost("127.0.0.1") && isLoopbackHost("::1") && isLoopbackHost("localhost"));
        QVERIFY(!isLoopbackHost("192.168.1.2") && !isLoopbackHost("::"));
        ServeOptions bad;
        bad.maxBatch = 0;
        QVERIFY_THROWS_EXCEPTION(FormatError, InferenceServer(bad, loader));
    }

    void concurrentRequestsShareBatchesAndALoneOneDoesNotWait()
    {
        ServeOptions o;
        o.maxDelayMs = 1000; // a lone request must not wait for it
        auto server = startServer(m_weights, o);
        {
            auto c = client(*server);
            const auto t0 = std::chrono::steady_clock::now();
            QCOMPARE(statusOf(c.Post("/v1/predict", fixtures::encodedImage(28, 28, ".png"), "image/png")), 200);
            const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
            QVERIFY2(ms < 500, std::to_string(ms).c_str());
        }
        const std::string tensors = jsonTensors(4, 784, 0.3f);
        std::atomic<int> ok { 0 };
        std::vector<std::thread> threads;
        for (int t = 0; t < 8; ++t)
            threads.emplace_back([&] {
                auto c = client(*server);
                for (int i = 0; i < 10; ++i) {
                    auto r = c.Post("/v1/predict", tensors, "application/json");
                    if (r && r->status == 200)
                        ++ok;
                }
            });
        for (auto& t : threads)
            t.join();
        QCOMPARE(ok.load(), 80);
        const MetricsSnapshot s = server->snapshot();
        QCOMPARE(s.images, 1 + 80 * 4);
        QVERIFY2(s.meanBatch > 4.0, std::to_string(s.meanBatch).c_str()); // requests of 4 shared batches
        QCOMPARE(s.queueDepth, 0);
        QCOMPARE(s.inFlight, 0);
    }

    void reloadUnderTrafficDropsNothing()
    {
        const std::string weights = m_dir.filePath("reloaded.safetensors").toStdString();
        fixtures::writeTemplateWeights("lenet5", weights, 1);
        auto server = startServer(weights);
        const std::string firstVersion = server->model()->version();
        std::atomic<bool> stop { false };
        std::atomic<int> ok { 0 }, failed { 0 };
        std::vector<std::thread> clients;
        for (int t = 0; t < 4; ++t)
            clients.emplace_back([&, t] {
                auto c = client(*server);
                const std::string png = fixtures::encodedImage(28 + t, 28, ".png");
                while (!stop) {
                    auto r = c.Post("/v1/predict", png, "image/png");
                    (r && r->status == 200 ? ok : failed)++;
                }
            });
        auto admin = client(*server);
        std::set<std::string> versions { firstVersion };
        for (int i = 2; i <= 6; ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(60));
            fixtures::writeTemplateWeights("lenet5", weights, static_cast<uint64_t>(i)); // new weights, same path
            auto r = admin.Post("/v1/reload", "", "application/json");
            QCOMPARE(statusOf(r), 200);
            QCOMPARE(body(r)["generation"], i);
            versions.insert(body(r)["version"].get<std::string>());
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(60));
        stop = true;
        for (auto& t : clients)
            t.join();
        QCOMPARE(failed.load(), 0);
        QVERIFY(ok.load() > 20);
        QCOMPARE(versions.size(), size_t(6));
        QCOMPARE(server->model()->generation(), 6);
        QVERIFY(admin.Get("/metrics")->body.find("netcanvas_reloads_total{result=\"ok\"} 5") != std::string::npos);

        // A failed reload keeps the running model and says why.
        QFile::remove(QString::fromStdString(weights));
        auto bad = admin.Post("/v1/reload", "", "application/json");
        QCOMPARE(statusOf(bad), 500);
        QVERIFY(body(bad)["error"].get<std::string>().find("still serving") != std::string::npos);
        QCOMPARE(statusOf(admin.Post("/v1/predict", fixtures::encodedImage(28, 28, ".png"), "image/png")), 200);
        QCOMPARE(server->model()->generation(), 6);
    }

    void shutdownFinishesInFlightAndRefusesNew()
    {
        const std::string vgg = m_dir.filePath("vgg.safetensors").toStdString();
        fixtures::writeTemplateWeights("vgg-small", vgg, 3);
        ServeOptions o;
        o.maxBatch = 8; // a request of 32 images runs as 4 batches: it is in flight for a while
        auto server = startServer(vgg, o);
        const auto model = server->model();
        const std::string tensors = jsonTensors(32, model->sampleSize(), 0.2f);
        std::atomic<int> ok { 0 }, refused { 0 }, broken { 0 };
        std::atomic<int> started { 0 };
        std::vector<std::thread> clients;
        for (int t = 0; t < 3; ++t)
            clients.emplace_back([&] {
                auto c = client(*server);
                ++started;
                auto r = c.Post("/v1/predict", tensors, "application/json");
                if (r && r->status == 200)
                    ++ok;
                else if (r && r->status == 503)
                    ++refused;
                else
                    ++broken;
            });
        QVERIFY(testing::waitFor([&] { return server->snapshot().inFlight == 3; }, 10000));
        server->shutdown();
        for (auto& t : clients)
            t.join();
        QCOMPARE(ok.load(), 3);
        QCOMPARE(broken.load(), 0);
        QVERIFY(!server->running());
        httplib::Client after("127.0.0.1", server->port());
        after.set_connection_timeout(1, 0);
        QVERIFY(!after.Get("/healthz")); // the port is closed
    }
};

QTEST_GUILESS_MAIN(TestServe)
#include "test_serve.moc"
