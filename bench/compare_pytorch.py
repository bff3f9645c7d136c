#!/usr/bin/python3
"""PyTorch side of the NetCanvas benchmark (docs/benchmarks.md).

Builds the network of a NetCanvas model JSON (models/*.json) in PyTorch by interpreting the
file node by node -- the same layers, shapes, padding and strides -- and measures exactly
what `netcanvas-cli bench` measures, printing the same --json keys:

  * training: `--warmup` untimed then `--steps` timed steps of zero_grad, forward, loss,
    backward, SGD step (momentum 0.9, lr 0.01) on one synthetic batch; median samples/s and
    step-time p10/median/p90;
  * inference at batch `--infer-batch` (eval mode, no_grad) and batch-1 latency;
  * achieved GFLOP/s from the NetCanvas layer registry's forward FLOP counts (a training
    step counts 3x forward), computed here with the registry's formulas and checked against
    `netcanvas-cli info --json` when --cli is given (parameter counts are checked too, so the
    two networks are provably the same size);
  * peak resident memory (VmHWM of /proc/self/status) and the resident memory before the
    network was built.

With --epoch DATA it instead trains one epoch on an IDX dataset (Fashion-MNIST) with a plain
Dataset + DataLoader loop and evaluates on the test split, the PyTorch counterpart of
`netcanvas-cli train MODEL --epochs 1`.

Debian's python3-torch; run with /usr/bin/python3. Threads: torch.set_num_threads(--threads).
"""
import argparse
import gzip
import json
import math
import os
import resource
import shutil
import struct
import subprocess
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

LEARNING_RATE = 0.01
MOMENTUM = 0.9
TRAIN_FLOPS_FACTOR = 3.0

# Parameter defaults of the NetCanvas layer registry (`netcanvas-cli layers --json`); when
# --cli is given they are read from the registry itself.
DEFAULTS = {
    "Input": {"channels": 1, "height": 28, "width": 28},
    "Dense": {"units": 10, "bias": True, "init": "glorot_uniform", "init_std": 0.01},
    "Conv2D": {"filters": 32, "kernel": 3, "stride": 1, "padding": "valid", "pad": 0, "bias": True,
               "init": "glorot_uniform", "init_std": 0.01},
    "MaxPool2D": {"pool": 2, "stride": 0, "padding": "valid"},
    "AvgPool2D": {"pool": 2, "stride": 0, "padding": "valid"},
    "LeakyReLU": {"alpha": 0.01},
    "ELU": {"alpha": 1.0},
    "Dropout": {"rate": 0.5},
    "BatchNorm": {"momentum": 0.1, "epsilon": 1e-5},
}
ELEMENTWISE_FLOPS = {"ReLU": 1, "LeakyReLU": 1, "ELU": 2, "Tanh": 4, "Sigmoid": 4}


def numel(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def window2d(in_h, in_w, kernel, stride, padding, pad):
    """engine/layers/LayerSupport.cpp computeWindow2D: (outH, outW, top, bottom, left, right)."""
    if padding == "same":
        out_h = (in_h + stride - 1) // stride
        out_w = (in_w + stride - 1) // stride
        total_h = max((out_h - 1) * stride + kernel - in_h, 0)
        total_w = max((out_w - 1) * stride + kernel - in_w, 0)
        return out_h, out_w, total_h // 2, total_h - total_h // 2, total_w // 2, total_w - total_w // 2
    p = pad if padding == "explicit" else 0
    if in_h + 2 * p < kernel or in_w + 2 * p < kernel:
        raise ValueError(f"kernel {kernel} does not fit input {in_h}x{in_w} with padding {padding}")
    return (in_h + 2 * p - kernel) // stride + 1, (in_w + 2 * p - kernel) // stride + 1, p, p, p, p


def init_weight(w, kind, fan_in, fan_out, std):
    """engine/layers/Initializers.cpp (distributions alike; the random streams differ)."""
    if kind == "he_normal":
        nn.init.normal_(w, 0.0, math.sqrt(2.0 / fan_in))
    elif kind == "he_uniform":
        a = math.sqrt(6.0 / fan_in)
        nn.init.uniform_(w, -a, a)
    elif kind == "glorot_normal":
        nn.init.normal_(w, 0.0, math.sqrt(2.0 / (fan_in + fan_out)))
    elif kind == "glorot_uniform":
        a = math.sqrt(6.0 / (fan_in + fan_out))
        nn.init.uniform_(w, -a, a)
    elif kind == "normal":
        nn.init.normal_(w, 0.0, std)
    elif kind == "zeros":
        nn.init.zeros_(w)
    else:
        raise ValueError(f"unknown init '{kind}'")


class Pool2d(nn.Module):
    """MaxPool2D / AvgPool2D with NetCanvas padding: padded cells never win a max and are not
    counted in an average (also when 'same' padding is asymmetric, which torch's pools lack)."""

    def __init__(self, kind, pool, stride, pads):
        super().__init__()
        self.kind, self.pool, self.stride = kind, pool, stride
        top, bottom, left, right = pads
        self.pads = (left, right, top, bottom)
        self.padded = any(self.pads)

    def forward(self, x):
        if self.kind == "max":
            if self.padded:
                x = F.pad(x, self.pads, value=-math.inf)
            return F.max_pool2d(x, self.pool, self.stride)
        if not self.padded:
            return F.avg_pool2d(x, self.pool, self.stride)
        ones = torch.ones_like(x[:1, :1])
        total = F.avg_pool2d(F.pad(x, self.pads), self.pool, self.stride)
        count = F.avg_pool2d(F.pad(ones, self.pads), self.pool, self.stride)
        return total / count


class Conv2d(nn.Module):
    """Conv2D with NetCanvas padding (asymmetric 'same' padding through an explicit pad)."""

    def __init__(self, in_c, filters, kernel, stride, pads, bias):
        super().__init__()
        top, bottom, left, right = pads
        self.symmetric = top == bottom and left == right
        self.pads = (left, right, top, bottom)
        self.conv = nn.Conv2d(in_c, filters, kernel, stride=stride,
                              padding=(top, left) if self.symmetric else 0, bias=bias)

    def forward(self, x):
        if not self.symmetric:
            x = F.pad(x, self.pads)
        return self.conv(x)


class Dense(nn.Module):
    def __init__(self, in_features, units, bias):
        super().__init__()
        self.linear = nn.Linear(in_features, units, bias=bias)

    def forward(self, x):
        return self.linear(x.flatten(1))


class Recurrent(nn.Module):
    """nn.RNN/LSTM/GRU on a time-first sequence: all steps, or each direction's final state."""

    def __init__(self, rnn, steps, feats, return_sequences):
        super().__init__()
        self.rnn, self.steps, self.feats, self.seq = rnn, steps, feats, return_sequences

    def forward(self, x):
        out, h = self.rnn(x.reshape(x.shape[0], self.steps, self.feats))
        if self.seq:
            return out
        h = h[0] if isinstance(h, tuple) else h
        return h.transpose(0, 1).reshape(x.shape[0], -1)


class Lambda(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, *xs):
        return self.fn(*xs)


class GraphNet(nn.Module):
    """A NetCanvas model graph run node by node in topological order (DAGs with Add and
    Concat included). When the output node is a Softmax over classes and the loss is
    cross-entropy, training skips it and uses the fused CrossEntropyLoss on the logits --
    NetCanvas's Softmax backward completes the same fused gradient."""

    def __init__(self, model, defaults):
        super().__init__()
        self.name = model.get("name", "")
        nodes = {n["id"]: n for n in model["nodes"]}
        consumers = {i: 0 for i in nodes}
        for n in model["nodes"]:
            for src in n.get("inputs", []):
                consumers[src] += 1
        order, seen = [], set()

        def visit(i, stack=()):
            if i in seen:
                return
            if i in stack:
                raise ValueError(f"cycle at node '{i}'")
            for src in nodes[i].get("inputs", []):
                visit(src, stack + (i,))
            seen.add(i)
            order.append(i)

        for i in nodes:
            visit(i)
        outputs = [i for i, c in consumers.items() if c == 0]
        self.output = model.get("output") or (outputs[0] if len(outputs) == 1 else None)
        if not self.output:
            raise ValueError(f"the graph has {len(outputs)} unconsumed nodes; name the output")
        self.order = order
        self.inputs = {i: nodes[i].get("inputs", []) for i in order}
        self.layers = nn.ModuleDict()
        self.shapes, self.flops, self.params = {}, 0, 0
        self.input_node = None
        for i in order:
            n = nodes[i]
            t = n["type"]
            p = dict(defaults.get(t, {}))
            p.update(n.get("params", {}))
            ins = [self.shapes[s] for s in self.inputs[i]]
            layer, shape, flops = self._build(t, p, ins, i)
            self.layers[self._key(i)] = layer
            self.shapes[i] = shape
            self.flops += flops
        self.types = {i: nodes[i]["type"] for i in order}
        for layer in self.layers.values():
            for b in layer.buffers():
                if b.dtype.is_floating_point:  # BatchNorm running stats (NetCanvas counts them)
                    self.params += b.numel()
        self.params += sum(p.numel() for p in self.parameters())
        self.output_shape = self.shapes[self.output]

    @staticmethod
    def _key(node_id):
        return "n_" + "".join(c if c.isalnum() else "_" for c in node_id)

    def _build(self, t, p, ins, node_id):
        if t == "Input":
            self.input_node = node_id
            self.input_shape = (int(p["channels"]), int(p["height"]), int(p["width"]))
            return nn.Identity(), self.input_shape, 0
        x = ins[0]
        if t == "Dense":
            fan_in = numel(x)
            units = int(p["units"])
            m = Dense(fan_in, units, bool(p["bias"]))
            init_weight(m.linear.weight, p["init"], fan_in, units, float(p["init_std"]))
            if m.linear.bias is not None:
                nn.init.zeros_(m.linear.bias)
            return m, (units,), 2 * units * fan_in + (units if p["bias"] else 0)
        if t == "Conv2D":
            c, h, w = x
            k, s, f = int(p["kernel"]), int(p["stride"]), int(p["filters"])
            oh, ow, *pads = window2d(h, w, k, s, p["padding"], int(p["pad"]))
            m = Conv2d(c, f, k, s, pads, bool(p["bias"]))
            init_weight(m.conv.weight, p["init"], c * k * k, f * k * k, float(p["init_std"]))
            if m.conv.bias is not None:
                nn.init.zeros_(m.conv.bias)
            return m, (f, oh, ow), oh * ow * f * (2 * c * k * k + (1 if p["bias"] else 0))
        if t in ("MaxPool2D", "AvgPool2D"):
            c, h, w = x
            k = int(p["pool"])
            s = int(p["stride"]) or k
            oh, ow, *pads = window2d(h, w, k, s, p["padding"], 0)
            m = Pool2d("max" if t == "MaxPool2D" else "avg", k, s, pads)
            return m, (c, oh, ow), c * oh * ow * k * k
        if t == "GlobalAvgPool2D":
            return Lambda(lambda v: v.mean(dim=(2, 3))), (x[0],), numel(x)
        if t == "Flatten":
            return Lambda(lambda v: v.flatten(1)), (numel(x),), 0
        if t in ("SimpleRNN", "LSTM", "GRU"):
            steps, feats = x[-2], x[-1]
            units, bi = int(p["units"]), bool(p["bidirectional"])
            d, gates = (2 if bi else 1), {"SimpleRNN": 1, "LSTM": 4, "GRU": 3}[t]
            cls = {"SimpleRNN": nn.RNN, "LSTM": nn.LSTM, "GRU": nn.GRU}[t]
            m = Recurrent(cls(feats, units, batch_first=True, bidirectional=bi), steps, feats,
                          bool(p["return_sequences"]))
            shape = (steps, d * units) if p["return_sequences"] else (d * units,)
            g, cell = gates * units, (6 if t == "SimpleRNN" else 30)  # the registry's FLOPs formula
            return m, shape, d * steps * (2 * g * feats + 2 * g * units + 2 * g + cell * units)
        if t in ELEMENTWISE_FLOPS:
            fn = {"ReLU": nn.ReLU(), "Tanh": nn.Tanh(), "Sigmoid": nn.Sigmoid(),
                  "LeakyReLU": nn.LeakyReLU(float(p.get("alpha", 0.01))),
                  "ELU": nn.ELU(float(p.get("alpha", 1.0)))}[t]
            return fn, x, ELEMENTWISE_FLOPS[t] * numel(x)
        if t == "Softmax":
            return nn.Softmax(dim=1), x, 4 * numel(x)
        if t == "Dropout":
            return nn.Dropout(float(p["rate"])), x, numel(x)
        if t == "BatchNorm":
            bn = nn.BatchNorm2d if len(x) == 3 else nn.BatchNorm1d
            return bn(x[0], eps=float(p["epsilon"]), momentum=float(p["momentum"])), x, 2 * numel(x)
        if t == "Add":
            return Lambda(lambda *v: sum(v[1:], v[0])), x, (len(ins) - 1) * numel(x)
        if t == "Concat":
            shape = (sum(s[0] for s in ins),) + tuple(x[1:])
            return Lambda(lambda *v: torch.cat(v, dim=1)), shape, 0
        raise ValueError(f"node '{node_id}': layer type {t} is not supported by compare_pytorch.py")

    def forward(self, x, skip_output_softmax=False):
        values = {}
        for i in self.order:
            if i == self.input_node:
                values[i] = x
                continue
            if skip_output_softmax and i == self.output:
                values[i] = values[self.inputs[i][0]]
                continue
            values[i] = self.layers[self._key(i)](*[values[s] for s in self.inputs[i]])
        return values[self.output]


def percentile(values, q):
    """Linear interpolation between closest ranks, as numpy and netcanvas-cli bench."""
    v = sorted(values)
    pos = q * (len(v) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (pos - lo)


def proc_status_mb(field):
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return float(line.split()[1]) / 1024.0
    except OSError:
        pass
    return -1.0


def peak_rss_mb():
    hwm = proc_status_mb("VmHWM")
    return hwm if hwm >= 0 else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def time_runs(warmup, steps, fn):
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(steps):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def registry_info(cli, model_path):
    """(defaults from `layers --json`, `info --json` of the model) or (None, None)."""
    if not cli:
        return None, None
    layers = json.loads(subprocess.run([cli, "layers", "--json"], check=True, capture_output=True, text=True).stdout)
    defaults = {l["type"]: {p["name"]: p["default"] for p in l["params"]} for l in layers}
    info = json.loads(subprocess.run([cli, "info", model_path, "--json"], check=True, capture_output=True,
                                     text=True).stdout)
    return defaults, info


def build(args):
    with open(args.model) as f:
        model = json.load(f)
    defaults, info = registry_info(args.cli, args.model)
    net = GraphNet(model, defaults or DEFAULTS)
    if info is not None:
        if info["total_params"] != net.params or info["flops_per_sample"] != net.flops:
            sys.exit(f"compare_pytorch.py: {args.model}: the PyTorch network has {net.params} parameters and "
                     f"{net.flops} FLOPs per sample, NetCanvas {info['total_params']} and "
                     f"{info['flops_per_sample']}: the networks differ")
    recipe = model.get("training", {})
    loss_kind = recipe.get("loss", "cross_entropy")
    softmax_out = net.types[net.output] == "Softmax" and len(net.output_shape) == 1
    return model, net, loss_kind, softmax_out


def make_loss(loss_kind, classes):
    if loss_kind == "cross_entropy":
        return nn.CrossEntropyLoss()
    if loss_kind == "mse":
        return lambda out, y: F.mse_loss(out, F.one_hot(y, classes).to(out.dtype))
    raise ValueError(f"unknown loss '{loss_kind}'")


def bench(args):
    baseline = proc_status_mb("VmRSS")
    torch.manual_seed(args.seed)
    model, net, loss_kind, softmax_out = build(args)
    classes = numel(net.output_shape)
    criterion = make_loss(loss_kind, classes)
    # Cross-entropy on a Softmax output: the fused loss on the logits (see GraphNet).
    skip = softmax_out and loss_kind == "cross_entropy"
    device = torch.device(args.device)
    net.to(device)
    opt = torch.optim.SGD(net.parameters(), lr=LEARNING_RATE, momentum=MOMENTUM)
    g = torch.Generator().manual_seed(args.seed + 1000)
    x = torch.randn((args.batch,) + net.input_shape, generator=g).to(device)
    y = torch.randint(0, classes, (args.batch,), generator=g).to(device)
    x_infer = torch.randn((args.infer_batch,) + net.input_shape, generator=g).to(device)
    x_one = torch.randn((1,) + net.input_shape, generator=g).to(device)
    last = {"loss": float("nan")}
    # A GPU queues work: each timed step ends when the device is done (netcanvas-cli bench
    # synchronizes its backend the same way).
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)

    def train_step():
        opt.zero_grad(set_to_none=True)
        loss = criterion(net(x, skip), y)
        loss.backward()
        opt.step()
        last["loss"] = loss
        sync()

    def infer_step(inp):
        net(inp)
        sync()

    net.train()
    train = time_runs(args.warmup, args.steps, train_step)
    final_loss = float(last["loss"])
    net.eval()
    with torch.no_grad():
        infer = time_runs(args.warmup, args.steps, lambda: infer_step(x_infer))
        latency = time_runs(max(args.warmup, 10), args.latency_steps, lambda: infer_step(x_one))
    peak = peak_rss_mb()

    flops = net.flops
    train_median = percentile(train, 0.5)
    train_rate = args.batch / train_median
    infer_median = percentile(infer, 0.5)
    infer_rate = args.infer_batch / infer_median
    return {
        "framework": "pytorch",
        "backend": f"torch {torch.__version__} {args.device}" +
                   (f" ({torch.cuda.get_device_name(device)})" if device.type == "cuda" else ""),
        "model": model.get("name", ""),
        "threads": torch.get_num_threads(),
        "batch": args.batch,
        "steps": args.steps,
        "warmup": args.warmup,
        "optimizer": "sgd momentum 0.9 lr 0.01",
        "params": net.params,
        "flops_per_sample": flops,
        "flop_convention": "forward FLOPs from the layer registry; a training step counts 3x forward",
        "train_samples_per_s": train_rate,
        "train_step_ms_p10": 1e3 * percentile(train, 0.1),
        "train_step_ms_median": 1e3 * train_median,
        "train_step_ms_p90": 1e3 * percentile(train, 0.9),
        "train_gflops": TRAIN_FLOPS_FACTOR * flops * train_rate / 1e9,
        "infer_batch": args.infer_batch,
        "infer_samples_per_s": infer_rate,
        "infer_ms_median": 1e3 * infer_median,
        "infer_gflops": flops * infer_rate / 1e9,
        "latency_ms_median": 1e3 * percentile(latency, 0.5),
        "latency_ms_p90": 1e3 * percentile(latency, 0.9),
        "peak_rss_mb": peak,
        "baseline_rss_mb": baseline,
        "final_loss": final_loss,
    }


# ---- --epoch: one training epoch on an IDX dataset with a plain DataLoader loop ----

def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    _, _, dtype, ndim = struct.unpack(">BBBB", data[:4])
    if dtype != 0x08:
        raise ValueError(f"{path}: only uint8 IDX files are supported")
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return torch.frombuffer(bytearray(data[4 + 4 * ndim:]), dtype=torch.uint8).reshape(dims)


def find_idx(folder, prefix, kind):
    for name in sorted(os.listdir(folder)):
        if name.startswith(prefix) and kind in name:
            return os.path.join(folder, name)
    raise FileNotFoundError(f"{folder}: no {prefix}*{kind}* file")


class IdxImages(torch.utils.data.Dataset):
    """Per-sample access, as a user's Dataset would have it: uint8 → float, normalized."""

    def __init__(self, images, labels, mean, std):
        self.images, self.labels, self.mean, self.std = images, labels, mean, std

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        x = self.images[i].to(torch.float32).div_(255.0).sub_(self.mean).div_(self.std)
        return x.unsqueeze(0) if x.dim() == 2 else x, int(self.labels[i])


def epoch(args):
    t_start = time.perf_counter()
    torch.manual_seed(args.seed)
    model, net, loss_kind, softmax_out = build(args)
    classes = numel(net.output_shape)
    train_x = read_idx(find_idx(args.epoch, "train", "images"))
    train_y = read_idx(find_idx(args.epoch, "train", "labels")).long()
    test_x = read_idx(find_idx(args.epoch, "t10k", "images"))
    test_y = read_idx(find_idx(args.epoch, "t10k", "labels")).long()
    # From here on as `netcanvas-cli train`'s fit time: normalization, loaders, the epoch.
    t_load = time.perf_counter()
    scaled = train_x.to(torch.float32) / 255.0
    mean, std = float(scaled.mean()), float(scaled.std())
    del scaled
    train = torch.utils.data.DataLoader(IdxImages(train_x, train_y, mean, std), batch_size=args.batch,
                                        shuffle=True, num_workers=args.workers)
    test = torch.utils.data.DataLoader(IdxImages(test_x, test_y, mean, std), batch_size=args.batch,
                                       shuffle=False, num_workers=args.workers)
    criterion = make_loss(loss_kind, classes)
    skip = softmax_out and loss_kind == "cross_entropy"
    opt = torch.optim.SGD(net.parameters(), lr=LEARNING_RATE, momentum=MOMENTUM)
    net.train()
    seen, loss_sum = 0, 0.0
    for x, y in train:
        opt.zero_grad(set_to_none=True)
        loss = criterion(net(x, skip), y)
        loss.backward()
        opt.step()
        loss_sum += float(loss) * len(y)
        seen += len(y)
    t_train = time.perf_counter()
    net.eval()
    correct = 0
    with torch.no_grad():
        for x, y in test:
            correct += int((net(x).argmax(1) == y).sum())
    t_end = time.perf_counter()
    return {
        "framework": "pytorch",
        "model": model.get("name", ""),
        "threads": torch.get_num_threads(),
        "batch": args.batch,
        "samples": seen,
        "train_loss": loss_sum / max(seen, 1),
        "test_accuracy": correct / len(test_y),
        "load_seconds": t_load - t_start,   # model build and IDX decoding
        "fit_seconds": t_train - t_load,    # normalization, loaders, one epoch (netcanvas-cli train's "seconds")
        "test_seconds": t_end - t_train,
        "total_seconds": t_end - t_start,   # without interpreter start and `import torch`
        "samples_per_second": seen / (t_train - t_load),
        "peak_rss_mb": peak_rss_mb(),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model", help="NetCanvas model JSON (models/*.json)")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--infer-batch", type=int, default=256)
    ap.add_argument("--latency-steps", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--cli", default=shutil.which("netcanvas-cli"),
                    help="netcanvas-cli: parameter defaults from its registry and a check that the networks match")
    ap.add_argument("--epoch", metavar="DATA", help="train one epoch on this IDX dataset folder instead")
    ap.add_argument("--workers", type=int, default=0, help="DataLoader worker processes (--epoch)")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--device", default="cpu",
                    help="cpu, cuda or cuda:N (synthetic benchmark only; netcanvas-cli bench --device likewise)")
    ap.add_argument("--tf32", action="store_true",
                    help="allow TF32 in cuDNN convolutions and matmuls (off by default, like NetCanvas)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    if args.device != "cpu":
        if args.epoch:
            sys.exit("compare_pytorch.py: --device applies to the synthetic benchmark, not --epoch")
        if not torch.cuda.is_available():
            sys.exit(f"compare_pytorch.py: --device {args.device}: this PyTorch sees no CUDA device")
    # PyTorch allows TF32 in cuDNN convolutions by default; NetCanvas computes in FP32 unless
    # asked (netcanvas-cli train --precision tf32): compare like with like.
    torch.backends.cudnn.allow_tf32 = args.tf32
    torch.backends.cuda.matmul.allow_tf32 = args.tf32

    r = epoch(args) if args.epoch else bench(args)
    if args.json:
        print(json.dumps(r))
        return
    if args.epoch:
        print(f"pytorch {r['model']}: one epoch of {r['samples']} samples in {r['fit_seconds']:.1f} s "
              f"({r['samples_per_second']:.0f} samples/s), data loading {r['load_seconds']:.1f} s, test "
              f"{r['test_seconds']:.1f} s (accuracy {100 * r['test_accuracy']:.2f}%), total {r['total_seconds']:.1f} s")
        return
    print(f"bench {r['model']}: {r['backend']}, {r['threads']} threads, synthetic data, "
          f"SGD (momentum 0.9, lr 0.01)")
    print(f"  {r['params']} parameters, {r['flops_per_sample'] / 1e6:.2f} MFLOP forward per sample "
          f"(a training step counts 3x forward)\n")
    print(f"  training   batch {r['batch']}, {r['steps']} steps after {r['warmup']} warm-up")
    print(f"             {r['train_samples_per_s']:.0f} samples/s   step p10 {r['train_step_ms_p10']:.2f} ms, median "
          f"{r['train_step_ms_median']:.2f} ms, p90 {r['train_step_ms_p90']:.2f} ms   {r['train_gflops']:.1f} GFLOP/s")
    print(f"  inference  batch {r['infer_batch']}: {r['infer_samples_per_s']:.0f} samples/s   median "
          f"{r['infer_ms_median']:.2f} ms   {r['infer_gflops']:.1f} GFLOP/s")
    print(f"  latency    batch 1: median {r['latency_ms_median']:.3f} ms, p90 {r['latency_ms_p90']:.3f} ms "
          f"({args.latency_steps} runs)")
    print(f"  memory     peak RSS {r['peak_rss_mb']:.1f} MB ({r['baseline_rss_mb']:.1f} MB before the network was built)")
    print(f"  final training loss {r['final_loss']:.4f}")


if __name__ == "__main__":
    main()
