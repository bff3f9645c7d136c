// netcanvas: the desktop application. `netcanvas [model.json]` opens that model; without an
// argument it starts from the LeNet-5 template.
#include "app/MainWindow.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QTimer>

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
    parser.addPositionalArgument(QStringLiteral("model"), QStringLiteral("A model JSON file to open."), QStringLiteral("[model]"));
    // Hidden: starts training on the default dataset at launch (screenshots, demos).
    QCommandLineOption trainOnStart(QStringLiteral("train-on-start"), QStringLiteral("Start training at launch."));
    trainOnStart.setFlags(QCommandLineOption::HiddenFromHelp);
    parser.addOption(trainOnStart);
    parser.process(app);

    netcanvas::app::MainWindow window;
    const QStringList args = parser.positionalArguments();
    if (!args.isEmpty())
        window.openFile(args.front());
    else
        window.openStartupTemplate();
    window.resize(1280, 800);
    window.show();
    if (parser.isSet(trainOnStart))
        QTimer::singleShot(300, &window, &netcanvas::app::MainWindow::trainNow);
    return app.exec();
}
