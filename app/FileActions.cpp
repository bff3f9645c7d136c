#include "app/FileActions.h"

#include "app/Autosave.h"
#include "app/DataDirs.h"
#include "app/InterchangeActions.h"
#include "app/ProjectDocument.h"
#include "app/TrainingCoordinator.h"
#include "engine/graph/ModelJson.h"
#include "engine/session/ModelWeights.h"
#include "widgets/canvas/GraphScene.h"
#include "widgets/canvas/GraphView.h"
#include "widgets/train/RunHistory.h"

#include <QAction>
#include <QApplication>
#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLocale>
#include <QMainWindow>
#include <QMenu>
#include <QMessageBox>
#include <QPainter>
#include <QPushButton>
#include <QSettings>
#include <QStatusBar>
#include <QSvgGenerator>
#include <QTimer>

#include <algorithm>

namespace netcanvas::app {

FileActions::FileActions(QMainWindow* window, ProjectDocument* document, widgets::GraphScene* scene,
    widgets::GraphView* view, TrainingCoordinator* training, QMenu* fileMenu)
    : QObject(window)
    , m_window(window)
    , m_doc(document)
    , m_scene(scene)
    , m_view(view)
    , m_training(training)
    , m_autosave(new Autosave(document, {}, this))
    , m_interchange(new InterchangeActions(
          window, document, training, [this](const QString& path) { return maybeSave() && openFile(path); }, this))
{
    connect(m_autosave, &Autosave::failed, this, [this](const QString& text) { showStatus(text, 10000); });
    connect(this, &FileActions::loaded, m_view, [this] {
        // Fit once the view has its final size.
        QTimer::singleShot(0, m_view, &widgets::GraphView::frameContents);
        m_view->frameContents();
    });
    createMenu(fileMenu);
}

void FileActions::createMenu(QMenu* file)
{
    QAction* newAct = file->addAction(tr("&New"), this, [this] {
        if (maybeSave()) {
            m_doc->newEmpty();
            emit loaded();
        }
    });
    newAct->setShortcut(QKeySequence::New);
    m_templateMenu = file->addMenu(tr("New from &Template"));
    populateTemplateMenu();
    QAction* openAct = file->addAction(tr("&Open…"), this, &FileActions::openDialog);
    openAct->setShortcut(QKeySequence::Open);
    m_recentMenu = file->addMenu(tr("Open &Recent"));
    connect(m_recentMenu, &QMenu::aboutToShow, this, &FileActions::populateRecentMenu);
    populateRecentMenu();
    file->addSeparator();
    QAction* saveAct = file->addAction(tr("&Save"), this, [this] { save(); });
    saveAct->setShortcut(QKeySequence::Save);
    QAction* saveAsAct = file->addAction(tr("Save &As…"), this, [this] { saveAs(); });
    saveAsAct->setShortcut(QKeySequence::SaveAs);
    file->addSeparator();
    file->addAction(tr("&Export Canvas (SVG or PNG)…"), this, &FileActions::exportDialog);
    file->addAction(tr("Export &Model JSON…"), this, &FileActions::exportModelJson);
    m_interchange->addActions(file);
    file->addSeparator();
    QAction* quitAct = file->addAction(tr("&Quit"), m_window, &QWidget::close);
    quitAct->setShortcut(QKeySequence::Quit);
}

QStringList FileActions::templateDirs()
{
    return shippedDataDirs(QStringLiteral("models"));
}

void FileActions::populateTemplateMenu()
{
    m_templateMenu->clear();
    QStringList seen;
    for (const QString& dir : templateDirs()) {
        const auto files = QDir(dir).entryInfoList({ QStringLiteral("*.json") }, QDir::Files, QDir::Name);
        for (const QFileInfo& fi : files) {
            if (seen.contains(fi.completeBaseName()))
                continue;
            seen << fi.completeBaseName();
            const QString path = fi.absoluteFilePath();
            m_templateMenu->addAction(fi.completeBaseName(), this, [this, path] { newFromTemplate(path); });
        }
    }
    if (seen.isEmpty())
        m_templateMenu->addAction(tr("(no templates found)"))->setEnabled(false);
    addPretrainedMenu();
}

bool FileActions::openFile(const QString& path)
{
    const QString err = m_doc->open(path);
    if (!err.isEmpty()) {
        QMessageBox::warning(m_window, tr("Cannot open"), err);
        return false;
    }
    addRecentFile(path);
    emit loaded();
    QString msg = tr("Opened %1").arg(QDir::toNativeSeparators(path));
    if (const int n = m_doc->runs()->count(); n > 0)
        msg += tr(" · %n training run(s)", nullptr, n);
    showStatus(msg, 5000);
    return true;
}

void FileActions::openFileLater(const QString& path)
{
    QTimer::singleShot(0, this, [this, path] {
        if (maybeSave())
            openFile(path);
    });
}

void FileActions::openStartupTemplate()
{
    bool loaded = false;
    for (const QString& dir : templateDirs()) {
        const QString path = QDir(dir).filePath(QStringLiteral("lenet5.json"));
        if (QFileInfo::exists(path) && m_doc->newFromTemplate(path).isEmpty()) {
            loaded = true;
            break;
        }
    }
    if (!loaded)
        m_doc->newEmpty();
    emit this->loaded();
}

bool FileActions::offerRecovery()
{
    const auto orphans = m_autosave->orphans();
    if (orphans.isEmpty())
        return false;
    const Autosave::Orphan& o = orphans.front();
    const QString what = !o.originalPath.isEmpty() ? QFileInfo(o.originalPath).fileName()
        : !o.modelName.isEmpty()                   ? tr("untitled “%1”").arg(o.modelName)
                                                   : tr("an untitled project");
    QMessageBox box(QMessageBox::Question, tr("Recover unsaved work?"),
        tr("NetCanvas did not close normally. Unsaved work on %1 was autosaved at %2.")
            .arg(what, QLocale().toString(o.savedAt, QLocale::ShortFormat)),
        QMessageBox::NoButton, m_window);
    box.setInformativeText(tr("Recover opens it as an unsaved project; Discard deletes the autosaved copy."));
    QPushButton* recover = box.addButton(tr("Recover"), QMessageBox::AcceptRole);
    box.addButton(QMessageBox::Discard);
    box.setDefaultButton(recover);
    box.exec();
    if (box.clickedButton() != recover) {
        for (const auto& x : orphans)
            Autosave::removeOrphan(x);
        return false;
    }
    const QString err = m_doc->openRecovery(o.file);
    if (!err.isEmpty()) {
        QMessageBox::warning(m_window, tr("Cannot recover"), tr("The autosaved copy could not be read: %1").arg(err));
        return false;
    }
    for (const auto& x : orphans)
        Autosave::removeOrphan(x); // older copies too: the newest is what the user chose
    m_autosave->saveNow(); // this session's copy takes over at once
    emit loaded();
    showStatus(tr("Recovered unsaved work — save it to keep it."), 10000);
    return true;
}

bool FileActions::newFromTemplate(const QString& path)
{
    if (!maybeSave())
        return false;
    const QString err = m_doc->newFromTemplate(path);
    if (!err.isEmpty()) {
        QMessageBox::warning(m_window, tr("Cannot open template"), err);
        return false;
    }
    emit loaded();
    return true;
}

void FileActions::newFromPretrained(const QString& templatePath, const QString& weightsPath, const QString& label)
{
    std::shared_ptr<const ModelWeights> weights;
    try {
        weights = ModelWeights::fromFile(weightsPath.toStdString()); // < 1 MB: read, not computed
    } catch (const std::exception& e) {
        QMessageBox::warning(m_window, tr("Cannot open pretrained model"), QString::fromStdString(e.what()));
        return;
    }
    if (!newFromTemplate(templatePath))
        return;
    m_training->setStartWeights(std::move(weights), label);
}

void FileActions::addPretrainedMenu()
{
    QMenu* pretrained = nullptr;
    QStringList seen;
    for (const QString& dir : templateDirs()) {
        QFile f(dir + QStringLiteral("/zoo/index.json"));
        if (!f.open(QIODevice::ReadOnly))
            continue;
        const QJsonArray models = QJsonDocument::fromJson(f.readAll()).object().value("models").toArray();
        for (const QJsonValue& v : models) {
            const QJsonObject e = v.toObject();
            const QString name = e.value("name").toString();
            const QString templatePath = dir + QLatin1Char('/') + e.value("template").toString();
            const QString weightsPath = dir + QStringLiteral("/zoo/") + e.value("weights").toString();
            if (name.isEmpty() || seen.contains(name) || !QFileInfo::exists(templatePath)
                || !QFileInfo::exists(weightsPath))
                continue;
            seen << name;
            if (!pretrained) {
                m_templateMenu->addSeparator();
                pretrained = m_templateMenu->addMenu(tr("&Pretrained"));
            }
            const QString dataset = e.value("dataset").toString();
            const QString label = tr("%1, %2").arg(name, dataset);
            pretrained->addAction(tr("%1 (%2, %3% test accuracy)")
                                      .arg(name, dataset)
                                      .arg(100.0 * e.value("test_accuracy").toDouble(), 0, 'f', 1),
                this,
                [this, templatePath, weightsPath, label] { newFromPretrained(templatePath, weightsPath, label); });
        }
    }
}

void FileActions::openDialog()
{
    if (!maybeSave())
        return;
    QString start = m_doc->filePath().isEmpty() ? QString() : QFileInfo(m_doc->filePath()).absolutePath();
    if (start.isEmpty() && !recentFiles().isEmpty())
        start = QFileInfo(recentFiles().front()).absolutePath();
    if (start.isEmpty())
        start = templateDirs().value(0);
    const QString path = QFileDialog::getOpenFileName(m_window, tr("Open"), start,
        tr("NetCanvas projects and models (*.ncproj *.json);;Projects (*.ncproj);;Models (*.json);;All files (*)"));
    if (!path.isEmpty())
        openFile(path);
}

bool FileActions::saveTo(const QString& path)
{
    m_training->storeSettings();
    ProjectDocument::WeightsWriter writer;
    int weightsRun = 0;
    // Weights go with a project when a finished run left some (a running one keeps the
    // previous file: its weights are still changing).
    if (isProjectPath(path.toStdString()))
        writer = m_training->weightsWriter(&weightsRun);
    const QString err = m_doc->saveAs(path, writer, weightsRun);
    if (!err.isEmpty()) {
        QMessageBox::warning(m_window, tr("Cannot save"), err);
        return false;
    }
    addRecentFile(path);
    QString msg = tr("Saved %1").arg(QDir::toNativeSeparators(path));
    if (!m_doc->isProject() && m_doc->runs()->count() > 0)
        msg += tr(
            " — a model file keeps the graph and recipe only; save as a project (.ncproj) to keep runs and weights");
    showStatus(msg, 8000);
    return true;
}

bool FileActions::save()
{
    if (m_doc->filePath().isEmpty())
        return saveAs();
    return saveTo(m_doc->filePath());
}

bool FileActions::saveAs()
{
    const QString base = QFileInfo(m_doc->displayName()).completeBaseName();
    QString dir = m_doc->filePath().isEmpty() ? QString() : QFileInfo(m_doc->filePath()).absolutePath();
    if (dir.isEmpty() || templateDirs().contains(QDir(dir).canonicalPath()))
        dir = QDir::homePath(); // never suggest writing into the shipped templates
    QString selected = m_doc->isProject() ? tr("NetCanvas project (*.ncproj)") : tr("Model JSON (*.json)");
    QString path = QFileDialog::getSaveFileName(m_window, tr("Save As"),
        QDir(dir).filePath(base + (m_doc->isProject() ? QStringLiteral(".ncproj") : QStringLiteral(".json"))),
        tr("NetCanvas project (*.ncproj);;Model JSON (*.json)"), &selected);
    if (path.isEmpty())
        return false;
    if (QFileInfo(path).suffix().isEmpty())
        path += selected.contains(QStringLiteral("ncproj")) ? QStringLiteral(".ncproj") : QStringLiteral(".json");
    return saveTo(path);
}

bool FileActions::maybeSave()
{
    if (!m_doc->isModified())
        return true;
    const auto answer = QMessageBox::warning(m_window, tr("Unsaved changes"),
        tr("“%1” has unsaved changes. Save them first?").arg(m_doc->displayName()),
        QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel);
    if (answer == QMessageBox::Save)
        return save();
    return answer == QMessageBox::Discard;
}

bool FileActions::closeRequested()
{
    if (!maybeSave())
        return false;
    m_autosave->discard();
    return true;
}

QStringList FileActions::recentFiles()
{
    QStringList files = QSettings().value(QStringLiteral("recentFiles")).toStringList();
    files.erase(std::remove_if(files.begin(), files.end(), [](const QString& f) { return !QFileInfo::exists(f); }),
        files.end());
    return files;
}

void FileActions::addRecentFile(const QString& path)
{
    QSettings settings;
    QStringList files = settings.value(QStringLiteral("recentFiles")).toStringList();
    const QString abs = QFileInfo(path).absoluteFilePath();
    files.removeAll(abs);
    files.prepend(abs);
    while (files.size() > 10)
        files.removeLast();
    settings.setValue(QStringLiteral("recentFiles"), files);
    populateRecentMenu();
}

void FileActions::populateRecentMenu()
{
    if (!m_recentMenu)
        return;
    m_recentMenu->clear();
    const QStringList files = recentFiles();
    for (int i = 0; i < files.size(); ++i) {
        const QString f = files[i];
        QAction* a = m_recentMenu->addAction(
            QStringLiteral("&%1  %2").arg(i + 1).arg(QFileInfo(f).fileName()), this, [this, f] {
                if (maybeSave())
                    openFile(f);
            });
        a->setToolTip(QDir::toNativeSeparators(f));
        a->setStatusTip(QDir::toNativeSeparators(f));
    }
    if (files.isEmpty()) {
        m_recentMenu->addAction(tr("(none yet)"))->setEnabled(false);
        return;
    }
    m_recentMenu->addSeparator();
    m_recentMenu->addAction(tr("Clear Menu"), this, [this] {
        QSettings().remove(QStringLiteral("recentFiles"));
        populateRecentMenu();
    });
}

QString FileActions::exportCanvas(const QString& path)
{
    if (QFileInfo(path).suffix().compare(QLatin1String("svg"), Qt::CaseInsensitive) == 0) {
        const QRectF src = m_scene->itemsBoundingRect().adjusted(-24, -24, 24, 24);
        // Written to a temporary file and renamed, like every file the user owns.
        const QString tmp = path + QStringLiteral(".tmp-svg");
        {
            QSvgGenerator svg;
            svg.setFileName(tmp);
            svg.setTitle(m_doc->displayName());
            svg.setDescription(tr("Network diagram exported by NetCanvas"));
            svg.setSize(src.size().toSize());
            svg.setViewBox(QRectF(QPointF(0, 0), src.size()));
            QPainter p;
            if (!p.begin(&svg))
                return tr("Could not write %1").arg(QDir::toNativeSeparators(path));
            p.setRenderHint(QPainter::Antialiasing);
            m_scene->render(&p, QRectF(QPointF(0, 0), src.size()), src);
            p.end();
        }
        QFile::remove(path);
        if (!QFile::rename(tmp, path)) {
            QFile::remove(tmp);
            return tr("Could not write %1").arg(QDir::toNativeSeparators(path));
        }
        return {};
    }
    const QImage image = m_scene->toImage(2.0);
    const QString tmp = path + QStringLiteral(".tmp-png");
    if (!image.save(tmp, "PNG")) {
        QFile::remove(tmp);
        return tr("Could not write %1").arg(QDir::toNativeSeparators(path));
    }
    QFile::remove(path);
    if (!QFile::rename(tmp, path))
        return tr("Could not write %1").arg(QDir::toNativeSeparators(path));
    return {};
}

void FileActions::exportDialog()
{
    const QString base = QFileInfo(m_doc->displayName()).completeBaseName();
    QString selected = tr("SVG vector image (*.svg)");
    QString path = QFileDialog::getSaveFileName(m_window, tr("Export Canvas"),
        QDir::home().filePath(base + QStringLiteral(".svg")), tr("SVG vector image (*.svg);;PNG image (*.png)"),
        &selected);
    if (path.isEmpty())
        return;
    if (QFileInfo(path).suffix().isEmpty())
        path += selected.contains(QStringLiteral("png")) ? QStringLiteral(".png") : QStringLiteral(".svg");
    const QString err = exportCanvas(path);
    if (!err.isEmpty())
        QMessageBox::warning(m_window, tr("Cannot export"), err);
    else
        showStatus(tr("Exported %1").arg(QDir::toNativeSeparators(path)), 5000);
}

void FileActions::exportModelJson()
{
    const QString base = QFileInfo(m_doc->displayName()).completeBaseName();
    QString path = QFileDialog::getSaveFileName(m_window, tr("Export Model JSON"),
        QDir::home().filePath(base + QStringLiteral(".json")), tr("Model JSON (*.json)"));
    if (path.isEmpty())
        return;
    if (QFileInfo(path).suffix().isEmpty())
        path += QStringLiteral(".json");
    ModelGraph g = m_doc->model()->graph();
    g.training = trainConfigToJson(m_training->recipe()); // the recipe in use
    try {
        saveModelFile(g, path.toStdString());
    } catch (const std::exception& e) {
        QMessageBox::warning(m_window, tr("Cannot export"), QString::fromStdString(e.what()));
        return;
    }
    showStatus(tr("Exported %1 — train it with netcanvas-cli train").arg(QDir::toNativeSeparators(path)), 6000);
}

void FileActions::showStatus(const QString& text, int ms)
{
    m_window->statusBar()->showMessage(text, ms);
}

} // namespace netcanvas::app
