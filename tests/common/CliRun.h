#pragma once
// Runs netcanvas-cli (NETCANVAS_CLI_PATH, set by CMake for the test_cli* tests) and collects
// its exit code, output and wall time; one copy for every CLI test.
#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QString>
#include <QStringList>

namespace netcanvas::test {

struct CliRun {
    int code = -1; // -1: crashed or timed out
    QString out, err;
    qint64 ms = 0;
};

// Runs `program` with `args` (and `env`), waiting up to timeoutMs; a process still running then
// is killed and reported as "timed out".
inline CliRun runProcess(const QString& program, const QStringList& args, int timeoutMs,
    const QProcessEnvironment& env = QProcessEnvironment::systemEnvironment())
{
    QProcess p;
    p.setProcessEnvironment(env);
    QElapsedTimer t;
    t.start();
    p.start(program, args);
    CliRun r;
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished();
        r.err = "timed out";
        return r;
    }
    r.ms = t.elapsed();
    r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

inline CliRun cli(const QStringList& args, int timeoutMs = 120000)
{
    return runProcess(QStringLiteral(NETCANVAS_CLI_PATH), args, timeoutMs);
}

// The last line of `out` as a JSON object (the --json summary line).
inline QJsonObject lastJsonLine(const QString& out)
{
    const QStringList lines = out.split('\n', Qt::SkipEmptyParts);
    return lines.isEmpty() ? QJsonObject() : QJsonDocument::fromJson(lines.last().toUtf8()).object();
}

} // namespace netcanvas::test
