#pragma once
// ScientificSpinBox: a QDoubleSpinBox that shows values with significant digits ("0.001",
// "1e-05") instead of fixed decimals, and accepts scientific notation when typed. Steps are
// multiplicative for small magnitudes so 1e-5 steps to 1.1e-5, not to 0.01.
#include <QDoubleSpinBox>

namespace netcanvas::widgets {

class ScientificSpinBox : public QDoubleSpinBox {
    Q_OBJECT
public:
    explicit ScientificSpinBox(QWidget* parent = nullptr);

    QString textFromValue(double value) const override;
    double valueFromText(const QString& text) const override;
    QValidator::State validate(QString& text, int& pos) const override;
    void stepBy(int steps) override;
};

} // namespace netcanvas::widgets
