#pragma once
// Autosave: crash recovery for a ProjectDocument. While the document has unsaved changes,
// a copy of the whole project (without weights) is written every interval to
// "<dir>/autosave-<pid>.ncproj" (atomically, never over the user's file). The copy is
// removed when the document is saved or discarded and when the app exits normally (the
// destructor), so a copy left behind by a process that is no longer running is the work
// of a session that crashed: orphans() lists those for the startup "Recover?" question.
//
// Requires: the document outlives the Autosave.
#include <QDateTime>
#include <QList>
#include <QObject>
#include <QString>

class QTimer;

namespace netcanvas::app {

class ProjectDocument;

class Autosave : public QObject {
    Q_OBJECT
public:
    // `dir` empty: defaultDirectory().
    Autosave(ProjectDocument* document, const QString& dir = {}, QObject* parent = nullptr);
    ~Autosave() override; // a normal exit: the copy is not needed

    // <app data>/recovery.
    static QString defaultDirectory();
    QString directory() const { return m_dir; }
    QString recoveryFile() const; // this session's copy
    void setInterval(int ms); // default 30 s

    // Writes the copy now when the document is modified, removes it otherwise. Returns an
    // error message (also reported through failed()) or empty.
    QString saveNow();
    void discard(); // removes this session's copy

    struct Orphan {
        QString file; // the recovery copy
        QString originalPath; // the project it was autosaved from; empty when untitled
        QString modelName;
        QDateTime savedAt;
    };
    // Copies left by sessions that are no longer running, newest first. Unreadable copies
    // are listed with an empty modelName.
    QList<Orphan> orphans() const;
    static void removeOrphan(const Orphan& orphan);

signals:
    void failed(const QString& message);

private:
    ProjectDocument* m_doc;
    QString m_dir;
    QTimer* m_timer;
    QString m_lastError;
};

} // namespace netcanvas::app
