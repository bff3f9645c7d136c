#pragma once
// ElementwiseLayer<Op>: a one-input layer applying a scalar function to every element
// (the activation kinds ReLU, LeakyReLU, ELU, Tanh, Sigmoid). Not a kind itself.
//
// Op provides, over a contiguous range (Eigen array maps, so the kernels vectorize):
//   void forward(ConstArray x, Array y) const;                      y = f(x)
//   void backward(ConstArray x, ConstArray y, ConstArray dy, Array dx) const;  dx = dy·f'(x)
//   static constexpr int64_t kFlops;                                 per element
// Work is split over the backend's threads for large tensors.
#include "engine/layers/LayerSupport.h"

#include <Eigen/Core>

namespace netcanvas {

using ElementArray = Eigen::Map<Eigen::ArrayXf>;
using ConstElementArray = Eigen::Map<const Eigen::ArrayXf>;

template <class Op> class ElementwiseLayer final : public BuiltinLayer {
public:
    ElementwiseLayer(std::string type, std::string name, LayerParams params, Op op)
        : BuiltinLayer(std::move(type), std::move(name), std::move(params))
        , m_op(op)
    {
    }

    Shape outputShape(const std::vector<Shape>& inputs) const override
    {
        requireInputCount(inputs, 1);
        return inputs[0];
    }
    int64_t flops(const std::vector<Shape>& inputs) const override { return Op::kFlops * inputs.at(0).numel(); }

    void forward(const RunContext& ctx, const std::vector<const Tensor*>& in, Tensor& out) override
    {
        const float* x = in[0]->data();
        float* y = out.data();
        const Op op = m_op;
        parallelRange(ctx.backend, in[0]->size(), kMinChunk, [x, y, op](int64_t b, int64_t e) {
            op.forward(ConstElementArray(x + b, e - b), ElementArray(y + b, e - b));
        });
    }

    void backward(const RunContext& ctx, const std::vector<const Tensor*>& in, const Tensor& out, const Tensor& gradOut,
        const std::vector<Tensor*>& gradIn) override
    {
        if (gradIn.empty() || !gradIn[0])
            return;
        const float* x = in[0]->data();
        const float* y = out.data();
        const float* dy = gradOut.data();
        float* dx = gradIn[0]->data();
        const Op op = m_op;
        parallelRange(ctx.backend, in[0]->size(), kMinChunk, [x, y, dy, dx, op](int64_t b, int64_t e) {
            op.backward(ConstElementArray(x + b, e - b), ConstElementArray(y + b, e - b),
                ConstElementArray(dy + b, e - b), ElementArray(dx + b, e - b));
        });
    }

private:
    static constexpr int64_t kMinChunk = 32768;
    Op m_op;
};

} // namespace netcanvas
