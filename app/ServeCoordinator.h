#pragma once
// ServeCoordinator: the Deploy menu. "Serve This Model" starts the inference service
// (engine/serve/InferenceServer, the same as `netcanvas-cli serve`) in this process for the
// last finished run's weights, on 127.0.0.1 and a free port, and shows a ServeDialog with its
// URL, a curl example and live figures. Starting (loading the model), Reload and the graceful
// Stop run on worker threads (QtConcurrent); HTTP connections and inference run on the
// service's own threads. Reload serves the latest finished run's weights.
// One service at a time; closing the window stops it (the destructor waits for the stop).
#include "app/ServeDialog.h"

#include <QObject>
#include <QPointer>

#include <memory>
#include <mutex>

class QAction;
class QMenu;
class QWidget;

namespace netcanvas {
struct ModelWeights;
namespace serve {
class InferenceServer;
}
} // namespace netcanvas

namespace netcanvas::app {

class TrainingCoordinator;

class ServeCoordinator : public QObject {
    Q_OBJECT
public:
    ServeCoordinator(QWidget* window, TrainingCoordinator* training, QMenu* deployMenu);
    ~ServeCoordinator() override;

    QAction* serveAction() const { return m_serveAction; }
    ServeDialog* dialog() const { return m_dialog; }
    serve::InferenceServer* server() const { return m_server.get(); }

    // Deploy ▸ Serve This Model: starts the service (or shows the running one's dialog).
    void serveThisModel();
    // Serves `weights` (the action passes the last run's); `port` 0 = any free port.
    void serveWeights(std::shared_ptr<const ModelWeights> weights, const QString& label, int port = 0);
    // Stops the running service and waits for it (the graceful stop).
    void stopAndWait();

signals:
    void started(const QString& url);
    void stopped();
    void failed(const QString& message);

private:
    void showDialog(const QString& label);
    void reload();
    void stop();

    QWidget* m_window;
    TrainingCoordinator* m_training;
    QAction* m_serveAction = nullptr;
    std::shared_ptr<serve::InferenceServer> m_server;
    // The weights the loader serves (read on the loader's thread, set on the UI thread).
    struct Source {
        std::mutex mutex;
        std::shared_ptr<const ModelWeights> weights;
    };
    std::shared_ptr<Source> m_source = std::make_shared<Source>();
    QPointer<ServeDialog> m_dialog;
    bool m_busy = false;
};

} // namespace netcanvas::app
