"""Writes an ONNX model laid out as Keras models converted by tf2onnx are: an NHWC input
transposed to NCHW for the convolution, transposed back to NHWC and reshaped to N x K before
MatMul + Add, then Softmax; with an input and the expected output computed by PyTorch
(tests/engine/test_onnx.cpp: nhwcModelImports).

Usage: make_nhwc_model.py OUT_DIR -> OUT_DIR/nhwc.onnx, input_nchw.bin (3x2x5x4 float32: the
imported model takes NCHW), nhwc_expected.bin (3x4).
"""
import os
import sys

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper


def main():
    out = sys.argv[1]
    rng = np.random.default_rng(5)
    n, h, w, c, f, units = 3, 5, 4, 2, 3, 4
    conv_w = rng.normal(0, 0.5, (f, c, 3, 3)).astype(np.float32)
    conv_b = rng.normal(0, 0.1, (f,)).astype(np.float32)
    dense_w = rng.normal(0, 0.3, (h * w * f, units)).astype(np.float32)
    dense_b = rng.normal(0, 0.1, (units,)).astype(np.float32)
    inits = [numpy_helper.from_array(conv_w, "conv/kernel"), numpy_helper.from_array(conv_b, "conv/bias"),
             numpy_helper.from_array(dense_w, "dense/kernel"), numpy_helper.from_array(dense_b, "dense/bias"),
             numpy_helper.from_array(np.array([-1, h * w * f], dtype=np.int64), "flatten/shape")]
    nodes = [
        helper.make_node("Transpose", ["input"], ["nchw"], perm=[0, 3, 1, 2], name="conv/Conv2D__6"),
        helper.make_node("Conv", ["nchw", "conv/kernel", "conv/bias"], ["conv"], pads=[1, 1, 1, 1],
                         kernel_shape=[3, 3], name="conv/Conv2D"),
        helper.make_node("Relu", ["conv"], ["relu"], name="conv/Relu"),
        helper.make_node("Transpose", ["relu"], ["nhwc"], perm=[0, 2, 3, 1], name="conv/Relu__9"),
        helper.make_node("Reshape", ["nhwc", "flatten/shape"], ["flat"], name="flatten/Reshape"),
        helper.make_node("MatMul", ["flat", "dense/kernel"], ["mm"], name="dense/MatMul"),
        helper.make_node("Add", ["mm", "dense/bias"], ["logits"], name="dense/BiasAdd"),
        helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1, name="dense/Softmax"),
    ]
    graph = helper.make_graph(nodes, "keras_like", [helper.make_tensor_value_info("input", TensorProto.FLOAT,
                                                                                ["N", h, w, c])],
                              [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", units])],
                              initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="tf2onnx-like")
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(out, "nhwc.onnx"))

    x = rng.normal(0, 1, (n, h, w, c)).astype(np.float32)
    t = torch.from_numpy(x).permute(0, 3, 1, 2)
    y = torch.relu(torch.nn.functional.conv2d(t, torch.from_numpy(conv_w), torch.from_numpy(conv_b), padding=1))
    y = y.permute(0, 2, 3, 1).reshape(n, -1) @ torch.from_numpy(dense_w) + torch.from_numpy(dense_b)
    y = torch.softmax(y, dim=1)
    t.contiguous().numpy().astype(np.float32).tofile(os.path.join(out, "input_nchw.bin"))
    y.numpy().astype(np.float32).tofile(os.path.join(out, "nhwc_expected.bin"))


if __name__ == "__main__":
    main()
