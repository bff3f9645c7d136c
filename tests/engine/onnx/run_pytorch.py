"""Runs NetCanvas' PyTorch exports (tests/engine/test_onnx.cpp).

Usage: run_pytorch.py JOB... where each JOB is "model.py,weights.safetensors,input.bin,N,output.bin":
imports model.py, builds its nn.Module, loads the weights with the file's own load_weights(),
runs the float32 input (N samples of the module's INPUT_SHAPE, raw little-endian) in eval mode
and writes the output as raw float32. Exit 0 when every job ran.
"""
import importlib.util
import sys

import numpy as np
import torch


def run(job):
    code, weights, input_path, n, output_path = job.split(",")
    spec = importlib.util.spec_from_file_location("exported_%d" % abs(hash(code)), code)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    classes = [v for v in vars(module).values()
               if isinstance(v, type) and issubclass(v, torch.nn.Module) and v.__module__ == module.__name__]
    if len(classes) != 1:
        raise SystemExit("%s: expected one nn.Module class, found %d" % (code, len(classes)))
    model = module.load_weights(classes[0](), weights).eval()
    x = np.fromfile(input_path, dtype=np.float32).reshape((int(n),) + tuple(module.INPUT_SHAPE))
    with torch.no_grad():
        y = model(torch.from_numpy(x))
    y.numpy().astype(np.float32).tofile(output_path)


if __name__ == "__main__":
    torch.set_num_threads(1)
    for job in sys.argv[1:]:
        run(job)
