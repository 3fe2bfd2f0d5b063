#!/usr/bin/env python3
"""Decode a folder of JPEGs (from `hipp data pack -o FOLDER`) into a packed set (*.tensors)
that hipp-train reads. Runs on the GPU machine, whose python3 has Pillow and NumPy but where
hipp's own image decoder (OpenCV) is not installed.

usage: unpack.py FOLDER OUT.tensors [--downsample 2]"""
import json
import os
import struct
import sys

import numpy as np
from PIL import Image


def main():
    src, out = sys.argv[1], sys.argv[2]
    factor = int(sys.argv[sys.argv.index("--downsample") + 1]) if "--downsample" in sys.argv else 1
    names = sorted(n for n in os.listdir(src) if n.lower().endswith((".jpg", ".jpeg", ".png")))
    if not names:
        sys.exit(f"unpack.py: no images in {src}")
    images = []
    for n in names:
        a = np.asarray(Image.open(os.path.join(src, n)).convert("RGB"), dtype=np.uint8)
        if factor > 1:  # block average, as hipp's thumbnails do
            h, w = a.shape[0] // factor, a.shape[1] // factor
            a = a[: h * factor, : w * factor].reshape(h, factor, w, factor, 3).astype(np.float32).mean((1, 3))
            a = np.clip(np.round(a), 0, 255).astype(np.uint8)
        images.append(a.transpose(2, 0, 1))
    data = np.ascontiguousarray(np.stack(images))
    header = json.dumps({
        "meta": {"kind": "image-set", "paths": names},
        "tensors": [{"name": "images", "dtype": "u8", "stored": "u8", "shape": list(data.shape),
                     "offset": 0, "bytes": int(data.nbytes)}],
    }).encode()
    with open(out + ".tmp", "wb") as f:  # same layout as src/io/tensor_file.cpp
        f.write(b"HIPPTENS" + struct.pack("<IQ", 1, len(header)) + header + data.tobytes())
    os.replace(out + ".tmp", out)
    print(f"unpack.py: {out}: {data.shape[0]} images {data.shape[3]}x{data.shape[2]}")


if __name__ == "__main__":
    main()
