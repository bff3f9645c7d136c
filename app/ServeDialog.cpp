#include "app/ServeDialog.h"

#include "engine/serve/InferenceServer.h"

#include <QApplication>
#include <QClipboard>
#include <QDialogButtonBox>
#include <QFontDatabase>
#include <QFormLayout>
#include <QLabel>
#include <QLocale>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QTimer>
#include <QVBoxLayout>

namespace netcanvas::app {

ServeDialog::ServeDialog(serve::InferenceServer* server, const QString& modelLabel, QWidget* parent)
    : QDialog(parent)
    , m_server(server)
{
    setWindowTitle(tr("Serving %1").arg(modelLabel));
    auto* layout = new QVBoxLayout(this);
    const QString url = QString::fromStdString(server->url());
    m_url = new QLabel(QStringLiteral("<a href=\"%1/v1/model\">%1</a>").arg(url), this);
    m_url->setTextInteractionFlags(Qt::TextBrowserInteraction);
    m_url->setOpenExternalLinks(true);
    m_url->setAccessibleName(tr("Service URL"));
    m_status = new QLabel(tr("Serving %1 on this computer only (loopback).").arg(modelLabel), this);
    m_status->setWordWrap(true);
    layout->addWidget(m_url);
    layout->addWidget(m_status);

    m_curl = new QPlainTextEdit(this);
    m_curl->setReadOnly(true);
    m_curl->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_curl->setPlainText(QStringLiteral("curl --data-binary @image.png %1/v1/predict\n"
                                        "curl -F a=@one.png -F b=@two.png '%1/v1/predict?top_k=3'\n"
                                        "curl %1/v1/model\ncurl %1/metrics")
                             .arg(url));
    m_curl->setAccessibleName(tr("curl examples"));
    m_curl->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_curl->setMaximumHeight(90);
    setMinimumWidth(620);
    layout->addWidget(new QLabel(tr("Try it (docs/serving.md has Python too):"), this));
    layout->addWidget(m_curl);

    auto* form = new QFormLayout;
    auto figure = [&](const QString& label, QLabel*& field) {
        field = new QLabel(QStringLiteral("0"), this);
        field->setAccessibleName(label);
        form->addRow(label, field);
    };
    figure(tr("Requests"), m_requests);
    figure(tr("Predictions"), m_predictions);
    figure(tr("Errors"), m_errors);
    figure(tr("Throughput"), m_rate);
    figure(tr("Latency p50 / p99"), m_latency);
    figure(tr("Mean batch"), m_batch);
    figure(tr("Queue"), m_queue);
    layout->addLayout(form);

    auto* buttons = new QDialogButtonBox(this);
    auto* copy = buttons->addButton(tr("Copy curl"), QDialogButtonBox::ActionRole);
    m_reload = buttons->addButton(tr("Reload"), QDialogButtonBox::ActionRole);
    m_reload->setToolTip(tr("Serve the latest finished run's weights without dropping requests"));
    m_stop = buttons->addButton(tr("Stop"), QDialogButtonBox::DestructiveRole);
    m_stop->setToolTip(tr("Finish the requests in flight, then stop listening"));
    for (QPushButton* b : { copy, m_reload, m_stop })
        b->setAutoDefault(false); // Enter must not stop the service
    layout->addWidget(buttons);
    connect(copy, &QPushButton::clicked, this,
        [this] { QApplication::clipboard()->setText(m_curl->toPlainText().section('\n', 0, 0)); });
    connect(m_reload, &QPushButton::clicked, this, &ServeDialog::reloadRequested);
    connect(m_stop, &QPushButton::clicked, this, [this] {
        m_stop->setEnabled(false);
        m_reload->setEnabled(false);
        setStatus(tr("Stopping: finishing the requests in flight…"));
        emit stopRequested();
    });

    m_timer = new QTimer(this);
    m_timer->setInterval(500);
    connect(m_timer, &QTimer::timeout, this, &ServeDialog::refresh);
    m_timer->start();
    refresh();
}

QString ServeDialog::url() const
{
    return QString::fromStdString(m_server ? m_server->url() : std::string());
}

QString ServeDialog::curlExample() const
{
    return m_curl->toPlainText();
}

QString ServeDialog::figure(const QString& name) const
{
    const QLabel* l = name == "requests" ? m_requests
        : name == "predictions"          ? m_predictions
        : name == "errors"               ? m_errors
        : name == "latency"              ? m_latency
        : name == "batch"                ? m_batch
        : name == "queue"                ? m_queue
        : name == "throughput"           ? m_rate
                                         : nullptr;
    return l ? l->text() : QString();
}

void ServeDialog::refresh()
{
    if (!m_server)
        return;
    const serve::MetricsSnapshot s = m_server->snapshot();
    m_requests->setText(QString::number(s.requests));
    m_predictions->setText(tr("%1 (%2 images)").arg(s.predictions).arg(s.images));
    m_errors->setText(QString::number(s.errors));
    m_latency->setText(s.predictions ? tr("%1 ms / %2 ms").arg(s.p50Ms, 0, 'f', 2).arg(s.p99Ms, 0, 'f', 2) : tr("–"));
    m_batch->setText(s.batches ? QString::number(s.meanBatch, 'f', 1) : tr("–"));
    m_queue->setText(tr("%1 images, %2 requests in flight").arg(s.queueDepth).arg(s.inFlight));
    // Over the time since the previous refresh (about half a second).
    const double seconds = m_rateClock.isValid() ? m_rateClock.elapsed() / 1000.0 : 0.0;
    if (!m_rateClock.isValid() || seconds >= 0.25) {
        const double images = seconds > 0 ? (s.images - m_lastImages) / seconds : 0.0;
        const double requests = seconds > 0 ? (s.predictions - m_lastPredictions) / seconds : 0.0;
        m_rate->setText(tr("%1 images/s (%2 predict requests/s)")
                            .arg(QLocale().toString(images, 'f', 0), QLocale().toString(requests, 'f', 0)));
        m_lastImages = s.images;
        m_lastPredictions = s.predictions;
        m_rateClock.start();
    }
}

void ServeDialog::setStopped(const QString& status)
{
    refresh();
    m_server = nullptr;
    m_timer->stop();
    m_stop->setEnabled(false);
    m_reload->setEnabled(false);
    setStatus(status);
}

void ServeDialog::setStatus(const QString& status)
{
    m_status->setText(status);
}

} // namespace netcanvas::app
