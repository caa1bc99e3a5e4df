"""Property tests for the scenario loader: it parses what it should and fails only cleanly.

(a) any valid number or distribution spec written in YAML round-trips through parse_param;
(b) random mutations of mini.yaml either load or raise ScenarioError (never anything else);
(c) junk bytes and YAML-ish junk text fed to parse_yaml raise only ScenarioError;
(d) targeted malformations written to files (wrong types, out-of-range numbers, NaN/inf,
    unknown keys, dangling references, cyclic ``extends`` chains, deep nesting, empty and
    non-UTF-8 files) each raise ScenarioError naming the file and, where there is one, the
    path of the bad value;
(e) a sample of such files run through ``python -m negsim validate`` exits 2, never with a traceback.

Together these generate well over 1,000 malformed inputs per default run.
"""

from __future__ import annotations

import copy
import itertools
import math
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from negsim.errors import ScenarioError
from negsim.scenario.load import load_scenario
from negsim.scenario.params import Param, parse_param
from negsim.scenario.yamlio import format_path, parse_yaml

MINI = Path(__file__).resolve().parent / "fixtures" / "mini.yaml"
MINI_DOC, _ = parse_yaml(MINI.read_bytes(), str(MINI))

# the ranges the schema uses for numeric parameters
RANGES = [(0.0, 1.0), (0.0, 10.0), (-1.0, 1.0), (-1.0, 2.0), (0.0, 50.0), (0.0, 2000.0)]


# --- (a) parameters round-trip ---------------------------------------------------------------


def _in(lo, hi):
    return st.floats(min_value=lo, max_value=hi, allow_nan=False, allow_infinity=False)


@st.composite
def param_specs(draw):
    """(yaml-able spec, lo, hi, expected kind, expected mean)."""
    lo, hi = draw(st.sampled_from(RANGES))
    kind = draw(st.sampled_from(["plain", "value", "uniform", "normal", "beta", "choice"]))
    if kind == "plain":
        x = draw(_in(lo, hi) | st.integers(min_value=math.ceil(lo), max_value=math.floor(hi)))
        return x, lo, hi, "value", float(x)
    if kind == "value":
        x = draw(_in(lo, hi))
        return {"value": x, "source": ["some-claim"]}, lo, hi, "value", x
    if kind == "uniform":
        a, b = sorted([draw(_in(lo, hi)), draw(_in(lo, hi))])
        return {"uniform": [a, b]}, lo, hi, "uniform" if a < b else "value", (a + b) / 2
    if kind == "normal":
        m = draw(_in(lo, hi))
        s = draw(st.floats(min_value=1e-6, max_value=(hi - lo)))
        return {"normal": {"mean": m, "sd": s}, "assumption": "a guess"}, lo, hi, "normal", m
    if kind == "beta":
        span = hi - lo
        mu = draw(st.floats(min_value=0.01, max_value=0.99))
        limit = math.sqrt(mu * (1 - mu))
        s = draw(st.floats(min_value=0.01, max_value=0.95)) * limit * span
        m = lo + mu * span
        return {"beta": {"mean": m, "sd": s}}, lo, hi, "beta", m
    vals = draw(st.lists(_in(lo, hi), min_size=1, max_size=5))
    if draw(st.booleans()):
        w = draw(st.lists(st.floats(min_value=0.01, max_value=1.0), min_size=len(vals), max_size=len(vals)))
        p = [x / sum(w) for x in w]
        return {"choice": vals, "p": p}, lo, hi, "choice", sum(v * q for v, q in zip(vals, p, strict=True))
    return {"choice": vals}, lo, hi, "choice", sum(vals) / len(vals)


@settings(max_examples=300, deadline=None)
@given(param_specs(), st.integers(min_value=0, max_value=2**32 - 1))
def test_param_specs_round_trip_through_yaml(spec_info, seed):
    spec, lo, hi, kind, mean = spec_info
    text = yaml.safe_dump({"x": spec})
    data, locs = parse_yaml(text, "p.yaml")
    assert ("x",) in locs
    p = parse_param(data["x"], lo, hi)
    assert isinstance(p, Param)
    assert p.kind == kind
    assert (p.lo, p.hi) == (lo, hi)
    if kind == "normal":  # the spec's mean is the untruncated normal's; Param.mean is that of the draws, inside the range
        assert p.args[0] == pytest.approx(mean, rel=1e-9, abs=1e-9 * max(1.0, hi - lo))
        assert lo - 1e-9 <= p.mean <= hi + 1e-9 and p.sd <= p.args[1] + 1e-12
    else:
        assert p.mean == pytest.approx(mean, rel=1e-9, abs=1e-9 * max(1.0, hi - lo))
    rng = np.random.default_rng(seed)
    for _ in range(3):
        x = p.sample(rng)
        assert lo - 1e-9 <= x <= hi + 1e-9
    # the plain form (to_plain, without provenance) parses back to the same distribution
    again = parse_param(parse_yaml(yaml.safe_dump({"x": p.to_plain()}), "q.yaml")[0]["x"], lo, hi)
    assert (again.kind, again.args, again.p) == (p.kind, p.args, p.p)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(RANGES),
    st.one_of(
        st.floats(allow_nan=True, allow_infinity=True),
        st.integers(min_value=-(10**400), max_value=10**400),
        st.text(max_size=5),
        st.none(),
        st.booleans(),
        st.lists(st.floats(), max_size=3),
        st.dictionaries(
            st.sampled_from(["value", "uniform", "normal", "beta", "choice", "p", "mean", "sd", "x"]),
            st.floats() | st.lists(st.floats(), max_size=3) | st.dictionaries(st.sampled_from(["mean", "sd"]), st.floats()),
            max_size=3,
        ),
    ),
)
def test_parse_param_raises_only_value_error(rng_range, raw):
    lo, hi = rng_range
    try:
        p = parse_param(raw, lo, hi)
    except ValueError as e:
        assert str(e)
        return
    values = p.args[:1] if p.kind in ("normal", "beta") else p.args  # the sd of a normal/beta is not a level
    assert all(math.isfinite(a) and lo <= a <= hi for a in values)
    assert all(math.isfinite(a) and a >= 0 for a in p.args[1:]) if p.kind in ("normal", "beta") else True


# --- (b) mutations of mini.yaml ----------------------------------------------------------------


def _paths(node, prefix=()):
    """Every path into the document (mappings and lists), the root excluded."""
    out = []
    if isinstance(node, dict):
        items = node.items()
    elif isinstance(node, list):
        items = enumerate(node)
    else:
        return out
    for k, v in items:
        out.append(prefix + (k,))
        out.extend(_paths(v, prefix + (k,)))
    return out


PATHS = _paths(MINI_DOC)


def _get(doc, path):
    for seg in path:
        doc = doc[seg]
    return doc


CONTAINERS = [()] + [p for p in PATHS if isinstance(_get(MINI_DOC, p), dict)]
# places that name an actor, issue or body
REFERENCES = [
    p
    for p in PATHS
    if p[:2] in {("talks", "issues"), ("pact", "parties"), ("talks", "mediator")} and not isinstance(_get(MINI_DOC, p), list)
]
REFERENCES += [p for p in PATHS if len(p) == 4 and p[0] == "actors" and p[2] in ("trust", "positions", "salience")]
REFERENCES += [p for p in PATHS if p[:1] == ("issues",) and "obligor" in p and isinstance(p[-1], int)]
NAMES = ["AAA", "BBB", "RUS", "NATO", "cap", "hotline", "ZZZ", "default", "*", "", "aaa", "NAT0"]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.just(10**400),
    st.just(-(10**400)),
    st.floats(allow_nan=True, allow_infinity=True),
    st.just(float("nan")),
    st.just(1e308),
    st.text(max_size=8),
    st.sampled_from(NAMES + ["consensus", "shuttle", "parallel", "beta", "uniform", "mutual", "all"]),
)
values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.text(max_size=6) | st.sampled_from(["mean", "sd", "uniform", "beta", "value", "bloc", "RUS"]), children, max_size=3
        )
    ),
    max_leaves=6,
)

mutations = st.one_of(
    st.tuples(st.just("drop"), st.sampled_from(PATHS)),
    st.tuples(
        st.just("insert"),
        st.sampled_from(CONTAINERS),
        st.text(min_size=1, max_size=10) | st.sampled_from(["capabilty", "trusts", "actor", "from", "p"]),
        values,
    ),
    st.tuples(st.just("replace"), st.sampled_from(PATHS), values),
    st.tuples(st.just("rename"), st.sampled_from(REFERENCES), st.sampled_from(NAMES) | st.text(max_size=5)),
)


def _apply(doc, m):
    op, path = m[0], m[1]
    if op == "insert":
        try:
            node = _get(doc, path)
        except (KeyError, IndexError, TypeError):
            return  # an earlier mutation removed this place
        if isinstance(node, dict):
            node[m[2]] = m[3]
        return
    try:
        parent = _get(doc, path[:-1])
        parent[path[-1]]
    except (KeyError, IndexError, TypeError):
        return  # an earlier mutation removed or replaced this place
    key = path[-1]
    if op == "drop":
        del parent[key]
    elif op == "replace":
        parent[key] = m[2]
    elif op == "rename":
        if isinstance(parent, dict):  # a mapping keyed by a reference (trust, positions, ...)
            parent[m[2]] = parent.pop(key)
        else:
            parent[key] = m[2]


@pytest.fixture(scope="module")
def workdir():
    with tempfile.TemporaryDirectory() as d:
        yield Path(d)


_counter = itertools.count()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(st.lists(mutations, min_size=1, max_size=3))
def test_mutated_scenarios_load_or_fail_cleanly(workdir, muts):
    doc = copy.deepcopy(MINI_DOC)
    for m in muts:
        _apply(doc, m)
    try:
        text = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
    except yaml.YAMLError:
        assume(False)
    f = workdir / f"mut{next(_counter)}.yaml"
    f.write_text(text, encoding="utf-8")
    try:
        load_scenario(f)
    except ScenarioError as e:
        assert e.problems
        for p in e.problems:
            assert p.file and p.file.strip()
            assert p.message and p.message.strip()
            assert str(p)
    finally:
        f.unlink()


def test_mutation_strategy_reaches_references():
    assert len(REFERENCES) >= 10
    assert ("actors", "AAA", "trust", "RUS") in REFERENCES


# --- (c) junk input ---------------------------------------------------------------------------

YAMLISH = st.lists(
    st.sampled_from(
        [
            ": ",
            "- ",
            "\n",
            "  ",
            "\t",
            "a",
            "b",
            "1",
            "0.5",
            ".nan",
            "{",
            "}",
            "[",
            "]",
            ",",
            "&x ",
            "*x",
            "<<: ",
            "!!python/object ",
            "!tag ",
            "? ",
            "|",
            ">",
            "'",
            '"',
            "#",
            "%YAML 1.1\n",
            "---\n",
            "...\n",
            "\\",
            "\x00",
            "\x07",
            "\ufeff",
            "é",
            "\x85",
            "@",
            "`",
            "!!binary ",
            "!!set ",
            "=",
            "~",
        ]
    ),
    max_size=60,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_binary_junk_raises_only_scenario_error(raw):
    try:
        parse_yaml(raw, "junk.bin")
    except ScenarioError as e:
        assert all(p.file == "junk.bin" and p.message for p in e.problems)


@settings(max_examples=300, deadline=None)
@given(YAMLISH | st.text(max_size=200))
def test_yamlish_junk_raises_only_scenario_error(text):
    for payload in (text, text.encode("utf-8", "surrogatepass")):
        try:
            parse_yaml(payload, "junk.yaml")
        except ScenarioError as e:
            assert all(p.file == "junk.yaml" and p.message for p in e.problems)


# --- (d) targeted malformations, each reported at its file and path ----------------------------

NUMERIC = [p for p in PATHS if isinstance(_get(MINI_DOC, p), int | float) and not isinstance(_get(MINI_DOC, p), bool)]
INTEGER = {("talks", "max_rounds"), ("pact", "horizon")}  # plain integers, not parameters
DEFINED = set(MINI_DOC["actors"]) | set(MINI_DOC["issues"]) | set(MINI_DOC["bodies"]) | {"default", "*"}
UNDEFINED = st.from_regex(r"\AQ[A-Z]{1,5}\Z").filter(lambda n: n not in DEFINED)
FILE_ID = itertools.count()


def _write(workdir: Path, data: bytes | str, suffix: str = ".yaml") -> Path:
    f = workdir / f"case{next(FILE_ID)}{suffix}"
    f.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return f


def _fails_cleanly(f: Path, path: tuple | None = None, prefix: bool = False) -> list:
    """Load ``f``: it must raise ScenarioError naming ``f`` (and ``path``); returns the problems."""
    with pytest.raises(ScenarioError) as info:
        load_scenario(f)
    problems = info.value.problems
    assert problems
    for p in problems:
        assert p.file == str(f) or p.file == "--set" or Path(p.file).parent == f.parent, p
        assert p.message and p.message.strip() and "Traceback" not in p.message, p
    if path is not None:
        want = format_path(path)
        hit = [p for p in problems if p.path == want or (prefix and p.path.startswith(want))]
        assert hit, f"no problem at {want}: {[str(p) for p in problems]}"
    return problems


def _with(path: tuple, value) -> dict:
    doc = copy.deepcopy(MINI_DOC)
    _get(doc, path[:-1])[path[-1]] = value
    return doc


def _dump(doc) -> str:
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)


wrong_types = st.one_of(
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz _-", min_size=1, max_size=8).filter(
        lambda t: t.strip().lower() not in {"nan", "inf", "infinity", "y", "n", "yes", "no", "on", "off", "true", "false", "null"}
    ),
    st.lists(st.integers(0, 1) | st.text(max_size=3), min_size=1, max_size=3),
    st.dictionaries(st.sampled_from(["q", "mean", "from", "to", "x"]), st.integers(0, 1), min_size=1, max_size=2),
    st.booleans(),
    st.none(),
)
out_of_range = st.one_of(
    st.floats(min_value=-1e300, max_value=-1.0001), st.floats(min_value=1e5, max_value=1e300), st.integers(10**5, 10**12)
)


@settings(max_examples=250, deadline=None)
@given(st.sampled_from(NUMERIC), st.one_of(wrong_types, out_of_range))
def test_wrong_type_or_out_of_range_is_reported_at_its_path(workdir, path, value):
    # booleans pass as integers 0/1 for the plain integer fields: see test_boolean_is_not_an_integer
    _fails_cleanly(_write(workdir, _dump(_with(path, value))), path)


def test_boolean_is_not_an_integer(workdir):
    _fails_cleanly(_write(workdir, _dump(_with(("talks", "max_rounds"), True))), ("talks", "max_rounds"))


NONFINITE = [".nan", ".NaN", ".NAN", ".inf", ".Inf", "-.inf", "+.inf", "-.Inf"]


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(sorted(set(NUMERIC) - INTEGER)), st.sampled_from(NONFINITE), st.integers(0, 5))
def test_nan_and_inf_are_reported_at_their_path(workdir, path, token, form):
    spec = [
        "{token}",
        "{{value: {token}}}",
        "{{uniform: [0.1, {token}]}}",
        "{{normal: {{mean: {token}, sd: 0.1}}}}",
        "{{beta: {{mean: 0.5, sd: {token}}}}}",
        "{{choice: [0.1, {token}]}}",
    ][form].format(token=token)
    doc = _with(path, "@@SPEC@@")
    text = _dump(doc).replace("'@@SPEC@@'", spec)
    assert spec in text
    _fails_cleanly(_write(workdir, text), path, prefix=True)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(CONTAINERS), st.from_regex(r"\A[a-z][a-z_]{0,10}\Z"), st.integers(0, 1) | st.text(max_size=4))
def test_unknown_key_is_reported_at_its_path(workdir, where, key, value):
    node = _get(MINI_DOC, where)
    assume(key not in node)
    # maps keyed by names (actors, issues, positions, ...) take new names: not "unknown keys"
    assume(where not in {(), ("actors",), ("issues",), ("bodies",), ("us_presence",)})
    assume(not (len(where) == 3 and where[2] in ("positions", "salience", "trust")))
    doc = copy.deepcopy(MINI_DOC)
    _get(doc, where)[key] = value
    _fails_cleanly(_write(workdir, _dump(doc)), where + (key,), prefix=True)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(REFERENCES + [("talks", "mediator")]), UNDEFINED)
def test_dangling_reference_is_reported_at_its_path(workdir, path, name):
    doc = copy.deepcopy(MINI_DOC)
    parent = _get(doc, path[:-1])
    if isinstance(parent, dict) and path != ("talks", "mediator"):
        parent[name] = parent.pop(path[-1])  # a key naming an actor or issue
        where = path[:-1] + (name,)
    else:
        parent[path[-1]] = name
        where = path
    _fails_cleanly(_write(workdir, _dump(doc)), where)


@settings(max_examples=100, deadline=None)
@given(
    st.integers(min_value=1, max_value=6).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n - 1))),
    st.sampled_from(["{}", "./{}", "sub/../{}"]),
    st.lists(st.sampled_from(["name", "us_presence", "bodies", "talks", "pact"]), max_size=3, unique=True),
)
def test_cyclic_extends_is_reported(workdir, shape, spelling, keys):
    n, back = shape  # files f0 -> f1 -> ... -> f(n-1) -> f(back)
    d = workdir / f"chain{next(FILE_ID)}"
    (d / "sub").mkdir(parents=True)
    for i in range(n):
        target = (i + 1) if i + 1 < n else back
        part = {k: MINI_DOC[k] for k in keys} if i == 0 else {}
        (d / f"f{i}.yaml").write_text(_dump({"extends": spelling.format(f"f{target}.yaml"), **part}))
    problems = _fails_cleanly(d / "f0.yaml")
    assert any(p.path == "extends" and "cycle" in p.message for p in problems), [str(p) for p in problems]


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=1, max_value=400), st.sampled_from(CONTAINERS), st.sampled_from(["[", "{a: ", "mixed"]))
def test_deep_nesting_fails_cleanly(workdir, depth, where, kind):
    opener = ["[", "{a: "] if kind == "mixed" else [kind]
    opens = [opener[i % len(opener)] for i in range(depth)]
    closes = "".join("]" if o == "[" else "}" for o in reversed(opens))
    doc = copy.deepcopy(MINI_DOC)
    _get(doc, where)["deep"] = "@@DEEP@@"
    text = _dump(doc).replace("'@@DEEP@@'", "".join(opens) + "0" + closes)
    problems = _fails_cleanly(_write(workdir, text))
    if depth > 70:
        assert any("nested deeper" in p.message for p in problems), [str(p) for p in problems]


MINI_BYTES = MINI.read_bytes()
BAD_UTF8 = [b"\xff", b"\xfe", b"\xc3\x28", b"\xa0\xa1", b"\xe2\x28\xa1", b"\xf0\x28\x8c\xbc", b"\xed\xa0\x80", b"\xc0\xaf"]


@settings(max_examples=100, deadline=None)
@given(st.integers(0, len(MINI_BYTES)), st.sampled_from(BAD_UTF8), st.sampled_from(["insert", "latin-1", "utf-16"]))
def test_non_utf8_file_fails_cleanly(workdir, at, junk, how):
    if how == "insert":
        data = MINI_BYTES[:at] + junk + MINI_BYTES[at:]
    elif how == "latin-1":
        data = MINI_BYTES.replace(b"name: mini", "name: München".encode("latin-1"))
    else:
        data = MINI_BYTES.decode().encode("utf-16")
    problems = _fails_cleanly(_write(workdir, data))
    assert any("UTF-8" in p.message or "invalid YAML" in p.message for p in problems), [str(p) for p in problems]


EMPTYISH = ["", " ", "\n\n", "# only a comment\n", "---\n", "---\n...\n", "~\n", "null\n", "[]\n", "{}\n", "'text'\n", "42\n"]


@settings(max_examples=50, deadline=None)
@given(st.sampled_from(EMPTYISH), st.sampled_from(["", "\n", "# trailing comment\n"]))
def test_empty_or_non_mapping_file_fails_cleanly(workdir, body, tail):
    _fails_cleanly(_write(workdir, body + tail))


# --- (e) the command line: exit code 2 and no traceback ------------------------------------------


def _malformed_files(d: Path) -> list[Path]:
    """Twenty malformed scenario files, two of each kind."""
    files = {
        "wrong_type.yaml": _dump(_with(("actors", "AAA", "capability"), "high")),
        "wrong_type2.yaml": _dump(_with(("pact", "horizon"), [1, 2])),
        "out_of_range.yaml": _dump(_with(("actors", "BBB", "salience", "cap"), 7.5)),
        "out_of_range2.yaml": _dump(_with(("talks", "max_rounds"), 10**9)),
        "nan.yaml": _dump(_with(("actors", "RUS", "capability"), float("nan"))),
        "inf.yaml": _dump(_with(("issues", "cap", "difficulty"), float("-inf"))),
        "unknown_key.yaml": _dump({**MINI_DOC, "talkz": {}}),
        "unknown_key2.yaml": _dump(_with(("actors", "CCC", "capabilty"), 0.1)),
        "dangling.yaml": _dump(_with(("pact", "parties"), ["RUS", "QNATO"])),
        "dangling2.yaml": _dump(_with(("talks", "mediator"), "QQQ")),
        "missing.yaml": _dump({k: v for k, v in MINI_DOC.items() if k != "talks"}),
        "missing2.yaml": _dump({k: v for k, v in MINI_DOC.items() if k != "actors"}),
        "cycle_a.yaml": "extends: cycle_b.yaml\n",
        "cycle_b.yaml": "extends: cycle_a.yaml\n",
        "deep.yaml": "name: x\nextra: " + "[" * 500 + "]" * 500 + "\n",
        "deep2.yaml": "name: x\nextra: " + "{a: " * 80 + "1" + "}" * 80 + "\n",
        "empty.yaml": "",
        "not_utf8.yaml": MINI_BYTES[:40] + b"\xff\xfe" + MINI_BYTES[40:],
        "binary.yaml": bytes(range(256)),
        "utf16.yaml": MINI_BYTES.decode().encode("utf-16"),
    }
    out = []
    for name, data in files.items():
        f = d / name
        f.write_bytes(data if isinstance(data, bytes) else data.encode())
        out.append(f)
    return out


def test_validate_command_exits_2_without_traceback(tmp_path):
    files = _malformed_files(tmp_path)
    assert len(files) == 20
    r = subprocess.run(
        [sys.executable, "-m", "negsim", "validate", *map(str, files)], capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 2, (r.stdout, r.stderr)
    out = r.stdout + r.stderr
    assert "Traceback" not in out
    for f in files:
        assert f.name in out, f"{f.name} not reported:\n{out}"
    # one file at a time, too, and through `negsim run`
    for f in files[::5]:
        for cmd in (["validate", str(f)], ["run", str(f), "--runs", "2", "--out", str(tmp_path / "out" / f.stem), "-q"]):
            r = subprocess.run([sys.executable, "-m", "negsim", *cmd], capture_output=True, text=True, timeout=120)
            assert r.returncode == 2, (cmd, r.stdout, r.stderr)
            assert "Traceback" not in r.stdout + r.stderr
            assert f.name in r.stdout + r.stderr


def test_at_least_1000_malformed_inputs_per_run():
    """The property tests above that feed malformed input generate over 1,000 examples per run."""
    malformed = [
        test_parse_param_raises_only_value_error,
        test_mutated_scenarios_load_or_fail_cleanly,
        test_binary_junk_raises_only_scenario_error,
        test_yamlish_junk_raises_only_scenario_error,
        test_wrong_type_or_out_of_range_is_reported_at_its_path,
        test_nan_and_inf_are_reported_at_their_path,
        test_unknown_key_is_reported_at_its_path,
        test_dangling_reference_is_reported_at_its_path,
        test_cyclic_extends_is_reported,
        test_deep_nesting_fails_cleanly,
        test_non_utf8_file_fails_cleanly,
        test_empty_or_non_mapping_file_fails_cleanly,
    ]
    total = sum(f._hypothesis_internal_use_settings.max_examples for f in malformed)
    assert total >= 1000, total


@pytest.mark.parametrize("spec", [
    {"normal": {"mean": 0.95, "sd": 0.2}}, {"normal": {"mean": 0.5, "sd": 0.1}}, {"normal": {"mean": 0.05, "sd": 0.3}},
    {"beta": {"mean": 0.3, "sd": 0.1}}, {"uniform": [0.2, 0.7]}, {"choice": [0.1, 0.5, 0.9]},
])  # fmt: skip
def test_a_parameters_mean_and_sd_are_those_of_its_draws(spec):
    """Param.mean and .sd (an executive's prior of its legislature, reports) match the draws: a normal's are truncated."""
    from negsim.scenario.params import parse_param, sample_many

    p = parse_param(spec)
    draws = np.array([sample_many([p], np.random.default_rng(i))[0] for i in range(4000)])
    assert p.mean == pytest.approx(draws.mean(), abs=0.01)
    assert p.sd == pytest.approx(draws.std(), abs=0.01)
