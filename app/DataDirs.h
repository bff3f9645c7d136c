#pragma once
// Where the app finds what it ships (templates, the sample dataset): the source tree, the
// installed share folder, and share/ beside the executable. Existing folders only, each once,
// in that order (canonical paths).
#include <QApplication>
#include <QDir>
#include <QStringList>

namespace netcanvas::app {

inline QStringList shippedDataDirs(const QString& relative)
{
    QStringList dirs;
#ifdef NETCANVAS_SOURCE_DIR
    dirs << QDir(QStringLiteral(NETCANVAS_SOURCE_DIR)).filePath(relative);
#endif
#ifdef NETCANVAS_SHARE_DIR
    dirs << QDir(QStringLiteral(NETCANVAS_SHARE_DIR)).filePath(relative);
#endif
    dirs << QDir(QApplication::applicationDirPath()).filePath(QStringLiteral("../share/netcanvas/") + relative);
    QStringList existing;
    for (const QString& d : dirs)
        if (QDir(d).exists() && !existing.contains(QDir(d).canonicalPath()))
            existing << QDir(d).canonicalPath();
    return existing;
}

} // namespace netcanvas::app
