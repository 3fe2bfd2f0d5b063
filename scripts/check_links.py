#!/usr/bin/env python3
"""Checks that every relative link in README.md, docs/*.md, models/README.md and
scripts/gpu/README.md names a file or folder that exists (anchors and URLs are not checked).
Usage: python3 scripts/check_links.py   (CTest Docs.RelativeLinksResolve). Standard library only."""
import glob
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FILES = ["README.md", "models/README.md", "scripts/gpu/README.md", "results/README.md"] + sorted(
    os.path.relpath(p, ROOT) for p in glob.glob(os.path.join(ROOT, "docs", "*.md")))
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def main():
    bad = 0
    for rel in FILES:
        path = os.path.join(ROOT, rel)
        if not os.path.exists(path):
            continue
        text = open(path, encoding="utf-8").read()
        text = re.sub(r"```.*?```", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)  # not links
        for m in LINK.finditer(text):
            target = m.group(1).split("#", 1)[0]
            if not target or re.match(r"^[a-z]+:", target):
                continue
            if not os.path.exists(os.path.normpath(os.path.join(os.path.dirname(path), target))):
                line = text.count("\n", 0, m.start()) + 1
                print("%s:%d: %s does not exist" % (rel, line, m.group(1)))
                bad += 1
    print("%d files checked, %d dangling links" % (len(FILES), bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
