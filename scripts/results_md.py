#!/usr/bin/env python3
"""Writes docs/results.md from the measurements committed in results/.

Each measurement is a pair in results/:
  NAME.json  what the command wrote (`hipp eval`'s summary.json, `hipp attack eval`'s attack.json)
  NAME.cmd   '# key: value' lines (title, order, date, commit, machine, note), then the exact command

Usage: python3 scripts/results_md.py [--check]
--check writes nothing and exits 1 with a diff when docs/results.md is not what results/ makes
(CTest Docs.ResultsTablesAreCurrent). Python 3 standard library only. Numbers are printed as
`hipp eval` prints them in its summary.md (4 decimals, PSNR 2; mean ± standard deviation).
"""
import difflib
import json
import math
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(ROOT, "results")
TARGET = os.path.join(ROOT, "docs", "results.md")

# hipp eval's columns, in its order, with a short heading each.
EVAL_COLUMNS = [
    ("restore_ssim", "restore SSIM"),
    ("restore_psnr", "restore PSNR (dB)"),
    ("repair_rate", "repaired blocks"),
    ("thumb_psnr", "thumbnail PSNR (dB)"),
    ("png_expansion", "PNG expansion"),
    ("jpeg90_expansion", "JPEG 90 expansion"),
    ("protect_s", "protect (s)"),
    ("restore_s", "restore (s)"),
    ("wrongkey_ssim", "wrong-key SSIM"),
    ("protected_ssim", "protected SSIM"),
    ("original_bpd", "original bits/dim"),
    ("protected_bpd", "protected bits/dim"),
    ("original_brisque", "original BRISQUE"),
    ("protected_brisque", "protected BRISQUE"),
    ("original_face_detected", "original: face detected"),
    ("protected_face_detected", "protected: face detected"),
    ("original_face_found", "original: face found (Haar)"),
    ("protected_face_found", "protected: face found (Haar)"),
    ("identity_match", "identity match"),
]


SCHEME_ORDER = ["hipp", "hipp-smooth", "tpe-ideal", "drpe", "tpe-lsb", "shuffle", "jpeg-scramble"]


def scheme_rank(name):
    return (SCHEME_ORDER.index(name) if name in SCHEME_ORDER else len(SCHEME_ORDER), name)


def natural(name):
    """faces64 before faces128: digit runs compare as numbers."""
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)]


def num(v, prec):
    """As hipp's fmt_num: n/a, inf, %.3g from 1e4 on, else fixed."""
    if v is None:
        return "n/a"
    if isinstance(v, str):
        return "inf" if v.lstrip("+") == "inf" else ("-inf" if v == "-inf" else v)
    if math.isnan(v):
        return "n/a"
    if math.isinf(v):
        return "inf"
    if abs(v) >= 1e4:
        return "%.3g" % v
    return "%.*f" % (prec, v)


def finite(v):
    return isinstance(v, (int, float)) and math.isfinite(v)


def stat(s, col):
    prec = 2 if "psnr" in col else 4
    text = num(s.get("mean"), prec)
    if s.get("n", 0) > 1 and finite(s.get("mean")) and s.get("std") is not None:
        text += " ± " + num(s["std"], prec)
    return text


def rel(path):
    """Absolute paths of the checkout a measurement ran in (the naturalness flow)
    as repository paths, whichever folder that checkout was in: the records are
    kept, and a clone elsewhere must render the same table."""
    if isinstance(path, str) and os.path.isabs(path):
        for root in (ROOT, os.path.realpath(ROOT)):
            if path.startswith(root + os.sep):
                return os.path.relpath(path, root)
        marker = os.sep + "models" + os.sep
        if marker in path:
            return "models" + os.sep + path.rsplit(marker, 1)[1]
    return path


def read_cmd(name):
    meta, lines = {}, []
    with open(os.path.join(RESULTS, name + ".cmd"), encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("# ") and ":" in line and not lines:
                k, v = line[2:].split(":", 1)
                meta[k.strip()] = v.strip()
            elif line.strip():
                lines.append(line)
    return meta, "\n".join(lines)


def eval_section(name, d):
    out = []
    # hipp and hipp-smooth of one run share the model (the summaries of 2026-12-04 list it once per scheme)
    models = ", ".join(dict.fromkeys(m for m in (d.get("models") or "").split(", ") if m))
    schemes = d.get("schemes", {})
    cols = [c for c in EVAL_COLUMNS if any(c[0] in s for s in schemes.values())]
    out.append("| scheme | " + " | ".join(h for _, h in cols) + " |")
    out.append("|---|" + "---:|" * len(cols))
    for scheme, s in sorted(schemes.items(), key=lambda kv: scheme_rank(kv[0])):
        label = "%s (%s)" % (scheme, models) if scheme.startswith("hipp") and models else scheme
        out.append("| %s | " % label + " | ".join(stat(s[c], c) if c in s else "–" for c, _ in cols) + " |")
    out.append("")
    flow = rel(d.get("naturalness_flow")) or "none"
    out.append("%d images at %dx%d, block %d, %s files, device %s; bits/dim under `%s`." %
               (d["images"], d["size"], d["size"], d["block"], d.get("format", "png").upper(), d.get("device", "cpu"),
                flow))
    if finite(d.get("identity_chance_match")):
        out.append("Identity chance level at this framing: neighbouring originals (mostly different people) "
                   "match %s%% of the time." % num(100 * d["identity_chance_match"], 1))
    sets = d.get("sets", {})
    if sets:
        exp_col = "jpeg_expansion" if d.get("format") == "jpeg" else "png_expansion"
        out.append("")
        out.append("| set | scheme | images | restore PSNR mean | p5 | min | restore SSIM mean | p5 | min | "
                   "repaired blocks | %s expansion |" % ("JPEG" if exp_col == "jpeg_expansion" else "PNG"))
        out.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for set_name, per_scheme in sets.items():
            for scheme, r in sorted(per_scheme.items(), key=lambda kv: scheme_rank(kv[0])):
                p, q = r["restore_psnr"], r["restore_ssim"]
                rate = r.get("repair_rate")
                out.append("| %s | %s | %d | %s | %s | %s | %s | %s | %s | %s%% | %s |" % (
                    set_name, scheme, r["images"], num(p["mean"], 2), num(p["p5"], 2), num(p["min"], 2),
                    num(q["mean"], 4), num(q["p5"], 4), num(q["min"], 4),
                    num(100 * rate, 2) if finite(rate) else num(rate, 2), num(r.get(exp_col), 3)))
        if len(sets) > 1:  # the worst over every set, per scheme: what a bound has to hold for
            out.append("")
            for scheme in sorted({k for v in sets.values() for k in v}, key=scheme_rank):
                rs = [v[scheme] for v in sets.values() if scheme in v]
                def low(field, stat):
                    vals = [r[field][stat] for r in rs if finite(r[field][stat])]
                    return min(vals) if vals else None
                out.append("Over all %d sets, %s: lowest PSNR of any image %s dB, lowest set-mean SSIM %s, "
                           "lowest SSIM of any image %s (%d images)." % (
                               len(rs), scheme, num(low("restore_psnr", "min"), 2), num(low("restore_ssim", "mean"), 4),
                               num(low("restore_ssim", "min"), 4), sum(r["images"] for r in rs)))
    return out


def attack_section(name, d):
    out = ["| block | reconstruction | PSNR (dB) | SSIM | identity match | mean distance |", "|---:|---|---:|---:|---:|---:|"]
    for r in d["rows"]:
        match = r.get("identity_match")
        out.append("| %d | %s | %s | %s | %s | %s |" % (
            r["block"], r["reconstruction"], num(r.get("psnr"), 2), num(r.get("ssim"), 4),
            (num(100 * match, 1) + "%") if finite(match) else "n/a", num(r.get("distance"), 3)))
    out.append("")
    out.append("%d faces at %dx%d (split %s). Identity match: share whose face descriptor lies within 0.6 of "
               "the original's (dlib ResNet-34)." % (d["images"], d["size"], d["size"], d.get("split", "")))
    return out


def render():
    names = [f[:-5] for f in os.listdir(RESULTS) if f.endswith(".json")]
    names.sort(key=lambda n: (int(read_cmd(n)[0].get("order", 99)), natural(n)))
    md = [
        "# Results",
        "",
        "<!-- Generated by scripts/results_md.py from results/*.json and results/*.cmd; do not edit. -->",
        "Every table below is made by `python3 scripts/results_md.py` from a file in `results/` that",
        "the command above the table wrote (`hipp eval`'s `summary.json`, `hipp attack eval`'s",
        "`attack.json`), copied unchanged. Rerun a command, copy its JSON over `results/NAME.json`, and",
        "regenerate; CTest `Docs.ResultsTablesAreCurrent` fails while this file differs from what",
        "`results/` makes. Means ± standard deviation over images; `inf` where every image is exact.",
        "What the columns mean: [README](../README.md) (*Results*) and `hipp eval --help`",
        "([cli.md](cli.md)). Older measurements and how the numbers moved: [notes.md](notes.md).",
        "",
    ]
    for name in names:
        with open(os.path.join(RESULTS, name + ".json"), encoding="utf-8") as f:
            d = json.load(f)
        meta, cmd = read_cmd(name)
        md.append("## %s" % meta.get("title", name))
        md.append("")
        facts = ["`results/%s.json`" % name]
        for k in ("date", "commit", "machine"):
            if k in meta:
                facts.append("%s %s" % (k, meta[k]) if k != "machine" else meta[k])
        md.append("; ".join(facts) + ".")
        if "note" in meta:
            md.append(meta["note"])
        md.append("")
        md.append("```sh")
        md.append(cmd)
        md.append("```")
        md.append("")
        md.extend(attack_section(name, d) if "rows" in d else eval_section(name, d))
        md.append("")
    return "\n".join(md).rstrip("\n") + "\n"


def main():
    check = "--check" in sys.argv[1:]
    text = render()
    if check:
        try:
            with open(TARGET, encoding="utf-8") as f:
                current = f.read()
        except FileNotFoundError:
            current = ""
        if current != text:
            sys.stdout.writelines(difflib.unified_diff(current.splitlines(True), text.splitlines(True),
                                                       "docs/results.md", "from results/"))
            print("results_md.py: docs/results.md is not what results/ makes; regenerate it: "
                  "python3 scripts/results_md.py", file=sys.stderr)
            return 1
        print("docs/results.md matches results/")
        return 0
    with open(TARGET, "w", encoding="utf-8") as f:
        f.write(text)
    print("wrote docs/results.md (%d tables)" % text.count("\n## "))
    return 0


if __name__ == "__main__":
    sys.exit(main())
