#pragma once
// SummaryBar: a one-line summary of the model under the canvas: total parameters, forward
// FLOPs per sample, the estimated training memory for a batch size, and "valid" or the first
// problem. Memory = parameters × 4 bytes × 4 (weights, gradients, two optimizer moments)
// + Σ node output sizes × batch × 4 bytes × 2 (activations and their gradients).
#include <QWidget>

#include <cstdint>

class QLabel;
class QSpinBox;

namespace netcanvas::widgets {

class GraphModel;

class SummaryBar : public QWidget {
    Q_OBJECT
public:
    explicit SummaryBar(GraphModel* model, QWidget* parent = nullptr);

    static int64_t trainingMemoryBytes(int64_t params, int64_t activationElements, int batch);
    QSpinBox* batchSizeBox() const { return m_batch; }
    QLabel* statusLabel() const { return m_status; }
    // "61,706" or, with frozen nodes, "59,134 trainable · 2,572 frozen".
    QLabel* paramsLabel() const { return m_params; }

public slots:
    void refresh();

protected:
    void resizeEvent(QResizeEvent* event) override;

private:
    void showStatus();

    GraphModel* m_model;
    QLabel* m_params;
    QLabel* m_flops;
    QLabel* m_memory;
    QSpinBox* m_batch;
    QLabel* m_status;
    QString m_statusText; // unelided
};

} // namespace netcanvas::widgets
