#include "widgets/labels/LabelClassBar.h"

#include "widgets/canvas/CanvasStyle.h"
#include "widgets/labels/LabelStyle.h"

#include "engine/labels/LabelStore.h"

#include <QContextMenuEvent>
#include <QInputDialog>
#include <QLabel>
#include <QLocale>
#include <QMenu>
#include <QMessageBox>
#include <QMouseEvent>
#include <QPainter>
#include <QPushButton>
#include <QScrollArea>
#include <QToolButton>
#include <QVBoxLayout>

#include <functional>
#include <set>

namespace netcanvas::widgets {

namespace {

QString grouped(int64_t n)
{
    QLocale loc;
    loc.setNumberOptions(loc.numberOptions() & ~QLocale::OmitGroupSeparator);
    return loc.toString(static_cast<qlonglong>(n));
}

} // namespace

namespace labelclassbar {

// One class: [key] ● name ........ count [⋯]. Click = assign; right-click or ⋯ = menu.
class ClassRow : public QWidget {
public:
    ClassRow(QWidget* parent, bool withMenu)
        : QWidget(parent)
    {
        setMouseTracking(true);
        setAttribute(Qt::WA_Hover);
        setCursor(Qt::PointingHandCursor);
        setFixedHeight(28);
        if (withMenu) {
            m_more = new QToolButton(this);
            m_more->setText(QStringLiteral("⋯"));
            m_more->setAutoRaise(true);
            m_more->setCursor(Qt::ArrowCursor);
            m_more->setToolTip(LabelClassBar::tr("Rename, merge, move or delete this class"));
            m_more->setFixedSize(22, 22);
            connect(m_more, &QToolButton::clicked, this, [this] {
                if (onMenu)
                    onMenu(m_more->mapToGlobal(QPoint(0, m_more->height())));
            });
        }
    }

    void set(const QString& key, const QColor& color, const QString& name, int64_t count, bool dashed = false)
    {
        m_key = key;
        m_color = color;
        m_name = name;
        m_count = count;
        m_dashed = dashed;
        update();
    }
    QString text() const
    {
        QString t = m_key.isEmpty() ? m_name : m_key + QLatin1Char(' ') + m_name;
        return t + QLatin1Char(' ') + grouped(m_count);
    }
    const QString& name() const { return m_name; }

    std::function<void()> onClick;
    std::function<void(QPoint)> onMenu;

protected:
    void resizeEvent(QResizeEvent*) override
    {
        if (m_more)
            m_more->move(width() - m_more->width() - 2, (height() - m_more->height()) / 2);
    }
    void paintEvent(QPaintEvent*) override
    {
        QPainter p(this);
        p.setRenderHint(QPainter::Antialiasing);
        const QRect r = rect();
        if (underMouse() && onClick)
            p.fillRect(r, labelstyle::hoverFill());
        // The key, in the class color.
        const QRect keyBox(6, (r.height() - 20) / 2, 20, 20);
        if (m_dashed) {
            p.setPen(QPen(m_color, 1.2, Qt::DashLine));
            p.setBrush(Qt::NoBrush);
        } else {
            p.setPen(Qt::NoPen);
            p.setBrush(m_color);
        }
        p.drawRoundedRect(QRectF(keyBox).adjusted(0.5, 0.5, -0.5, -0.5), 4, 4);
        QFont bold = font();
        bold.setBold(true);
        p.setFont(bold);
        p.setPen(m_dashed ? style::mutedText() : labelstyle::textOn(m_color));
        p.drawText(keyBox, Qt::AlignCenter, m_key);
        // The count, right-aligned before the menu button; the name in between.
        const int right = r.width() - (m_more ? m_more->width() + 6 : 8);
        const QString count = grouped(m_count);
        p.setFont(font());
        const QFontMetrics fm(font());
        const int countW = fm.horizontalAdvance(count);
        p.setPen(style::mutedText());
        p.drawText(QRect(right - countW, 0, countW, r.height()), Qt::AlignVCenter | Qt::AlignRight, count);
        const QRect nameRect(keyBox.right() + 8, 0, right - countW - 8 - (keyBox.right() + 8), r.height());
        p.setPen(m_dashed ? style::mutedText() : style::text());
        p.drawText(nameRect, Qt::AlignVCenter | Qt::AlignLeft, fm.elidedText(m_name, Qt::ElideRight, nameRect.width()));
    }
    void mouseReleaseEvent(QMouseEvent* e) override
    {
        if (e->button() == Qt::LeftButton && rect().contains(e->position().toPoint()) && onClick)
            onClick();
    }
    void contextMenuEvent(QContextMenuEvent* e) override
    {
        if (onMenu)
            onMenu(e->globalPos());
    }

private:
    QToolButton* m_more = nullptr;
    QString m_key;
    QColor m_color;
    QString m_name;
    int64_t m_count = 0;
    bool m_dashed = false;
};

} // namespace labelclassbar

using labelclassbar::ClassRow;

LabelClassBar::LabelClassBar(QWidget* parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("classBar"));
    auto* outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    outer->setSpacing(0);

    auto* scroll = new QScrollArea(this);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    outer->addWidget(scroll, 1);
    auto* body = new QWidget(scroll);
    scroll->setWidget(body);
    auto* v = new QVBoxLayout(body);
    v->setContentsMargins(6, 8, 6, 8);
    v->setSpacing(2);

    auto* title = new QLabel(tr("Classes"), body);
    title->setStyleSheet(QStringLiteral("font-weight: bold; color: #3a414c; padding-left: 4px;"));
    v->addWidget(title);
    auto* hint = new QLabel(tr("Click a class or press its key to label the selected images."), body);
    hint->setWordWrap(true);
    hint->setStyleSheet(QStringLiteral("color: #76808e; font-size: 11px; padding: 0 4px 4px 4px;"));
    v->addWidget(hint);

    m_rowsLayout = new QVBoxLayout;
    m_rowsLayout->setSpacing(1);
    v->addLayout(m_rowsLayout);
    m_empty = new QLabel(tr("No classes yet."), body);
    m_empty->setStyleSheet(QStringLiteral("color: #76808e; padding: 4px;"));
    v->addWidget(m_empty);

    m_unlabeled = new ClassRow(body, false);
    m_unlabeled->setToolTip(tr("Unlabel the selected images (Backspace or Delete)"));
    m_unlabeled->onClick = [this] { emit unlabelRequested(); };
    v->addWidget(m_unlabeled);

    m_create = new QPushButton(tr("+ New class…"), body);
    m_create->setObjectName(QStringLiteral("newClass"));
    m_create->setToolTip(tr("Create a class; the first ten get the keys 1–9 and 0"));
    connect(m_create, &QPushButton::clicked, this, &LabelClassBar::promptCreate);
    v->addSpacing(4);
    v->addWidget(m_create);
    m_import = new QPushButton(tr("Import sub-folders as classes"), body);
    m_import->setObjectName(QStringLiteral("importFolders"));
    m_import->setToolTip(tr("Create a class per sub-folder and label the unlabeled images in it"));
    connect(m_import, &QPushButton::clicked, this, &LabelClassBar::importFoldersRequested);
    v->addWidget(m_import);
    v->addStretch(1);

    m_legend = new QLabel(body);
    m_legend->setObjectName(QStringLiteral("keyLegend"));
    m_legend->setTextFormat(Qt::RichText);
    m_legend->setStyleSheet(QStringLiteral("color: #5a6270; font-size: 11px; padding: 6px 4px 0 4px;"));
    const auto key = [](const QString& k) {
        return QStringLiteral(
            "<span style='background:#e6e9ee; color:#252b36; font-weight:bold;'>&nbsp;%1&nbsp;</span>")
            .arg(k);
    };
    const QString row = QStringLiteral("<tr><td style='padding:1px 6px 1px 0;'>%1</td><td>%2</td></tr>");
    m_legend->setText(QStringLiteral("<b>%1</b><table>").arg(tr("Keys in the grid"))
        + row.arg(key(QStringLiteral("1–9")) + QStringLiteral(" ") + key(QStringLiteral("0")), tr("label, then next"))
        + row.arg(key(QStringLiteral("⌫")) + QStringLiteral(" ") + key(tr("Del")), tr("unlabel"))
        + row.arg(key(QStringLiteral("A")), tr("accept the prediction"))
        + row.arg(key(tr("Space")), tr("show / hide preview"))
        + row.arg(key(QStringLiteral("Ctrl+A")), tr("select all shown"))
        + row.arg(key(QStringLiteral("Ctrl+Z")), tr("undo")) + QStringLiteral("</table>"));
    v->addWidget(m_legend);

    setMinimumWidth(210);
    refresh();
}

LabelClassBar::~LabelClassBar() = default;

void LabelClassBar::setStore(const LabelStore* store)
{
    m_store = store;
    m_folderClasses.clear();
    if (m_store) // the images of a store never change: scan their folders once
        for (const auto& f : m_store->folderClassNames())
            m_folderClasses << QString::fromStdString(f);
    refresh();
}

void LabelClassBar::refresh()
{
    QStringList classes;
    if (m_store)
        for (const auto& c : m_store->classes())
            classes << QString::fromStdString(c);
    if (classes != m_classes || static_cast<int>(m_rows.size()) != classes.size()) {
        m_classes = classes;
        rebuildRows();
    }
    const std::vector<int64_t> counts = m_store ? m_store->classCounts() : std::vector<int64_t> {};
    for (size_t i = 0; i < m_rows.size(); ++i)
        m_rows[i]->set(labelstyle::classKey(static_cast<int>(i)), labelstyle::classColor(static_cast<int>(i)),
            m_classes[static_cast<int>(i)], i < counts.size() ? counts[i] : 0);
    m_unlabeled->set(
        QStringLiteral("⌫"), QColor(0xa4, 0xab, 0xb5), tr("Unlabeled"), m_store ? m_store->unlabeledCount() : 0, true);
    m_empty->setVisible(m_rows.empty());
    m_create->setEnabled(m_store != nullptr);

    // Import: while some sub-folder is not a class yet and still has unlabeled images.
    bool importable = false;
    for (const QString& f : m_folderClasses)
        importable = importable || !m_classes.contains(f);
    m_import->setVisible(importable);
}

void LabelClassBar::rebuildRows()
{
    for (ClassRow* r : m_rows)
        delete r;
    m_rows.clear();
    for (int i = 0; i < m_classes.size(); ++i) {
        auto* row = new ClassRow(m_unlabeled->parentWidget(), true);
        row->setObjectName(QStringLiteral("classRow%1").arg(i));
        const QString key = labelstyle::classKey(i);
        row->setToolTip(key.isEmpty() ? tr("Label the selected images '%1'").arg(m_classes[i])
                                      : tr("Label the selected images '%1' (key %2)").arg(m_classes[i], key));
        row->onClick = [this, i] {
            if (i < m_classes.size())
                emit assignRequested(m_classes[i]);
        };
        row->onMenu = [this, i](QPoint at) { showMenu(i, at); };
        m_rowsLayout->addWidget(row);
        m_rows.push_back(row);
    }
}

void LabelClassBar::showMenu(int row, const QPoint& globalPos)
{
    if (row < 0 || row >= m_classes.size())
        return;
    const QString name = m_classes[row];
    QMenu menu(this);
    menu.addAction(tr("Rename…"), this, [this, name] { promptRename(name); });
    QMenu* merge = menu.addMenu(tr("Merge into"));
    for (const QString& other : m_classes)
        if (other != name)
            merge->addAction(other, this, [this, name, other] { mergeClass(name, other); });
    merge->setEnabled(m_classes.size() > 1);
    menu.addSeparator();
    menu.addAction(tr("Move up"), this, [this, name, row] { moveClass(name, row - 1); })->setEnabled(row > 0);
    menu.addAction(tr("Move down"), this, [this, name, row] { moveClass(name, row + 1); })
        ->setEnabled(row + 1 < m_classes.size());
    menu.addAction(tr("Show only this class"), this, [this, name] { emit showClassRequested(name); });
    menu.addSeparator();
    menu.addAction(tr("Delete…"), this, [this, name] { confirmDelete(name); });
    menu.exec(globalPos);
}

void LabelClassBar::createClass(const QString& name)
{
    emit createRequested(name);
}
void LabelClassBar::renameClass(const QString& from, const QString& to)
{
    emit renameRequested(from, to);
}
void LabelClassBar::mergeClass(const QString& from, const QString& into)
{
    emit mergeRequested(from, into);
}
void LabelClassBar::deleteClass(const QString& name)
{
    emit deleteRequested(name);
}
void LabelClassBar::moveClass(const QString& name, int position)
{
    emit moveRequested(name, position);
}
void LabelClassBar::assignClass(const QString& name)
{
    emit assignRequested(name);
}

void LabelClassBar::promptCreate()
{
    bool ok = false;
    const QString name = QInputDialog::getText(this, tr("New class"),
        tr("Name of the new class (it becomes a folder name on export):"), QLineEdit::Normal, {}, &ok);
    if (ok && !name.trimmed().isEmpty())
        createClass(name);
}

void LabelClassBar::promptRename(const QString& name)
{
    bool ok = false;
    const QString to = QInputDialog::getText(
        this, tr("Rename class"), tr("New name of '%1':").arg(name), QLineEdit::Normal, name, &ok);
    if (ok && !to.trimmed().isEmpty() && to.trimmed() != name)
        renameClass(name, to);
}

void LabelClassBar::confirmDelete(const QString& name)
{
    const int i = m_classes.indexOf(name);
    const int64_t n = m_store && i >= 0 ? m_store->classCounts().at(static_cast<size_t>(i)) : 0;
    const QString text = n == 0
        ? tr("Delete the class '%1'? No image has it.").arg(name)
        : tr("Delete the class '%1'? Its %2 image(s) become unlabeled. You can undo this.").arg(name, grouped(n));
    if (QMessageBox::question(
            this, tr("Delete class"), text, QMessageBox::Yes | QMessageBox::Cancel, QMessageBox::Cancel)
        == QMessageBox::Yes)
        deleteClass(name);
}

QStringList LabelClassBar::classNamesShown() const
{
    QStringList names;
    for (const ClassRow* r : m_rows)
        names << r->name();
    return names;
}

QString LabelClassBar::rowText(int i) const
{
    return i >= 0 && i < static_cast<int>(m_rows.size()) ? m_rows[static_cast<size_t>(i)]->text() : QString();
}

QString LabelClassBar::unlabeledText() const
{
    return m_unlabeled->text().mid(2); // without the key
}

QWidget* LabelClassBar::classRow(int i) const
{
    return i >= 0 && i < static_cast<int>(m_rows.size()) ? m_rows[static_cast<size_t>(i)] : nullptr;
}

bool LabelClassBar::importShown() const
{
    return !m_import->isHidden();
}

} // namespace netcanvas::widgets
