#include "widgets/labels/LabelBrowserModel.h"

#include "widgets/labels/ThumbnailCache.h"

#include <cmath>
#include <limits>

namespace netcanvas::widgets {

LabelBrowserModel::LabelBrowserModel(ThumbnailCache* cache, QObject* parent)
    : QAbstractListModel(parent)
    , m_cache(cache)
{
    connect(m_cache, &ThumbnailCache::thumbnailReady, this, &LabelBrowserModel::thumbnailChanged);
    connect(m_cache, &ThumbnailCache::thumbnailFailed, this, &LabelBrowserModel::thumbnailChanged);
}

void LabelBrowserModel::setStore(const LabelStore* store)
{
    beginResetModel();
    m_store = store;
    run();
    endResetModel();
}

void LabelBrowserModel::setQuery(const LabelQuery& query)
{
    beginResetModel();
    m_query = query;
    run();
    endResetModel();
}

bool LabelBrowserModel::refresh()
{
    std::vector<int> next = m_store ? m_store->query(m_query) : std::vector<int> {};
    if (next == m_images) {
        if (!m_images.empty())
            emit dataChanged(index(0), index(static_cast<int>(m_images.size()) - 1));
        return false;
    }
    beginResetModel();
    m_images = std::move(next);
    m_rowOf.assign(m_store ? static_cast<size_t>(m_store->imageCount()) : 0, -1);
    for (size_t r = 0; r < m_images.size(); ++r)
        m_rowOf[static_cast<size_t>(m_images[r])] = static_cast<int>(r);
    endResetModel();
    return true;
}

void LabelBrowserModel::run()
{
    m_images = m_store ? m_store->query(m_query) : std::vector<int> {};
    m_rowOf.assign(m_store ? static_cast<size_t>(m_store->imageCount()) : 0, -1);
    for (size_t r = 0; r < m_images.size(); ++r)
        m_rowOf[static_cast<size_t>(m_images[r])] = static_cast<int>(r);
}

int LabelBrowserModel::imageAt(int row) const
{
    return row >= 0 && row < static_cast<int>(m_images.size()) ? m_images[static_cast<size_t>(row)] : -1;
}

int LabelBrowserModel::rowOf(int image) const
{
    return image >= 0 && image < static_cast<int>(m_rowOf.size()) ? m_rowOf[static_cast<size_t>(image)] : -1;
}

int LabelBrowserModel::totalImages() const
{
    return m_store ? m_store->imageCount() : 0;
}

QImage LabelBrowserModel::placeholderThumbnail()
{
    static const QImage placeholder = [] {
        QImage img(16, 16, QImage::Format_RGB32);
        img.fill(QColor(0xe4, 0xe7, 0xeb));
        return img;
    }();
    return placeholder;
}

int LabelBrowserModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_images.size());
}

QVariant LabelBrowserModel::data(const QModelIndex& index, int role) const
{
    if (!m_store || !index.isValid() || index.row() >= rowCount())
        return {};
    const int image = m_images[static_cast<size_t>(index.row())];
    switch (role) {
    case ImageRole:
        return image;
    case Qt::DisplayRole:
    case IdRole:
        return QString::fromStdString(m_store->imageId(image));
    case PathRole:
        return QString::fromStdString(m_store->imagePath(image));
    case LabelNameRole:
        return QString::fromStdString(m_store->labelName(image));
    case LabelIndexRole:
        return m_store->label(image);
    case PredictedClassRole:
        return QString::fromStdString(m_store->predictedClass(image));
    case PredictedIndexRole:
        return m_store->hasPrediction(image) ? m_store->classIndex(m_store->predictedClass(image)) : -1;
    case ConfidenceRole:
        return m_store->hasPrediction(image) ? m_store->confidence(image) : std::numeric_limits<float>::quiet_NaN();
    case Qt::DecorationRole:
    case ThumbnailRole: {
        QImage img = m_cache->thumbnail(image);
        m_cache->request(image); // nothing when cached at the current size or failed
        return img.isNull() ? placeholderThumbnail() : img;
    }
    case ThumbnailStateRole:
        return static_cast<int>(m_cache->state(image));
    case FailureRole:
        return m_cache->failureReason(image);
    case Qt::ToolTipRole: {
        QString tip = QString::fromStdString(m_store->imageId(image));
        const std::string label = m_store->labelName(image);
        tip += QLatin1Char('\n')
            + (label.empty() ? tr("Unlabeled") : tr("Label: %1").arg(QString::fromStdString(label)));
        if (m_store->hasPrediction(image)) {
            const float p = m_store->confidence(image);
            tip += QLatin1Char('\n')
                + tr("Predicted: %1 (%2%)")
                      .arg(QString::fromStdString(m_store->predictedClass(image)))
                      .arg(static_cast<double>(p) * 100.0, 0, 'f', 1);
        }
        if (m_cache->isFailed(image))
            tip += QLatin1Char('\n') + tr("Unreadable: %1").arg(m_cache->failureReason(image));
        return tip;
    }
    default:
        return {};
    }
}

QHash<int, QByteArray> LabelBrowserModel::roleNames() const
{
    QHash<int, QByteArray> names = QAbstractListModel::roleNames();
    names.insert(ImageRole, "image");
    names.insert(PathRole, "path");
    names.insert(IdRole, "id");
    names.insert(LabelNameRole, "labelName");
    names.insert(LabelIndexRole, "labelIndex");
    names.insert(PredictedClassRole, "predictedClass");
    names.insert(PredictedIndexRole, "predictedIndex");
    names.insert(ConfidenceRole, "confidence");
    names.insert(ThumbnailRole, "thumbnail");
    names.insert(ThumbnailStateRole, "thumbnailState");
    names.insert(FailureRole, "failure");
    return names;
}

void LabelBrowserModel::thumbnailChanged(int image)
{
    const int row = rowOf(image);
    if (row >= 0)
        emit dataChanged(
            index(row), index(row), { ThumbnailRole, ThumbnailStateRole, FailureRole, Qt::DecorationRole });
}

} // namespace netcanvas::widgets
