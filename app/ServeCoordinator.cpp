#include "app/ServeCoordinator.h"

#include "app/ServeDialog.h"
#include "app/TrainingCoordinator.h"
#include "engine/serve/InferenceServer.h"
#include "engine/session/ModelWeights.h"

#include <QAction>
#include <QFutureWatcher>
#include <QMenu>
#include <QMessageBox>
#include <QtConcurrent>

namespace netcanvas::app {

ServeCoordinator::ServeCoordinator(QWidget* window, TrainingCoordinator* training, QMenu* deployMenu)
    : QObject(window)
    , m_window(window)
    , m_training(training)
{
    m_serveAction = deployMenu->addAction(tr("&Serve This Model…"));
    m_serveAction->setStatusTip(tr("Answer predictions over HTTP on this computer with the last run's weights "
                                   "(as netcanvas-cli serve does)"));
    connect(m_serveAction, &QAction::triggered, this, &ServeCoordinator::serveThisModel);
}

ServeCoordinator::~ServeCoordinator()
{
    stopAndWait();
}

void ServeCoordinator::serveThisModel()
{
    if (m_server) {
        if (m_dialog) {
            m_dialog->show();
            m_dialog->raise();
        }
        return;
    }
    std::shared_ptr<const ModelWeights> weights = m_training->lastRunWeights();
    if (!weights) {
        QMessageBox::information(m_window, tr("Serve This Model"),
            tr("There are no trained weights to serve yet: train the model (Train ▸ Train) and let the run "
               "finish, then serve it.\n\nTo serve saved weights or a project, use netcanvas-cli serve."));
        return;
    }
    serveWeights(std::move(weights), QString::fromStdString(weights->graph.name));
}

void ServeCoordinator::serveWeights(std::shared_ptr<const ModelWeights> weights, const QString& label, int port)
{
    if (m_server || m_busy || !weights)
        return;
    {
        std::lock_guard lock(m_source->mutex);
        m_source->weights = std::move(weights);
    }
    serve::ServeOptions options;
    options.host = "127.0.0.1";
    options.port = port;
    const std::shared_ptr<Source> source = m_source;
    const std::string name = label.toStdString();
    auto server = std::make_shared<serve::InferenceServer>(options, [source, name](int64_t generation) {
        std::shared_ptr<const ModelWeights> w;
        {
            std::lock_guard lock(source->mutex);
            w = source->weights;
        }
        return serve::ServedModel::fromWeights(*w, name + " (last run)", 0, generation);
    });
    m_busy = true;
    m_serveAction->setEnabled(false);
    auto* watcher = new QFutureWatcher<QString>(this);
    connect(watcher, &QFutureWatcher<QString>::finished, this, [this, watcher, server, label] {
        watcher->deleteLater();
        m_busy = false;
        m_serveAction->setEnabled(true);
        const QString error = watcher->result();
        if (!error.isEmpty()) {
            emit failed(error);
            QMessageBox::warning(m_window, tr("Serve This Model"), tr("The service did not start: %1").arg(error));
            return;
        }
        m_server = server;
        showDialog(label);
        emit started(QString::fromStdString(server->url()));
    });
    watcher->setFuture(QtConcurrent::run([server]() -> QString {
        try {
            server->start(); // loads the model and binds: off the UI thread
            return {};
        } catch (const std::exception& e) {
            return QString::fromStdString(e.what());
        }
    }));
}

void ServeCoordinator::showDialog(const QString& label)
{
    m_dialog = new ServeDialog(m_server.get(), label, m_window);
    m_dialog->setAttribute(Qt::WA_DeleteOnClose, false);
    connect(m_dialog, &ServeDialog::stopRequested, this, &ServeCoordinator::stop);
    connect(m_dialog, &ServeDialog::reloadRequested, this, &ServeCoordinator::reload);
    m_dialog->show();
}

void ServeCoordinator::reload()
{
    if (!m_server)
        return;
    if (auto latest = m_training->lastRunWeights()) {
        std::lock_guard lock(m_source->mutex);
        m_source->weights = std::move(latest);
    }
    const std::shared_ptr<serve::InferenceServer> server = m_server;
    auto* watcher = new QFutureWatcher<serve::ReloadResult>(this);
    connect(watcher, &QFutureWatcher<serve::ReloadResult>::finished, this, [this, watcher] {
        watcher->deleteLater();
        const serve::ReloadResult r = watcher->result();
        if (m_dialog)
            m_dialog->setStatus(r.ok
                    ? tr("Reloaded: generation %1, version %2").arg(r.generation).arg(QString::fromStdString(r.version))
                    : tr("Reload failed, still serving the previous weights: %1")
                          .arg(QString::fromStdString(r.message)));
    });
    watcher->setFuture(QtConcurrent::run([server] { return server->reload(); }));
}

void ServeCoordinator::stop()
{
    if (!m_server)
        return;
    const std::shared_ptr<serve::InferenceServer> server = m_server;
    auto* watcher = new QFutureWatcher<void>(this);
    connect(watcher, &QFutureWatcher<void>::finished, this, [this, watcher] {
        watcher->deleteLater();
        m_server.reset();
        if (m_dialog)
            m_dialog->setStopped(tr("Stopped. Deploy ▸ Serve This Model starts it again."));
        emit stopped();
    });
    watcher->setFuture(QtConcurrent::run([server] { server->shutdown(); }));
}

void ServeCoordinator::stopAndWait()
{
    if (!m_server)
        return;
    if (m_dialog)
        m_dialog->setStopped(tr("Stopped."));
    m_server->shutdown();
    m_server.reset();
}

} // namespace netcanvas::app
