#include "widgets/labels/LabelStyle.h"

#include <cmath>

namespace netcanvas::widgets::labelstyle {

QColor classColor(int index)
{
    // Tableau 10, slightly muted: distinct for the first ten classes, readable with white text.
    static const QColor base[] = {
        QColor(0x4e, 0x79, 0xa7),
        QColor(0xe1, 0x7c, 0x1f),
        QColor(0x3f, 0x9a, 0x4a),
        QColor(0xd1, 0x4b, 0x4d),
        QColor(0x8a, 0x6b, 0xb5),
        QColor(0x2f, 0x9c, 0x9a),
        QColor(0xc4, 0x5f, 0x9c),
        QColor(0x9c, 0x75, 0x5f),
        QColor(0xc9, 0xa2, 0x27),
        QColor(0x6b, 0x7a, 0x8f),
    };
    if (index < 0)
        return QColor(0x9a, 0xa1, 0xab);
    if (index < 10)
        return base[index];
    const double hue = std::fmod(0.07 + 0.618033988749895 * index, 1.0);
    return QColor::fromHslF(static_cast<float>(hue), 0.50f, 0.45f);
}

QColor textOn(const QColor& background)
{
    const double luma = 0.299 * background.redF() + 0.587 * background.greenF() + 0.114 * background.blueF();
    return luma > 0.62 ? QColor(0x1d, 0x22, 0x2b) : QColor(Qt::white);
}

QString classKey(int index)
{
    if (index == 9)
        return QStringLiteral("0"); // the number row's tenth key
    return index >= 0 && index < 9 ? QString::number(index + 1) : QString();
}

} // namespace netcanvas::widgets::labelstyle
