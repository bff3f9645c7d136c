#!/usr/bin/env python3
"""Writes a folder of unlabeled images for trying the Label mode (and for the README's
walk-through): the first N Fashion-MNIST test images as PNG files in one flat folder,
OUT/images/item-00001.png …, plus OUT/truth.csv ("path,label") with their true classes,
which a demo may use to stand in for a person's key presses. Standard library only.

usage: make-label-demo.py OUT [N] [DATASET_DIR]
"""
import gzip
import os
import struct
import sys
import zlib

CLASSES = ["T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    if magic >> 8 != 0x08:
        raise SystemExit(f"{path}: not an unsigned-byte IDX file")
    return shape, data[4 + 4 * dims:]


def png_gray(width, height, pixels):
    def chunk(kind, body):
        c = kind + body
        return struct.pack(">I", len(body)) + c + struct.pack(">I", zlib.crc32(c) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + pixels[y * width:(y + 1) * width] for y in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def find(folder, stem):
    for name in (stem + "-ubyte.gz", stem + "-ubyte", stem.replace("-idx", ".idx") + "-ubyte.gz"):
        p = os.path.join(folder, name)
        if os.path.exists(p):
            return p
    raise SystemExit(f"{folder}: no {stem}-ubyte[.gz]")


def main():
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    out = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 600
    source = sys.argv[3] if len(sys.argv) > 3 else "/usr/share/datasets/fashion-mnist"
    (n, h, w), images = read_idx(find(source, "t10k-images-idx3"))
    (_,), labels = read_idx(find(source, "t10k-labels-idx1"))
    count = min(count, n)
    os.makedirs(os.path.join(out, "images"), exist_ok=True)
    rows = ["path,label"]
    for i in range(count):
        name = f"item-{i + 1:05d}.png"
        with open(os.path.join(out, "images", name), "wb") as f:
            f.write(png_gray(w, h, images[i * h * w:(i + 1) * h * w]))
        rows.append(f"{name},{CLASSES[labels[i]]}")
    with open(os.path.join(out, "truth.csv"), "w") as f:
        f.write("\n".join(rows) + "\n")
    print(f"wrote {count} images to {os.path.join(out, 'images')} and their classes to {os.path.join(out, 'truth.csv')}")


if __name__ == "__main__":
    main()
