#pragma once
// RecurrentGatesView: one sample's pass through a recurrent layer (inspect::RecurrentGates):
// a heat map per series — the hidden state h and each gate (LSTM i f g o and the cell state c,
// GRU r z n), units down and time across, viridis — and below them the norm of the gradient
// reaching each step's hidden state on a log scale: the picture of a SimpleRNN's gradient
// vanishing over time and an LSTM's surviving. Shows values only; the dock requests them.
#include "engine/inspect/Inspect.h"

#include <QImage>
#include <QWidget>

namespace netcanvas::widgets {

class RecurrentGatesView : public QWidget {
    Q_OBJECT
public:
    explicit RecurrentGatesView(QWidget* parent = nullptr);
    void setGates(const inspect::RecurrentGates& gates);
    void clear();
    // The series shown, in order ("h", then the gates), for tests.
    QStringList seriesNames() const;
    QSize sizeHint() const override;

protected:
    void paintEvent(QPaintEvent* event) override;

private:
    struct Series {
        QString name, range;
        QImage image; // units × steps
    };
    std::vector<Series> m_series;
    std::vector<float> m_gradNorm;
    int64_t m_steps = 0, m_units = 0;
};

} // namespace netcanvas::widgets
