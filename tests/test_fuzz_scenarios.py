"""Fuzzing the bundled scenarios through ``negsim validate`` (and ``run``), in process.

Each case k mutates a bundled scenario (or the base roster, or the mini fixture) with
``random.Random(k)``, so a failure names a reproducible case: types swapped, keys deleted,
NaN/inf/huge numbers, unicode and zero-width keys, deep nesting, duplicate keys, BOM/CRLF/tabs,
truncation, binary junk, YAML tags and alias bombs, ``extends`` cycles and escapes, and special
files (FIFO, ``/dev/zero``, symlink loops, directories). Every case must either validate (exit 0)
or exit 2 with one line per problem, never another exit code or a traceback, within a time and a
memory bound. Mutants that validate are also run for two replicates, since what validates must
play. The same is done for ``--set`` paths and values.

``NEGSIM_FUZZ_CASES`` raises the number of cases (the default run has 1,000 files and 400 --set cases).
"""

from __future__ import annotations

import math
import os
import random
import shutil
import tracemalloc
from pathlib import Path

import pytest
import yaml

from negsim.cli import main

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted((ROOT / "scenarios").glob("*.yaml")) + [
    ROOT / "scenarios" / "base" / "europe_2025.yaml",
    ROOT / "tests" / "fixtures" / "mini.yaml",
]
TEXTS = {p.name: p.read_text(encoding="utf-8") for p in SOURCES}
DOCS = {name: yaml.safe_load(text) for name, text in TEXTS.items()}
CASES = int(os.environ.get("NEGSIM_FUZZ_CASES", "1000"))  # NEGSIM_FUZZ_CASES=5000 for a longer fuzz
SET_CASES = max(400, CASES // 2)
SECONDS = 5.0  # per case; a case takes milliseconds
PEAK_BYTES = 150_000_000  # per case, as tracemalloc sees it (the base roster itself takes a few MB)
RUNS_AT_MOST = 12  # validating mutants also run (two replicates each), up to this many per test


# --- mutations -------------------------------------------------------------------------------------

JUNK_VALUES = [None, True, "", "x" * 300, [], {}, [1, [2]], {"a": {"b": 1}}, -1, 0, 10**400, 1e308, -1e308, "nan",
               ".nan", ".inf", "-.inf", "\u200b", "\u202e", "1_000", "0x1F", "2021-02-30", "~"]  # fmt: skip


def _paths(doc, prefix=()):
    """Every path of a plain document, containers and leaves."""
    out = [prefix]
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += _paths(v, prefix + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += _paths(v, prefix + (i,))
    return out


def _set(doc, path, value):
    node = doc
    for seg in path[:-1]:
        node = node[seg]
    node[path[-1]] = value


def _yaml_scalar(value) -> str:
    """How a junk value is written in YAML (special floats and big integers as text)."""
    if isinstance(value, float) and not math.isfinite(value):
        return ".nan" if math.isnan(value) else (".inf" if value > 0 else "-.inf")
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**63:
        return str(value)
    return yaml.safe_dump(value, default_flow_style=True).strip().removesuffix("...").strip()


def doc_mutant(rnd: random.Random, name: str) -> str:
    """A bundled document with one to three values swapped, deleted or made extreme."""
    doc = yaml.safe_load(TEXTS[name])
    for _ in range(rnd.randint(1, 3)):
        paths = [p for p in _paths(doc) if p]
        path = rnd.choice(paths)
        how = rnd.randrange(4)
        if how == 0:  # delete
            parent = doc
            for seg in path[:-1]:
                parent = parent[seg]
            del parent[path[-1]]
        elif how == 1:  # another type or an extreme number
            _set(doc, path, rnd.choice(JUNK_VALUES))
        elif how == 2:  # a weird key next to it
            parent = doc
            for seg in path[:-1]:
                parent = parent[seg]
            if isinstance(parent, dict):
                parent[str(path[-1]) + rnd.choice(["\u200b", "\u00e9", "\u202e", " ", "\t", "\U0001f600"])] = 0.5
        else:  # nest it
            _set(doc, path, _nested(rnd, rnd.choice([1, 5, 59, 61, 150])))
    text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=10**6)
    for token in ("nan", "inf"):  # write special floats as YAML would read them
        text = text.replace(f": {token}\n", f": .{token}\n")
    return text


def _nested(rnd: random.Random, depth: int):
    value = 0.5
    for _ in range(depth):
        value = [value] if rnd.random() < 0.5 else {"a": value}
    return value


def text_mutant(rnd: random.Random, name: str) -> bytes:
    """A bundled file's text damaged as editors, terminals and attackers do."""
    text = TEXTS[name]
    lines = text.splitlines(keepends=True)
    how = rnd.randrange(11)
    if how == 0:
        return "\ufeff".encode() + text.encode()  # BOM
    if how == 1:
        return text.replace("\n", "\r\n").encode()  # CRLF
    if how == 2:  # tabs for some indentation
        return "".join(ln.replace("  ", "\t", 1) if rnd.random() < 0.1 else ln for ln in lines).encode()
    if how == 3:
        return text.encode()[: rnd.randrange(len(text))]  # truncated
    if how == 4:  # binary junk somewhere
        raw = bytearray(text.encode())
        at = rnd.randrange(len(raw))
        raw[at:at] = bytes(rnd.randrange(256) for _ in range(rnd.randint(1, 40)))
        return bytes(raw)
    if how == 5:  # a line twice: a duplicate key
        i = rnd.randrange(len(lines))
        return "".join(lines[: i + 1] + [lines[i]] + lines[i + 1 :]).encode()
    if how == 6:  # a tag on some value
        tag = rnd.choice(["!!python/object/apply:os.system ['true']", "!!python/name:os.system", "!custom", "!!binary", "!!set",
                          "!!timestamp", "!!omap", "!!float", "!!str"])  # fmt: skip
        i = rnd.randrange(len(lines))
        return "".join(lines[:i] + [lines[i].replace(": ", f": {tag} ", 1)] + lines[i + 1 :]).encode()
    if how == 7:  # an alias bomb under some key
        bomb = "x-bomb:\n  - &a [l,l,l,l,l,l,l,l,l,l]\n" + "".join(
            f"  - &{b} [{','.join(['*' + a] * 10)}]\n" for a, b in zip("abcdefgh", "bcdefghi")
        )
        return (text + "\n" + bomb).encode()
    if how == 8:  # deep flow nesting on some line
        n = rnd.choice([61, 999, 1001, 5000])
        i = rnd.randrange(len(lines))
        return "".join(lines[:i] + [lines[i].replace(": ", ": " + "[" * n + "0" + "]" * n + " #", 1)] + lines[i + 1 :]).encode()
    if how == 9:  # a huge integer
        i = rnd.randrange(len(lines))
        return "".join(
            lines[:i] + [lines[i].replace(": ", ": " + "9" * rnd.choice([400, 4301, 6000]) + " #", 1)] + lines[i + 1 :]
        ).encode()
    return bytes(rnd.randrange(256) for _ in range(rnd.randint(0, 600)))  # nothing but junk


EXTENDS = ["self.yaml", "../../../../etc/passwd", "/etc/hostname", "/dev/zero", "/dev/urandom", "fifo.yaml", "loop.yaml",
           "folder", "cycle_b.yaml", "", "x\\0", "a" * 300, ".", "base", "~/x.yaml", "[1, 2]", "{a: 1}"]  # fmt: skip


def extends_mutant(rnd: random.Random, name: str) -> str:
    """A bundled file whose ``extends`` points somewhere it must not."""
    target = rnd.choice(EXTENDS)
    body = "".join(ln for ln in TEXTS[name].splitlines(keepends=True) if not ln.startswith("extends:"))
    value = target if target.startswith(("[", "{")) or not target else f'"{target}"'
    return f"extends: {value}\n{body}"


def case_files(k: int, tmp: Path) -> tuple[Path, list[str], str]:
    """Write case k into ``tmp`` (a copy of scenarios/ plus special files): (file, extra args, what it is)."""
    rnd = random.Random(k)
    # mostly the mini fixture (5 ms a case), so that 1,000 cases fit in seconds; the bundled files
    # (100 ms each: the 36-actor base roster) in one case of eight, the base roster itself rarely
    name = rnd.choices(list(TEXTS), weights=[60 if n == "mini.yaml" else 0.3 if n == "europe_2025.yaml" else 1 for n in TEXTS])[0]
    kind = rnd.choices(["doc", "text", "extends", "special"], weights=[45, 40, 12, 3])[0]
    target = tmp / f"case_{k}.yaml"
    if kind == "doc":
        target.write_text(doc_mutant(rnd, name), encoding="utf-8")
    elif kind == "text":
        target.write_bytes(text_mutant(rnd, name))
    elif kind == "extends":
        target.write_text(extends_mutant(rnd, name), encoding="utf-8")
        (tmp / "cycle_b.yaml").write_text(f"extends: case_{k}.yaml\n")
        (tmp / "self.yaml").write_text("extends: self.yaml\n")
    else:
        target = tmp / rnd.choice(["fifo.yaml", "zero.yaml", "loop.yaml", "folder"])
    args = ["--allow-outside"] if rnd.random() < 0.3 else []
    return target, args, f"case {k}: {kind} mutant of {name} ({target.name} {' '.join(args)})"


@pytest.fixture(scope="module")
def arena(tmp_path_factory):
    """A scratch copy of scenarios/ (bases included) with the special files next to it."""
    tmp = tmp_path_factory.mktemp("fuzz")
    shutil.copytree(ROOT / "scenarios" / "base", tmp / "base")
    shutil.copy(ROOT / "tests" / "fixtures" / "mini.yaml", tmp / "mini.yaml")
    os.mkfifo(tmp / "fifo.yaml")
    (tmp / "zero.yaml").symlink_to("/dev/zero")
    (tmp / "loop.yaml").symlink_to(tmp / "loop.yaml")
    (tmp / "folder").mkdir()
    return tmp


# --- the harness ---------------------------------------------------------------------------------


class Overran(BaseException):
    """A case ran past its deadline (a BaseException, so no ``except OSError`` swallows it)."""


def bounded(argv: list[str], capsys, what: str, trace_memory: bool = False, cases: int = 1) -> tuple[int, str, str]:
    """``negsim ARGV`` in process within SECONDS a case (and PEAK_BYTES if ``trace_memory``): (exit code, stdout, stderr).

    tracemalloc slows Python down about four times, so it watches a sample of the cases; every
    case runs under an address-space limit instead (a runaway read or expansion is a MemoryError).
    """
    import resource
    import signal

    def expired(signum, frame):
        raise Overran(f"{what}: took longer than {SECONDS * cases} s")

    previous = signal.signal(signal.SIGALRM, expired)
    limits = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (min(limits[1], _address_space() + 2 * 2**30), limits[1]))
    signal.setitimer(signal.ITIMER_REAL, SECONDS * cases)
    if trace_memory:
        tracemalloc.start()
    try:
        rc = main(argv)
    except SystemExit as e:
        rc = e.code
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        resource.setrlimit(resource.RLIMIT_AS, limits)
        peak = tracemalloc.get_traced_memory()[1] if trace_memory else 0
        tracemalloc.stop()
    out, err = capsys.readouterr()
    assert peak < PEAK_BYTES, f"{what}: {peak:,} bytes at peak"
    return rc, out, err


def _address_space() -> int:
    """This process's virtual memory size in bytes (Linux)."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def assert_clean(rc: int, err: str, what: str, names: tuple[str, ...]) -> None:
    """Exit 0, or exit 2 with one line per problem, each naming the file (or --set) or negsim."""
    assert rc in (0, 2), f"{what}: exit {rc}\n{err[-3000:]}"
    assert "Traceback" not in err, f"{what}:\n{err[-3000:]}"
    if rc == 2:
        lines = err.strip().splitlines()
        assert lines, what
        for ln in lines:
            assert ln.startswith(names) or ln.startswith("negsim:"), (
                f"{what}: a problem line that names nothing: {ln!r}\n{err[-2000:]}"
            )


BATCH = 10  # files per `negsim validate` call (it loads the source cards once per call)


def test_fuzzed_scenarios_validate_or_fail_cleanly(arena, capsys):
    played, valid = 0, 0
    for start in range(0, CASES, BATCH):
        batch = [case_files(k, arena) for k in range(start, start + BATCH)]
        for args in ([], ["--allow-outside"]):
            group = list({t: (t, what) for t, a, what in batch if a == args}.values())  # validate names a file once
            if not group:
                continue
            what = "; ".join(w for _, w in group)
            rc, out, err = bounded(["validate", *(str(t) for t, _ in group), *args], capsys, what, start % 100 == 0, len(group))
            assert_clean(rc, err, what, (str(arena), "/"))
            oks = [(t, w) for t, w in group if f"{t}: ok" in out.splitlines()]
            if len(oks) < len(group):  # every other file has problems (named by it, or by a base it extends)
                assert f"negsim: {len(group) - len(oks)} of {len(group)} file(s) have problems." in err, f"{what}\n{err[-2000:]}"
            for target, w in oks:
                valid += 1
                if played < RUNS_AT_MOST and "doc mutant of mini" in w:  # runs of the 36-actor roster take seconds
                    played += 1
                    play(target, args, arena / f"out_{w.split(':')[0].split()[1]}", capsys, w)
    assert valid > 0 and played > 0


def play(target: Path, args: list[str], out: Path, capsys, what: str) -> None:
    """Run a validating mutant for two replicates: it must play (exit 0)."""
    rc, _, err = bounded(
        ["run", str(target), "--runs", "2", "--jobs", "1", "-q", "--out", str(out), *args], capsys, what + " (run)"
    )
    assert rc == 0, f"{what}: validated but `run` exited {rc}:\n{err[-3000:]}"


# --- --set paths and values ----------------------------------------------------------------------

SET_VALUES = ["0.5", "", "2", "-1", ".nan", ".inf", "1e999", "9" * 5000, "[" * 1000 + "]" * 1000, "{a: " * 1000 + "1" + "}" * 1000,
              "!!python/object/apply:os.system [true]", "[&a [l,l], &b [*a,*a]]", "{x: 1, x: 2}", "\x00", "\u200b", "'unclosed",
              "{choice: [0.2, 0.3], p: [0.5, 0.5000001]}", "{choice: [0.2, 0.3], p: [0.5, 0.6]}", "{beta: {mean: 0.5, sd: 1e-300}}",
              "{uniform: [-1e308, 1e308]}", "{normal: {mean: 0.5, sd: 1e308}}", "{value: 0.3, source: [no-such-claim]}", "[]", "{}",
              "baby_steps", "true", "2021-02-30", "0x10", "~"]  # fmt: skip


def set_case(k: int) -> tuple[str, str]:
    """A --set PATH=VALUE for case k: a real path of the mini scenario, a junk one, or a long one."""
    rnd = random.Random(10_000 + k)
    paths = [".".join(map(str, p)) for p in _paths(DOCS["mini.yaml"]) if p]
    how = rnd.randrange(6)
    if how == 0:
        path = ".".join(rnd.choice(["a", "*", "actors", "0", "\u200b", "x" * 300]) for _ in range(rnd.choice([1, 3, 61, 2000])))
    elif how == 1:
        path = rnd.choice(paths).replace(".", rnd.choice(["..", ".*.", "*", ". "]), 1)
    else:
        path = rnd.choice(paths)
    return path, rnd.choice(SET_VALUES + [_yaml_scalar(rnd.choice(JUNK_VALUES))])


def test_fuzzed_set_overrides_fail_cleanly(arena, capsys):
    mini, played = arena / "mini.yaml", 0
    for k in range(SET_CASES):
        path, value = set_case(k)
        what = f"--set case {k}: {path[:80]!r}={value[:80]!r}"
        rc, _, err = bounded(["trace", str(mini), "--set", f"{path}={value}"], capsys, what, trace_memory=k % 20 == 0)
        assert_clean(rc, err, what, ("--set", str(mini)))
        if rc == 0 and played < RUNS_AT_MOST:
            played += 1
            rc, _, err = bounded(["run", str(mini), "--runs", "2", "--jobs", "1", "-q", "--out", str(arena / f"set_{k}"),
                                  "--set", f"{path}={value}"], capsys, what + " (run)")  # fmt: skip
            assert rc == 0, f"{what}: traced but `run` exited {rc}:\n{err[-3000:]}"


def test_the_fuzzers_reach_enough_cases():
    assert CASES >= 1000 and SET_CASES >= 400
