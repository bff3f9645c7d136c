#include "app/Autosave.h"

#include "app/ProjectDocument.h"
#include "engine/graph/ModelJson.h"
#include "engine/io/AtomicFile.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTimer>

#include <algorithm>

#include <cerrno>
#include <csignal>
#include <unistd.h>

namespace netcanvas::app {

namespace {

QByteArray readSmallFile(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.read(4096) : QByteArray();
}

// Whether `pid` is a live NetCanvas session: it exists, is not a zombie (a crashed process
// its parent has not reaped yet) and runs the same program as we do (a reused pid is not).
bool sessionIsRunning(qint64 pid)
{
    if (pid <= 0)
        return false;
    // Signal 0 checks existence only; EPERM means it exists but belongs to someone else.
    if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno != EPERM)
        return false;
    const QString proc = QStringLiteral("/proc/%1/").arg(pid);
    const QByteArray stat = readSmallFile(proc + QStringLiteral("stat"));
    if (stat.isEmpty())
        return true; // no /proc: trust kill()
    // "pid (comm) S ...": the state follows the last ')'.
    const int close = stat.lastIndexOf(')');
    if (close >= 0 && close + 2 < stat.size() && (stat[close + 2] == 'Z' || stat[close + 2] == 'X'))
        return false;
    const QByteArray comm = readSmallFile(proc + QStringLiteral("comm")).trimmed();
    const QByteArray self = readSmallFile(QStringLiteral("/proc/self/comm")).trimmed();
    return comm.isEmpty() || self.isEmpty() || comm == self;
}

} // namespace

Autosave::Autosave(ProjectDocument* document, const QString& dir, QObject* parent)
    : QObject(parent)
    , m_doc(document)
    , m_dir(dir.isEmpty() ? defaultDirectory() : dir)
    , m_timer(new QTimer(this))
{
    m_timer->setInterval(30'000);
    connect(m_timer, &QTimer::timeout, this, [this] { saveNow(); });
    m_timer->start();
    // Saved or reverted: the copy is stale.
    connect(m_doc, &ProjectDocument::modifiedChanged, this, [this](bool modified) {
        if (!modified)
            discard();
    });
}

Autosave::~Autosave()
{
    discard();
}

QString Autosave::defaultDirectory()
{
    return QDir(QStandardPaths::writableLocation(QStandardPaths::AppLocalDataLocation))
        .filePath(QStringLiteral("recovery"));
}

QString Autosave::recoveryFile() const
{
    return QDir(m_dir).filePath(QStringLiteral("autosave-%1.ncproj").arg(QCoreApplication::applicationPid()));
}

void Autosave::setInterval(int ms)
{
    m_timer->setInterval(ms);
}

QString Autosave::saveNow()
{
    if (!m_doc->isModified()) {
        discard();
        return {};
    }
    if (!QDir().mkpath(m_dir)) {
        const QString err = tr("Autosave: cannot create %1").arg(QDir::toNativeSeparators(m_dir));
        emit failed(err);
        return err;
    }
    const QString err = m_doc->writeRecovery(recoveryFile());
    if (!err.isEmpty() && err != m_lastError)
        emit failed(tr("Autosave failed: %1").arg(err)); // once per distinct reason, not every 30 s
    m_lastError = err;
    return err;
}

void Autosave::discard()
{
    QFile::remove(recoveryFile());
}

QList<Autosave::Orphan> Autosave::orphans() const
{
    QList<Orphan> out;
    static const QRegularExpression name(QStringLiteral("^autosave-(\\d+)\\.ncproj$"));
    const auto files = QDir(m_dir).entryInfoList({ QStringLiteral("autosave-*.ncproj") }, QDir::Files);
    for (const QFileInfo& fi : files) {
        const auto m = name.match(fi.fileName());
        if (!m.hasMatch())
            continue;
        const qint64 pid = m.captured(1).toLongLong();
        if (pid == QCoreApplication::applicationPid() || sessionIsRunning(pid))
            continue; // a live session's copy
        Orphan o;
        o.file = fi.absoluteFilePath();
        o.savedAt = fi.lastModified();
        try {
            const auto j = parseJsonText(readFile(o.file.toStdString()), o.file.toStdString());
            if (j.contains("recovery") && j["recovery"].is_object()) {
                o.originalPath = QString::fromStdString(j["recovery"].value("original_path", std::string()));
                const auto at = QDateTime::fromString(
                    QString::fromStdString(j["recovery"].value("saved_at", std::string())), Qt::ISODate);
                if (at.isValid())
                    o.savedAt = at;
            }
            if (j.contains("model") && j["model"].is_object())
                o.modelName = QString::fromStdString(j["model"].value("name", std::string()));
        } catch (const std::exception&) {
            // Listed anyway: the user decides; opening it will report what is wrong.
        }
        out.push_back(o);
    }
    std::sort(out.begin(), out.end(), [](const Orphan& a, const Orphan& b) { return a.savedAt > b.savedAt; });
    return out;
}

void Autosave::removeOrphan(const Orphan& orphan)
{
    QFile::remove(orphan.file);
}

} // namespace netcanvas::app
