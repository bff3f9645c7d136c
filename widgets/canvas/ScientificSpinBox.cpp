#include "widgets/canvas/ScientificSpinBox.h"

#include <QLocale>

#include <cmath>

namespace netcanvas::widgets {

ScientificSpinBox::ScientificSpinBox(QWidget* parent)
    : QDoubleSpinBox(parent)
{
    setDecimals(12); // storage precision; display is textFromValue's business
    setKeyboardTracking(false);
}

QString ScientificSpinBox::textFromValue(double value) const
{
    return QString::number(value, 'g', 6);
}

double ScientificSpinBox::valueFromText(const QString& text) const
{
    bool ok = false;
    const double v = text.trimmed().toDouble(&ok);
    return ok ? v : value();
}

QValidator::State ScientificSpinBox::validate(QString& text, int& pos) const
{
    Q_UNUSED(pos);
    const QString t = text.trimmed();
    if (t.isEmpty() || t == "-" || t == "+" || t.endsWith('e', Qt::CaseInsensitive) || t.endsWith("e-")
        || t.endsWith("E-") || t.endsWith('.'))
        return QValidator::Intermediate;
    bool ok = false;
    const double v = t.toDouble(&ok);
    if (!ok)
        return QValidator::Invalid;
    return (v >= minimum() && v <= maximum()) ? QValidator::Acceptable : QValidator::Intermediate;
}

void ScientificSpinBox::stepBy(int steps)
{
    const double v = value();
    const double mag = std::abs(v);
    if (mag > 0 && mag < 0.1) {
        // One step = one unit of the leading digit's decade.
        const double unit = std::pow(10.0, std::floor(std::log10(mag)));
        setValue(v + steps * unit);
    } else {
        QDoubleSpinBox::stepBy(steps);
    }
}

} // namespace netcanvas::widgets
