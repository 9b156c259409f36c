#!/usr/bin/env python3
"""Check lang/corpus against real BitBake.

Every `# expect:` line of every corpus file is evaluated by BitBake 2.19
(`.gr` renamed `.bb`, `.grclass` renamed `.bbclass`) and must agree. Files
marked `# grove-only:` (refused Python, grove's own stdlib, confinement)
are checked only for the expectations BitBake can answer, and their
`# expect-error` lines are skipped.

    python3 tests/bitbake/check_corpus.py            # exit 1 on any disagreement
"""
import glob
import json
import logging
import os
import re
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from oracle import setup_bitbake  # noqa: E402


def bitbake_values(bb, path):
    """Parse one corpus file with BitBake; returns the datastore or raises."""
    tmp = tempfile.mkdtemp()
    src = os.path.dirname(path)
    for f in glob.glob(src + "/**", recursive=True):
        rel = os.path.relpath(f, src)
        dst = os.path.join(tmp, re.sub(r"\.gr(class)?$", lambda m: ".bbclass" if m.group(1) else ".bb", rel))
        if os.path.isdir(f):
            os.makedirs(dst, exist_ok=True)
        else:
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copy(f, dst)
    d = bb.data.init()
    d.setVar("BBPATH", tmp)
    d.setVar("__bbclasstype", "recipe")
    bb.parse.init_parser(d)
    try:
        return bb.parse.handle(os.path.join(tmp, os.path.basename(path)[:-3] + ".bb"), d)[""]
    finally:
        shutil.rmtree(tmp)


def main():
    bb = setup_bitbake()
    logging.disable(logging.CRITICAL)
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "lang", "corpus")
    bad = checked = 0
    for path in sorted(glob.glob(root + "/**/*.gr", recursive=True)):
        lines = open(path, encoding="utf-8").read().splitlines()
        expects = [l[len("# expect: "):] for l in lines if l.startswith("# expect: ")]
        errors = [l for l in lines if l.startswith("# expect-error")]
        grove_only = any(l.startswith("# grove-only") for l in lines)
        name = os.path.relpath(path, root)
        try:
            d = bitbake_values(bb, path)
        except BaseException as e:  # BitBake raises a zoo of types
            if not errors and not grove_only:
                print(f"{name}: BitBake refused the file: {str(e)[:200]}")
                bad += 1
            continue
        if errors and not grove_only:
            print(f"{name}: BitBake accepted a file the corpus says is an error")
            bad += 1
        for e in expects:
            m = re.match(r"(\S+) = (.*)$", e)
            var = m.group(1) if m else e.split()[0]
            want = json.loads(m.group(2)) if m else (None if e.endswith(" unset") else "ERROR")
            try:
                got = d.getVarFlag(*var[:-1].split("[")) if "[" in var else d.getVar(var)
                got = None if got is None else str(got)
            except BaseException:
                got = "ERROR"
            checked += 1
            if got != want:
                print(f"{name}: {var}: BitBake {got!r}, corpus {want!r}")
                bad += 1
    print(f"{checked} expectations checked, {bad} disagreement(s)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
