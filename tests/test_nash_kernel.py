"""The compiled Nash search (negsim/_nash.pyx) against its numpy reference, and the wiring of both."""

import shutil
import sysconfig

import numpy as np
import pytest
from conftest import compile_file

import negsim
from negsim import proposals
from negsim.runner import run_replicate

compiled = pytest.mark.skipif(proposals._ascent_compiled is None, reason="negsim._nash is not built")


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
        gain = (p["sal"] * (p["pos"] - np.abs(p["w"] * x - p["pos"]))).sum(1)
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
    assert proposals._ascent_compiled is not None, "pip install -e . should have built negsim._nash (see pyproject.toml)"


def test_a_kernel_built_from_an_older_pyx_is_ignored_with_a_warning(monkeypatch):
    """An editable install not rebuilt after a pull keeps an old negsim._nash: negsim must not call it."""
    import importlib
    import sys
    import types

    stale = types.ModuleType("negsim._nash")
    stale.ABI = proposals.KERNEL_ABI - 1
    stale.ascent = lambda *a: pytest.fail("the stale kernel was called")
    monkeypatch.setitem(sys.modules, "negsim._nash", stale)
    monkeypatch.setattr(negsim, "_nash", stale, raising=False)
    monkeypatch.delenv("NEGSIM_KERNEL", raising=False)
    try:
        with pytest.warns(RuntimeWarning, match="older negsim/_nash.pyx"):
            fresh = importlib.reload(proposals)
        assert fresh.KERNEL == "numpy" and "rerun pip install" in fresh.KERNEL_NOTE
        p = _problem(1)
        assert np.isin(fresh.nash(**p), fresh.GRID).all()
    finally:
        monkeypatch.undo()
        importlib.reload(proposals)
