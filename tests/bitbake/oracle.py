#!/usr/bin/env python3
"""Differential oracle: evaluate grove test cases with the real BitBake.

A case is a directory holding `recipe.gr` (plus optional `*.inc` files and
`classes/*.grclass`).  The oracle copies it to a temporary directory, renames
`*.gr` to `*.bb` and `*.grclass` to `*.bbclass` (BitBake picks its parser by
extension; nothing else is rewritten), parses it with `bb.parse.handle` the
way BitBake parses a recipe (including the finalize step: deferred inherits,
key expansion), and records the value of every interesting variable and flag
in `expected.json`:

    {"parse_error": null | "message",
     "vars":  {"NAME": "value" | null | {"error": "message"}, ...},
     "flags": {"NAME[flag]": "value" | null | {"error": "message"}, ...}}

Usage:
    oracle.py CASE_OR_SET...            write expected.json for each case
    oracle.py --print CASE...           print the JSON instead of writing it
    oracle.py --check [CASE_OR_SET...]  regenerate in memory and diff against
                                        the checked-in expected.json files
                                        (default: lang/differential)
    oracle.py --warnings CASE...        also show BitBake's warnings (debug)

A CASE_OR_SET argument is a case directory (it holds recipe.gr) or any
directory above case directories (a set, or lang/differential itself).

Requires BitBake 2.19 (`pip install bitbake-setup==2.19.0`).  No network.
"""

import argparse
import difflib
import json
import logging
import multiprocessing
import os
import re
import shutil
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_ROOT = os.path.join(REPO, "lang", "differential")
BITBAKE_VERSION = "2.19.0"
CASE_TIMEOUT = 120  # seconds, per case

# `${NAME}` as BitBake's bb.data_smart.__expand_var_regexp__ sees it (the
# innermost references of a nested expression).
REF_RE = re.compile(r"\$\{([a-zA-Z0-9\-_+./~:]+)\}")
# BitBake's bb.data_smart.__setvar_regexp__ (what makes a key an
# :append/:prepend/:remove operation rather than a variable).
SETVAR_RE = re.compile(r"(?P<base>.*?)(?P<keyword>:append|:prepend|:remove)(:(?P<add>[^A-Z]*))?$")

_bb = None  # the imported bb package, once set up


# --------------------------------------------------------------------------
# BitBake setup


def setup_bitbake():
    """Import bb with stub `hashserv` modules (bb.siggen imports hashserv,
    which bitbake-setup does not ship and which parsing never uses)."""
    global _bb
    if _bb is not None:
        return _bb
    stubdir = tempfile.mkdtemp(prefix="grove-oracle-stubs-")
    os.makedirs(os.path.join(stubdir, "hashserv"))
    for name in ("__init__.py", "client.py"):
        with open(os.path.join(stubdir, "hashserv", name), "w"):
            pass
    sys.path.insert(0, stubdir)
    try:
        import bb
        import bb.data
        import bb.data_smart
        import bb.parse
        import bb.siggen
    except ImportError as exc:
        sys.exit("cannot import BitBake (%s): pip install bitbake-setup==%s" % (exc, BITBAKE_VERSION))
    finally:
        sys.path.remove(stubdir)
        shutil.rmtree(stubdir, ignore_errors=True)
    if bb.__version__ != BITBAKE_VERSION:
        sys.exit("BitBake %s found, the goldens are made with %s: pip install bitbake-setup==%s"
                 % (bb.__version__, BITBAKE_VERSION, BITBAKE_VERSION))
    _bb = bb
    return bb


class LogCapture(logging.Handler):
    """Collects BitBake's log records (warnings, bb.fatal messages)."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records = []

    def emit(self, record):
        self.records.append(record)

    def messages(self, minlevel):
        return [r.getMessage() for r in self.records if r.levelno >= minlevel]


# --------------------------------------------------------------------------
# Recording what the files contain, as BitBake's own parser reads them


class Recorder:
    """Wraps the bb.parse.ast handle* functions to learn every assignment key,
    flag, function, export and reference that BitBake parsed."""

    def __init__(self):
        self.vars = set()        # names to query with getVar
        self.flags = set()       # (name, flag) to query with getVarFlag
        self.keys = set()        # literal keys holding ${...} (expanded after parsing)
        self.flag_keys = set()   # (literal key holding ${...}, flag)
        self.dynamic = None      # names seen by var_sub while recording

    def text(self, s):
        if isinstance(s, str):
            for m in REF_RE.finditer(s):
                self.add_var(m.group(1))

    def add_var(self, name):
        """A name and every override-qualified prefix of it (A:x:y gives A,
        A:x, A:x:y); :append/:prepend/:remove keys give their base."""
        m = SETVAR_RE.match(name)
        if m:
            name = m.group("base")
        if not name:
            return
        if "${" in name:
            self.keys.add(name)
        parts = name.split(":")
        for i in range(1, len(parts) + 1):
            self.vars.add(":".join(parts[:i]))

    def add_flag(self, name, flag):
        self.flags.add((name, flag))
        if "${" in name:
            self.flag_keys.add((name, flag))

    def install(self, bb):
        ast = bb.parse.ast
        rec = self

        def wrap(fname, hook):
            orig = getattr(ast, fname)

            def wrapper(*args, **kwargs):
                hook(*args, **kwargs)
                return orig(*args, **kwargs)
            setattr(ast, fname, wrapper)

        def on_data(statements, filename, lineno, groupd):
            key = groupd["var"]
            rec.text(key)
            rec.text(groupd["value"])
            if groupd.get("flag") is not None:
                rec.add_var(key)
                rec.add_flag(key, groupd["flag"])
            else:
                rec.add_var(key)
            if groupd.get("exp") is not None:
                rec.add_flag(key, "export")
                rec.add_flag(key, "unexport")

        def on_method(statements, filename, lineno, func_name, body, python, fakeroot):
            rec.text(func_name)
            for line in body:
                rec.text(line)
            if func_name == "__anonymous":
                return
            rec.add_var(func_name)
            m = SETVAR_RE.match(func_name)
            base = m.group("base") if m else func_name
            rec.add_flag(base, "func")
            if fakeroot:
                rec.add_flag(base, "fakeroot")

        def on_export(statements, filename, lineno, m):
            var = m.group(1)
            rec.text(var)
            rec.add_var(var)
            rec.add_flag(var, "export")
            rec.add_flag(var, "unexport")

        def on_unset(statements, filename, lineno, m):
            rec.text(m.group(1))
            rec.add_var(m.group(1))

        def on_unset_flag(statements, filename, lineno, m):
            rec.text(m.group(1))
            rec.add_var(m.group(1))
            rec.add_flag(m.group(1), m.group(2))

        def on_export_funcs(statements, filename, lineno, m, classname):
            for func in m.group(1).split():
                rec.add_var(func)
                rec.add_flag(func, "func")
                if classname:
                    rec.add_var(classname + "_" + func)
                    rec.add_flag(classname + "_" + func, "func")

        def on_include(statements, filename, lineno, m, *rest):
            rec.text(m.group(1))

        def on_addtask(statements, filename, lineno, tasks, before, after):
            for text in (tasks, before, after):
                rec.text(text)
            for task in tasks.split():
                task = task if task.startswith("do_") else "do_" + task
                rec.add_flag(task, "task")
                rec.add_flag(task, "deps")
            for task in (before or "").split():
                task = task if task.startswith("do_") else "do_" + task
                rec.add_flag(task, "deps")

        def on_deltask(statements, filename, lineno, tasks):
            rec.text(tasks)
            for task in tasks.split():
                if "${" in task:
                    continue  # expanded when evaluated; its tasks are queried where added
                task = task if task.startswith("do_") else "do_" + task
                rec.add_flag(task, "task")
                rec.add_flag(task, "deps")

        wrap("handleData", on_data)
        wrap("handleMethod", on_method)
        wrap("handleExport", on_export)
        wrap("handleUnset", on_unset)
        wrap("handleUnsetFlag", on_unset_flag)
        wrap("handleExportFuncs", on_export_funcs)
        wrap("handleInclude", on_include)
        wrap("handleIncludeAll", on_include)
        wrap("handleInherit", on_include)
        wrap("handleInheritDeferred", on_include)
        wrap("handleAddTask", on_addtask)
        wrap("handleDelTask", on_deltask)

        # Names looked up while expanding (so `${${A}}` and
        # `${value_of_${A}${B}}` also query the names they resolve to).
        vp = bb.data_smart.VariableParse
        orig_sub = vp.var_sub

        def var_sub(self, match):
            if rec.dynamic is not None:
                rec.dynamic.add(match.group()[2:-1])
            return orig_sub(self, match)
        vp.var_sub = var_sub


def queryable(name):
    """BitBake-internal names are not part of the contract."""
    return bool(name) and not (
        name.startswith("__")
        or name.startswith("BB")
        or name.startswith("FILE")
        or name == "_FAILPARSINGERRORHANDLED"
    )


# --------------------------------------------------------------------------
# Running one case


def case_files(case_dir):
    """Relative paths of the case's input files (everything but expected.json)."""
    out = []
    for root, dirs, files in os.walk(case_dir):
        dirs.sort()
        for f in sorted(files):
            rel = os.path.relpath(os.path.join(root, f), case_dir)
            if rel in ("expected.json", "grove-differs"):
                continue  # outputs and notes, not BitBake input
            out.append(rel)
    return out


def bitbake_name(rel):
    if rel.endswith(".grclass"):
        return rel[: -len(".grclass")] + ".bbclass"
    if rel.endswith(".gr"):
        return rel[: -len(".gr")] + ".bb"
    return rel


class Normalizer:
    """Makes messages independent of the temporary directory and names the
    files as the case names them (.gr / .grclass)."""

    def __init__(self, tmp):
        self.prefixes = sorted({tmp, os.path.realpath(tmp)}, key=len, reverse=True)

    def __call__(self, msg, limit=400):
        for p in self.prefixes:
            msg = msg.replace(p + "/", "").replace(p, ".")
        msg = re.sub(r"\.bbclass\b", ".grclass", msg)
        msg = re.sub(r"\.bb\b", ".gr", msg)
        msg = " ".join(msg.split("\n")).strip()
        if len(msg) > limit:
            msg = msg[: limit - 3] + "..."
        return msg


def short_error(bb, exc, logs, norm):
    """A short, deterministic message for an exception raised by BitBake."""
    if isinstance(exc, bb.data_smart.ExpansionError):
        inner = exc.exception
        if isinstance(inner, RecursionError):
            return "RecursionError: maximum recursion depth exceeded"
        if isinstance(inner, bb.BBHandledException):
            exc = inner
        else:
            return norm("%s: %s" % (type(inner).__name__, inner))
    if isinstance(exc, RecursionError):
        return "RecursionError: maximum recursion depth exceeded"
    if isinstance(exc, bb.parse.ParseError):
        return norm(str(exc))
    if isinstance(exc, bb.BBHandledException):
        msgs = logs.messages(logging.ERROR - 1)  # bb.erroronce logs at ERROR - 1
        return norm(msgs[-1]) if msgs else "BBHandledException"
    return norm("%s: %s" % (type(exc).__name__, exc))


def to_json_value(value):
    if value is None:
        return None
    if isinstance(value, list):
        # list-valued flags (addtask's `deps`): joined with single spaces
        return " ".join(str(v) for v in value)
    return str(value)


def evaluate_case(case_dir):
    """Evaluate one case with BitBake; returns (result dict, warnings).
    Meant to run in a fresh (forked) process: BitBake keeps parser state in
    module globals."""
    bb = setup_bitbake()
    logger = logging.getLogger("BitBake")
    logger.handlers = []
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    logs = LogCapture()
    logger.addHandler(logs)

    rec = Recorder()
    rec.install(bb)

    tmp = tempfile.mkdtemp(prefix="grove-oracle-")
    norm = Normalizer(tmp)
    try:
        for rel in case_files(case_dir):
            dest = os.path.join(tmp, bitbake_name(rel))
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            shutil.copyfile(os.path.join(case_dir, rel), dest)
        os.chdir(tmp)

        d = bb.data.init()
        d.setVar("BBPATH", tmp)
        d.setVar("__bbclasstype", "recipe")
        bb.parse.init_parser(d)
        result = {"parse_error": None, "vars": {}, "flags": {}}
        try:
            datastores = bb.parse.handle(os.path.join(tmp, "recipe.bb"), d)
            d = datastores[""]
        except BaseException as exc:  # noqa: B902 - bb.fatal raises BBHandledException
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
            result["parse_error"] = short_error(bb, exc, logs, norm)
            return result, [norm(m) for m in logs.messages(logging.WARNING - 1)]

        # Keys holding ${...} are renamed at finalize: query the new names too.
        for key in sorted(rec.keys):
            try:
                rec.add_var(d.createCopy().expand(key))
            except Exception:
                pass
        for key, flag in sorted(rec.flag_keys):
            try:
                rec.add_flag(d.createCopy().expand(key), flag)
            except Exception:
                pass
        rec.vars.add("OVERRIDES")

        def query(fn):
            # A fresh copy per query: no expand cache or override state
            # shared between queries, so the order of queries cannot matter.
            dd = bb.data.createCopy(d)
            try:
                return to_json_value(fn(dd))
            except BaseException as exc:  # noqa: B902
                if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                    raise
                return {"error": short_error(bb, exc, logs, norm)}

        done_vars, done_flags = set(), set()
        for _ in range(6):
            todo_vars = sorted(n for n in rec.vars - done_vars if queryable(n))
            todo_flags = sorted(f for f in rec.flags - done_flags if queryable(f[0]))
            if not todo_vars and not todo_flags:
                break
            rec.dynamic = set()
            for name in todo_vars:
                result["vars"][name] = query(lambda dd: dd.getVar(name))
                done_vars.add(name)
            for name, flag in todo_flags:
                result["flags"]["%s[%s]" % (name, flag)] = query(lambda dd: dd.getVarFlag(name, flag))
                done_flags.add((name, flag))
            for name in rec.dynamic:
                rec.add_var(name)
            rec.dynamic = None
        for name in sorted(rec.vars - done_vars):
            if queryable(name):
                result["vars"][name] = query(lambda dd: dd.getVar(name))

        result["vars"] = dict(sorted(result["vars"].items()))
        result["flags"] = dict(sorted(result["flags"].items()))
        warnings = [norm(m) for m in logs.messages(logging.WARNING - 1)]
        return result, warnings
    finally:
        os.chdir("/")
        shutil.rmtree(tmp, ignore_errors=True)


def render(result):
    return json.dumps(result, indent=2, ensure_ascii=False) + "\n"


def _worker(case_dir):
    result, warnings = evaluate_case(case_dir)
    return case_dir, render(result), warnings


def run_cases(cases, jobs=None):
    """Evaluate every case, each in its own forked process; yields
    (case_dir, json_text, warnings) in the order given."""
    setup_bitbake()  # import once in the parent, children inherit it
    ctx = multiprocessing.get_context("fork")
    jobs = jobs or min(4, os.cpu_count() or 1)
    with ctx.Pool(jobs, maxtasksperchild=1) as pool:
        pending = [(c, pool.apply_async(_worker, (c,))) for c in cases]
        for case_dir, res in pending:
            try:
                yield res.get(timeout=CASE_TIMEOUT)
            except multiprocessing.TimeoutError:
                sys.exit("timeout evaluating %s" % case_dir)


# --------------------------------------------------------------------------
# Command line


def find_cases(paths):
    cases = []
    for p in paths:
        p = os.path.abspath(p)
        if os.path.isfile(os.path.join(p, "recipe.gr")):
            cases.append(p)
            continue
        if not os.path.isdir(p):
            sys.exit("not a case or a set: %s" % p)
        for root, dirs, files in os.walk(p):
            dirs.sort()
            if "recipe.gr" in files:
                cases.append(root)
                dirs[:] = []  # a case's classes/ is not a case
    return cases


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("paths", nargs="*", help="case directories or sets")
    ap.add_argument("--check", action="store_true", help="diff against the checked-in expected.json")
    ap.add_argument("--print", action="store_true", help="print instead of writing expected.json")
    ap.add_argument("--warnings", action="store_true", help="print BitBake's warnings for each case")
    ap.add_argument("-j", "--jobs", type=int, default=None, help="parallel processes")
    args = ap.parse_args(argv)

    paths = args.paths or ([DEFAULT_ROOT] if args.check else [])
    if not paths:
        ap.error("give case directories or sets (or --check)")
    cases = find_cases(paths)
    if not cases:
        sys.exit("no cases found under %s" % " ".join(paths))

    mismatches = 0
    for case_dir, text, warnings in run_cases(cases, args.jobs):
        rel = os.path.relpath(case_dir, REPO)
        if args.warnings and warnings:
            for w in warnings:
                print("%s: warning: %s" % (rel, w), file=sys.stderr)
        target = os.path.join(case_dir, "expected.json")
        if args.check:
            try:
                with open(target, encoding="utf-8") as f:
                    old = f.read()
            except FileNotFoundError:
                old = ""
            if old != text:
                mismatches += 1
                sys.stdout.writelines(difflib.unified_diff(
                    old.splitlines(True), text.splitlines(True),
                    rel + "/expected.json (checked in)", rel + "/expected.json (BitBake)"))
        elif args.print:
            print("== %s" % rel)
            sys.stdout.write(text)
        else:
            with open(target, "w", encoding="utf-8") as f:
                f.write(text)
    if args.check:
        if mismatches:
            print("%d of %d cases differ from BitBake" % (mismatches, len(cases)))
            return 1
        print("%d cases match BitBake %s" % (len(cases), BITBAKE_VERSION))
    elif not args.print:
        print("wrote %d expected.json files" % len(cases), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
