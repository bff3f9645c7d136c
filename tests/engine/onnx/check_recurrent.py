"""Checks NetCanvas' RNN / LSTM / GRU exports against ONNX's own reference definition of the ops
(the numpy helpers of onnx.backend.test.case.node, which produce the ONNX backend test data):
the gate order, linear_before_reset and the Y / Y_h layout (tests/engine/test_onnx.cpp).

Usage: check_recurrent.py JOB... where each JOB is "model.onnx,input.bin,N,ours.bin": a model
whose one recurrent node reads the model's N x 1 x T x F input (transposed to T x N x F) and
whose output is that node's Y or Y_h reshaped to N x T x H or N x H; one direction (the
helpers have no bidirectional mode). Exit 0 when every model's output is within 1e-5.
"""
import sys

import numpy as np
import onnx
from onnx import numpy_helper
from onnx.backend.test.case.node.gru import GRU_Helper
from onnx.backend.test.case.node.lstm import LSTM_Helper
from onnx.backend.test.case.node.rnn import RNN_Helper


def check(job):
    path, input_path, n, ours_path = job.split(",")
    model = onnx.load(path)
    weights = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    nodes = [node for node in model.graph.node if node.op_type in ("RNN", "LSTM", "GRU")]
    if len(nodes) != 1:
        raise SystemExit(f"{path}: expected one recurrent node, found {len(nodes)}")
    node = nodes[0]
    dims = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim[1:]]
    x = np.fromfile(input_path, dtype=np.float32).reshape([int(n)] + dims)
    steps, features = x.shape[-2], x.shape[-1]
    x = x.reshape(int(n), steps, features).transpose(1, 0, 2)  # T x N x F
    params = {"X": x, "W": weights[node.input[1]], "R": weights[node.input[2]], "B": weights[node.input[3]]}
    if params["W"].shape[0] != 1:
        raise SystemExit(f"{path}: the reference helpers take one direction")
    attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
    if node.op_type == "GRU":
        params["linear_before_reset"] = attrs.get("linear_before_reset", 0)
        y, y_h = GRU_Helper(**params).step()
    elif node.op_type == "LSTM":
        y, y_h = LSTM_Helper(**params).step()
    else:
        y, y_h = RNN_Helper(**params).step()
    if node.output[0]:  # Y: T x 1 x N x H -> N x T x H
        expected = y[:, 0].transpose(1, 0, 2)
    else:  # Y_h: 1 x N x H -> N x H
        expected = y_h[0]
    ours = np.fromfile(ours_path, dtype=np.float32)
    if ours.size != expected.size:
        raise SystemExit(f"{path}: {ours.size} values, ONNX's reference gives {expected.size}")
    diff = float(np.max(np.abs(ours - expected.reshape(-1))))
    print(f"{path}: {node.op_type} max |difference| from ONNX's reference {diff:.3g}")
    if diff > 1e-5:
        raise SystemExit(f"{path}: differs from ONNX's reference by {diff}")


if __name__ == "__main__":
    for job in sys.argv[1:]:
        check(job)
