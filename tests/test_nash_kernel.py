"""The compiled Nash search (negsim/model/_nash.pyx) against its numpy reference, and the wiring of both."""

import shutil
import sysconfig

import numpy as np
import pytest
from conftest import compile_file

import negsim.model
from negsim.model import proposals
from negsim.montecarlo.runner import run_replicate

compiled = pytest.mark.skipif(proposals.ascent_compiled is None, reason="negsim.model._nash is not built")


def _problem(seed: int, n: int = 12, k: int = 4):
    """A random Nash search problem: positions, red lines, and a mix of party kinds."""
    rng = np.random.default_rng(seed)
    pos = rng.uniform(-0.2, 1.0, (n, k))
    sal = rng.uniform(0.0, 1.0, (n, k))
    w = rng.uniform(0.2, 1.0, (n, k))
    thr = rng.uniform(-0.3, 0.4, n)
    red = np.where(rng.random((n, k)) < 0.2, rng.uniform(0, 1, (n, k)), np.nan)
    lower = np.where(~np.isnan(red) & (pos > red), red, -np.inf)
    upper = np.where(~np.isnan(red) & (pos <= red), red, np.inf)
    cap = rng.uniform(0.1, 1.0, n)
    specs = [
        (np.array([0]), True, np.ones(1), 0.0, False),  # a state alone
        (np.array([1]), True, np.ones(1), 0.0, False),
        (np.arange(2, 6), True, np.ones(4), 0.1, True),  # consensus with the silence procedure
        (np.arange(6, 9), True, np.ones(3), 0.0, False),  # unanimity
        (np.arange(9, n), False, cap[9:] / cap[9:].sum(), 0.0, False),  # a capability-weighted body
    ]
    return dict(pos=pos, sal=sal, cap=cap, mask=np.ones(n, bool), w=w, thr=thr, lower=lower, upper=upper,
                parties=proposals.Parties(specs, n))  # fmt: skip


@compiled
@pytest.mark.parametrize("seed", range(40))
def test_compiled_search_gives_the_numpy_reference_package(seed, monkeypatch):
    p = _problem(seed, n=12 + seed % 24, k=1 + seed % 7)
    monkeypatch.setattr(proposals, "KERNEL", "compiled")
    fast = proposals.nash(**p)
    monkeypatch.setattr(proposals, "KERNEL", "numpy")
    ref = proposals.nash(**p)
    assert np.array_equal(fast, ref), (fast, ref)
    assert np.isin(fast, proposals.GRID).all()


@compiled
@pytest.mark.parametrize("seed", range(5))
def test_the_search_beats_the_compromise_it_starts_from(seed):
    """Not only the twins agreeing: the package found has a higher smoothed Nash product."""
    p = _problem(seed, n=20, k=5)
    n = len(p["thr"])

    def product(x):  # the objective of proposals.nash, written out party by party
        gain = (p["w"] * p["sal"] * (p["pos"] - np.abs(x - p["pos"]))).sum(1)
        crossed = ((x < p["lower"] - 0.005) | (x > p["upper"] + 0.005)).sum(1)
        margin = gain - p["thr"] - 10.0 * crossed
        heard = np.abs(gain[2:6]) > 0.1  # the silence body leaves out its indifferent members
        u = [margin[0], margin[1], margin[2:6][heard].min() if heard.any() else 0.0, margin[6:9].min(),
             p["parties"].mean_bodies[0][2] @ margin[9:n]]  # fmt: skip
        z = np.array(u) / proposals.TAU
        return np.where(z < -30, z, np.log(np.logaddexp(0, np.maximum(z, -30)))).sum()

    x0 = np.round(proposals.compromise(p["pos"], p["sal"], p["cap"], p["mask"]) * 20) / 20
    x = proposals.nash(**p)
    assert product(x) >= product(x0)
    assert product(x) > product(x0) or np.array_equal(x, x0)


@compiled
def test_a_scenario_plays_out_the_same_with_either_search(monkeypatch):
    comp = compile_file("scenarios/polish_belarusian_limits.yaml")
    rows = {}
    for kernel in ("compiled", "numpy"):
        monkeypatch.setattr(proposals, "KERNEL", kernel)
        rows[kernel] = [run_replicate(comp, 11, i) for i in range(15)]
    assert rows["compiled"] == rows["numpy"]


@pytest.mark.skipif(not (shutil.which(sysconfig.get_config_var("CC").split()[0] if sysconfig.get_config_var("CC") else "cc")),
                    reason="no C compiler: the install falls back to the numpy search")  # fmt: skip
def test_an_install_with_a_c_compiler_builds_the_compiled_search():
    assert proposals.ascent_compiled is not None, "pip install -e . should have built negsim.model._nash (see pyproject.toml)"


def test_a_kernel_built_from_an_older_pyx_is_ignored_with_a_warning(monkeypatch):
    """An editable install not rebuilt after a pull keeps an old negsim.model._nash: negsim must not call it."""
    import importlib
    import sys
    import types

    stale = types.ModuleType("negsim.model._nash")
    stale.ABI = proposals.KERNEL_ABI - 1
    stale.ascent = lambda *a: pytest.fail("the stale kernel was called")
    monkeypatch.setitem(sys.modules, "negsim.model._nash", stale)
    monkeypatch.setattr(negsim.model, "_nash", stale, raising=False)
    monkeypatch.delenv("NEGSIM_KERNEL", raising=False)
    try:
        with pytest.warns(RuntimeWarning, match="older negsim/model/_nash.pyx"):
            fresh = importlib.reload(proposals)
        assert fresh.KERNEL == "numpy" and "rerun pip install" in fresh.KERNEL_NOTE
        p = _problem(1)
        assert np.isin(fresh.nash(**p), fresh.GRID).all()
    finally:
        monkeypatch.undo()
        importlib.reload(proposals)


# -- whole replicates with the compiled search against the numpy search ----------------------------------


def _variant(n: int, k: int, seed: int, body: dict | None = None, talks: dict | None = None, shapes: dict | None = None,
             walkout: dict | None = None):  # fmt: skip
    """A synthetic scenario with the body's rule, the talks or some members' concession shapes changed."""
    from negsim.scenario.compile import CompiledScenario
    from negsim.scenario.synth import synthetic_scenario, validate_document

    doc = synthetic_scenario(n, k, seed)
    doc["bodies"]["ALLIANCE"].update(body or {})
    doc["talks"].update(talks or {})
    members = [c for c in doc["actors"] if c.startswith("M")]
    for j, shape in (shapes or {}).items():
        doc["actors"][members[j]]["concession"]["shape"] = shape
    for code in members[: len(members) // 2] if walkout else []:
        doc["actors"][code]["walkout"] = dict(walkout)
    return CompiledScenario(validate_document(doc), doc)


VARIANTS = {
    "nash, 10 issues (pairwise sums)": dict(n=35, k=10, seed=1),
    "nash, 40 issues, no silence": dict(n=30, k=40, seed=2, body={"silence": False}),
    "compromise, one issue": dict(n=25, k=1, seed=3, talks={"proposal": "compromise", "mediator_bias": 0.0}),
    "baby steps (one-issue packages)": dict(n=20, k=4, seed=4, talks={"agenda": "baby_steps"}),
    "unanimity": dict(n=20, k=3, seed=5, body={"rule": "unanimity"}),
    "majority": dict(n=21, k=3, seed=6, body={"rule": "majority"}),
    "qmv": dict(n=30, k=3, seed=7, body={"rule": "qmv", "states": 0.5, "population": 0.6}),
    "capability": dict(n=30, k=3, seed=8, body={"rule": "capability", "threshold": 0.6}),
    "shuttle, three stages": dict(n=24, k=5, seed=9, talks={"sequencing": "shuttle", "stages": [["CPT"], ["ALY", "ALLIANCE"], ["UNION"]]}),
    "conceder, categorical, reciprocal": dict(n=20, k=3, seed=10, shapes={1: "conceder", 2: "categorical", 3: "reciprocal", 4: "categorical"}),
    "walk-outs": dict(n=20, k=3, seed=11, walkout={"after": 2, "hazard": 0.4}),
    "300 actors (pairwise sums of >128)": dict(n=300, k=5, seed=12),
}  # fmt: skip


@compiled
@pytest.mark.parametrize("name", list(VARIANTS))
def test_a_replicate_plays_out_the_same_with_the_compiled_search(name, monkeypatch):
    """Row for row, including why a package failed: the search runs every round, so any difference would show."""
    comp = _variant(**VARIANTS[name])
    reps = 4 if comp.n > 100 else 12
    rows = {}
    for kernel in ("compiled", "numpy"):
        monkeypatch.setattr(proposals, "KERNEL", kernel)
        rows[kernel] = [run_replicate(comp, 3, i) for i in range(reps)]
    assert rows["compiled"] == rows["numpy"]


@compiled
def test_the_round_loop_variants_reach_every_outcome(monkeypatch):
    """The variants above are not all alike: between them the talks agree, are vetoed or deadlock, and end in walk-outs."""
    causes = set()
    for v in VARIANTS.values():
        if v["n"] <= 100:
            comp = _variant(**v)
            causes |= {run_replicate(comp, 3, i)["end_cause"] for i in range(12)}
    assert {"agreement", "walkout", "veto"} <= causes, causes
    assert causes & {"deadlock"}, causes


@compiled
def test_the_kernels_sum_as_numpy_does():
    """Pairwise summation in numpy's order, to the bit (a plain running sum differs for about half of these)."""
    rng = np.random.default_rng(0)
    plain_differs = 0
    for n in [*range(0, 140), 255, 256, 300, 1000, 1027]:
        a = rng.random(n) * 10 ** rng.uniform(-3, 3, n)
        assert proposals._nash.numpy_sum(a) == a.sum(), n
        plain_differs += sum(a.tolist()) != a.sum()
    assert plain_differs > 20  # the test can tell the two orders apart


@compiled
@pytest.mark.parametrize("k", [1, 2, 3, 9, 40])
def test_the_kernels_compromise_is_numpys(k):
    rng = np.random.default_rng(k)
    for n in (3, 35, 150, 300):
        pos, sal = rng.uniform(-0.2, 1.0, (n, k)), rng.uniform(0.0, 1.0, (n, k))
        cap, mask = rng.lognormal(0, 1, n), rng.random(n) < 0.8
        ref = proposals.compromise(pos, sal, cap, mask)
        assert proposals._nash.compromise(pos, sal, cap, mask.view(np.uint8)).tobytes() == ref.tobytes()


@pytest.mark.parametrize("rule", ["capability", "qmv"])
def test_a_body_with_no_capability_or_population_counts_one_vote_each(rule, monkeypatch):
    """All members at 0: the weighted share is undefined, so each member counts once (both loops; no crash)."""
    from negsim.scenario.compile import CompiledScenario
    from negsim.scenario.synth import synthetic_scenario, validate_document

    doc = synthetic_scenario(8, 2, seed=1)
    doc["bodies"]["ALLIANCE"].update(rule=rule, silence=False)
    for code, actor in doc["actors"].items():
        if code.startswith("M"):
            actor["capability" if rule == "capability" else "population"] = 0.0
        actor.update(reservation=-1.0, spoiler=0.0)  # every member accepts any package
        actor.pop("red_lines", None)
    comp = CompiledScenario(validate_document(doc), doc)
    for kernel in ["numpy"] + (["compiled"] if proposals.ascent_compiled is not None else []):
        monkeypatch.setattr(proposals, "KERNEL", kernel)
        rows = [run_replicate(comp, 1, i) for i in range(5)]
        assert all(r["end_cause"] == "agreement" for r in rows), (kernel, rows[0])


@pytest.mark.parametrize("seed", range(16))
@pytest.mark.parametrize("k", [2, 3])
def test_a_small_nash_proposal_is_the_brute_force_optimum_whatever_the_start(seed, k):
    """Issue 16, item 5 (in part): packages of up to three issues are searched exhaustively, so no start matters.

    The brute force scores every package of the grid with nash_objectives (N x G^k x K products); the search
    scores them issue by issue (grid_objectives), which must give the same floats.
    """
    p = _problem(seed, n=12 + seed, k=k)
    args = (p["pos"], p["sal"], p["w"], p["thr"], p["lower"], p["upper"], p["parties"])
    every = proposals._full_grid(k)
    brute = proposals.nash_objectives(every, *args)
    assert np.array_equal(proposals.grid_objectives(k, *args), brute)
    best = every[int(np.argmax(brute))]
    kw = {key: v for key, v in p.items() if key not in ("pos", "sal", "cap", "mask")}
    for start in (None, np.zeros(k), np.ones(k), np.eye(k)[0]):
        x = proposals.nash_multistart(p["pos"], p["sal"], p["cap"], p["mask"], start=start, **kw)
        assert np.array_equal(x, best), (seed, start, x, best)


def _best_of_search(p, k):
    args = (p["pos"], p["sal"], p["w"], p["thr"], p["lower"], p["upper"], p["parties"])
    kw = {key: v for key, v in p.items() if key not in ("pos", "sal", "cap", "mask")}
    x = proposals.nash_multistart(p["pos"], p["sal"], p["cap"], p["mask"], **kw)
    return proposals.nash_objectives(x[None], *args)[0], proposals.grid_objectives(k, *args).max()


def test_pair_moves_find_the_trades_that_coordinate_ascent_misses(monkeypatch):
    """Issue 16, item 5, for four issues: moving two issues at once climbs the ridges a min over members makes.

    On 60 random four-issue problems, the sweeps alone miss the grid's best package in 12 and never do
    better than with the pair moves; with them, 3 are missed (the brute force scores all 194,481 packages).
    """
    found, without = [], []
    for seed in range(60):
        p = _problem(seed, n=12 + seed % 24, k=4)
        monkeypatch.setattr(proposals, "PAIR_PASSES", 0)
        alone, best = _best_of_search(p, 4)
        monkeypatch.undo()
        paired, _ = _best_of_search(p, 4)
        assert paired >= alone, seed  # the moves start where the sweeps stopped and only ever climb
        without.append(alone < best - 1e-12)
        found.append(paired < best - 1e-12)
    assert sum(without) == 12 and sum(found) == 3, (sum(without), sum(found))


@compiled
@pytest.mark.parametrize("seed", range(24))
def test_the_compiled_exact_search_finds_numpy_s_package(seed, monkeypatch):
    """grid_best: the compiled enumeration of one to three issues returns numpy's argmax of grid_objectives, to the index."""
    k = 1 + seed % 3
    p = _problem(seed, n=12 + seed, k=k)
    args = (p["pos"], p["sal"], p["w"], p["thr"], p["lower"], p["upper"], p["parties"])
    nodeal = np.random.default_rng(seed).uniform(-0.3, 0.3, len(p["thr"]))
    want = int(np.argmax(proposals.grid_objectives(k, *args, nodeal)))
    monkeypatch.setattr(proposals, "KERNEL", "compiled")
    assert proposals.grid_best(k, *args, nodeal) == want
    monkeypatch.setattr(proposals, "KERNEL", "numpy")
    assert proposals.grid_best(k, *args, nodeal) == want


def test_capability_reaches_a_large_nash_package_only_through_the_objective():
    """Issue 16, item 5: with no capability-weighted body, nothing in the Nash product depends on capability, so
    neither may the package a search of four to six issues finds. Its first start used to be the capability-weighted
    compromise (the US's capability moved us_drawdown's P(agreement) by +12.8 pp through the start alone): the
    package then changed with the capabilities in 15 of these 200 problems."""
    changed = []
    for seed in range(200):
        p = _problem(seed, n=14, k=4 + seed % 3)
        n = len(p["thr"])
        p["parties"] = proposals.Parties(
            [(np.array([0]), True, np.ones(1), 0.0, False), (np.array([1]), True, np.ones(1), 0.0, False),
             (np.arange(2, 6), True, np.ones(4), 0.1, True), (np.arange(6, n), True, np.ones(n - 6), 0.0, False)],
            n,
        )  # fmt: skip
        kw = {key: v for key, v in p.items() if key not in ("pos", "sal", "cap", "mask")}
        other = np.random.default_rng(100 + seed).uniform(0.01, 1.0, n) ** 3
        x = proposals.nash_multistart(p["pos"], p["sal"], p["cap"], p["mask"], **kw)
        if not np.array_equal(x, proposals.nash_multistart(p["pos"], p["sal"], other, p["mask"], **kw)):
            changed.append(seed)
    assert changed == []
