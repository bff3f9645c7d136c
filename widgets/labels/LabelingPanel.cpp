#include "widgets/labels/LabelingPanel.h"

#include "widgets/canvas/CanvasStyle.h"
#include "widgets/labels/LabelBrowserModel.h"
#include "widgets/labels/LabelChangeCommand.h"
#include "widgets/labels/LabelClassBar.h"
#include "widgets/labels/LabelFilterBar.h"
#include "widgets/labels/LabelGridView.h"
#include "widgets/labels/LabelPreview.h"
#include "widgets/labels/ThumbnailCache.h"
#include "widgets/labels/ThumbnailDelegate.h"

#include "engine/core/Error.h"

#include <QDoubleSpinBox>
#include <QFrame>
#include <QHBoxLayout>
#include <QItemSelection>
#include <QLabel>
#include <QLocale>
#include <QPainter>
#include <QProgressBar>
#include <QPushButton>
#include <QSlider>
#include <QSplitter>
#include <QStackedWidget>
#include <QTimer>
#include <QUndoStack>
#include <QVBoxLayout>

#include <algorithm>

namespace netcanvas::widgets {

namespace {

QString grouped(qint64 n)
{
    QLocale loc;
    loc.setNumberOptions(loc.numberOptions() & ~QLocale::OmitGroupSeparator);
    return loc.toString(n);
}

// A one-line label that elides its text at the right instead of clipping it (the model
// status shares its line with the busy text and the progress bar).
class ElidedLabel : public QLabel {
public:
    using QLabel::QLabel;

protected:
    void paintEvent(QPaintEvent*) override
    {
        QPainter p(this);
        p.setPen(palette().color(QPalette::WindowText));
        const QRect r = contentsRect();
        p.drawText(r, Qt::AlignVCenter | Qt::AlignLeft, fontMetrics().elidedText(text(), Qt::ElideRight, r.width()));
    }
};

QFrame* separator(QWidget* parent)
{
    auto* line = new QFrame(parent);
    line->setFrameShape(QFrame::VLine);
    line->setStyleSheet(QStringLiteral("color: #d5d9e0;"));
    return line;
}

QFrame* hline(QWidget* parent)
{
    auto* line = new QFrame(parent);
    line->setFrameShape(QFrame::HLine);
    line->setFixedHeight(1);
    line->setStyleSheet(QStringLiteral("background: #dde1e6; border: none;"));
    return line;
}

} // namespace

LabelingPanel::LabelingPanel(QWidget* parent)
    : QWidget(parent)
    , m_undo(new QUndoStack(this))
    , m_cache(new ThumbnailCache(this))
    , m_model(new LabelBrowserModel(m_cache, this))
{
    setObjectName(QStringLiteral("labelingPanel"));
    auto* v = new QVBoxLayout(this);
    v->setContentsMargins(0, 0, 0, 0);
    v->setSpacing(0);

    // ---- The model bar ----
    auto* bar = new QFrame(this);
    bar->setObjectName(QStringLiteral("modelBar"));
    bar->setStyleSheet(QStringLiteral("QFrame#modelBar { background: #f6f7f9; border-bottom: 1px solid #dde1e6; }"));
    auto* h = new QHBoxLayout(bar);
    h->setContentsMargins(8, 6, 8, 6);
    h->setSpacing(6);
    m_train = new QPushButton(tr("Train on labeled"), bar);
    m_train->setObjectName(QStringLiteral("trainButton"));
    m_train->setToolTip(
        tr("Train the model on the labeled images (continues from the current weights when there is a model)"));
    m_train->setStyleSheet(QStringLiteral("QPushButton:enabled { font-weight: bold; }"));
    m_predict = new QPushButton(tr("Predict unlabeled"), bar);
    m_predict->setObjectName(QStringLiteral("predictButton"));
    m_predict->setToolTip(tr("Let the model predict a class for every unlabeled image"));
    auto* acceptCaption = new QLabel(tr("Accept predictions ≥"), bar);
    acceptCaption->setStyleSheet(QStringLiteral("color: #3a414c;"));
    m_threshold = new QDoubleSpinBox(bar);
    m_threshold->setObjectName(QStringLiteral("acceptThreshold"));
    m_threshold->setRange(0.0, 1.0);
    m_threshold->setDecimals(2);
    m_threshold->setSingleStep(0.01);
    m_threshold->setValue(0.90);
    m_threshold->setToolTip(tr("Confidence a prediction needs to be accepted"));
    m_acceptAbove = new QPushButton(bar);
    m_acceptAbove->setObjectName(QStringLiteral("acceptAboveButton"));
    m_acceptAbove->setToolTip(tr("Label every unlabeled image whose prediction is at least this confident (undoable)"));
    m_export = new QPushButton(tr("Export…"), bar);
    m_export->setObjectName(QStringLiteral("exportButton"));
    m_export->setToolTip(tr("Copy the labeled images into a folder per class, or write a CSV"));
    m_status = new ElidedLabel(bar);
    m_status->setObjectName(QStringLiteral("modelStatus"));
    m_status->setTextFormat(Qt::PlainText);
    m_status->setStyleSheet(QStringLiteral("color: #3a414c;"));
    m_status->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    m_status->setMinimumWidth(120);
    m_busyText = new QLabel(bar);
    m_busyText->setObjectName(QStringLiteral("busyText"));
    m_busyText->setStyleSheet(QStringLiteral("color: #3a414c;"));
    m_progress = new QProgressBar(bar);
    m_progress->setObjectName(QStringLiteral("busyProgress"));
    m_progress->setFixedWidth(140);
    m_progress->setMaximumHeight(16);
    m_progress->setTextVisible(false);
    h->addWidget(m_train);
    h->addWidget(m_predict);
    h->addWidget(separator(bar));
    h->addWidget(acceptCaption);
    h->addWidget(m_threshold);
    h->addWidget(m_acceptAbove);
    h->addWidget(separator(bar));
    h->addWidget(m_export);
    h->addSpacing(8);
    h->addWidget(m_status, 1);
    h->addWidget(m_busyText);
    h->addWidget(m_progress);
    v->addWidget(bar);
    connect(m_train, &QPushButton::clicked, this, &LabelingPanel::trainRequested);
    connect(m_predict, &QPushButton::clicked, this, &LabelingPanel::predictRequested);
    connect(m_export, &QPushButton::clicked, this, &LabelingPanel::exportRequested);
    connect(
        m_acceptAbove, &QPushButton::clicked, this, [this] { acceptAbove(static_cast<float>(m_threshold->value())); });
    connect(m_threshold, &QDoubleSpinBox::valueChanged, this, [this] { updateCounts(); });

    // ---- The pages: a placeholder, or the labeling view ----
    m_pages = new QStackedWidget(this);
    v->addWidget(m_pages, 1);

    auto* empty = new QWidget(m_pages);
    auto* ev = new QVBoxLayout(empty);
    ev->addStretch(1);
    ev->addWidget(style::placeholderLabel(tr("Open a folder of images to label"), empty));
    auto* open = new QPushButton(tr("Open folder…"), empty);
    open->setObjectName(QStringLiteral("openFolderButton"));
    connect(open, &QPushButton::clicked, this, &LabelingPanel::openFolderRequested);
    auto* oh = new QHBoxLayout;
    oh->addStretch(1);
    oh->addWidget(open);
    oh->addStretch(1);
    ev->addLayout(oh);
    auto* explain = new QLabel(tr("NetCanvas never moves or changes your images: labels are kept in files of its own "
                                  "in that folder (netcanvas-labels.json and a journal)."),
        empty);
    explain->setWordWrap(true);
    explain->setAlignment(Qt::AlignCenter);
    explain->setStyleSheet(QStringLiteral("color: #7a828e; font-size: 11px;"));
    ev->addWidget(explain);
    ev->addStretch(2);
    m_pages->addWidget(empty);

    // The filter bar spans the whole page (above classes, grid and preview), so the three
    // columns need no more width than the window has at 1280 px.
    auto* page = new QWidget(m_pages);
    auto* pv = new QVBoxLayout(page);
    pv->setContentsMargins(0, 0, 0, 0);
    pv->setSpacing(0);
    m_filterBar = new LabelFilterBar(page);
    pv->addWidget(m_filterBar);
    pv->addWidget(hline(page));
    m_split = new QSplitter(Qt::Horizontal, page);
    pv->addWidget(m_split, 1);
    m_split->setChildrenCollapsible(false);
    m_classBar = new LabelClassBar(m_split);
    auto* center = new QWidget(m_split);
    auto* cv = new QVBoxLayout(center);
    cv->setContentsMargins(0, 0, 0, 0);
    cv->setSpacing(0);
    m_grid = new LabelGridView(center);
    m_grid->setModel(m_model);
    cv->addWidget(m_grid, 1);
    cv->addWidget(hline(center));
    auto* foot = new QHBoxLayout;
    foot->setContentsMargins(8, 4, 8, 4);
    m_hint = new QLabel(center);
    m_hint->setObjectName(QStringLiteral("gridHint"));
    m_hint->setStyleSheet(QStringLiteral("color: #5a6270;"));
    m_hint->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    foot->addWidget(m_hint, 1);
    foot->addSpacing(16); // a long hint is clipped before it, never runs into the caption
    auto* sizeCaption = new QLabel(tr("Size"), center);
    sizeCaption->setStyleSheet(QStringLiteral("color: #5a6270;"));
    foot->addWidget(sizeCaption);
    m_size = new QSlider(Qt::Horizontal, center);
    m_size->setObjectName(QStringLiteral("thumbnailSize"));
    m_size->setRange(ThumbnailDelegate::kMinSide, ThumbnailDelegate::kMaxSide);
    m_size->setSingleStep(8);
    m_size->setPageStep(32);
    m_size->setValue(m_grid->thumbnailSide());
    m_size->setFixedWidth(130);
    m_size->setToolTip(tr("Thumbnail size"));
    foot->addWidget(m_size);
    cv->addLayout(foot);
    m_preview = new LabelPreview(m_split);
    m_split->addWidget(m_classBar);
    m_split->addWidget(center);
    m_split->addWidget(m_preview);
    m_split->setStretchFactor(0, 0);
    m_split->setStretchFactor(1, 1);
    m_split->setStretchFactor(2, 0);
    m_split->setSizes({ 230, 700, 300 });
    m_pages->addWidget(page);

    // ---- Wiring ----
    m_visibleTimer = new QTimer(this);
    m_visibleTimer->setSingleShot(true);
    m_visibleTimer->setInterval(0);
    connect(m_visibleTimer, &QTimer::timeout, this, &LabelingPanel::updateVisible);
    m_previewTimer = new QTimer(this);
    m_previewTimer->setSingleShot(true);
    m_previewTimer->setInterval(40); // holding an arrow key decodes where it stops
    connect(m_previewTimer, &QTimer::timeout, this, [this] {
        if (!m_preview->isHidden())
            m_preview->showImage(currentImage());
    });
    m_hintTimer = new QTimer(this);
    m_hintTimer->setSingleShot(true);
    m_hintTimer->setInterval(4000);
    connect(m_hintTimer, &QTimer::timeout, this, &LabelingPanel::updateSelectionHint);

    connect(m_undo, &QUndoStack::indexChanged, this, &LabelingPanel::stackChanged);
    connect(m_size, &QSlider::valueChanged, this, &LabelingPanel::setThumbnailSide);
    connect(m_filterBar, &LabelFilterBar::queryChanged, this, &LabelingPanel::queryChanged);
    connect(m_grid, &LabelGridView::viewportChanged, this, &LabelingPanel::scheduleVisible);
    connect(m_model, &QAbstractItemModel::modelReset, this, &LabelingPanel::scheduleVisible);
    connect(m_grid, &LabelGridView::classKeyPressed, this, [this](int k) {
        if (!m_store)
            return;
        if (k < static_cast<int>(m_store->classes().size()))
            assignToSelection(QString::fromStdString(m_store->classes()[static_cast<size_t>(k)]));
        else
            showHint(tr("No class has the key %1 yet: create one with “+ New class…”").arg(k + 1));
    });
    connect(m_grid, &LabelGridView::unlabelPressed, this, &LabelingPanel::unlabelSelection);
    connect(m_grid, &LabelGridView::acceptPressed, this, &LabelingPanel::acceptSelection);
    connect(m_grid, &LabelGridView::previewTogglePressed, this, [this] { setPreviewVisible(!isPreviewVisible()); });
    connect(m_grid, &LabelGridView::undoPressed, m_undo, &QUndoStack::undo);
    connect(m_grid, &LabelGridView::redoPressed, m_undo, &QUndoStack::redo);
    connect(m_grid, &QListView::doubleClicked, this, [this](const QModelIndex& index) {
        const int image = m_model->imageAt(index.row());
        if (image >= 0)
            emit imageActivated(image);
    });
    connect(m_grid->selectionModel(), &QItemSelectionModel::currentChanged, this, [this] { m_previewTimer->start(); });
    connect(m_grid->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] {
        if (!m_hintTimer->isActive())
            updateSelectionHint();
    });

    connect(m_classBar, &LabelClassBar::assignRequested, this, &LabelingPanel::assignToSelection);
    connect(m_classBar, &LabelClassBar::unlabelRequested, this, &LabelingPanel::unlabelSelection);
    connect(m_classBar, &LabelClassBar::createRequested, this, [this](const QString& name) {
        perform(tr("Cannot create the class"), [&] { return m_store->addClass(name.toStdString()); });
    });
    connect(m_classBar, &LabelClassBar::renameRequested, this, [this](const QString& from, const QString& to) {
        LabelQuery q = query();
        if (perform(tr("Cannot rename the class"),
                [&] { return m_store->renameClass(from.toStdString(), to.toStdString()); })) {
            // Keep showing the renamed class.
            bool changed = false;
            const int k = m_store->classIndex(to.trimmed().toStdString());
            const std::string now = k >= 0 ? m_store->classes()[static_cast<size_t>(k)] : to.trimmed().toStdString();
            if (q.labels == LabelQuery::Labels::Class && q.className == from.toStdString()) {
                q.className = now;
                changed = true;
            }
            if (q.predictedClass == from.toStdString()) {
                q.predictedClass = now;
                changed = true;
            }
            if (changed)
                setQuery(q);
        }
    });
    connect(m_classBar, &LabelClassBar::mergeRequested, this, [this](const QString& from, const QString& into) {
        perform(tr("Cannot merge the classes"),
            [&] { return m_store->mergeClass(from.toStdString(), into.toStdString()); });
    });
    connect(m_classBar, &LabelClassBar::deleteRequested, this, [this](const QString& name) {
        perform(tr("Cannot delete the class"), [&] { return m_store->deleteClass(name.toStdString()); });
    });
    connect(m_classBar, &LabelClassBar::moveRequested, this, [this](const QString& name, int position) {
        perform(tr("Cannot move the class"), [&] { return m_store->moveClass(name.toStdString(), position); });
    });
    connect(m_classBar, &LabelClassBar::showClassRequested, this, [this](const QString& name) {
        LabelQuery q;
        q.labels = LabelQuery::Labels::Class;
        q.className = name.toStdString();
        setQuery(q);
    });
    connect(m_classBar, &LabelClassBar::importFoldersRequested, this,
        [this] { perform(tr("Cannot import the sub-folders"), [&] { return m_store->importFolderPerClass(); }); });

    m_cache->setThumbnailSide(static_cast<int>(m_grid->thumbnailSide() * std::max(1.0, devicePixelRatioF())));
    setModelStatus({});
    setBusy(false);
    setStore(nullptr);
}

LabelingPanel::~LabelingPanel()
{
    // The undo stack is deleted with the children, after this object's members: its last
    // indexChanged must not reach stackChanged() then.
    disconnect(m_undo, nullptr, this, nullptr);
    // The model and cache read the store: drop it before anything else goes.
    m_model->setStore(nullptr);
    m_cache->setSource({});
}

// ---- Store ------------------------------------------------------------------------------

void LabelingPanel::setStore(LabelStore* store)
{
    m_undo->clear();
    m_pendingFix = nullptr;
    m_store = store;
    if (store)
        m_cache->setSource([store](int image) { return QString::fromStdString(store->imagePath(image)); });
    else
        m_cache->setSource({});
    m_classBar->setStore(store);
    m_preview->setStore(store);
    QStringList classes;
    if (store)
        for (const auto& c : store->classes())
            classes << QString::fromStdString(c);
    {
        const QSignalBlocker block(m_filterBar);
        m_filterBar->setClasses(classes);
        m_filterBar->setQuery(LabelQuery {});
    }
    m_model->setQuery(m_filterBar->query());
    m_model->setStore(store);
    m_pages->setCurrentIndex(store ? 1 : 0);
    refresh();
    if (store && m_model->rowCount() > 0)
        m_grid->selectOnly(0);
    if (store)
        m_grid->setFocus(); // the keys work at once
    m_grid->scrollToTop();
    updateSelectionHint();
}

LabelStore* LabelingPanel::store() const
{
    return m_store;
}

QUndoStack* LabelingPanel::undoStack() const
{
    return m_undo;
}

void LabelingPanel::refresh()
{
    m_classBar->refresh();
    QStringList classes;
    if (m_store)
        for (const auto& c : m_store->classes())
            classes << QString::fromStdString(c);
    m_filterBar->setClasses(classes); // may change the query (a class gone): queryChanged reloads
    reloadRows(-1);
    m_preview->refresh();
}

void LabelingPanel::reloadRows(int preferImage)
{
    const std::vector<int> selected = selectedImages();
    const int current = currentImage();
    if (m_model->refresh())
        restoreSelection(selected, current);
    if (preferImage >= 0 && m_model->rowOf(preferImage) >= 0)
        m_grid->selectOnly(m_model->rowOf(preferImage));
    updateCounts();
    m_preview->refresh();
}

void LabelingPanel::restoreSelection(const std::vector<int>& images, int current)
{
    QItemSelection sel;
    std::vector<int> rows;
    rows.reserve(images.size());
    for (int image : images)
        if (const int r = m_model->rowOf(image); r >= 0)
            rows.push_back(r);
    std::sort(rows.begin(), rows.end());
    for (size_t i = 0; i < rows.size();) {
        size_t j = i;
        while (j + 1 < rows.size() && rows[j + 1] == rows[j] + 1)
            ++j;
        sel.select(m_model->index(rows[i]), m_model->index(rows[j]));
        i = j + 1;
    }
    QItemSelectionModel* sm = m_grid->selectionModel();
    const int currentRow = m_model->rowOf(current);
    if (currentRow >= 0)
        sm->setCurrentIndex(m_model->index(currentRow), QItemSelectionModel::NoUpdate);
    sm->select(sel, QItemSelectionModel::ClearAndSelect);
}

void LabelingPanel::queryChanged()
{
    const std::vector<int> selected = selectedImages();
    const int current = currentImage();
    m_model->setQuery(m_filterBar->query());
    restoreSelection(selected, current);
    // What was selected may not be shown any more: then the first shown image is current,
    // so the preview and the keys never act on an image that is out of view.
    if (!m_grid->currentIndex().isValid() && m_model->rowCount() > 0)
        m_grid->selectOnly(0);
    if (m_grid->currentIndex().isValid())
        m_grid->scrollTo(m_grid->currentIndex());
    else
        m_grid->scrollToTop();
    if (!m_preview->isHidden())
        m_preview->showImage(currentImage());
    updateCounts();
    updateSelectionHint();
}

void LabelingPanel::updateCounts()
{
    const qint64 total = m_store ? m_store->imageCount() : 0;
    m_filterBar->setCounts(m_model->rowCount(), total);
    m_anyPrediction = false;
    m_acceptable = 0;
    if (m_store) {
        LabelQuery q;
        q.predictedOnly = true;
        const std::vector<int> predicted = m_store->query(q);
        m_anyPrediction = !predicted.empty();
        if (m_anyPrediction) {
            const float threshold = static_cast<float>(m_threshold->value());
            for (int image : predicted)
                if (m_store->label(image) < 0 && m_store->confidence(image) >= threshold
                    && m_store->classIndex(m_store->predictedClass(image)) >= 0)
                    ++m_acceptable;
        }
    }
    m_filterBar->setHasPredictions(m_anyPrediction);
    m_acceptAbove->setText(tr("Accept %1").arg(grouped(m_acceptable)));
    updateButtons();
}

void LabelingPanel::updateButtons()
{
    const bool haveStore = m_store != nullptr;
    const bool anyLabeled = haveStore && m_store->unlabeledCount() < m_store->imageCount();
    m_train->setEnabled(haveStore && !m_busy && anyLabeled);
    m_predict->setEnabled(haveStore && !m_busy && m_predictEnabled);
    m_export->setEnabled(haveStore && anyLabeled);
    m_threshold->setEnabled(haveStore && m_anyPrediction);
    m_acceptAbove->setEnabled(haveStore && m_acceptable > 0);
}

// ---- Changes ----------------------------------------------------------------------------

bool LabelingPanel::perform(const QString& what, const std::function<LabelChange()>& make)
{
    if (!m_store)
        return false;
    LabelChange change;
    try {
        change = make();
    } catch (const std::exception& e) {
        emit errorOccurred(QStringLiteral("%1: %2").arg(what, QString::fromStdString(e.what())));
        return false;
    }
    if (change.empty())
        return false;
    pushAppliedChange(change);
    return true;
}

void LabelingPanel::pushAppliedChange(const LabelChange& change)
{
    if (!m_store || change.empty())
        return;
    m_undo->push(new LabelChangeCommand(
        m_store, change, true, m_undo, [this](const QString& message, std::function<void()> fix) {
            m_pendingFix = std::move(fix);
            emit errorOccurred(message);
        }));
}

void LabelingPanel::stackChanged()
{
    if (m_pendingFix) {
        // A command failed to undo/redo: put the stack's index back where the store is.
        auto fix = std::move(m_pendingFix);
        m_pendingFix = nullptr;
        fix();
        return; // fix() moved the index again: this runs once more
    }
    refresh();
    emit labelsChanged();
}

int LabelingPanel::nextImageAfterSelection() const
{
    const std::vector<int> rows = m_grid->selectedRows();
    return rows.empty() ? -1 : m_model->imageAt(rows.back() + 1); // -1 after the last row
}

void LabelingPanel::advance(const std::vector<int>& before, int next)
{
    // The next image when it is still shown; else the last of the selection (the end of the
    // list); else the image before the selection (both filtered out).
    int target = m_model->rowOf(next);
    if (target < 0 && !before.empty())
        target = m_model->rowOf(before.back());
    if (target < 0 && !before.empty())
        target = std::min(m_beforeRow, m_model->rowCount() - 1); // what took the selection's place
    if (target >= 0)
        m_grid->selectOnly(target);
}

bool LabelingPanel::assignToSelection(const QString& className)
{
    const std::vector<int> images = selectedImages();
    if (!m_store)
        return false;
    if (images.empty()) {
        showHint(tr("Select images first (click, Shift+click, Ctrl+A)"));
        return false;
    }
    const int next = nextImageAfterSelection();
    m_beforeRow = m_grid->selectedRows().front();
    // Nothing changed (already labeled so, or an error): still move on, as the key promises.
    const bool changed = perform(tr("Cannot label"), [&] { return m_store->assign(images, className.toStdString()); });
    advance(images, next);
    return changed;
}

bool LabelingPanel::unlabelSelection()
{
    const std::vector<int> images = selectedImages();
    if (!m_store || images.empty())
        return false;
    const int next = nextImageAfterSelection();
    m_beforeRow = m_grid->selectedRows().front();
    if (!perform(tr("Cannot unlabel"), [&] { return m_store->unlabel(images); }))
        return false;
    // The images stay selected while they are shown (filter All / Unlabeled); else move on.
    if (m_grid->selectedRows().empty())
        advance(images, next);
    return true;
}

bool LabelingPanel::acceptSelection()
{
    const std::vector<int> images = selectedImages();
    if (!m_store || images.empty())
        return false;
    const int next = nextImageAfterSelection();
    m_beforeRow = m_grid->selectedRows().front();
    const bool changed
        = perform(tr("Cannot accept the prediction"), [&] { return m_store->acceptPredictions(images); });
    if (!changed) {
        bool any = false;
        for (int image : images)
            any = any || m_store->hasPrediction(image);
        showHint(any ? tr("Nothing to accept: the selection already has its predicted labels, or the class is gone")
                     : tr("No prediction for the selection yet: Train on labeled, then Predict unlabeled"));
        return false;
    }
    advance(images, next);
    return true;
}

bool LabelingPanel::acceptAbove(float threshold)
{
    if (!m_store)
        return false;
    const bool changed
        = perform(tr("Cannot accept the predictions"), [&] { return m_store->acceptPredictionsAbove(threshold); });
    if (!changed)
        showHint(
            tr("No unlabeled image is predicted with confidence ≥ %1").arg(static_cast<double>(threshold), 0, 'f', 2));
    return changed;
}

double LabelingPanel::acceptThreshold() const
{
    return m_threshold->value();
}

void LabelingPanel::setAcceptThreshold(double threshold)
{
    m_threshold->setValue(threshold);
}

int LabelingPanel::acceptableCount() const
{
    return m_acceptable;
}

// ---- Selection and view -----------------------------------------------------------------

std::vector<int> LabelingPanel::selectedImages() const
{
    std::vector<int> images;
    for (int row : m_grid->selectedRows())
        if (const int image = m_model->imageAt(row); image >= 0)
            images.push_back(image);
    return images;
}

void LabelingPanel::selectImages(const std::vector<int>& images)
{
    restoreSelection(images, images.empty() ? -1 : images.front());
    if (m_grid->currentIndex().isValid())
        m_grid->scrollTo(m_grid->currentIndex());
}

int LabelingPanel::currentImage() const
{
    const QModelIndex current = m_grid->currentIndex();
    return current.isValid() ? m_model->imageAt(current.row()) : -1;
}

LabelQuery LabelingPanel::query() const
{
    return m_filterBar->query();
}

void LabelingPanel::setQuery(const LabelQuery& query)
{
    m_filterBar->setQuery(query); // emits queryChanged
}

std::vector<int> LabelingPanel::shownImages() const
{
    return m_model->images();
}

void LabelingPanel::setPreviewVisible(bool visible)
{
    m_preview->setVisible(visible);
    if (visible)
        m_preview->showImage(currentImage());
}

bool LabelingPanel::isPreviewVisible() const
{
    return !m_preview->isHidden();
}

void LabelingPanel::setThumbnailSide(int side)
{
    side = std::clamp(side, ThumbnailDelegate::kMinSide, ThumbnailDelegate::kMaxSide);
    if (m_size->value() != side) {
        m_size->setValue(side); // comes back here
        return;
    }
    m_cache->setThumbnailSide(static_cast<int>(side * std::max(1.0, devicePixelRatioF())));
    m_grid->setThumbnailSide(side);
    scheduleVisible();
}

int LabelingPanel::thumbnailSide() const
{
    return m_grid->thumbnailSide();
}

void LabelingPanel::scheduleVisible()
{
    m_visibleTimer->start();
}

void LabelingPanel::updateVisible()
{
    std::vector<int> visible, ahead;
    const auto [first, last] = m_grid->visibleRows();
    for (int r = first; r <= last; ++r)
        visible.push_back(m_model->imageAt(r));
    const auto [nf, nl] = m_grid->nextPageRows();
    for (int r = nf; r <= nl; ++r)
        ahead.push_back(m_model->imageAt(r));
    m_cache->setVisibleImages(visible, ahead);
}

void LabelingPanel::showHint(const QString& text)
{
    m_hint->setText(text);
    m_hint->setStyleSheet(QStringLiteral("color: #b26b00;"));
    m_hintTimer->start();
}

void LabelingPanel::updateSelectionHint()
{
    m_hint->setStyleSheet(QStringLiteral("color: #5a6270;"));
    if (!m_store) {
        m_hint->clear();
        return;
    }
    const size_t n = m_grid->selectedRows().size();
    const QString keys = tr("1–9, 0 label · ⌫ unlabel · A accept · Space preview");
    m_hint->setText(n == 0 ? keys : tr("%1 selected · %2").arg(grouped(static_cast<qint64>(n)), keys));
}

QString LabelingPanel::hintText() const
{
    return m_hint->text();
}

// ---- The model bar ----------------------------------------------------------------------

void LabelingPanel::setModelStatus(const QString& text)
{
    m_status->setText(
        text.isEmpty() ? tr("No model yet: label some images of each class, then Train on labeled.") : text);
    m_status->setToolTip(m_status->text());
}

QString LabelingPanel::modelStatus() const
{
    return m_status->text();
}

void LabelingPanel::setBusy(bool busy, const QString& what)
{
    m_busy = busy;
    m_busyText->setText(what);
    m_busyText->setVisible(busy && !what.isEmpty());
    m_progress->setVisible(busy);
    if (busy)
        m_progress->setRange(0, 0);
    updateButtons();
}

void LabelingPanel::setProgress(int done, int total)
{
    if (total <= 0) {
        m_progress->setRange(0, 0);
        return;
    }
    m_progress->setRange(0, total);
    m_progress->setValue(std::clamp(done, 0, total));
}

void LabelingPanel::setPredictEnabled(bool enabled)
{
    m_predictEnabled = enabled;
    updateButtons();
}

} // namespace netcanvas::widgets
