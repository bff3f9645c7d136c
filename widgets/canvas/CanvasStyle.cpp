#include "widgets/canvas/CanvasStyle.h"

#include <QLabel>
#include <QScrollArea>
#include <QVBoxLayout>

#include <QHash>

#include <cmath>

namespace netcanvas::widgets::style {

QColor categoryColor(const QString& category)
{
    static const QHash<QString, QColor> colors = {
        { "Input", QColor(0x5b, 0x8d, 0xbe) }, // steel blue
        { "Core", QColor(0x6c, 0x7a, 0xc9) }, // indigo
        { "Convolution", QColor(0x3f, 0xa7, 0x96) }, // teal
        { "Pooling", QColor(0x7d, 0xb3, 0x5c) }, // sage green
        { "Normalization", QColor(0xc9, 0x9a, 0x3e) }, // ochre
        { "Activation", QColor(0xd0, 0x7a, 0x57) }, // terracotta
        { "Regularization", QColor(0x9c, 0x7b, 0xb8) }, // lavender
        { "Merge", QColor(0xc0, 0x6c, 0x8e) }, // rose
    };
    return colors.value(category, QColor(0x8e, 0x96, 0xa3));
}

QString withoutNodePrefix(const QString& message, const QString& id, const QString& type)
{
    QString m = message;
    for (const QString& prefix :
        { QStringLiteral("node '%1' (%2): ").arg(id, type), QStringLiteral("%1 (%2): ").arg(id, type) })
        if (m.startsWith(prefix))
            m.remove(0, prefix.size());
    return m;
}

QString tidyNodeMessage(const QString& message, const QString& id, const QString& type)
{
    const QString head = QStringLiteral("node '%1' (%2): ").arg(id, type);
    if (!message.startsWith(head))
        return message;
    return head + withoutNodePrefix(message, id, type);
}

QString groupDigits(int64_t v)
{
    QString s = QString::number(v < 0 ? -v : v);
    for (int i = s.size() - 3; i > 0; i -= 3)
        s.insert(i, QLatin1Char(','));
    return v < 0 ? QLatin1Char('-') + s : s;
}

QString compactCount(double v, const QString& unit)
{
    static const char* prefixes[] = { "", "k", "M", "G", "T", "P" };
    int p = 0;
    while (std::abs(v) >= 1000 && p < 5) {
        v /= 1000;
        ++p;
    }
    const QString num = p == 0 ? QString::number(v, 'f', 0) : QString::number(v, 'f', v < 10 ? 2 : v < 100 ? 1 : 0);
    const QString pre = QString::fromLatin1(prefixes[p]);
    if (unit.isEmpty())
        return pre.isEmpty() ? num : num + QLatin1Char(' ') + (pre == "k" ? QStringLiteral("k") : pre);
    return num + QLatin1Char(' ') + pre + unit;
}

QString bytes(double v)
{
    static const char* units[] = { "B", "KB", "MB", "GB", "TB" };
    int u = 0;
    while (v >= 1024 && u < 4) {
        v /= 1024;
        ++u;
    }
    return QString::number(v, 'f', u == 0 ? 0 : 1) + QLatin1Char(' ') + QString::fromLatin1(units[u]);
}

QLabel* placeholderLabel(const QString& text, QWidget* parent)
{
    auto* l = new QLabel(text, parent);
    l->setObjectName(QStringLiteral("placeholder"));
    l->setAlignment(Qt::AlignCenter);
    l->setWordWrap(true);
    l->setStyleSheet(QStringLiteral("color: #7a828e; font-size: 13px;"));
    return l;
}

QVBoxLayout* scrollingBody(QWidget* owner)
{
    auto* outer = new QVBoxLayout(owner);
    outer->setContentsMargins(0, 0, 0, 0);
    auto* scroll = new QScrollArea(owner);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    outer->addWidget(scroll);
    auto* body = new QWidget(scroll);
    scroll->setWidget(body);
    auto* v = new QVBoxLayout(body);
    v->setContentsMargins(8, 8, 8, 8);
    v->setSpacing(8);
    return v;
}

QString percentText(float p)
{
    if (std::isnan(p))
        return {};
    const int pct = static_cast<int>(std::lround(100.0 * static_cast<double>(p)));
    if (pct >= 100 && p < 1.0f)
        return QStringLiteral(">99%");
    if (pct <= 0 && p > 0.0f)
        return QStringLiteral("<1%");
    return QStringLiteral("%1%").arg(pct);
}

} // namespace netcanvas::widgets::style
