// Deploy ▸ Serve This Model in the app (offscreen): the ServeCoordinator starts the service in
// process for given weights off the UI thread, the ServeDialog shows its URL, a curl example and
// live figures, Reload serves the weights again and Stop stops it gracefully.
#include "app/MainWindow.h"
#include "app/ServeCoordinator.h"
#include "app/ServeDialog.h"
#include "common/WaitFor.h"
#include "engine/backend/Backend.h"
#include "engine/graph/ModelJson.h"
#include "engine/serve/InferenceServer.h"
#include "engine/session/ModelWeights.h"

#include <httplib.h>
#include <opencv2/imgcodecs.hpp>

#include <QMenuBar>
#include <QPushButton>
#include <QSignalSpy>
#include <QtTest>

using namespace netcanvas;

namespace {

std::shared_ptr<const ModelWeights> lenetWeights()
{
    const ModelGraph graph = loadModelFile(std::string(NETCANVAS_SOURCE_DIR) + "/models/lenet5.json");
    auto backend = createCpuBackend(1);
    Network net(graph, *backend, 3);
    std::vector<std::string> names;
    for (int c = 0; c < 10; ++c)
        names.push_back("c" + std::to_string(c));
    return ModelWeights::capture(graph, net, Normalization {}, names);
}

std::string png28()
{
    cv::Mat img(28, 28, CV_8UC1, cv::Scalar(90));
    std::vector<uint8_t> bytes;
    cv::imencode(".png", img, bytes);
    return std::string(bytes.begin(), bytes.end());
}

QPushButton* button(QWidget* w, const QString& text)
{
    for (QPushButton* b : w->findChildren<QPushButton*>())
        if (b->text() == text)
            return b;
    return nullptr;
}

} // namespace

class TestServeDialog : public QObject {
    Q_OBJECT

private slots:
    void deployMenuHasTheAction()
    {
        app::MainWindow window;
        QAction* deploy = nullptr;
        for (QAction* a : window.menuBar()->actions())
            if (a->text() == "&Deploy")
                deploy = a;
        QVERIFY(deploy && deploy->menu());
        QCOMPARE(deploy->menu()->actions().size(), 1);
        QCOMPARE(deploy->menu()->actions().first(), window.serving()->serveAction());
    }

    void servesShowsFiguresReloadsAndStops()
    {
        app::MainWindow window;
        app::ServeCoordinator* serving = window.serving();
        QSignalSpy started(serving, &app::ServeCoordinator::started);
        QSignalSpy stopped(serving, &app::ServeCoordinator::stopped);
        serving->serveWeights(lenetWeights(), "lenet5");
        QVERIFY(!serving->serveAction()->isEnabled()); // starting on a worker thread
        QVERIFY(started.wait(20000));
        app::ServeDialog* dialog = serving->dialog();
        QVERIFY(dialog && dialog->isVisible());
        const QString url = started.first().first().toString();
        QVERIFY(url.startsWith("http://127.0.0.1:"));
        QCOMPARE(dialog->url(), url);
        QVERIFY(dialog->curlExample().contains("curl --data-binary @image.png " + url + "/v1/predict"));
        QCOMPARE(dialog->figure("requests"), QString("0"));

        const int port = url.section(':', -1).toInt();
        httplib::Client c("127.0.0.1", port);
        for (int i = 0; i < 3; ++i) {
            auto r = c.Post("/v1/predict", png28(), "image/png");
            QVERIFY(r && r->status == 200);
        }
        QVERIFY(c.Post("/v1/predict", "not an image", "image/png")->status == 400);
        // A request is counted just after its answer is sent (httplib's logger): wait for the 4th.
        QVERIFY(testing::waitFor([&] {
            dialog->refresh();
            return dialog->figure("requests") == "4";
        }));
        QCOMPARE(dialog->figure("predictions"), QString("3 (3 images)"));
        QCOMPARE(dialog->figure("errors"), QString("1"));
        QVERIFY(dialog->figure("latency").contains(" ms / "));
        QCOMPARE(dialog->figure("batch"), QString("1.0"));
        QVERIFY2(dialog->figure("throughput").contains(QStringLiteral(" images/s (")),
            qPrintable(dialog->figure("throughput")));
        dialog->grab().save(QDir::temp().filePath("netcanvas-serve-dialog.png"));

        // Reload (there is no newer run here: the same weights again, as generation 2).
        QPushButton* reload = button(dialog, "Reload");
        QVERIFY(reload);
        reload->click();
        QVERIFY(testing::waitFor([&] { return serving->server()->model()->generation() == 2; }, 20000));

        QPushButton* stop = button(dialog, "Stop");
        QVERIFY(stop);
        stop->click();
        QVERIFY(stopped.wait(20000));
        QVERIFY(!serving->server());
        QVERIFY(!stop->isEnabled());
        httplib::Client after("127.0.0.1", port);
        after.set_connection_timeout(1, 0);
        QVERIFY(!after.Get("/healthz"));
        QCOMPARE(dialog->figure("requests").toInt(), 4);
    }

    void closingTheWindowStopsTheService()
    {
        int port = 0;
        {
            app::MainWindow window;
            QSignalSpy started(window.serving(), &app::ServeCoordinator::started);
            window.serving()->serveWeights(lenetWeights(), "lenet5");
            QVERIFY(started.wait(20000));
            port = window.serving()->server()->port();
            httplib::Client c("127.0.0.1", port);
            QVERIFY(c.Get("/readyz")->status == 200);
        }
        httplib::Client after("127.0.0.1", port);
        after.set_connection_timeout(1, 0);
        QVERIFY(!after.Get("/healthz"));
    }
};

QTEST_MAIN(TestServeDialog)
#include "test_serve_dialog.moc"
