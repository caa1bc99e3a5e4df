"""Property tests for the scenario loader: it parses what it should and fails only cleanly.

(a) any valid number or distribution spec written in YAML round-trips through parse_param;
(b) random mutations of mini.yaml either load or raise ScenarioError (never anything else);
(c) junk bytes and YAML-ish junk text fed to parse_yaml raise only ScenarioError.
"""

from __future__ import annotations

import copy
import itertools
import math
import tempfile
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from negsim.errors import ScenarioError
from negsim.params import Param, parse_param
from negsim.scenario import load_scenario
from negsim.yamlio import parse_yaml

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
    assert all(math.isfinite(a) and lo <= a <= hi for a in p.args)


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
