// netcanvas: the desktop application. `netcanvas [project.ncproj | model.json]` opens that
// file; without one it starts on the default project (LeNet-5 on Fashion-MNIST, or on the
// sample dataset). A crashed session's autosaved work is offered first.
#include "app/MainWindow.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QPixmap>
#include <QTimer>

#include <cstdio>

int main(int argc, char** argv)
{
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("NetCanvas"));
    QApplication::setOrganizationName(QStringLiteral("NetCanvas"));
    QApplication::setApplicationVersion(QStringLiteral("0.1.0"));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Design, train and understand neural networks."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(QStringLiteral("file"), QStringLiteral("A project (.ncproj) or model JSON file to open."), QStringLiteral("[file]"));
    // Hidden: starts training on the default dataset at launch (screenshots, demos).
    QCommandLineOption trainOnStart(QStringLiteral("train-on-start"), QStringLiteral("Start training at launch."));
    trainOnStart.setFlags(QCommandLineOption::HiddenFromHelp);
    parser.addOption(trainOnStart);
    // Hidden: saves a PNG of the window after SECONDS and quits (scripts/screenshots.sh).
    QCommandLineOption screenshot(QStringLiteral("screenshot"), QStringLiteral("Save the window as PNG and quit."),
                                  QStringLiteral("file"));
    screenshot.setFlags(QCommandLineOption::HiddenFromHelp);
    parser.addOption(screenshot);
    QCommandLineOption after(QStringLiteral("after"), QStringLiteral("Seconds before --screenshot."),
                             QStringLiteral("seconds"), QStringLiteral("3"));
    after.setFlags(QCommandLineOption::HiddenFromHelp);
    parser.addOption(after);
    // Hidden: shows a side tab at launch ("data" also loads the dataset) for screenshots.
    QCommandLineOption tab(QStringLiteral("tab"), QStringLiteral("Side tab to show: properties, data, training."),
                           QStringLiteral("name"));
    tab.setFlags(QCommandLineOption::HiddenFromHelp);
    parser.addOption(tab);
    parser.process(app);

    netcanvas::app::MainWindow window;
    window.resize(1280, 800);
    window.show();
    const QStringList args = parser.positionalArguments();
    // A crashed session's autosaved work comes first (not in unattended screenshot runs).
    const bool recovered = !parser.isSet(screenshot) && window.offerRecovery();
    if (!recovered && (args.isEmpty() || !window.openFile(args.front())))
        window.openStartupTemplate();
    if (parser.isSet(tab))
        window.showSideTab(parser.value(tab));
    if (parser.isSet(trainOnStart))
        QTimer::singleShot(300, &window, &netcanvas::app::MainWindow::trainNow);
    if (parser.isSet(screenshot)) {
        const QString file = parser.value(screenshot);
        const int ms = static_cast<int>(parser.value(after).toDouble() * 1000);
        QTimer::singleShot(ms, &window, [&window, file] {
            const bool ok = window.grab().save(file, "PNG");
            std::fprintf(stderr, ok ? "saved %s\n" : "could not save %s\n", qPrintable(file));
            // Closing the window stops a running training cleanly (no unsaved-changes prompt:
            // the startup template is unmodified).
            QApplication::exit(ok ? 0 : 1);
        });
    }
    return app.exec();
}
