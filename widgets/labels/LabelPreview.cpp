#include "widgets/labels/LabelPreview.h"

#include "widgets/canvas/CanvasStyle.h"
#include "widgets/labels/LabelStyle.h"
#include "widgets/labels/ThumbnailCache.h"

#include "engine/labels/LabelStore.h"

#include <QFileInfo>
#include <QFuture>
#include <QImageReader>
#include <QLabel>
#include <QPainter>
#include <QPointer>
#include <QTextDocumentFragment>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>
#include <cmath>

namespace netcanvas::widgets {

namespace labelpreview {

// The picture, fitted (or enlarged by a whole factor when tiny), or a note in its place.
class Picture : public QWidget {
public:
    using QWidget::QWidget;

    void set(const QImage& image, const QString& note)
    {
        m_image = image;
        m_note = note;
        update();
    }
    const QImage& image() const { return m_image; }

    // Square: the text sits right under the picture, not at the bottom of a tall pane.
    bool hasHeightForWidth() const override { return true; }
    int heightForWidth(int w) const override { return w; }
    QSize sizeHint() const override { return { 280, 280 }; }

protected:
    void paintEvent(QPaintEvent*) override
    {
        QPainter p(this);
        const QRect r = rect().adjusted(4, 4, -4, -4);
        p.fillRect(rect(), labelstyle::tileBackground());
        if (m_image.isNull()) {
            p.setPen(m_note.startsWith(LabelPreview::tr("Unreadable")) ? labelstyle::unreadable() : style::mutedText());
            p.drawText(r, Qt::AlignCenter | Qt::TextWordWrap, m_note);
            return;
        }
        const QSize s = m_image.size();
        const int side = std::max(s.width(), s.height());
        QSize target = s.scaled(r.size(), Qt::KeepAspectRatio);
        bool nearest = false;
        if (side * 2 <= std::min(r.width(), r.height())) {
            const int k = std::max(1, std::min(r.width() / s.width(), r.height() / s.height()));
            target = s * k;
            nearest = true;
        }
        const QRect at(r.left() + (r.width() - target.width()) / 2, r.top() + (r.height() - target.height()) / 2,
            target.width(), target.height());
        p.setRenderHint(QPainter::SmoothPixmapTransform, !nearest);
        p.drawImage(at, m_image);
    }

private:
    QImage m_image;
    QString m_note;
};

} // namespace labelpreview

namespace {

struct Decoded {
    QImage image;
    QString reason;
    QSize sourceSize;
};

} // namespace

LabelPreview::LabelPreview(QWidget* parent)
    : QWidget(parent)
    , m_picture(new labelpreview::Picture(this))
{
    setObjectName(QStringLiteral("labelPreview"));
    auto* v = new QVBoxLayout(this);
    v->setContentsMargins(8, 8, 8, 8);
    v->setSpacing(4);
    m_picture->setMinimumSize(160, 160);
    QSizePolicy square(QSizePolicy::Expanding, QSizePolicy::Preferred);
    square.setHeightForWidth(true);
    m_picture->setSizePolicy(square);
    v->addWidget(m_picture);
    m_title = new QLabel(this);
    m_title->setObjectName(QStringLiteral("previewTitle"));
    m_title->setTextFormat(Qt::PlainText);
    m_title->setStyleSheet(QStringLiteral("font-weight: bold; color: #252b36;"));
    m_title->setTextInteractionFlags(Qt::TextSelectableByMouse);
    v->addWidget(m_title);
    m_folder = new QLabel(this);
    m_folder->setTextFormat(Qt::PlainText);
    m_folder->setStyleSheet(QStringLiteral("color: #76808e;"));
    m_folder->setWordWrap(true);
    v->addWidget(m_folder);
    m_detail = new QLabel(this);
    m_detail->setObjectName(QStringLiteral("previewDetail"));
    m_detail->setTextFormat(Qt::RichText);
    m_detail->setWordWrap(true);
    v->addWidget(m_detail);
    v->addStretch(1);
    setMinimumWidth(220);
    showImage(-1);
}

LabelPreview::~LabelPreview() = default;

void LabelPreview::setStore(const LabelStore* store)
{
    m_store = store;
    showImage(-1);
}

void LabelPreview::showImage(int image)
{
    if (!m_store || image < 0 || image >= m_store->imageCount())
        image = -1;
    const bool same = image == m_image && image >= 0 && (!m_picture->image().isNull() || !m_failure.isEmpty());
    m_image = image;
    if (same) {
        refresh();
        return;
    }
    const quint64 request = ++m_request;
    m_failure.clear();
    m_sourceSize = {};
    if (image < 0) {
        m_picture->set({}, m_store ? tr("Select an image to see it here") : QString());
        refresh();
        return;
    }
    m_picture->set({}, tr("Loading…"));
    refresh();
    const QString path = QString::fromStdString(m_store->imagePath(image));
    QPointer<LabelPreview> self(this);
    QtConcurrent::run([path] {
        Decoded d;
        d.image = ThumbnailCache::decode(path, kDecodeSide, &d.reason);
        d.sourceSize = QImageReader(path).size();
        return d;
    }).then(this, [this, self, request, image](const Decoded& d) {
        if (!self || request != m_request)
            return; // an older request
        m_sourceSize = d.sourceSize.isValid() ? d.sourceSize : (d.image.isNull() ? QSize() : d.image.size());
        m_failure = d.image.isNull() ? (d.reason.isEmpty() ? tr("cannot be read") : d.reason) : QString();
        m_picture->set(d.image, d.image.isNull() ? tr("Unreadable: %1").arg(m_failure) : QString());
        refresh();
        emit pictureReady(image, !d.image.isNull());
    });
}

void LabelPreview::refresh()
{
    if (!m_store || m_image < 0) {
        m_title->clear();
        m_folder->clear();
        m_detail->clear();
        return;
    }
    const QString id = QString::fromStdString(m_store->imageId(m_image));
    const int slash = id.lastIndexOf(QLatin1Char('/'));
    m_title->setText(id.mid(slash + 1));
    QString where = slash > 0 ? tr("in %1/").arg(id.left(slash)) : QString();
    if (m_sourceSize.isValid())
        where += (where.isEmpty() ? QString() : QStringLiteral(" · "))
            + QStringLiteral("%1 × %2 px").arg(m_sourceSize.width()).arg(m_sourceSize.height());
    m_folder->setText(where);

    QString html;
    const int label = m_store->label(m_image);
    if (label >= 0) {
        const QColor c = labelstyle::classColor(label);
        const QString key = labelstyle::classKey(label);
        html += tr("Label: <span style='background:%1; color:%2; font-weight:bold;'>&nbsp;%3&nbsp;</span>")
                    .arg(c.name(), labelstyle::textOn(c).name(),
                        (key.isEmpty() ? QString() : key + QStringLiteral(" · "))
                            + QString::fromStdString(m_store->labelName(m_image)).toHtmlEscaped());
    } else {
        html += tr("<span style='color:#76808e;'>Unlabeled</span>");
    }
    if (m_store->hasPrediction(m_image)) {
        const float conf = m_store->confidence(m_image);
        const QString predicted = QString::fromStdString(m_store->predictedClass(m_image));
        const int pi = m_store->classIndex(predicted.toStdString());
        const QColor c = labelstyle::classColor(pi);
        const int width = static_cast<int>(std::lround(120.0 * std::clamp(static_cast<double>(conf), 0.0, 1.0)));
        html += QStringLiteral("<br>")
            + tr("Predicted: <b>%1</b> %2").arg(predicted.toHtmlEscaped(), style::percentText(conf))
            + QStringLiteral("<table cellspacing='0' cellpadding='0' style='margin-top:3px;'><tr>"
                             "<td width='%1' height='5' style='background:%2;'></td>"
                             "<td width='%3' height='5' style='background:#d9dde3;'></td></tr></table>")
                  .arg(std::max(width, 1))
                  .arg(c.name())
                  .arg(std::max(120 - width, 1));
        if (label < 0 && pi >= 0)
            html += QStringLiteral("<span style='color:#76808e;'>%1</span>").arg(tr("A accepts it"));
        else if (pi < 0)
            html += QStringLiteral("<span style='color:#76808e;'>%1</span>").arg(tr("(not a class any more)"));
    }
    if (!m_failure.isEmpty())
        html += QStringLiteral("<br><span style='color:%1;'>%2</span>")
                    .arg(labelstyle::unreadable().name(), tr("Unreadable: %1").arg(m_failure.toHtmlEscaped()));
    m_detail->setText(html);
}

QImage LabelPreview::picture() const
{
    return m_picture->image();
}

QString LabelPreview::titleText() const
{
    return m_title->text();
}

QString LabelPreview::detailText() const
{
    return QTextDocumentFragment::fromHtml(m_detail->text()).toPlainText();
}

} // namespace netcanvas::widgets
