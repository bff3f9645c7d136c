#include "widgets/inspect/SampleGallery.h"

#include "widgets/canvas/CanvasStyle.h"
#include "widgets/data/DatasetView.h"

#include <QAbstractListModel>
#include <QCache>
#include <QLabel>
#include <QListView>
#include <QPainter>
#include <QStyledItemDelegate>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace netcanvas::widgets {

namespace {

constexpr int kThumbBox = 84; // px; a 28×28 image is drawn 3×
constexpr int kItemWidth = 132;
constexpr int kCaptionLines = 2;
constexpr int kIndexRole = Qt::UserRole; // the dataset index (qint64)
constexpr int kCorrectRole = Qt::UserRole + 1; // bool

const QColor kWrongFrame(0xc8, 0x3a, 0x3a);
const QColor kRightFrame(0x3c, 0x9a, 0x5f);

QString percent(float p)
{
    return style::percentText(p);
}

// An image side enlarged by a whole factor into the box, or reduced to fit it.
QSize thumbSize(QSize image)
{
    const int side = std::max(image.width(), image.height());
    if (side <= 0)
        return {};
    if (side * 2 <= kThumbBox)
        return image * (kThumbBox / side);
    return image.scaled(kThumbBox, kThumbBox, Qt::KeepAspectRatio).expandedTo(QSize(1, 1));
}

} // namespace

namespace samplegallery {

class SampleModel : public QAbstractListModel {
public:
    explicit SampleModel(QObject* parent)
        : QAbstractListModel(parent)
        , m_cache(1500)
    {
    }

    void setSamples(
        std::shared_ptr<const Dataset> dataset, std::vector<inspect::SamplePrediction> samples, QStringList names)
    {
        beginResetModel();
        m_dataset = std::move(dataset);
        m_samples = m_dataset ? std::move(samples) : std::vector<inspect::SamplePrediction> {};
        m_names = std::move(names);
        m_cache.clear();
        endResetModel();
    }

    int rowCount(const QModelIndex& parent = {}) const override
    {
        return parent.isValid() ? 0 : static_cast<int>(m_samples.size());
    }

    QVariant data(const QModelIndex& index, int role) const override
    {
        if (!index.isValid() || index.row() >= rowCount())
            return {};
        const inspect::SamplePrediction& s = m_samples[static_cast<size_t>(index.row())];
        switch (role) {
        case Qt::DisplayRole:
            return caption(s);
        case Qt::DecorationRole:
            return image(index.row());
        case Qt::ToolTipRole: {
            QString tip
                = SampleGallery::tr("Sample %1\nTrue: %2 (p = %3)\nPredicted: %4 (p = %5)")
                      .arg(s.index)
                      .arg(name(s.truth), percent(s.truthProbability), name(s.predicted), percent(s.confidence));
            if (m_dataset && s.index >= 0 && static_cast<size_t>(s.index) < m_dataset->sources.size())
                tip += QLatin1Char('\n') + QString::fromStdString(m_dataset->sources[static_cast<size_t>(s.index)]);
            return tip + QLatin1Char('\n') + SampleGallery::tr("Double-click to open");
        }
        case kIndexRole:
            return QVariant::fromValue<qint64>(s.index);
        case kCorrectRole:
            return s.truth == s.predicted;
        default:
            return {};
        }
    }

    QString caption(const inspect::SamplePrediction& s) const
    {
        return QStringLiteral("%1 → %2 (%3)").arg(name(s.truth), name(s.predicted), percent(s.confidence));
    }

    QImage image(int row) const
    {
        if (!m_dataset || row < 0 || row >= rowCount())
            return {};
        if (const QImage* cached = m_cache.object(row))
            return *cached;
        QImage img = DatasetView::sampleImage(*m_dataset, m_samples[static_cast<size_t>(row)].index);
        if (img.width() > 2 * kThumbBox || img.height() > 2 * kThumbBox)
            img = img.scaled(kThumbBox, kThumbBox, Qt::KeepAspectRatio, Qt::SmoothTransformation);
        m_cache.insert(row, new QImage(img));
        return img;
    }

    QSize imageGeometry() const { return m_dataset ? QSize(m_dataset->width, m_dataset->height) : QSize(); }

private:
    QString name(int c) const
    {
        return c >= 0 && c < m_names.size() && !m_names[c].isEmpty() ? m_names[c] : QString::number(c);
    }

    std::shared_ptr<const Dataset> m_dataset;
    std::vector<inspect::SamplePrediction> m_samples;
    QStringList m_names;
    mutable QCache<int, QImage> m_cache; // cost 1 per image
};

// The thumbnail (framed red / green), then the caption on up to two centred lines.
class SampleDelegate : public QStyledItemDelegate {
public:
    using QStyledItemDelegate::QStyledItemDelegate;

    QSize sizeHint(const QStyleOptionViewItem& option, const QModelIndex&) const override
    {
        return { kItemWidth, kThumbBox + 10 + kCaptionLines * option.fontMetrics.height() + 6 };
    }

    void paint(QPainter* p, const QStyleOptionViewItem& option, const QModelIndex& index) const override
    {
        p->save();
        const QRect r = option.rect;
        if (option.state & QStyle::State_Selected)
            p->fillRect(r, QColor(0xe3, 0xec, 0xf8));
        else if (option.state & QStyle::State_MouseOver)
            p->fillRect(r, QColor(0xf1, 0xf4, 0xf8));
        const QImage img = index.data(Qt::DecorationRole).value<QImage>();
        const QRect box(r.left() + (r.width() - kThumbBox) / 2, r.top() + 5, kThumbBox, kThumbBox);
        if (!img.isNull()) {
            const QSize s = thumbSize(img.size());
            const QRect target(box.left() + (box.width() - s.width()) / 2, box.top() + (box.height() - s.height()) / 2,
                s.width(), s.height());
            p->setRenderHint(QPainter::SmoothPixmapTransform, target.width() < img.width());
            p->drawImage(target, img);
            const bool correct = index.data(kCorrectRole).toBool();
            p->setPen(QPen(correct ? kRightFrame : kWrongFrame, 2));
            p->setBrush(Qt::NoBrush);
            p->drawRect(QRectF(target).adjusted(-1, -1, 1, 1));
        }
        const QFontMetrics fm = option.fontMetrics;
        const QRect text(r.left() + 3, box.bottom() + 5, r.width() - 6, kCaptionLines * fm.height());
        p->setPen(style::text());
        p->setClipRect(text);
        p->drawText(text, Qt::AlignHCenter | Qt::AlignTop | Qt::TextWordWrap, index.data(Qt::DisplayRole).toString());
        p->restore();
    }
};

} // namespace samplegallery

using samplegallery::SampleDelegate;
using samplegallery::SampleModel;

SampleGallery::SampleGallery(QWidget* parent)
    : QWidget(parent)
{
    auto* v = new QVBoxLayout(this);
    v->setContentsMargins(0, 0, 0, 0);
    v->setSpacing(4);
    m_title = new QLabel(this);
    m_title->setObjectName(QStringLiteral("title"));
    m_title->setTextFormat(Qt::PlainText);
    m_title->setStyleSheet(QStringLiteral("font-weight: bold; color: #252b36; padding: 6px 8px 0 8px;"));
    m_title->hide();
    v->addWidget(m_title);
    m_placeholder = style::placeholderLabel(tr("No samples"), this);
    v->addWidget(m_placeholder, 1);

    m_model = new SampleModel(this);
    m_list = new QListView(this);
    m_list->setObjectName(QStringLiteral("sampleList"));
    m_list->setViewMode(QListView::ListMode);
    m_list->setFlow(QListView::LeftToRight);
    m_list->setWrapping(true);
    m_list->setResizeMode(QListView::Adjust);
    m_list->setMovement(QListView::Static);
    m_list->setUniformItemSizes(true);
    m_list->setLayoutMode(QListView::Batched);
    m_list->setBatchSize(500);
    m_list->setSpacing(2);
    m_list->setSelectionMode(QAbstractItemView::SingleSelection);
    m_list->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_list->setFrameShape(QFrame::NoFrame);
    m_list->setMouseTracking(true);
    m_list->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_list->setVerticalScrollMode(QAbstractItemView::ScrollPerPixel);
    m_list->setItemDelegate(new SampleDelegate(m_list));
    m_list->setModel(m_model);
    v->addWidget(m_list, 1);
    connect(m_list, &QListView::doubleClicked, this, [this](const QModelIndex& index) {
        if (index.isValid())
            emit sampleActivated(index.data(kIndexRole).value<qint64>());
    });
    clear();
}

SampleGallery::~SampleGallery() = default;

void SampleGallery::setSamples(
    std::shared_ptr<const Dataset> dataset, std::vector<inspect::SamplePrediction> samples, QStringList classNames)
{
    m_model->setSamples(std::move(dataset), std::move(samples), std::move(classNames));
    const bool any = m_model->rowCount() > 0;
    m_placeholder->setVisible(!any);
    m_list->setVisible(any);
    m_list->scrollToTop();
}

void SampleGallery::clear()
{
    setSamples(nullptr, {}, {});
}

void SampleGallery::setTitle(const QString& title)
{
    m_title->setText(title);
    m_title->setVisible(!title.isEmpty());
}

QString SampleGallery::title() const
{
    return m_title->text();
}

int SampleGallery::count() const
{
    return m_model->rowCount();
}

QString SampleGallery::captionText(int i) const
{
    return m_model->data(m_model->index(i), Qt::DisplayRole).toString();
}

QImage SampleGallery::thumbnail(int i) const
{
    return m_model->image(i);
}

QRect SampleGallery::itemRect(int i) const
{
    const QModelIndex index = m_model->index(i);
    if (!index.isValid() || m_list->isHidden())
        return {};
    const QRect r = m_list->visualRect(index);
    if (!r.isValid() || !m_list->viewport()->rect().intersects(r))
        return {};
    return QRect(m_list->viewport()->mapTo(this, r.topLeft()), r.size());
}

QString SampleGallery::placeholderText() const
{
    return m_placeholder->isHidden() ? QString() : m_placeholder->text();
}

} // namespace netcanvas::widgets
