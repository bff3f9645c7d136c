#include "app/LabelingController.h"

#include "app/TrainingController.h"
#include "app/TrainingWorker.h"
#include "engine/backend/Backend.h"
#include "engine/core/Error.h"
#include "engine/data/DataLoader.h"
#include "engine/inspect/Inspect.h"
#include "engine/io/AtomicFile.h"
#include "engine/io/Csv.h"
#include "engine/labels/ImageScan.h"
#include "engine/labels/LabeledImages.h"

#include <QDir>
#include <QFileInfo>
#include <QFutureWatcher>
#include <QtConcurrent/QtConcurrentRun>

#include <QPointer>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <unordered_map>

namespace netcanvas::app {

namespace {

// At least this many labeled images, in at least two classes, before a round can train.
constexpr int64_t kMinLabeled = 4;

struct PredictResult {
    std::vector<ImagePrediction> predictions;
    int64_t unreadable = 0;
};

} // namespace

LabelingController::LabelingController(TrainingController* training, QObject* parent)
    : QObject(parent)
    , m_training(training)
    , m_cancelFlag(std::make_shared<std::atomic<bool>>(false))
{
    connect(m_training, &TrainingController::epochFinished, this, &LabelingController::onTrainingEpoch);
    connect(m_training, &TrainingController::finished, this, &LabelingController::onTrainingFinished);
    connect(m_training, &TrainingController::failed, this, &LabelingController::onTrainingFailed);
}

LabelingController::~LabelingController()
{
    m_cancelFlag->store(true);
    // A job still running refers to nothing of ours but its value copies; wait for it so its
    // thread does not outlive the application's objects.
    for (auto* w : findChildren<QFutureWatcherBase*>())
        w->waitForFinished();
}

QString LabelingController::openFolder(const QString& folder)
{
    if (m_busy)
        return tr("Wait for the current job to finish (or cancel it) before opening another folder.");
    std::unique_ptr<LabelStore> store;
    try {
        store = std::make_unique<LabelStore>(QDir(folder).absolutePath().toStdString());
    } catch (const LockError& e) {
        return tr("%1\nClose the other window, or label a copy of the folder.").arg(QString::fromStdString(e.what()));
    } catch (const std::exception& e) {
        return QString::fromStdString(e.what());
    }
    close();
    m_store = std::move(store);
    emit storeChanged();
    return {};
}

void LabelingController::close()
{
    if (!m_store)
        return;
    m_cancelFlag->store(true);
    ++m_generation; // results of jobs on this store are dropped
    try {
        if (m_store->hasUnsavedChanges())
            m_store->save(); // the journal already holds every change; this compacts it
    } catch (const std::exception&) {
        // Nothing lost: the journal is replayed on the next open.
    }
    m_store.reset();
    m_rounds.clear();
    m_model.reset();
    emit storeChanged();
}

QString LabelingController::folder() const
{
    return m_store ? QString::fromStdString(m_store->root()) : QString();
}

QStringList LabelingController::notes() const
{
    QStringList out;
    if (!m_store)
        return out;
    if (!m_store->recoveryMessage().empty())
        out << QString::fromStdString(m_store->recoveryMessage());
    for (const auto& n : m_store->notes())
        out << QString::fromStdString(n);
    return out;
}

QString LabelingController::statusText() const
{
    if (!m_store)
        return tr("Open a folder of images to label.");
    const int64_t labeled = m_store->imageCount() - m_store->unlabeledCount();
    if (m_rounds.empty()) {
        if (labeled < kMinLabeled)
            return tr("Label a few images in at least two classes, then train on them.");
        return tr("%1 labeled — train on them to get predictions for the other %2.")
            .arg(labeled)
            .arg(m_store->unlabeledCount());
    }
    const Round& r = m_rounds.back();
    QString text = tr("Round %1: trained on %2 labeled").arg(m_rounds.size()).arg(r.labeled);
    if (r.validationAccuracy >= 0) {
        text += tr(" · validation accuracy %1%").arg(100.0 * r.validationAccuracy, 0, 'f', 1);
        if (m_rounds.size() >= 2 && m_rounds[m_rounds.size() - 2].validationAccuracy >= 0) {
            const double delta = 100.0 * (r.validationAccuracy - m_rounds[m_rounds.size() - 2].validationAccuracy);
            text += QStringLiteral(" (%1%2)").arg(delta >= 0 ? QStringLiteral("+") : QString()).arg(delta, 0, 'f', 1);
        }
    }
    if (r.fineTuned)
        text += tr(" · fine-tuned");
    const int64_t newSince = labeled - r.labeled;
    if (newSince > 0)
        text += tr(" · %1 newly labeled since").arg(newSince);
    return text;
}

void LabelingController::setBusy(bool busy, const QString& what)
{
    m_busy = busy;
    emit busyChanged(busy, what);
}

std::function<bool(int64_t, int64_t)> LabelingController::progressReporter()
{
    m_cancelFlag = std::make_shared<std::atomic<bool>>(false); // a fresh flag per job
    auto cancel = m_cancelFlag;
    auto last = std::make_shared<std::chrono::steady_clock::time_point>();
    QPointer<LabelingController> self(this);
    return [cancel, last, self](int64_t done, int64_t total) {
        const auto now = std::chrono::steady_clock::now();
        if (now - *last > std::chrono::milliseconds(100) || done == total) {
            *last = now;
            QMetaObject::invokeMethod(
                self.data(),
                [self, done, total] {
                    if (self)
                        emit self->progress(static_cast<int>(done), static_cast<int>(total));
                },
                Qt::QueuedConnection);
        }
        return !cancel->load();
    };
}

template <class Result, class Work, class Done>
void LabelingController::runJob(const QString& what, Work work, Done done)
{
    setBusy(true, what);
    const int generation = m_generation;
    using Outcome = std::pair<Result, QString>;
    auto* watcher = new QFutureWatcher<Outcome>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, generation, done] {
        Outcome r = watcher->result();
        watcher->deleteLater();
        setBusy(false);
        if (generation != m_generation)
            return; // the folder was closed meanwhile
        if (!r.second.isEmpty()) {
            emit failed(r.second);
            return;
        }
        done(std::move(r.first));
    });
    watcher->setFuture(QtConcurrent::run([work = std::move(work)]() -> Outcome {
        try {
            return { work(), {} };
        } catch (const std::exception& e) {
            return { Result {}, QString::fromStdString(e.what()) };
        }
    }));
}

void LabelingController::prepareRound(const Shape& inputShape)
{
    if (!m_store || m_busy)
        return;
    LabeledImages set = m_store->labeledImages();
    int classesWithImages = 0;
    for (int64_t c : set.classCounts())
        classesWithImages += c > 0 ? 1 : 0;
    if (static_cast<int64_t>(set.size()) < kMinLabeled || classesWithImages < 2) {
        emit failed(tr("Label at least %1 images in at least two classes first (%2 labeled, in %3 classes).")
                        .arg(kMinLabeled)
                        .arg(set.size())
                        .arg(classesWithImages));
        return;
    }
    if (inputShape.rank() != 3) {
        emit failed(tr("The model's input is %1; labeling needs an image input (channels × height × width).")
                        .arg(QString::fromStdString(inputShape.toString())));
        return;
    }
    DatasetOptions options;
    options.channels = static_cast<int>(inputShape[0]);
    options.height = static_cast<int>(inputShape[1]);
    options.width = static_cast<int>(inputShape[2]);
    options.progress = progressReporter();
    runJob<std::shared_ptr<const Dataset>>(
        tr("Reading %1 labeled images…").arg(set.size()),
        [set = std::move(set), options]() -> std::shared_ptr<const Dataset> {
            return std::make_shared<const Dataset>(loadLabeledImages(set, options));
        },
        [this](std::shared_ptr<const Dataset> data) { emit labeledReady(std::move(data)); });
}

void LabelingController::roundStarted(int64_t labeled, bool fineTuned)
{
    m_roundRunning = true;
    m_pending = Round {};
    m_pending.labeled = labeled;
    m_pending.fineTuned = fineTuned;
    m_pendingAccuracy = -1.0;
}

void LabelingController::onTrainingEpoch(const EpochEvent& e)
{
    if (m_roundRunning && std::isfinite(e.validationAccuracy))
        m_pendingAccuracy = e.validationAccuracy;
}

void LabelingController::onTrainingFailed(const QString& message)
{
    if (!m_roundRunning)
        return;
    m_roundRunning = false;
    emit failed(tr("The training round failed: %1").arg(message));
}

void LabelingController::onTrainingFinished()
{
    if (!m_roundRunning)
        return;
    m_roundRunning = false;
    auto session = m_training->session();
    if (!session || !m_store || !session->isPrepared())
        return;
    try {
        auto model = ModelWeights::fromSession(*session);
        if (!model) {
            emit failed(tr("The training round stopped before its first batch: no model yet."));
            return;
        }
        m_model = std::move(model);
    } catch (const std::exception& e) {
        emit failed(tr("Could not keep the trained model: %1").arg(QString::fromStdString(e.what())));
        return;
    }
    m_pending.validationAccuracy = m_pendingAccuracy;
    m_rounds.push_back(m_pending);
    emit roundFinished(statusText());
    predictUnlabeled();
}

void LabelingController::predictUnlabeled()
{
    if (!m_store || m_busy)
        return;
    if (!m_model) {
        emit failed(tr("Train on the labeled images first: there is no model to predict with."));
        return;
    }
    const std::vector<int> unlabeled = m_store->unlabeledImages();
    if (unlabeled.empty()) {
        m_store->clearPredictions();
        emit predictionsReady(0, tr("Every image is labeled."));
        return;
    }
    // The unlabeled images as a "labeled" set (label 0 everywhere) so the same parallel
    // decoder reads them; image i of the set is store image index[i].
    LabeledImages set;
    set.root = m_store->root();
    set.classNames = m_model->classNames.empty() ? std::vector<std::string> { "?" } : m_model->classNames;
    std::vector<int> index;
    index.reserve(unlabeled.size());
    for (int image : unlabeled) {
        set.ids.push_back(m_store->imageId(image));
        set.labels.push_back(0);
        index.push_back(image);
    }
    const Shape input = m_model->graph.analyze().inputShape;
    DatasetOptions options;
    if (input.rank() == 3) {
        options.channels = static_cast<int>(input[0]);
        options.height = static_cast<int>(input[1]);
        options.width = static_cast<int>(input[2]);
    }
    options.progress = progressReporter();
    auto model = m_model;
    runJob<PredictResult>(
        tr("Predicting %1 unlabeled images…").arg(unlabeled.size()),
        [set = std::move(set), index = std::move(index), options, model]() -> PredictResult {
            const Dataset data = loadLabeledImages(set, options);
            std::unordered_map<std::string, int> imageOfPath;
            imageOfPath.reserve(set.size());
            for (size_t i = 0; i < set.size(); ++i)
                imageOfPath.emplace(set.path(i), index[i]);
            auto backend = createCpuBackend(0);
            Network net(model->graph, *backend);
            if (!model->loadInto(net))
                throw GraphError("the model changed since it was trained: train again to predict");
            const size_t classes = model->classNames.size();
            PredictResult result;
            result.unreadable = static_cast<int64_t>(data.skipped.size());
            result.predictions.reserve(static_cast<size_t>(data.size()));
            constexpr int64_t kBatch = 256;
            std::vector<int64_t> rows;
            for (int64_t b = 0; b < data.size(); b += kBatch) {
                rows.clear();
                for (int64_t i = b; i < std::min(data.size(), b + kBatch); ++i)
                    rows.push_back(i);
                const Tensor x = inspect::batchTensor(data, rows, model->normalization);
                const Tensor& out = net.forward(x, false);
                for (size_t r = 0; r < rows.size(); ++r) {
                    const std::vector<float> p = inspect::probabilities(net, out, static_cast<int64_t>(r));
                    // Only the outputs that stand for a class (a model may have spare outputs).
                    const size_t k = std::min(classes, p.size());
                    size_t best = 0;
                    double sum = 0.0;
                    for (size_t c = 0; c < k; ++c) {
                        sum += p[c];
                        if (p[c] > p[best])
                            best = c;
                    }
                    if (k == 0)
                        continue;
                    ImagePrediction pred;
                    pred.image = imageOfPath.at(data.sources[static_cast<size_t>(rows[r])]);
                    pred.className = model->classNames[best];
                    pred.confidence = sum > 0 ? static_cast<float>(p[best] / sum) : 0.0f;
                    result.predictions.push_back(std::move(pred));
                }
                if (options.progress && !options.progress(b + static_cast<int64_t>(rows.size()), data.size()))
                    throw DataError("cancelled");
            }
            return result;
        },
        [this](PredictResult r) {
            if (!m_store)
                return;
            m_store->setPredictions(r.predictions, true);
            QString text = tr("Predicted %1 unlabeled images.").arg(r.predictions.size());
            if (r.unreadable > 0)
                text += tr(" %1 could not be read.").arg(r.unreadable);
            emit predictionsReady(static_cast<int>(r.predictions.size()), text);
        });
}

void LabelingController::exportLabels(const QString& target)
{
    if (!m_store || m_busy)
        return;
    LabeledImages set = m_store->labeledImages();
    if (set.size() == 0) {
        emit failed(tr("Nothing is labeled yet: there is nothing to export."));
        return;
    }
    const bool csv = target.endsWith(QLatin1String(".csv"), Qt::CaseInsensitive);
    auto progress = progressReporter();
    const std::string path = QDir::cleanPath(target).toStdString();
    runJob<QString>(
        tr("Exporting %1 labeled images…").arg(set.size()),
        [set = std::move(set), csv, path, progress]() -> QString {
            if (csv) {
                exportLabelsCsv(set, path);
                return QObject::tr("Wrote %1 labels to %2").arg(set.size()).arg(QString::fromStdString(path));
            }
            const ExportResult r = exportFolderPerClass(set, path, progress);
            QString text = QObject::tr("Copied %1 images into %2").arg(r.copied).arg(QString::fromStdString(r.target));
            if (!r.skipped.empty())
                text += QObject::tr(" (%1 could not be copied: %2)")
                            .arg(r.skipped.size())
                            .arg(QString::fromStdString(r.skipped.front().path + ": " + r.skipped.front().reason));
            return text;
        },
        [this](QString message) { emit exported(message); });
}

void LabelingController::classifyToCsv(
    const QStringList& inputs, const QString& csvPath, std::shared_ptr<const ModelWeights> model)
{
    if (m_busy || !model)
        return;
    std::vector<std::string> args;
    for (const QString& in : inputs)
        args.push_back(QDir::cleanPath(in).toStdString());
    auto progress = progressReporter();
    const std::string out = QDir::cleanPath(csvPath).toStdString();
    runJob<QString>(
        tr("Classifying…"),
        [args, out, model, progress]() -> QString {
            std::vector<std::string> images;
            for (const std::string& a : args) {
                if (!QFileInfo(QString::fromStdString(a)).isDir()) {
                    images.push_back(a);
                    continue;
                }
                for (const std::string& id : scanImageFolder(a).ids)
                    images.push_back(a + "/" + id);
            }
            if (images.empty())
                throw DataError("no image files (png, jpg, jpeg, bmp, tif, tiff, webp) in " + args.front());
            auto backend = createCpuBackend(0);
            Network net(model->graph, *backend);
            if (!model->loadInto(net))
                throw GraphError("the model changed since it was trained: train again to classify");
            const Shape in = net.inputShape();
            if (in.rank() != 3)
                throw ShapeError("the model's input " + in.toString() + " is not an image (channels × height × width)");
            const int c = static_cast<int>(in[0]), h = static_cast<int>(in[1]), w = static_cast<int>(in[2]);
            const size_t classes = model->classNames.size();
            const int top = static_cast<int>(std::min<size_t>(3, classes));
            std::string csv = "path,class,confidence";
            for (int i = 2; i <= top; ++i)
                csv += ",class_" + std::to_string(i) + ",confidence_" + std::to_string(i);
            csv += "\n";
            Tensor x(in.batched(1));
            int64_t skipped = 0;
            for (size_t i = 0; i < images.size(); ++i) {
                std::vector<uint8_t> pixels;
                try {
                    pixels = loadImageSample(images[i], c, h, w, ResizePolicy::Stretch);
                } catch (const Error&) {
                    ++skipped;
                    continue;
                }
                prepareImage(pixels.data(), c, h, w, model->normalization, x.data());
                const Tensor& y = net.forward(x, false);
                std::vector<float> p = inspect::probabilities(net, y, 0);
                p.resize(std::min(p.size(), classes));
                std::vector<int> order(p.size());
                std::iota(order.begin(), order.end(), 0);
                std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return p[a] > p[b]; });
                csv += csvField(images[i]);
                for (int k = 0; k < top && k < static_cast<int>(order.size()); ++k) {
                    char buf[32];
                    std::snprintf(buf, sizeof buf, "%.6g", static_cast<double>(p[order[k]]));
                    csv += "," + csvField(model->classNames[order[k]]) + "," + buf;
                }
                csv += "\n";
                if (progress && !progress(static_cast<int64_t>(i + 1), static_cast<int64_t>(images.size())))
                    throw DataError("cancelled");
            }
            if (skipped == static_cast<int64_t>(images.size()))
                throw DataError("none of the " + std::to_string(images.size()) + " images could be read");
            writeFileAtomic(out, csv);
            QString text = QObject::tr("Wrote %1 predictions to %2")
                               .arg(images.size() - static_cast<size_t>(skipped))
                               .arg(QString::fromStdString(out));
            if (skipped > 0)
                text += QObject::tr(" (%1 unreadable images skipped)").arg(skipped);
            return text;
        },
        [this](QString message) { emit exported(message); });
}

} // namespace netcanvas::app
