"""PyTorch reference for tests/engine/test_torch_sequence.cpp.

Reads a JSON case (layer type, NetCanvas parameters, weights by NetCanvas name, input,
output gradient), runs the matching torch module in float64 and writes its output, input
gradient and parameter gradients as JSON. Exits with 77 and the reason on stderr when torch
is not importable (the test then skips).
"""
import json
import sys

try:
    import torch
    import torch.nn.functional as F
except ImportError as e:  # pragma: no cover - depends on the machine
    sys.stderr.write("PyTorch is not installed for /usr/bin/python3 (%s): apt-get install python3-torch\n" % e)
    sys.exit(77)


def tensor(entry, grad=True):
    t = torch.tensor(entry["data"], dtype=torch.float64).reshape(entry["shape"])
    return t.requires_grad_(grad)


def same_pad(steps, kernel, stride):
    out = (steps + stride - 1) // stride
    total = max((out - 1) * stride + kernel - steps, 0)
    return total // 2, total - total // 2


def run(case):
    kind, p = case["type"], case["params"]
    x = tensor(case["input"], kind != "Embedding")
    w = {k: tensor(v) for k, v in case["weights"].items()}
    if kind in ("SimpleRNN", "LSTM", "GRU"):
        cls = {"SimpleRNN": torch.nn.RNN, "LSTM": torch.nn.LSTM, "GRU": torch.nn.GRU}[kind]
        bi = p["bidirectional"]
        m = cls(x.shape[-1], p["units"], batch_first=True, bidirectional=bi).double()
        with torch.no_grad():
            for name, param in m.named_parameters():  # weight_ih_l0[_reverse] <- weight_ih[_reverse]
                param.copy_(w[name.replace("_l0", "")])
        out, state = m(x)
        h_n = state[0] if kind == "LSTM" else state
        y = out if p["return_sequences"] else h_n.transpose(0, 1).reshape(x.shape[0], -1)
        params = dict((n.replace("_l0", ""), t) for n, t in m.named_parameters())
    elif kind == "Conv1D":
        xt = x.transpose(1, 2)
        front, back = same_pad(x.shape[1], p["kernel"], p["stride"]) if p["padding"] == "same" else (0, 0)
        xt = F.pad(xt, (front, back))
        y = F.conv1d(xt, w["weight"], w.get("bias"), stride=p["stride"]).transpose(1, 2)
        params = w
    elif kind == "MaxPool1D":
        stride = p["stride"] or p["pool"]
        front, back = same_pad(x.shape[1], p["pool"], stride) if p["padding"] == "same" else (0, 0)
        xt = F.pad(x.transpose(1, 2), (front, back), value=float("-inf"))
        y = F.max_pool1d(xt, p["pool"], stride).transpose(1, 2)
        params = {}
    elif kind == "Embedding":
        y = F.embedding(x.round().long(), w["weight"])
        params = w
    elif kind == "TimeDistributedDense":
        y = F.linear(x, w["weight"], w.get("bias"))
        params = w
    else:
        raise SystemExit("unknown kind " + kind)
    y.backward(tensor(case["gradOut"], False).reshape(y.shape))
    result = {"output": y.detach().flatten().tolist(), "outputShape": list(y.shape), "grads": {}}
    if x.requires_grad:
        result["inputGrad"] = x.grad.flatten().tolist()
    for name, t in params.items():
        result["grads"][name] = t.grad.flatten().tolist()
    return result


def main():
    cases = json.load(open(sys.argv[1]))
    json.dump([run(c) for c in cases], open(sys.argv[2], "w"))


if __name__ == "__main__":
    main()
