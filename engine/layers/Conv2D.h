#pragma once
// Conv2D: 2-D convolution (cross-correlation, as in every framework) of a C×H×W input with
// F square k×k filters → F×outH×outW. Parameters "weight" [F, C, k, k] and "bias" [F]
// (PyTorch layout). Padding: valid | same | explicit (pad cells on every side); see Window2D.
//
// Implementation: the batch is split into one contiguous chunk of samples per backend
// thread; each chunk im2cols sub-batches of samples side by side into one matrix and runs
// one GEMM per sub-batch (W · col). Backward: dW by GEMM (per-thread partial sums reduced
// in a fixed order), dX by GEMM + col2im. Work buffers are members and only grow, so a
// step allocates nothing after the first of its batch size.
// A training forward keeps its im2col matrix (when the batch's fits kColCacheBudget) and
// the following backward reuses it instead of running im2col again. Layers with a large
// weight matrix (F·C·k·k) run one GEMM per sample straight into / out of the NCHW tensors
// (no gather of dY, no scatter of Y); small ones batch the samples of a sub-batch into one
// GEMM, which is then large enough to be efficient.
#include "engine/layers/LayerSupport.h"

namespace netcanvas {

class Conv2DLayer final : public BuiltinLayer {
public:
    Conv2DLayer(std::string name, LayerParams params);
    Shape outputShape(const std::vector<Shape>& inputs) const override;
    int64_t paramCount(const std::vector<Shape>& inputs) const override;
    int64_t flops(const std::vector<Shape>& inputs) const override;
    void build(const std::vector<Shape>& inputs, Rng& rng) override;
    void forward(const RunContext& ctx, const std::vector<const Tensor*>& in, Tensor& out) override;
    void backward(const RunContext& ctx, const std::vector<const Tensor*>& in, const Tensor& out, const Tensor& gradOut,
        const std::vector<Tensor*>& gradIn) override;

private:
    // Per-thread buffers. Plain vectors that only grow (no Shape built per step).
    struct Work {
        std::vector<float> col; // [C·k·k, S·P]: im2col of a sub-batch; reused as dcol in backward
        std::vector<float> tmp; // [F, S·P]: GEMM result (forward) or gathered dY (backward)
        std::vector<float> dW; // [F, C·k·k] partial weight gradient of this chunk
        std::vector<float> db; // [F]
    };
    Window2D window(const Shape& in) const; // throws ShapeError when it does not fit
    // Splits n samples into chunks (one per thread) and sub-batches that bound the col buffer.
    void plan(const RunContext& ctx, int64_t n, int64_t& chunks, int64_t& perChunk, int64_t& subBatch);

    int64_t m_filters = 0, m_kernel = 1, m_stride = 1, m_pad = 0;
    std::string m_padding;
    bool m_bias = true;
    int64_t m_channels = 0;
    Window2D m_window;
    std::vector<Work> m_work;
    // im2col of the last training forward, sub-batch after sub-batch (the sub-batch starting
    // at sample s0 is a [C·k·k, count·P] matrix at s0·C·k·k·P); valid for m_cachedInput.
    std::vector<float> m_colCache;
    // Stride-1 layers with a large weight matrix compute dX directly as the convolution of
    // dY with the flipped filters (im2col of dY, one GEMM per sample into dX) instead of
    // Wᵀ·dY followed by col2im: no scatter-add, and no [C·k·k, P] intermediate to zero.
    bool m_directGradInput = false;
    Window2D m_gradWindow;        // dY [F, outH, outW] → dX [C, inH, inW]
    std::vector<float> m_flipped; // [C, F·k·k]: W with f↔c swapped and kh, kw reversed
    const float* m_cachedInput = nullptr;
    int64_t m_cachedN = 0, m_cachedPerChunk = 0, m_cachedSubBatch = 0;
};

void registerConv2D(LayerRegistry& registry);

} // namespace netcanvas
