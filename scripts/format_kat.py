#!/usr/bin/env python3
"""Known answers of hipp's key schedule and model ids, from a second implementation.

This computes, with the Python standard library alone (BLAKE2b from hashlib, ChaCha20 written
out below from RFC 7539 / the XChaCha20 draft), what docs/format.md says hipp derives: subkeys,
each keystream domain, uniform draws and permutations, the header serialization, the check
tag, the MAC, the pixel tag, raw key files, Argon2id (when the `cryptography` package has it)
and the model ids of the shipped models. tests/vectors/kat/kat.json holds the frozen answers;
tests/test_kat.cpp checks the C++ code against that file on every test run.

  scripts/format_kat.py            check this implementation against kat.json (exit 1 on a mismatch)
  scripts/format_kat.py --create   write kat.json, only if it does not exist yet

Never regenerate kat.json: an answer that changes is a format change (docs/format.md).
"""
import argparse
import hashlib
import json
import os
import struct
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KAT = os.path.join(ROOT, "tests", "vectors", "kat", "kat.json")
MASK = 0xFFFFFFFF

# ---------------------------------------------------------------- ChaCha20, HChaCha20, XChaCha20


def _rotl(x, n):
    return ((x << n) & MASK) | (x >> (32 - n))


def _quarter(s, a, b, c, d):
    s[a] = (s[a] + s[b]) & MASK; s[d] = _rotl(s[d] ^ s[a], 16)
    s[c] = (s[c] + s[d]) & MASK; s[b] = _rotl(s[b] ^ s[c], 12)
    s[a] = (s[a] + s[b]) & MASK; s[d] = _rotl(s[d] ^ s[a], 8)
    s[c] = (s[c] + s[d]) & MASK; s[b] = _rotl(s[b] ^ s[c], 7)


def _rounds(s):
    for _ in range(10):
        _quarter(s, 0, 4, 8, 12); _quarter(s, 1, 5, 9, 13); _quarter(s, 2, 6, 10, 14); _quarter(s, 3, 7, 11, 15)
        _quarter(s, 0, 5, 10, 15); _quarter(s, 1, 6, 11, 12); _quarter(s, 2, 7, 8, 13); _quarter(s, 3, 4, 9, 14)


_SIGMA = struct.unpack("<4I", b"expand 32-byte k")


def hchacha20(key, nonce16):
    s = list(_SIGMA) + list(struct.unpack("<8I", key)) + list(struct.unpack("<4I", nonce16))
    _rounds(s)
    return struct.pack("<8I", *(s[0:4] + s[12:16]))


def chacha20_block(key, counter, nonce8):
    """The original ChaCha20: a 64-bit block counter (words 12-13) and a 64-bit nonce."""
    init = list(_SIGMA) + list(struct.unpack("<8I", key)) + [counter & MASK, counter >> 32] + list(
        struct.unpack("<2I", nonce8))
    s = init[:]
    _rounds(s)
    return struct.pack("<16I", *[(a + b) & MASK for a, b in zip(s, init)])


def xchacha20(key, nonce24, nbytes, counter=0):
    """libsodium's crypto_stream_xchacha20: HChaCha20 on nonce[0:16], then ChaCha20 with nonce[16:24]."""
    sub = hchacha20(key, nonce24[:16])
    out = bytearray()
    while len(out) < nbytes:
        out += chacha20_block(sub, counter, nonce24[16:24])
        counter += 1
    return bytes(out[:nbytes])


# ---------------------------------------------------------------- hipp's derivations


def blake2b(msg, key=b"", size=32):
    return hashlib.blake2b(msg, key=key, digest_size=size).digest()


def subkey(master, nonce, label):
    """keys::derive_subkey: keyed BLAKE2b-256(key = master; message = nonce || label)."""
    return blake2b(nonce + label.encode(), key=master)


class KeyStream:
    """crypto::KeyStream: XChaCha20 under keyed BLAKE2b-256(key; domain), read as LE u32s."""

    def __init__(self, key, nonce, domain):
        self.key, self.nonce = blake2b(domain.encode(), key=key), nonce
        self.buf, self.pos = b"", 0

    def next_u32(self):
        if self.pos + 4 > len(self.buf):  # one continuous stream; C++ refills in 4096-byte chunks
            self.buf += xchacha20(self.key, self.nonce, 4096, counter=len(self.buf) // 64)
        v = struct.unpack_from("<I", self.buf, self.pos)[0]
        self.pos += 4
        return v

    def uniform(self, bound):
        if bound == 1:
            return 0
        threshold = (1 << 32) % bound
        while True:
            x = self.next_u32()
            if x >= threshold:
                return x % bound

    def permutation(self, n):
        p = list(range(n))
        for i in range(n, 1, -1):
            j = self.uniform(i)
            p[i - 1], p[j] = p[j], p[i - 1]
        return p


def stream_key(master, nonce, key_spec):
    """"master", or "subkey:<label>" (derive_subkey of master)."""
    if key_spec == "master":
        return master
    kind, label = key_spec.split(":", 1)
    assert kind == "subkey", key_spec
    return subkey(master, nonce, label)


def nonce_with_first_byte_xor(nonce, x):
    return bytes([nonce[0] ^ x]) + nonce[1:]


# ---------------------------------------------------------------- the header (docs/format.md)

FLAG_PASSPHRASE, FLAG_MODEL, FLAG_SIDE, FLAG_REPAIR, FLAG_PIXEL_TAG, FLAG_ORIGIN, FLAG_ORIGINAL = 1, 2, 4, 8, 16, 32, 64
FLAG_ORIGINAL_JXL = 128


def serialize_header(h, mac=None):
    model = bytes.fromhex(h.get("model_id", "00" * 16))
    flags = (FLAG_PASSPHRASE if "salt" in h else 0) | (FLAG_MODEL if any(model) else 0)
    side, repair = bytes.fromhex(h.get("side", "")), bytes.fromhex(h.get("repair", ""))
    original = bytes.fromhex(h.get("original", ""))
    flags |= (FLAG_SIDE if side else 0) | (FLAG_REPAIR if repair else 0) | (FLAG_ORIGINAL if original else 0)
    flags |= (FLAG_PIXEL_TAG if "pixel_tag" in h else 0) | (FLAG_ORIGIN if "origin" in h else 0)
    flags |= FLAG_ORIGINAL_JXL if h.get("original_jxl") else 0
    out = b"HIPP" + struct.pack("<BB", h["version"], flags)
    out += struct.pack("<B", len(h["scheme"])) + h["scheme"].encode()
    if any(model):
        out += model
    out += struct.pack("<HII", h["block"], h["width"], h["height"])
    if "salt" in h:
        out += bytes.fromhex(h["salt"]) + struct.pack("<II", h["ops"], h["mem_kib"])
    for field in (side, repair, original):
        if field:
            out += struct.pack("<I", len(field)) + field
    if "pixel_tag" in h:
        out += bytes.fromhex(h["pixel_tag"])
    if "origin" in h:
        out += struct.pack("<BBB", *h["origin"])
    out += bytes.fromhex(h["nonce"]) + bytes.fromhex(h["check_tag"])
    return out + (mac or bytes(16))


def check_tag(master, nonce):
    return blake2b(b"hipp key check v1", key=subkey(master, nonce, "check"), size=16)


def mac(master, header, pixels):
    """Over the header with the MAC zeroed, then the pixels unless a pixel tag stands for them."""
    nonce = bytes.fromhex(header["nonce"])
    msg = serialize_header(header) + (b"" if "pixel_tag" in header else pixels)
    return blake2b(msg, key=subkey(master, nonce, "mac"), size=16)


def pixel_tag(master, nonce, pixels):
    return blake2b(pixels, key=subkey(master, nonce, "pixels"), size=16)


def kat_pixels(h, w):
    """The test image: uint8 RGB, channel-major (R plane, G, B), rows top to bottom."""
    return bytes((37 * i + 11) % 256 for i in range(3 * h * w))


# ---------------------------------------------------------------- model ids (io::content_bytes)

DTYPE_SIZE = {"f16": 2, "f32": 4, "f64": 8, "i64": 8, "i32": 4, "u8": 1}


def read_tensor_file(path):
    data = open(path, "rb").read()
    assert data[:8] == b"HIPPTENS", path
    version, hlen = struct.unpack_from("<IQ", data, 8)
    assert version == 1, path
    header = json.loads(data[20:20 + hlen])
    base = 20 + hlen
    tensors = {}
    for e in header["tensors"]:
        raw = data[base + e["offset"]: base + e["offset"] + e["bytes"]]
        if e["stored"] == "f16" and e["dtype"] == "f32":  # loaded as float32
            n = len(raw) // 2
            raw = struct.pack("<%df" % n, *struct.unpack("<%de" % n, raw))
        else:
            assert e["stored"] == e["dtype"], (path, e)
        tensors[e["name"]] = (e["dtype"], e["shape"], raw)
    return header["meta"], tensors, data


def content_bytes(meta, tensors):
    meta = {k: v for k, v in meta.items() if k != "record"}
    js = json.dumps(meta, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    out = struct.pack("<Q", len(js)) + js + struct.pack("<I", len(tensors))
    for name in sorted(tensors, key=lambda s: s.encode()):
        dtype, shape, raw = tensors[name]
        out += struct.pack("<I", len(name.encode())) + name.encode()
        out += struct.pack("<B", len(dtype)) + dtype.encode()
        out += struct.pack("<I", len(shape)) + b"".join(struct.pack("<q", d) for d in shape)
        out += struct.pack("<Q", len(raw)) + raw
    return out


def model_ids(name):
    """{"v2": id of the tensors and configuration, "v1": id of the files' bytes}. A HIPP model
    folder holds encoder.weights and names its flow's folder in the encoder's metadata."""
    folder = os.path.join(ROOT, "models", name)
    encoder = os.path.join(folder, "encoder.weights")
    emeta = read_tensor_file(encoder) if os.path.exists(encoder) else None
    flow = os.path.join(ROOT, "models", emeta[0]["flow"]) if emeta else folder
    meta, tensors, data = read_tensor_file(os.path.join(flow, "wavelet.weights"))
    v2 = hashlib.blake2b(b"hipp model id v2\0", digest_size=16)
    v2.update(content_bytes(meta, tensors))
    v1 = blake2b(data, size=16)
    if emeta:
        v2.update(content_bytes(emeta[0], emeta[1]))
        v1 = blake2b(v1 + emeta[2], size=16)
    return {"v2": v2.hexdigest(), "v1": v1.hex()}


def shipped_models():
    d = os.path.join(ROOT, "models")
    return sorted(n for n in os.listdir(d) if any(os.path.exists(os.path.join(d, n, f + ".weights"))
                                                   for f in ("wavelet", "encoder")))


# ---------------------------------------------------------------- the answers


MASTER = bytes(range(32))
NONCE = bytes(range(0xA0, 0xB8))

SUBKEY_LABELS = ["check", "mac", "pixels", "hipp/mix", "hipp/range", "hipp/edge", "hipp/repair",
                 "jpeg-scramble/dc", "hipp/original"]

# Every keystream domain pattern hipp uses, with the key and nonce it is used under.
STREAMS = [
    ("master", 0, "shuffle"),
    ("subkey:hipp/edge", ord("r"), "shuffle"),  # HIPP's right strip (the nonce's first byte ^ 'r')
    ("subkey:hipp/edge", ord("b"), "shuffle"),  # and its bottom strip
    ("subkey:hipp/mix", 0, "hipp/level0/0,0"),
    ("subkey:hipp/mix", 0, "hipp/level2/3,11"),
    ("subkey:hipp/range", 0, "hipp/range-fit"),
    ("master", 0, "tpe-ideal/pairs/0"),
    ("master", 0, "tpe-ideal/perm/3"),
    ("master", 0, "drpe/0/0"),
    ("master", 0, "drpe/fixup/2/17"),
    ("master", 0, "tpe-lsb/1/5"),
    ("master", 0, "tpe-lsb/fixup/0/0"),
    ("master", 0, "jpeg-scramble/permute/0"),
    ("master", 0, "jpeg-scramble/signs/2"),
]

UNIFORM_BOUNDS = [1, 2, 3, 7, 10, 255, 1000, 65536, 2147483649, 3000000000, 4294967295, 1, 5]

HEADERS = {
    # A protected PNG (version 3) under a passphrase, with every field a PNG of a PNG can have.
    "png-v3-passphrase": {"version": 3, "scheme": "hipp", "model_id": "00112233445566778899aabbccddeeff",
                          "block": 8, "width": 5, "height": 3, "salt": "f0e1d2c3b4a5968778695a4b3c2d1e0f",
                          "ops": 2, "mem_kib": 65536, "side": "0a0b0c", "repair": "deadbeef01"},
    # A raw-key baseline (version 3): no model, no side data.
    "png-v3-raw": {"version": 3, "scheme": "shuffle", "block": 4, "width": 5, "height": 3},
    # A protected JPEG (version 4): a pixel tag, so the MAC covers the header alone.
    "jpeg-v4-raw": {"version": 4, "scheme": "jpeg-scramble", "block": 16, "width": 5, "height": 3,
                    "side": "112233", "pixel_tag": None, "origin": [88, 2, 1]},
    # A protected JPEG of a JPEG (version 5): the original kept (here a stand-in), no repair data.
    "jpeg-v5-passphrase": {"version": 5, "scheme": "hipp", "model_id": "00112233445566778899aabbccddeeff",
                           "block": 8, "width": 5, "height": 3, "salt": "f0e1d2c3b4a5968778695a4b3c2d1e0f",
                           "ops": 2, "mem_kib": 65536, "side": "0a0b0c", "original": "ffd8ffe0c0ffee",
                           "pixel_tag": None, "origin": [90, 2, 2]},
    # Version 6: the kept original recompressed by JPEG XL (here a stand-in), under a raw key.
    "jpeg-v6-raw": {"version": 6, "scheme": "hipp", "model_id": "00112233445566778899aabbccddeeff",
                    "block": 16, "width": 5, "height": 3, "original": "ff0a0000000c4a584c20",
                    "original_jxl": True, "pixel_tag": None, "origin": [85, 2, 2]},
    # Version 7: a HEIF original kept as it is (here a stand-in: an ftyp box's start), no JPEG origin.
    "jpeg-v7-raw": {"version": 7, "scheme": "hipp", "model_id": "00112233445566778899aabbccddeeff",
                    "block": 16, "width": 5, "height": 3, "original": "0000001866747970686569",
                    "original_heif": True, "pixel_tag": None},
    # Version 7 in a PNG: a 16-bit or transparent PNG original kept as it is (a stand-in: the PNG
    # signature), under a passphrase; no pixel tag, so the MAC covers the pixels.
    "png-v7-passphrase": {"version": 7, "scheme": "hipp", "model_id": "00112233445566778899aabbccddeeff",
                          "block": 8, "width": 5, "height": 3, "salt": "f0e1d2c3b4a5968778695a4b3c2d1e0f",
                          "ops": 2, "mem_kib": 65536, "original": "89504e470d0a1a0a", "original_as_is": True},
}


def compute(with_argon2):
    kat = {"master_key": MASTER.hex(), "nonce": NONCE.hex(),
           "subkeys": {l: subkey(MASTER, NONCE, l).hex() for l in SUBKEY_LABELS}}
    streams = []
    for key_spec, nonce_xor, domain in STREAMS:
        nonce = nonce_with_first_byte_xor(NONCE, nonce_xor)
        ks = KeyStream(stream_key(MASTER, NONCE, key_spec), nonce, domain)
        u = [ks.next_u32() for _ in range(1028)]  # across the first 4096-byte refill
        streams.append({"key": key_spec, "nonce_first_byte_xor": nonce_xor, "domain": domain,
                        "first": u[:8], "from_1020": u[1020:1028]})
    kat["keystreams"] = streams
    ks = KeyStream(MASTER, NONCE, "kat/uniform")
    kat["uniform"] = {"domain": "kat/uniform", "bounds": UNIFORM_BOUNDS,
                      "values": [ks.uniform(b) for b in UNIFORM_BOUNDS], "next_u32": ks.next_u32()}
    ks = KeyStream(MASTER, NONCE, "kat/permutation")
    kat["permutation"] = {"domain": "kat/permutation", "n": [20, 1, 0, 3],
                          "values": [ks.permutation(n) for n in [20, 1, 0, 3]]}
    kat["xchacha20"] = {"key": "subkey:hipp/repair", "first_64_bytes":
                        xchacha20(subkey(MASTER, NONCE, "hipp/repair"), NONCE, 64).hex()}
    kat["check_tag"] = check_tag(MASTER, NONCE).hex()
    pixels = kat_pixels(3, 5)
    kat["pixels"] = {"height": 3, "width": 5, "formula": "(37 * i + 11) mod 256, channel-major"}
    kat["pixel_tag"] = pixel_tag(MASTER, NONCE, pixels).hex()
    headers = {}
    for name, h in HEADERS.items():
        h = dict(h, nonce=NONCE.hex(), check_tag=kat["check_tag"])
        if "pixel_tag" in h:
            h["pixel_tag"] = kat["pixel_tag"]
        m = mac(MASTER, h, pixels)
        headers[name] = {"fields": h, "mac": m.hex(), "serialized": serialize_header(h, m).hex()}
    kat["headers"] = headers
    raw = bytes(range(0x40, 0x60))
    kat["raw_key_file"] = {"text": "hipp-key-v1 " + raw.hex().upper() + "\r\n", "key": raw.hex()}
    kat["argon2id"] = [{"passphrase": "correct horse battery staple", "salt": bytes(range(16)).hex(),
                        "ops": ops, "mem_kib": mem} for ops, mem in [(1, 8), (2, 65536)]]
    for a in kat["argon2id"]:
        a["key"] = argon2id(a) if with_argon2 else None
    kat["model_ids"] = {name: model_ids(name) for name in shipped_models()}
    return kat


def argon2id(a):
    from cryptography.hazmat.primitives.kdf.argon2 import Argon2id  # cryptography >= 44
    return Argon2id(salt=bytes.fromhex(a["salt"]), length=32, iterations=a["ops"], lanes=1,
                    memory_cost=a["mem_kib"]).derive(a["passphrase"].encode()).hex()


def has_argon2():
    try:
        from cryptography.hazmat.primitives.kdf.argon2 import Argon2id  # noqa: F401
        return True
    except ImportError:
        return False


def differences(expected, got, path=""):
    if isinstance(expected, dict) and isinstance(got, dict):
        for k in sorted(set(expected) | set(got)):
            yield from differences(expected.get(k), got.get(k), path + "/" + k)
    elif isinstance(expected, list) and isinstance(got, list) and len(expected) == len(got):
        for i, (e, g) in enumerate(zip(expected, got)):
            yield from differences(e, g, "%s[%d]" % (path, i))
    elif expected != got:
        yield path


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--create", action="store_true", help="write kat.json (refused if it exists)")
    args = ap.parse_args()
    argon = has_argon2()
    got = compute(argon)
    if args.create:
        if os.path.exists(KAT):
            sys.exit("format_kat.py: %s exists; known answers are never regenerated" % KAT)
        if not argon:
            sys.exit("format_kat.py: --create needs the cryptography package (>= 44) for Argon2id")
        os.makedirs(os.path.dirname(KAT), exist_ok=True)
        with open(KAT, "w") as f:
            json.dump(got, f, indent=1)
            f.write("\n")
        print("wrote", KAT)
        return
    expected = json.load(open(KAT))
    if not argon:
        for a in got["argon2id"]:
            a["key"] = None
        for a in expected["argon2id"]:
            a["key"] = None
        print("format_kat.py: Argon2id not checked (needs the cryptography package >= 44)")
    bad = list(differences(expected, got))
    for p in bad:
        print("format_kat.py: differs from kat.json at", p)
    if bad:
        sys.exit(1)
    print("format_kat.py: all %d known answers agree" % count(expected))


def count(x):
    if isinstance(x, dict):
        return sum(count(v) for v in x.values())
    if isinstance(x, list):
        return sum(count(v) for v in x)
    return 1


if __name__ == "__main__":
    main()
