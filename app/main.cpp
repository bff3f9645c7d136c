// netcanvas: the desktop application. `netcanvas [project.ncproj | model.json]` opens that
// file; without one it starts on the default project (LeNet-5 on Fashion-MNIST, or on the
// sample dataset). A crashed session's autosaved work is offered first. `--label FOLDER`
// opens a folder of images in Label mode. The hidden demo and benchmark flags are
// DemoDriver's.
#include "app/DemoDriver.h"
#include "app/FileActions.h"
#include "app/LabelingCoordinator.h"
#include "app/MainWindow.h"

#include <QApplication>
#include <QCommandLineParser>

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
    parser.addPositionalArgument(QStringLiteral("file"),
        QStringLiteral("A project (.ncproj) or model JSON file to open."), QStringLiteral("[file]"));
    QCommandLineOption label(
        QStringLiteral("label"), QStringLiteral("Open a folder of images for labeling."), QStringLiteral("folder"));
    parser.addOption(label);
    netcanvas::app::DemoDriver demo(parser);
    parser.process(app);

    netcanvas::app::MainWindow window;
    window.restoreLayout(!demo.unattended()); // the user's layout; the defaults in demo runs
    window.show();
    const QStringList args = parser.positionalArguments();
    if (args.isEmpty() || !window.files()->openFile(args.front()))
        window.files()->openStartupTemplate();
    // Then a crashed session's autosaved work is offered, over a window that shows something
    // (not in unattended runs).
    if (!demo.unattended())
        window.files()->offerRecovery();
    if (parser.isSet(label)) {
        const QString err = window.labeling()->openFolder(parser.value(label));
        if (!err.isEmpty()) {
            std::fprintf(stderr, "netcanvas: %s\n", qPrintable(err));
            return 1;
        }
    }
    if (const QString err = demo.drive(window); !err.isEmpty()) {
        std::fprintf(stderr, "netcanvas: %s\n", qPrintable(err));
        return 1;
    }
    return app.exec();
}
