#!/usr/bin/env python3
"""The code's boundaries, checked (ctest: boundaries).

Fails, naming file:line, on:
  * a COIN-OR header included outside src/lp/ (the one LP layer);
  * StatusCode::kInfeasible or Status::Infeasible anywhere: an infeasible
    model is an answer (a result's status and reason), never an error;
  * an include of another folder's header that the including folder's CMake
    target does not declare: a stage may include a folder it lists in DEPS or
    PRIVATE_DEPS of fungible_stage() in src/CMakeLists.txt, or one those DEPS
    export in turn (PUBLIC, as CMake propagates them); its tests also what
    TEST_DEPS lists; cli/ what src/cli/CMakeLists.txt links;
  * an include of another folder's internal header (src/X/internal/...);
  * src/README.md's dependency table missing a stage a CMake target declares;
  * the admission and placement state machine under its old name (in src/,
    bench/ and fuzz/): `orchestrate::Engine`, "orchestrate/engine.h", or in
    orchestrate/, server/, store/ and cli/ the identifiers Engine,
    EngineOptions, EngineCounters, EngineSource. It is orchestrate::Scheduler;
    "engine" means the allocation engine alone (docs/glossary.md).

Usage: boundaries.py [REPO_ROOT]
       boundaries.py --self-test   (a small tree with one of each violation: each must be found)
"""
import os
import re
import sys

ROOT = SRC = ""
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')
COIN = re.compile(r"^(coin/|Clp|Cbc|Coin|Osi)")
OLD_SCHEDULER = re.compile(r'\borchestrate::Engine\b|"orchestrate/engine\.h"')
OLD_SCHEDULER_LOCAL = re.compile(r"\bEngine(Options|Counters|Source)?\b")
SCHEDULER_FOLDERS = {"orchestrate", "server", "store", "cli"}


def old_scheduler_name(folder, line):
    """The old name of orchestrate::Scheduler on `line`, or None."""
    m = OLD_SCHEDULER.search(line)
    if not m and folder in SCHEDULER_FOLDERS:
        m = OLD_SCHEDULER_LOCAL.search(line)
    return m.group(0) if m else None


def stage_deps():
    """{stage: (public, private, test)} from fungible_stage() calls."""
    text = open(os.path.join(SRC, "CMakeLists.txt")).read()
    text = re.sub(r"#[^\n]*", "", text)
    deps = {}
    for m in re.finditer(r"fungible_stage\(([^)]*)\)", text):
        words = m.group(1).split()
        if not words or words[0] == "name":
            continue
        name, lists, cur = words[0], {"DEPS": set(), "PRIVATE_DEPS": set(), "TEST_DEPS": set()}, None
        for w in words[1:]:
            if w in lists:
                cur = w
            elif cur and w.startswith("fungible::"):
                lists[cur].add(w[len("fungible::"):])
        deps[name] = (lists["DEPS"], lists["PRIVATE_DEPS"], lists["TEST_DEPS"])
    return deps


def cli_deps():
    text = open(os.path.join(SRC, "cli", "CMakeLists.txt")).read()
    return set(re.findall(r"fungible::(\w+)", text))


def exported(stage, deps, seen=None):
    """Folders whose headers `stage`'s headers may expose: itself and its PUBLIC deps, transitively."""
    seen = set() if seen is None else seen
    if stage in seen:
        return seen
    seen.add(stage)
    for d in deps.get(stage, (set(), set(), set()))[0]:
        exported(d, deps, seen)
    return seen


def allowed(folder, is_test, deps, cli):
    if folder == "cli":
        direct = cli
    elif folder in deps:
        pub, priv, test = deps[folder]
        direct = pub | priv | (test if is_test else set())
    else:
        direct = set()
    out = {folder}
    for d in direct:
        out |= exported(d, deps)
    return out


def readme_table():
    """{folder: depends-on cell} from src/README.md."""
    rows = {}
    for line in open(os.path.join(SRC, "README.md")):
        m = re.match(r"\|\s*`(\w+)/`\s*\|.*\|\s*([^|]*)\|\s*$", line)
        if m:
            rows[m.group(1)] = m.group(2)
    return rows


def check():
    deps, cli = stage_deps(), cli_deps()
    folders = {d for d in os.listdir(SRC) if os.path.isdir(os.path.join(SRC, d))}
    errors = []
    for dirpath, _, files in os.walk(SRC):
        for f in sorted(files):
            if not f.endswith((".h", ".cc")):
                continue
            path = os.path.join(dirpath, f)
            rel = os.path.relpath(path, ROOT)
            folder = os.path.relpath(path, SRC).split(os.sep)[0]
            is_test = f.endswith("_test.cc") or f.endswith("_testing.h") or f.endswith("test_util.h")
            ok = allowed(folder, is_test, deps, cli)
            for n, line in enumerate(open(path, encoding="utf-8"), 1):
                old = old_scheduler_name(folder, line)
                if old:
                    errors.append(f"{rel}:{n}: {old} is orchestrate::Scheduler (orchestrate/scheduler.h) now")
                if "StatusCode::kInfeasible" in line or "Status::Infeasible(" in line:
                    errors.append(f"{rel}:{n}: an infeasible model is an answer (a result's status), not an error")
                m = INCLUDE.match(line)
                if not m:
                    continue
                inc = m.group(2)
                if COIN.match(inc) and folder != "lp":
                    errors.append(f"{rel}:{n}: COIN-OR header <{inc}> outside src/lp/ (use lp/solve.h)")
                if m.group(1) != '"' or "/" not in inc:
                    continue
                target = inc.split("/")[0]
                if target not in folders or target == folder:
                    continue
                if "/internal/" in inc:
                    errors.append(f"{rel}:{n}: \"{inc}\" is {target}/'s internal header")
                elif target not in ok:
                    errors.append(f"{rel}:{n}: \"{inc}\": {folder}/ does not declare {target} in its CMake target")
    for extra in ("bench", "fuzz"):
        for dirpath, _, files in os.walk(os.path.join(ROOT, extra)):
            for f in sorted(files):
                if not f.endswith((".h", ".cc")):
                    continue
                path = os.path.join(dirpath, f)
                for n, line in enumerate(open(path, encoding="utf-8"), 1):
                    old = old_scheduler_name(extra, line)
                    if old:
                        errors.append(f"{os.path.relpath(path, ROOT)}:{n}: {old} is orchestrate::Scheduler "
                                      "(orchestrate/scheduler.h) now")
    table = readme_table()
    for stage, (pub, priv, _) in sorted(deps.items()):
        cell = table.get(stage)
        if cell is None:
            errors.append(f"src/README.md: the dependency table has no row for {stage}/")
            continue
        for d in sorted(pub | priv):
            if not re.search(r"\b" + re.escape(d) + r"\b", cell):
                errors.append(f"src/README.md: {stage}/ depends on {d} (src/CMakeLists.txt) but its row does not say so")
    return errors


def set_root(root):
    global ROOT, SRC
    ROOT = os.path.abspath(root)
    SRC = os.path.join(ROOT, "src")


SELF_TEST_TREE = {
    "src/CMakeLists.txt": "fungible_stage(util)\nfungible_stage(lp DEPS fungible::util PRIVATE_DEPS PkgConfig::COIN)\n"
                          "fungible_stage(a DEPS fungible::lp)\nfungible_stage(b DEPS fungible::util)\n",
    "src/cli/CMakeLists.txt": "target_link_libraries(fungible PRIVATE fungible::a)\n",
    "src/README.md": "| `util/` | x | — |\n| `lp/` | x | util |\n| `a/` | x | lp |\n| `b/` | x | nothing |\n",
    "src/util/status.h": "#pragma once\n",
    "src/lp/solve.cc": "#include <coin/ClpSimplex.hpp>\n",
    "src/a/a.h": "#include \"lp/solve.h\"\n#include \"util/status.h\"\n",
    "src/a/a.cc": "#include <coin/CbcModel.hpp>\n#include \"b/b.h\"\n#include \"lp/internal/load.h\"\n"
                  "Status s = Status::Infeasible(\"x\");\n",
    "src/b/b.h": "#pragma once\n",
    "src/orchestrate/x.h": "class Engine {};\n// the allocation engine, EngineLike\n",
    "src/server/s.cc": "void F(orchestrate::SchedulerOptions o);\nEngineSource prepare;\n",
    "src/b/b.cc": "orchestrate::Engine* e;\nEngine ok_outside_the_scheduler_folders;\n",
    "bench/x_bench.cc": "#include \"orchestrate/engine.h\"\n",
}
SELF_TEST_EXPECT = [
    "src/a/a.cc:1: COIN-OR header <coin/CbcModel.hpp> outside src/lp/",
    "src/a/a.cc:2: \"b/b.h\": a/ does not declare b in its CMake target",
    "src/a/a.cc:3: \"lp/internal/load.h\" is lp/'s internal header",
    "src/a/a.cc:4: an infeasible model is an answer",
    "src/README.md: b/ depends on util (src/CMakeLists.txt) but its row does not say so",
    "src/orchestrate/x.h:1: Engine is orchestrate::Scheduler",
    "src/server/s.cc:2: EngineSource is orchestrate::Scheduler",
    "src/b/b.cc:1: orchestrate::Engine is orchestrate::Scheduler",
    "bench/x_bench.cc:1: \"orchestrate/engine.h\" is orchestrate::Scheduler",
]


def self_test():
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        for rel, text in SELF_TEST_TREE.items():
            os.makedirs(os.path.dirname(os.path.join(tmp, rel)), exist_ok=True)
            with open(os.path.join(tmp, rel), "w") as f:
                f.write(text)
        set_root(tmp)
        errors = check()
    missing = [e for e in SELF_TEST_EXPECT if not any(x.startswith(e) for x in errors)]
    extra = [x for x in errors if not any(x.startswith(e) for e in SELF_TEST_EXPECT)]
    for e in missing:
        print("self-test: not found:", e)
    for x in extra:
        print("self-test: unexpected:", x)
    print("boundaries self-test:", "ok" if not missing and not extra else "FAILED")
    return 0 if not missing and not extra else 1


def main():
    if sys.argv[1:] == ["--self-test"]:
        return self_test()
    set_root(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    errors = check()
    for e in errors:
        print(e)
    if errors:
        print(f"boundaries: {len(errors)} problem(s)")
        return 1
    print("boundaries: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
