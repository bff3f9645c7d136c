"""Writes an ONNX model exported by torch.onnx.export from a small CNN with batch norm, with an
input and PyTorch's output for it (tests/engine/test_onnx.cpp: torchExportedCnnImports).

Usage: make_torch_cnn.py OUT_DIR -> OUT_DIR/cnn.onnx, input.bin (4x1x12x12 float32), expected.bin,
and make_nhwc_model.py's files too (one Python start, since importing torch takes seconds).
The network uses what PyTorch emits for common classifiers: Conv + BatchNorm + ReLU, max and
average pooling, adaptive average pooling to 1x1 (GlobalAveragePool), x.view(x.size(0), -1)
(Shape/Gather/Unsqueeze/Concat/Reshape), a matrix product plus a bias (MatMul + Add), Linear
(Gemm), Dropout and Softmax. The batch dimension is dynamic.
"""
import os
import sys

import numpy as np
import torch
from torch import nn


class SmallCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(6)
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(6, 8, 3, stride=1, padding=0, bias=False)
        self.bn2 = nn.BatchNorm2d(8)
        self.pool2 = nn.AvgPool2d(2, stride=1)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.proj = nn.Parameter(torch.randn(8, 12) * 0.3)
        self.proj_bias = nn.Parameter(torch.randn(12) * 0.1)
        self.drop = nn.Dropout(0.25)
        self.fc = nn.Linear(12, 5)

    def forward(self, x):
        x = self.pool1(torch.relu(self.bn1(self.conv1(x))))
        x = self.pool2(torch.relu(self.bn2(self.conv2(x))))
        x = self.gap(x)
        x = x.view(x.size(0), -1)
        x = torch.tanh(x @ self.proj + self.proj_bias)
        return torch.softmax(self.fc(self.drop(x)), dim=1)


def main():
    out = sys.argv[1]
    torch.manual_seed(3)
    model = SmallCnn()
    with torch.no_grad():  # statistics as after training, not the identity defaults
        for bn in (model.bn1, model.bn2):
            bn.running_mean.uniform_(-0.5, 0.5)
            bn.running_var.uniform_(0.5, 2.0)
            bn.weight.uniform_(0.5, 1.5)
            bn.bias.uniform_(-0.3, 0.3)
    model.eval()
    x = torch.randn(4, 1, 12, 12)
    torch.onnx.export(model, x, os.path.join(out, "cnn.onnx"), opset_version=13,
                      training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False,  # keep BatchNormalization
                      input_names=["image"], output_names=["probabilities"],
                      dynamic_axes={"image": {0: "batch"}, "probabilities": {0: "batch"}})
    with torch.no_grad():
        y = model(x)
    x.numpy().astype(np.float32).tofile(os.path.join(out, "input.bin"))
    y.numpy().astype(np.float32).tofile(os.path.join(out, "expected.bin"))


if __name__ == "__main__":
    main()
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import make_nhwc_model  # noqa: E402 (beside this script)

    make_nhwc_model.main()
