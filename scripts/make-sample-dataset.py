#!/usr/bin/env python3
"""Writes resources/sample-fashion: a small folder-per-class dataset (PNG) cut from the
Fashion-MNIST test split, so the app has something to train on where the
dataset-fashion-mnist package is absent. Run once by a developer; the output is committed."""
import gzip, os, struct, sys, zlib

SRC = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/datasets/fashion-mnist"
OUT = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(__file__), "..", "resources", "sample-fashion")
PER_CLASS = 40
NAMES = ["tshirt-top", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle-boot"]

def png(path, w, h, pixels):
    raw = b"".join(b"\x00" + pixels[y * w:(y + 1) * w] for y in range(h))
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)) \
        + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(data)

images = gzip.open(os.path.join(SRC, "t10k-images-idx3-ubyte.gz")).read()
labels = gzip.open(os.path.join(SRC, "t10k-labels-idx1-ubyte.gz")).read()
n, h, w = struct.unpack(">III", images[4:16])
counts = [0] * 10
for name in NAMES:
    os.makedirs(os.path.join(OUT, name), exist_ok=True)
for i in range(n):
    c = labels[8 + i]
    if counts[c] >= PER_CLASS:
        continue
    px = images[16 + i * h * w:16 + (i + 1) * h * w]
    png(os.path.join(OUT, NAMES[c], f"{i:05d}.png"), w, h, px)
    counts[c] += 1
    if min(counts) >= PER_CLASS:
        break
print("wrote", sum(counts), "images to", OUT)
