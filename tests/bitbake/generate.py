#!/usr/bin/env python3
"""Seeded generator of random differential cases for grove.

Writes lang/differential/random/NNNN/ (recipe.gr, sometimes common.inc and
classes/*.grclass), then runs the BitBake oracle (oracle.py) on them to write
each case's expected.json.

Every case is drawn from its own random.Random seeded with "SEED-INDEX", so
the output depends only on --seed and the case number: regenerating gives
byte-identical files.

Usage:
    generate.py                 write the 400 cases with the default seed and
                                run the oracle on them
    generate.py --no-oracle     write the case files only
    generate.py --count N --seed S --out DIR

The recipes use only the metadata subset of BitBake (no `${@...}`, no
`python`, no `def`).
"""

import argparse
import os
import random
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
DEFAULT_OUT = os.path.join(REPO, "lang", "differential", "random")
DEFAULT_SEED = 20250101
DEFAULT_COUNT = 400

# Variable names a case draws its 5-6 names from (none is BitBake-internal,
# none holds an old-style _append/_prepend/_remove).
VAR_POOL = ["A", "B", "C", "D", "E", "FOO", "BAR", "BAZ", "PN", "SRC", "DEPS",
            "x", "lower_v", "MY-VAR", "V1", "CFG.opt"]
# Override names (all valid overrides: they start with [a-z0-9]).
OVR_POOL = ["foo", "bar", "x-y", "a_b", "c++", "n1", "arm64", "qemux86", "z"]
FLAG_POOL = ["doc", "f1", "vardeps", "my-flag", "x.y", "dirs"]
WORDS = ["a", "b", "c", "foo", "bar", "x", "y", "1", "2", "--opt", "v=1", "a/b",
         "é", "lib", "dev"]
OPS = ["=", "?=", "??=", ":=", "+=", "=+", ".=", "=."]
OP_WEIGHTS = [8, 2, 2, 1.5, 3, 1.5, 1.5, 1]
FUNC_NAMES = ["do_build", "do_fn"]
INC_NAME = "common.inc"
CLASS_NAMES = ["cls", "base2"]
KEEP = ["grove-differs"]  # hand-written notes, preserved when regenerating


class Gen:
    def __init__(self, rng):
        self.r = rng
        r = rng
        self.names = r.sample(VAR_POOL, r.randint(5, 6))
        self.ovrs = r.sample(OVR_POOL, r.randint(3, 5))
        # Most cases reference only "later" names (a DAG: no cycles); a few
        # are free to form reference cycles and self-references.
        self.chaos = r.random() < 0.12
        self.flags = r.sample(FLAG_POOL, r.randint(1, 3))
        self.keyvar = r.random() < 0.12   # use ${...} in keys
        self.keytarget = r.choice(self.names)
        self.ovvar = r.random() < 0.15    # OVERRIDES references a variable
        self.funcs = r.random() < 0.25
        self.inc = r.random() < 0.15
        self.cls = r.random() < 0.15
        self.errors = r.random() < 0.025

    # ------------------------------------------------------------ values
    def ws(self):
        return self.r.choice([" ", " ", " ", " ", "  ", "\t", ""])

    def ref(self, owner):
        r = self.r
        if owner in self.names and not self.chaos:
            i = self.names.index(owner)
            pool = self.names[i + 1:]
        else:
            pool = self.names
        kind = r.random()
        if not pool or kind < 0.06:
            return "${UNSET_%s}" % r.choice(["X", "Y"])
        n = r.choice(pool)
        if kind < 0.12:
            return "${%s:%s}" % (n, r.choice(self.ovrs))
        if kind < 0.17:
            return "${${%s}}" % n
        if kind < 0.20:
            return "$" + n
        if kind < 0.23:
            return "${v_${%s}}" % n
        return "${%s}" % n

    def value(self, owner, quote='"', maxtok=4):
        r = self.r
        n = r.choice([0, 1, 1, 2, 2, 3, maxtok])
        toks = []
        for _ in range(n):
            p = r.random()
            if p < 0.3:
                toks.append(self.ref(owner))
            elif p < 0.36 and self.names:
                toks.append(r.choice(self.names))  # a name as a word (for ${${X}})
            else:
                toks.append(r.choice(WORDS))
        out = ""
        if r.random() < 0.3:
            out += self.ws()
        for i, t in enumerate(toks):
            if i:
                out += self.ws()
            out += t
        if r.random() < 0.3:
            out += self.ws()
        if quote == "'" and r.random() < 0.2:
            out += ' "q"'
        if quote == '"' and r.random() < 0.05:
            out += " it's"
        return out

    def quoted(self, owner, continuation=True):
        r = self.r
        q = "'" if r.random() < 0.12 else '"'
        v = self.value(owner, q)
        if continuation and r.random() < 0.06:
            # split the value over lines (BitBake joins them, keeping the
            # next line's indentation)
            v2 = self.value(owner, q)
            v = v.rstrip() + " \\\n" + r.choice(["    ", "\t", "", "  "]) + v2.lstrip()
            if v.endswith("\\"):
                v += "x"
        return q + v + q

    # -------------------------------------------------------- statements
    def op(self):
        return self.r.choices(OPS, OP_WEIGHTS)[0]

    def opspace(self, op):
        return self.r.choice([" %s " % op, " %s " % op, " %s " % op, "%s" % op,
                              "  %s  " % op, "\t%s\t" % op])

    def key(self, name):
        r = self.r
        o = lambda: r.choice(self.ovrs)
        kw = lambda: r.choice([":append", ":prepend", ":remove"])
        k = r.random()
        if k < 0.38:
            return name, False
        if k < 0.55:
            return "%s:%s" % (name, o()), False
        if k < 0.60:
            a, b = r.sample(self.ovrs, 2)
            return "%s:%s:%s" % (name, a, b), False
        if k < 0.82:
            return name + kw(), True
        if k < 0.90:
            return "%s%s:%s" % (name, kw(), o()), True
        if k < 0.97:
            return "%s:%s%s" % (name, o(), kw()), True
        a, b = r.sample(self.ovrs, 2)
        return "%s%s:%s:%s" % (name, kw(), a, b), True

    def assignment(self, name=None):
        r = self.r
        name = name or r.choice(self.names)
        key, is_op = self.key(name)
        if is_op:
            op = "=" if r.random() < 0.9 else r.choice(["+=", ".=", "?=", ":="])
        else:
            op = self.op()
        if r.random() < 0.15 and not is_op:
            key = "%s[%s]" % (name, r.choice(self.flags))
        value = self.quoted(name)
        if key.endswith(":remove") or ":remove:" in key:
            # remove words that are likely present
            words = r.sample(WORDS, r.randint(1, 2))
            if r.random() < 0.3:
                words.append(self.ref(name))
            value = '"' + self.ws().join(words) + '"'
        prefix = "export " if r.random() < 0.05 else ""
        return "%s%s%s%s" % (prefix, key, self.opspace(op), value)

    def overrides_stmt(self, first=False):
        r = self.r
        active = r.sample(self.ovrs, r.randint(1, len(self.ovrs)))
        if self.ovvar and r.random() < 0.5:
            active.insert(r.randrange(len(active) + 1), "${OVSRC}")
        val = ":".join(active)
        if first:
            return 'OVERRIDES = "%s"' % val
        form = r.random()
        if form < 0.5:
            return 'OVERRIDES = "%s"' % val
        if form < 0.65:
            return 'OVERRIDES .= ":%s"' % r.choice(self.ovrs)
        if form < 0.8:
            return 'OVERRIDES:append = ":%s"' % r.choice(self.ovrs)
        if form < 0.9:
            return 'OVERRIDES =. "%s:"' % r.choice(self.ovrs)
        return 'OVERRIDES ??= "%s"' % val

    def function(self, in_class=None):
        r = self.r
        fn = r.choice(FUNC_NAMES)
        body = []
        for _ in range(r.randint(0, 3)):
            line = r.choice(["    ", "\t", "  "]) + r.choice(["echo", "true", "make"])
            if r.random() < 0.6:
                line += " " + self.ref(None)
            body.append(line)
        form = r.random()
        if in_class:
            head = "%s_%s() {" % (in_class, fn)
        elif form < 0.5:
            head = "%s() {" % fn
        elif form < 0.7:
            head = "%s:append() {" % fn
        elif form < 0.82:
            head = "%s:prepend() {" % fn
        elif form < 0.92:
            head = "%s:%s() {" % (fn, r.choice(self.ovrs))
        else:
            head = "%s () {" % fn
        return "\n".join([head] + body + ["}"])

    def error_line(self):
        return self.r.choice([
            '  %s = "indented"' % self.names[0],
            '%s = "x" # trailing comment' % self.names[0],
            '%s = unquoted' % self.names[0],
            'unset %s:%s' % (self.names[0], self.ovrs[0]),
            'require missing-file.inc',
            'inherit missing-class',
        ])

    def statement(self, depth=0):
        r = self.r
        p = r.random()
        if p < 0.70:
            return self.assignment()
        if p < 0.76:
            return self.overrides_stmt()
        if p < 0.80:
            return "unset %s" % r.choice(self.names)
        if p < 0.83:
            return "unset %s[%s]" % (r.choice(self.names), r.choice(self.flags))
        if p < 0.86:
            return "export %s" % r.choice(self.names)
        if p < 0.90 and self.keyvar:
            k = r.random()
            if k < 0.4:
                return "${KEYN} %s %s" % (self.op(), self.quoted(self.keytarget))
            if k < 0.6:
                return "${KEYN}:append = %s" % self.quoted(self.keytarget)
            return "%s:${KEYO} = %s" % (r.choice(self.names), self.quoted(None))
        if p < 0.95 and self.funcs and depth == 0:
            return self.function()
        return self.assignment()

    def statements(self, n, depth=0):
        return [self.statement(depth) for _ in range(n)]

    # -------------------------------------------------------------- case
    def case(self):
        r = self.r
        n = r.randint(8, 30)
        stmts = self.statements(n)
        # OVERRIDES: usually set, somewhere (it is evaluated lazily anyway)
        if r.random() < 0.92:
            stmts.insert(r.randrange(len(stmts) + 1), self.overrides_stmt(first=True))
        if self.ovvar:
            stmts.insert(r.randrange(len(stmts) + 1), 'OVSRC = "%s"' % r.choice(self.ovrs))
        if self.keyvar:
            target = self.keytarget
            stmts.insert(r.randrange(len(stmts) + 1),
                         'KEYN = "%s"' % r.choice([target, target, "${%s}" % target, target + ":" + r.choice(self.ovrs)]))
            stmts.insert(r.randrange(len(stmts) + 1), 'KEYO = "%s"' % r.choice(self.ovrs))
        files = {}
        if self.inc:
            files[INC_NAME] = "\n".join(self.statements(r.randint(2, 6), depth=1)) + "\n"
            verb = r.choice(["include", "include", "require"])
            stmts.insert(r.randrange(len(stmts) + 1), "%s %s" % (verb, INC_NAME))
            if r.random() < 0.2:
                stmts.insert(r.randrange(len(stmts) + 1), "include %s" % INC_NAME)
        if self.cls:
            cname = r.choice(CLASS_NAMES)
            body = self.statements(r.randint(2, 6), depth=1)
            if r.random() < 0.4:
                body.append(self.function(in_class=cname))
                body.append("EXPORT_FUNCTIONS %s" % " ".join(FUNC_NAMES))
            files["classes/%s.grclass" % cname] = "\n".join(body) + "\n"
            verb = r.choice(["inherit", "inherit", "inherit", "inherit_defer"])
            stmts.insert(r.randrange(len(stmts) + 1), "%s %s" % (verb, cname))
            if r.random() < 0.2:
                stmts.insert(r.randrange(len(stmts) + 1), "inherit %s" % cname)
        if self.errors:
            stmts.insert(r.randrange(len(stmts) + 1), self.error_line())
        text = "\n".join(stmts) + "\n"
        files["recipe.gr"] = text
        return files


def generate(out, count, seed):
    os.makedirs(out, exist_ok=True)
    # Notes kept by hand in a case (`grove-differs`: why grove deliberately
    # differs from BitBake there) survive regeneration.
    kept = {}
    for entry in os.listdir(out):
        if re.fullmatch(r"\d{4}", entry):
            for note in KEEP:
                p = os.path.join(out, entry, note)
                if os.path.isfile(p):
                    with open(p, "rb") as f:
                        kept[os.path.join(entry, note)] = f.read()
            shutil.rmtree(os.path.join(out, entry))
    for i in range(1, count + 1):
        rng = random.Random("%s-%d" % (seed, i))
        files = Gen(rng).case()
        d = os.path.join(out, "%04d" % i)
        for rel, text in files.items():
            p = os.path.join(d, rel)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, "w", encoding="utf-8", newline="") as f:
                f.write(text)
    for rel, data in kept.items():
        if os.path.isdir(os.path.join(out, os.path.dirname(rel))):
            with open(os.path.join(out, rel), "wb") as f:
                f.write(data)
    print("generated %d cases in %s" % (count, os.path.relpath(out, REPO)), file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--count", type=int, default=DEFAULT_COUNT)
    ap.add_argument("--seed", default=str(DEFAULT_SEED))
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--no-oracle", action="store_true", help="write the cases without expected.json")
    args = ap.parse_args()
    generate(args.out, args.count, args.seed)
    if not args.no_oracle:
        return subprocess.call([sys.executable, os.path.join(HERE, "oracle.py"), args.out])
    return 0


if __name__ == "__main__":
    sys.exit(main())
