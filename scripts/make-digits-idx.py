#!/usr/bin/env python3
"""Writes an MNIST-style IDX folder from scikit-learn's 8x8 handwritten digits (1,797 images,
digits.csv.gz in python3-sklearn), upscaled to 28x28 like the zoo's Fashion-MNIST models' input:

    make-digits-idx.py OUT [--train N] [--seed S]

OUT/train-* holds N digits (default 300: a stratified random pick, seed S), OUT/t10k-* every
other digit (the held-out test split), OUT/classes.txt the names 0..9. The 8x8 images (values
0..16) are scaled to 0..255, padded by 1 pixel (as MNIST digits sit in a margin) and resized to
28x28 with bilinear interpolation."""
import argparse, gzip, os, random, struct

import numpy as np

SKLEARN_DIGITS = "/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz"


def load_digits(path):
    rows = np.loadtxt(gzip.open(path, "rt"), delimiter=",")
    return rows[:, :64].reshape(-1, 8, 8), rows[:, 64].astype(np.int64)


def upscale(img8, size=28):
    img = np.pad(img8 * (255.0 / 16.0), 1)  # 10x10 with a margin
    n = img.shape[0]
    # bilinear: output pixel centres mapped onto the input grid
    coords = (np.arange(size) + 0.5) * n / size - 0.5
    coords = np.clip(coords, 0, n - 1)
    lo = np.floor(coords).astype(int)
    hi = np.minimum(lo + 1, n - 1)
    f = coords - lo
    rows = img[lo, :] * (1 - f)[:, None] + img[hi, :] * f[:, None]
    out = rows[:, lo] * (1 - f)[None, :] + rows[:, hi] * f[None, :]
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def write_idx(folder, prefix, images, labels):
    with gzip.open(os.path.join(folder, f"{prefix}-images-idx3-ubyte.gz"), "wb") as f:
        f.write(struct.pack(">IIII", 0x803, len(images), 28, 28))
        f.write(np.stack(images).astype(np.uint8).tobytes())
    with gzip.open(os.path.join(folder, f"{prefix}-labels-idx1-ubyte.gz"), "wb") as f:
        f.write(struct.pack(">II", 0x801, len(labels)))
        f.write(np.asarray(labels, dtype=np.uint8).tobytes())


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--train", type=int, default=300)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--digits", default=SKLEARN_DIGITS)
    a = ap.parse_args()
    if not os.path.exists(a.digits):
        raise SystemExit(f"make-digits-idx.py: {a.digits} not found: install python3-sklearn")
    images, labels = load_digits(a.digits)
    rng = random.Random(a.seed)
    per_class = {c: [i for i in range(len(labels)) if labels[i] == c] for c in range(10)}
    train = []
    for c in range(10):  # stratified: N/10 of each digit
        take = a.train // 10 + (1 if c < a.train % 10 else 0)
        train += rng.sample(per_class[c], take)
    rng.shuffle(train)
    chosen = set(train)
    test = [i for i in range(len(labels)) if i not in chosen]
    os.makedirs(a.out, exist_ok=True)
    write_idx(a.out, "train", [upscale(images[i]) for i in train], [labels[i] for i in train])
    write_idx(a.out, "t10k", [upscale(images[i]) for i in test], [labels[i] for i in test])
    with open(os.path.join(a.out, "classes.txt"), "w") as f:
        f.write("".join(f"{c}\n" for c in range(10)))
    print(f"wrote {a.out}: {len(train)} training and {len(test)} held-out digits, 28x28")


if __name__ == "__main__":
    main()
