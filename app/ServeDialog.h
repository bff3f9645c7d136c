#pragma once
// ServeDialog: the window of a running inference service (Deploy ▸ Serve This Model): its URL,
// a curl example, live figures (requests, predictions, errors, latency p50/p99 over the recent
// predictions, mean batch size, queue) refreshed twice a second, and Reload / Stop.
//
// The dialog only reads the server's thread-safe snapshot(); Stop and Reload are requested
// through signals, which the ServeCoordinator runs on worker threads (a graceful stop waits for
// in-flight requests). Requires: `server` outlives the dialog or setStopped() is called first.
#include <QDialog>
#include <QElapsedTimer>

class QLabel;
class QPlainTextEdit;
class QPushButton;
class QTimer;

namespace netcanvas::serve {
class InferenceServer;
}

namespace netcanvas::app {

class ServeDialog : public QDialog {
    Q_OBJECT
public:
    ServeDialog(serve::InferenceServer* server, const QString& modelLabel, QWidget* parent = nullptr);

    QString url() const;
    QString curlExample() const;
    // The figures as shown (for tests): "requests", "predictions", "errors", "latency", "batch", "queue".
    QString figure(const QString& name) const;
    // Re-reads the server's figures now (the timer calls it twice a second).
    void refresh();
    // The server is gone: figures freeze, Stop and Reload are disabled, the status says why.
    void setStopped(const QString& status);
    void setStatus(const QString& status);

signals:
    void stopRequested();
    void reloadRequested();

private:
    serve::InferenceServer* m_server;
    QLabel* m_url = nullptr;
    QLabel* m_status = nullptr;
    QPlainTextEdit* m_curl = nullptr;
    QLabel *m_requests = nullptr, *m_predictions = nullptr, *m_errors = nullptr, *m_latency = nullptr,
           *m_batch = nullptr, *m_queue = nullptr, *m_rate = nullptr;
    QPushButton *m_stop = nullptr, *m_reload = nullptr;
    QTimer* m_timer = nullptr;
    // The throughput row: images and requests predicted since the previous refresh.
    QElapsedTimer m_rateClock;
    int64_t m_lastImages = 0, m_lastPredictions = 0;
};

} // namespace netcanvas::app
