// `netcanvas-cli serve` as a child process: it prints its URL, SIGHUP reloads the weights, SIGTERM
// finishes the requests in flight and refuses new ones, a non-loopback bind needs a token.
#include "ServeFixtures.h"
#include "common/WaitFor.h"

#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>

#include <csignal>
#include <nlohmann/json.hpp>
#include <thread>

using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

// Starts `netcanvas-cli serve ARGS --port 0` and returns its port once it prints its URL (0 on failure).
int startServe(QProcess& p, const QStringList& args)
{
    p.setProgram(NETCANVAS_CLI_PATH);
    p.setArguments(QStringList { "serve" } + args + QStringList { "--port", "0", "--threads", "1" });
    p.start();
    if (!p.waitForStarted(10000))
        return 0;
    QByteArray out;
    const QRegularExpression url("at http://127\\.0\\.0\\.1:(\\d+)");
    const auto end = Clock::now() + std::chrono::seconds(20);
    while (Clock::now() < end) {
        p.waitForReadyRead(200);
        out += p.readAllStandardOutput();
        const auto m = url.match(QString::fromUtf8(out));
        if (m.hasMatch())
            return m.captured(1).toInt();
        if (p.state() == QProcess::NotRunning)
            break;
    }
    qWarning("serve did not start: %s %s", out.constData(), p.readAllStandardError().constData());
    return 0;
}

// Reads the child's stdout until it holds `text` (or times out).
bool waitForOutput(QProcess& p, QByteArray& out, const QByteArray& text, int ms = 20000)
{
    const auto end = Clock::now() + std::chrono::milliseconds(ms);
    while (!out.contains(text) && Clock::now() < end) {
        p.waitForReadyRead(100);
        out += p.readAllStandardOutput();
    }
    return out.contains(text);
}

} // namespace

class TestServeCli : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;

private slots:
    void initTestCase()
    {
        std::signal(SIGPIPE, SIG_IGN); // a client writing to a connection the server closed gets an error instead
    }

    void sighupReloadsAndSigtermDrains()
    {
        // A run folder as `train` writes it: weights.safetensors (with the model embedded).
        QVERIFY(QDir(m_dir.path()).mkpath("run"));
        const std::string weights = m_dir.filePath("run/weights.safetensors").toStdString();
        netcanvas::fixtures::writeTemplateWeights("vgg-small", weights, 5);
        QProcess p;
        const int port = startServe(p, { m_dir.filePath("run"), "--max-batch", "8" });
        QVERIFY(port > 0);
        httplib::Client admin("127.0.0.1", port);
        auto ready = admin.Get("/readyz");
        QVERIFY(ready && ready->status == 200);
        const std::string firstVersion = json::parse(admin.Get("/v1/model")->body)["version"];

        // SIGHUP: new weights at the same path are served, as generation 2.
        netcanvas::fixtures::writeTemplateWeights("vgg-small", weights, 6);
        QByteArray out;
        ::kill(static_cast<pid_t>(p.processId()), SIGHUP);
        QVERIFY(waitForOutput(p, out, "reloaded: generation 2"));
        const json model = json::parse(admin.Get("/v1/model")->body);
        QCOMPARE(model["generation"], 2);
        QVERIFY(model["version"] != firstVersion);

        // SIGTERM while requests of 32 images (4 batches of 8 each) are in flight.
        json inputs = json::array();
        for (int i = 0; i < 32; ++i)
            inputs.push_back(std::vector<float>(model["input_shape"][0].get<size_t>()
                    * model["input_shape"][1].get<size_t>() * model["input_shape"][2].get<size_t>(),
                0.3f));
        const std::string body = json { { "inputs", inputs } }.dump();
        struct Outcome {
            Clock::time_point start, end;
            int status = 0; // 0: no response
            std::string body;
        };
        std::mutex mutex;
        std::vector<Outcome> outcomes;
        std::atomic<bool> stop { false };
        std::vector<std::thread> clients;
        for (int t = 0; t < 3; ++t)
            clients.emplace_back([&] {
                while (!stop) {
                    httplib::Client c("127.0.0.1", port); // a new connection per request
                    c.set_read_timeout(30, 0);
                    Outcome o;
                    o.start = Clock::now();
                    auto r = c.Post("/v1/predict", body, "application/json");
                    o.end = Clock::now();
                    o.status = r ? r->status : 0;
                    if (r && r->status != 200)
                        o.body = r->body;
                    std::lock_guard lock(mutex);
                    outcomes.push_back(o);
                    if (!r)
                        return; // the listener is closed
                }
            });
        QVERIFY(netcanvas::testing::waitFor(
            [&] {
                auto m = admin.Get("/metrics");
                return m && m->body.find("netcanvas_inflight_requests 0") == std::string::npos;
            },
            20000));
        const auto signalled = Clock::now();
        ::kill(static_cast<pid_t>(p.processId()), SIGTERM);
        QVERIFY(p.waitForFinished(30000));
        stop = true;
        for (auto& t : clients)
            t.join();
        out += p.readAllStandardOutput();
        QCOMPARE(p.exitStatus(), QProcess::NormalExit);
        QCOMPARE(p.exitCode(), 0);
        QVERIFY2(out.contains("SIGTERM: finishing in-flight requests"), out.constData());
        QVERIFY2(out.contains("stopped after"), out.constData());
        int finishedAfterSignal = 0;
        for (const Outcome& o : outcomes) {
            if (o.start < signalled) {
                // Sent before SIGTERM: answered, or refused with a clean 503 — never cut off.
                QVERIFY2(o.status == 200 || o.status == 503, (std::to_string(o.status) + " " + o.body).c_str());
                if (o.status == 200 && o.end > signalled)
                    ++finishedAfterSignal;
            } else {
                QVERIFY(o.status == 0 || o.status == 503 || o.status == 200);
            }
        }
        QVERIFY2(finishedAfterSignal >= 1, "no request was in flight when SIGTERM came");
        httplib::Client after("127.0.0.1", port);
        after.set_connection_timeout(1, 0);
        QVERIFY(!after.Get("/healthz"));
    }

    void nonLoopbackWithoutTokenIsRefused()
    {
        const std::string weights = m_dir.filePath("lenet.safetensors").toStdString();
        netcanvas::fixtures::writeTemplateWeights("lenet5", weights, 1);
        QProcess p;
        p.start(NETCANVAS_CLI_PATH, { "serve", QString::fromStdString(weights), "--host", "0.0.0.0", "--port", "0" });
        QVERIFY(p.waitForFinished(20000));
        QCOMPARE(p.exitCode(), 1);
        const QByteArray err = p.readAllStandardError();
        QVERIFY2(err.contains("--token-file") && err.contains("0.0.0.0"), err.constData());

        // A token shorter than 16 characters is refused, naming the file.
        const QString tokenFile = m_dir.filePath("token.txt");
        QFile f(tokenFile);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("short\n");
        f.close();
        p.start(NETCANVAS_CLI_PATH, { "serve", QString::fromStdString(weights), "--token-file", tokenFile });
        QVERIFY(p.waitForFinished(20000));
        QCOMPARE(p.exitCode(), 1);
        QVERIFY(p.readAllStandardError().contains("at least 16 characters"));

        // A path that holds no model.
        p.start(NETCANVAS_CLI_PATH, { "serve", m_dir.path(), "--port", "0" });
        QVERIFY(p.waitForFinished(20000));
        QCOMPARE(p.exitCode(), 1);
        QVERIFY(p.readAllStandardError().contains("weights.safetensors"));
    }
};

QTEST_GUILESS_MAIN(TestServeCli)
#include "test_serve_cli.moc"
