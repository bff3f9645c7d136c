#include "widgets/canvas/LayerPalette.h"

#include "engine/layers/LayerRegistry.h"
#include "widgets/canvas/CanvasStyle.h"
#include "widgets/canvas/GraphView.h"

#include <QHeaderView>
#include <QKeyEvent>
#include <QLineEdit>
#include <QMimeData>
#include <QPainter>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace netcanvas::widgets {

namespace {

constexpr int kTypeRole = Qt::UserRole + 1;
constexpr int kDocRole = Qt::UserRole + 2;

// The tree that knows how to turn its items into drag payloads.
class PaletteTree : public QTreeWidget {
public:
    using QTreeWidget::QTreeWidget;

protected:
    QStringList mimeTypes() const override { return { QString::fromLatin1(kLayerMimeType) }; }
    QMimeData* mimeData(const QList<QTreeWidgetItem*>& items) const override
    {
        for (QTreeWidgetItem* item : items) {
            const QString type = item->data(0, kTypeRole).toString();
            if (type.isEmpty())
                continue;
            auto* mime = new QMimeData;
            mime->setData(QString::fromLatin1(kLayerMimeType), type.toUtf8());
            mime->setText(type);
            return mime;
        }
        return nullptr;
    }
    Qt::DropActions supportedDropActions() const override { return Qt::CopyAction; }
};

QIcon dotIcon(const QColor& color)
{
    QPixmap pm(14, 14);
    pm.fill(Qt::transparent);
    QPainter p(&pm);
    p.setRenderHint(QPainter::Antialiasing);
    p.setPen(Qt::NoPen);
    p.setBrush(color);
    p.drawRoundedRect(QRectF(2, 2, 10, 10), 3, 3);
    return QIcon(pm);
}

} // namespace

LayerPalette::LayerPalette(QWidget* parent)
    : QWidget(parent)
{
    m_search = new QLineEdit(this);
    m_search->setPlaceholderText(tr("Search layers…"));
    m_search->setClearButtonEnabled(true);
    m_search->setAccessibleName(tr("Search layers"));
    m_search->setAccessibleDescription(tr("Filters the layer list by name or description"));
    m_tree = new PaletteTree(this);
    m_tree->setAccessibleName(tr("Layers"));
    m_tree->setAccessibleDescription(
        tr("Layer kinds by category: drag one onto the canvas, or press Enter to add it at the canvas center"));
    m_tree->setHeaderHidden(true);
    m_tree->setRootIsDecorated(false);
    m_tree->setIndentation(10);
    m_tree->setDragEnabled(true);
    m_tree->setDragDropMode(QAbstractItemView::DragOnly);
    m_tree->setSelectionMode(QAbstractItemView::SingleSelection);
    m_tree->setUniformRowHeights(true);
    m_tree->setFrameShape(QFrame::NoFrame);
    m_tree->setIconSize(QSize(14, 14));
    m_tree->setStyleSheet(QStringLiteral("QTreeView::item { padding: 3px 2px; }"));

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->setSpacing(6);
    layout->addWidget(m_search);
    layout->addWidget(m_tree);

    populate();
    connect(m_search, &QLineEdit::textChanged, this, &LayerPalette::setFilter);
    // Activated: double-click, or Enter / Return from the keyboard.
    connect(m_tree, &QTreeWidget::itemActivated, this, [this](QTreeWidgetItem* item) {
        const QString type = item->data(0, kTypeRole).toString();
        if (!type.isEmpty())
            emit addRequested(type);
    });
}

void LayerPalette::populate()
{
    const LayerRegistry& reg = LayerRegistry::builtin();
    QFont categoryFont = font();
    categoryFont.setBold(true);
    categoryFont.setPointSizeF(categoryFont.pointSizeF() * 0.9);
    for (const auto& category : reg.categories()) {
        const QString cat = QString::fromStdString(category);
        auto* group = new QTreeWidgetItem(m_tree, QStringList(cat.toUpper()));
        group->setFlags(Qt::ItemIsEnabled);
        group->setFont(0, categoryFont);
        group->setForeground(0, style::mutedText());
        for (const auto& info : reg.all()) {
            if (info.category != category)
                continue;
            const QString type = QString::fromStdString(info.type);
            const QString doc = QString::fromStdString(info.doc);
            auto* item = new QTreeWidgetItem(group, QStringList(type));
            item->setData(0, kTypeRole, type);
            item->setData(0, kDocRole, doc);
            item->setIcon(0, dotIcon(style::categoryColor(cat)));
            item->setToolTip(0, QStringLiteral("<b>%1</b><br>%2").arg(type.toHtmlEscaped(), doc.toHtmlEscaped()));
            item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsSelectable | Qt::ItemIsDragEnabled);
        }
        group->setExpanded(true);
    }
}

void LayerPalette::setFilter(const QString& text)
{
    const QString needle = text.trimmed();
    for (int i = 0; i < m_tree->topLevelItemCount(); ++i) {
        QTreeWidgetItem* group = m_tree->topLevelItem(i);
        int visible = 0;
        for (int j = 0; j < group->childCount(); ++j) {
            QTreeWidgetItem* item = group->child(j);
            const bool match = needle.isEmpty()
                || item->data(0, kTypeRole).toString().contains(needle, Qt::CaseInsensitive)
                || item->data(0, kDocRole).toString().contains(needle, Qt::CaseInsensitive);
            item->setHidden(!match);
            visible += match ? 1 : 0;
        }
        group->setHidden(visible == 0);
    }
}

QStringList LayerPalette::visibleTypes() const
{
    QStringList out;
    for (int i = 0; i < m_tree->topLevelItemCount(); ++i) {
        QTreeWidgetItem* group = m_tree->topLevelItem(i);
        if (group->isHidden())
            continue;
        for (int j = 0; j < group->childCount(); ++j)
            if (!group->child(j)->isHidden())
                out << group->child(j)->data(0, kTypeRole).toString();
    }
    return out;
}

} // namespace netcanvas::widgets
