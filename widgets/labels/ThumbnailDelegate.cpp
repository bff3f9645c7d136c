#include "widgets/labels/ThumbnailDelegate.h"

#include "widgets/canvas/CanvasStyle.h"
#include "widgets/labels/LabelBrowserModel.h"
#include "widgets/labels/LabelStyle.h"
#include "widgets/labels/ThumbnailCache.h"

#include <QPainter>
#include <QPainterPath>

#include <algorithm>
#include <cmath>

namespace netcanvas::widgets {

namespace {

QFont smallFont(const QFont& base, bool bold = false)
{
    QFont f = base;
    if (f.pointSizeF() > 0)
        f.setPointSizeF(std::max(7.0, f.pointSizeF() - 1.0));
    else if (f.pixelSize() > 0)
        f.setPixelSize(std::max(9, f.pixelSize() - 1));
    f.setBold(bold);
    return f;
}

// Where an image of `size` is drawn in `box`: enlarged by a whole factor when it is at most
// half the box (nearest neighbour keeps 28×28 digits sharp), otherwise fitted.
QRect fitted(QSize size, const QRect& box, bool* enlarged)
{
    *enlarged = false;
    const int side = std::max(size.width(), size.height());
    if (side <= 0)
        return {};
    QSize s;
    if (side * 2 <= box.width()) {
        s = size * (box.width() / side);
        *enlarged = true;
    } else {
        s = size.scaled(box.size(), Qt::KeepAspectRatio).expandedTo(QSize(1, 1));
    }
    return QRect(
        box.left() + (box.width() - s.width()) / 2, box.top() + (box.height() - s.height()) / 2, s.width(), s.height());
}

} // namespace

ThumbnailDelegate::ThumbnailDelegate(QObject* parent)
    : QStyledItemDelegate(parent)
{
}

void ThumbnailDelegate::setThumbnailSide(int side)
{
    m_side = std::clamp(side, kMinSide, kMaxSide);
}

QSize ThumbnailDelegate::tileSize(const QFont& font) const
{
    const QFontMetrics fm(smallFont(font));
    return { m_side + 2 * kPadding, m_side + 2 * kPadding + fm.height() + 2 };
}

QSize ThumbnailDelegate::cellSize(const QFont& font) const
{
    const QSize t = tileSize(font);
    return { std::max(t.width() + kMinGap, m_cellWidth), t.height() + kMinGap };
}

QSize ThumbnailDelegate::sizeHint(const QStyleOptionViewItem& option, const QModelIndex&) const
{
    return cellSize(option.font);
}

void ThumbnailDelegate::paint(QPainter* p, const QStyleOptionViewItem& option, const QModelIndex& index) const
{
    using M = LabelBrowserModel;
    p->save();
    const QSize t = tileSize(option.font);
    const QRect r(option.rect.left() + (option.rect.width() - t.width()) / 2, option.rect.top() + kMinGap / 2,
        t.width(),
        t.height()); // the tile, centred in its cell
    const bool selected = option.state & QStyle::State_Selected;
    if (selected)
        p->fillRect(r, labelstyle::selectionFill());
    else if (option.state & QStyle::State_MouseOver)
        p->fillRect(r, labelstyle::hoverFill());

    const QRect box(r.left() + kPadding, r.top() + kPadding, m_side, m_side);
    const auto state = static_cast<ThumbnailCache::State>(index.data(M::ThumbnailStateRole).toInt());
    p->fillRect(box, labelstyle::tileBackground());

    const QFont small = smallFont(option.font);
    const QFont smallBold = smallFont(option.font, true);
    const QFontMetrics fm(small);
    const QFontMetrics fmBold(smallBold);

    if (state == ThumbnailCache::State::Failed) {
        p->fillRect(box, QColor(0xf7, 0xe9, 0xe9));
        p->setPen(QPen(labelstyle::unreadable(), 1.5));
        const QRect icon(box.center().x() - m_side / 6, box.center().y() - m_side / 5, m_side / 3, m_side / 4);
        p->drawRect(icon);
        p->drawLine(icon.topLeft(), icon.bottomRight());
        p->drawLine(icon.topRight(), icon.bottomLeft());
        p->setFont(smallBold);
        p->drawText(QRect(box.left(), icon.bottom() + 4, box.width(), fmBold.height()), Qt::AlignHCenter | Qt::AlignTop,
            ThumbnailDelegate::tr("unreadable"));
    } else {
        const QImage img = index.data(M::ThumbnailRole).value<QImage>();
        if (state == ThumbnailCache::State::Ready && !img.isNull()) {
            bool enlarged = false;
            const QRect target = fitted(img.size(), box, &enlarged);
            p->setRenderHint(QPainter::SmoothPixmapTransform, !enlarged && target.size() != img.size());
            p->drawImage(target, img);
        }
    }

    // The label badge (top left) or the prediction strip (bottom).
    const int labelIndex = index.data(M::LabelIndexRole).toInt();
    if (labelIndex >= 0) {
        const QColor color = labelstyle::classColor(labelIndex);
        const QString key = labelstyle::classKey(labelIndex);
        const int maxW = box.width() - 4;
        const int keyW = key.isEmpty() ? 0 : fmBold.horizontalAdvance(key) + 8;
        QString name = fmBold.elidedText(index.data(M::LabelNameRole).toString(), Qt::ElideRight, maxW - keyW - 6);
        if (name == QStringLiteral("…") && !key.isEmpty())
            name.clear();
        const int h = fmBold.height() + 4;
        const int w = std::min(maxW, keyW + (name.isEmpty() ? 0 : fmBold.horizontalAdvance(name) + 8));
        const QRect badge(box.left() + 2, box.top() + 2, std::max(w, h), h);
        p->setRenderHint(QPainter::Antialiasing, true);
        p->setPen(Qt::NoPen);
        p->setBrush(color);
        p->drawRoundedRect(badge, 3, 3);
        p->setFont(smallBold);
        p->setPen(labelstyle::textOn(color));
        if (!key.isEmpty()) {
            const QRect keyRect(badge.left(), badge.top(), keyW, badge.height());
            p->setBrush(color.darker(125));
            p->setPen(Qt::NoPen);
            p->drawRoundedRect(name.isEmpty() ? badge : keyRect, 3, 3);
            p->setPen(labelstyle::textOn(color.darker(125)));
            p->drawText(name.isEmpty() ? badge : keyRect, Qt::AlignCenter, key);
        }
        if (!name.isEmpty()) {
            p->setPen(labelstyle::textOn(color));
            p->drawText(badge.adjusted(keyW + 4, 0, -4, 0), Qt::AlignVCenter | Qt::AlignLeft, name);
        }
        p->setRenderHint(QPainter::Antialiasing, false);
    } else {
        const QString predicted = index.data(M::PredictedClassRole).toString();
        const float conf = index.data(M::ConfidenceRole).toFloat();
        if (!predicted.isEmpty() && !std::isnan(conf)) {
            const int predictedIndex = index.data(M::PredictedIndexRole).toInt();
            const QColor color = labelstyle::classColor(predictedIndex);
            const int h = fm.height() + 6;
            const QRect strip(box.left(), box.bottom() - h + 1, box.width(), h);
            p->fillRect(strip, QColor(255, 255, 255, 225));
            const int barH = 3;
            p->fillRect(QRect(strip.left(), strip.bottom() - barH + 1, strip.width(), barH), QColor(0xd9, 0xdd, 0xe3));
            p->fillRect(QRect(strip.left(), strip.bottom() - barH + 1,
                            static_cast<int>(std::lround(strip.width() * std::clamp(conf, 0.0f, 1.0f))), barH),
                color);
            const QString pct = style::percentText(conf);
            QFont italic = small;
            italic.setItalic(true);
            p->setFont(italic);
            const QFontMetrics fmi(italic);
            const QRect text = strip.adjusted(4, 0, -4, -barH);
            const int pctW = fm.horizontalAdvance(pct);
            p->setPen(style::text());
            p->drawText(text.adjusted(0, 0, -pctW - 4, 0), Qt::AlignVCenter | Qt::AlignLeft,
                fmi.elidedText(predicted + QStringLiteral("?"), Qt::ElideRight, text.width() - pctW - 4));
            p->setFont(small);
            p->setPen(style::mutedText());
            p->drawText(text, Qt::AlignVCenter | Qt::AlignRight, pct);
        }
    }

    // The file name.
    p->setFont(small);
    p->setPen(selected ? style::text() : style::mutedText());
    QString name = index.data(M::IdRole).toString();
    name = name.mid(name.lastIndexOf(QLatin1Char('/')) + 1);
    const QRect caption(r.left() + 2, box.bottom() + 2, r.width() - 4, fm.height());
    p->drawText(caption, Qt::AlignHCenter | Qt::AlignTop, fm.elidedText(name, Qt::ElideLeft, caption.width()));

    if (selected) {
        p->setPen(QPen(labelstyle::selectionFrame(), 2));
        p->setBrush(Qt::NoBrush);
        p->drawRect(QRectF(r).adjusted(1, 1, -1, -1));
    } else if (option.state & QStyle::State_HasFocus) {
        p->setPen(QPen(labelstyle::selectionFrame(), 1, Qt::DashLine));
        p->setBrush(Qt::NoBrush);
        p->drawRect(QRectF(r).adjusted(0.5, 0.5, -0.5, -0.5));
    }
    p->restore();
}

} // namespace netcanvas::widgets
