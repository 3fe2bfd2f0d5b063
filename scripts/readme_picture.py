#!/usr/bin/env python3
"""Makes the README's picture, docs/readme-example.png: original | protected | thumbnail | restored.

Protects the bundled example photo with a fresh key as the quickstart does, restores it, and
puts the four images side by side at half size (2x2 box average), 8 px apart. Python 3
standard library only (PNG through zlib); the images come from the hipp binary.
Usage: python3 scripts/readme_picture.py [HIPP_BINARY=build/hipp]
"""
import os
import struct
import subprocess
import sys
import tempfile
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PHOTO = os.path.join(ROOT, "examples", "bsds_100007.jpg")
TARGET = os.path.join(ROOT, "docs", "readme-example.png")


def read_png(path):
    """8-bit RGB or RGBA, non-interlaced (what hipp writes) -> (width, height, rows of RGB bytes)."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    pos, idat, hdr = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = hdr
    assert depth == 8 and ctype in (2, 6) and interlace == 0, (path, hdr)
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(idat)
    stride = w * bpp
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        prev = line
        rows.append(line if bpp == 3 else bytearray(v for k, v in enumerate(line) if k % 4 != 3))
    return w, h, rows


def half(w, h, rows):
    w2, h2 = w // 2, h // 2
    out = []
    for y in range(h2):
        r0, r1, line = rows[2 * y], rows[2 * y + 1], bytearray(w2 * 3)
        for x in range(w2):
            for ch in range(3):
                i = 6 * x + ch
                line[3 * x + ch] = (r0[i] + r0[i + 3] + r1[i] + r1[i + 3] + 2) // 4
        out.append(line)
    return w2, h2, out


def write_png(path, w, h, rows):
    raw = b"".join(b"\x00" + bytes(r) for r in rows)
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(png)


def main():
    hipp = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "hipp"))
    with tempfile.TemporaryDirectory() as t:
        key, prot, rest = (os.path.join(t, n) for n in ("k.key", "protected.png", "restored.png"))
        orig, thumb, rest_png = (os.path.join(t, n) for n in ("original.png", "thumbnail.png", "restored-rgb.png"))
        run = lambda *a: subprocess.run([hipp, "-q", *a], check=True)
        run("keygen", "-o", key)
        run("protect", PHOTO, "-o", prot, "-k", key)
        run("restore", prot, "-o", rest, "-k", key)
        run("thumbnail", PHOTO, "--block", "1", "-o", orig)          # the original, as PNG
        run("thumbnail", PHOTO, "--block", "16", "--upscale", "-o", thumb)
        run("thumbnail", rest, "--block", "1", "-o", rest_png)
        panels = [half(*read_png(p)) for p in (orig, prot, thumb, rest_png)]
    gap, h = 8, min(p[1] for p in panels)
    width = sum(p[0] for p in panels) + gap * (len(panels) - 1)
    rows = []
    for y in range(h):
        line = bytearray()
        for k, (w, _, r) in enumerate(panels):
            if k:
                line += b"\xff" * (3 * gap)
            line += r[y]
        rows.append(line)
    write_png(TARGET, width, h, rows)
    print("wrote %s (%dx%d): original | protected | thumbnail (16-px blocks) | restored" % (TARGET, width, h))


if __name__ == "__main__":
    main()
