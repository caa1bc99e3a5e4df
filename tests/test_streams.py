"""Per-parameter random streams (issue 16, item 4): Philox checked, distributions exact, draws paired across --set."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from scipy import stats

from negsim.scenario import streams
from negsim.scenario.params import SamplePlan, parse_param

# Random123's known-answer vectors for Philox4x32-10: counter (4 words), key (2 words) -> output
KAT = [
    ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((0xFFFFFFFF,) * 4, (0xFFFFFFFF,) * 2, (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    (
        (0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344),
        (0xA4093822, 0x299F31D0),
        (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1),
    ),
]


@pytest.mark.parametrize("ctr, key, want", KAT)
def test_philox_matches_the_random123_known_answers(ctr, key, want):
    out = streams.philox4x32(*[[c] for c in ctr], *key)
    assert tuple(int(o[0]) for o in out) == want
    if streams._compiled is not None:  # the compiled kernel: the same words, as uniforms
        u = streams._compiled(*(np.array([c], dtype=np.uint64) for c in ctr[:3]), ctr[3], *key)
        assert tuple(int(x) for x in (u[0] * 2**32 - 0.5)) == want


@pytest.mark.skipif(streams._compiled is None, reason="negsim.scenario._philox is not built (pip install -e .)")
def test_the_compiled_philox_gives_the_numpy_reference_bits():
    rng = np.random.default_rng(4)
    h = rng.integers(0, 2**32, size=(3, 2000), dtype=np.uint64)
    for key in [(0, 0), (12345, 67890), (2**32 - 1, 1)]:
        assert np.array_equal(streams.uniforms(h[0], h[1], h[2], key, 3), streams.uniforms_numpy(h[0], h[1], h[2], key, 3))
    assert np.array_equal(streams.uniforms(h[0], h[1], 5, (1, 2)), streams.uniforms_numpy(h[0], h[1], 5, (1, 2)))


SPECS = [
    {"beta": {"mean": 0.3, "sd": 0.1}},
    {"beta": {"mean": 0.03, "sd": 0.04}},  # shape a < 1: the boosted gamma
    {"beta": {"mean": 0.9, "sd": 0.2}},  # shape b < 1
    {"normal": {"mean": 0.2, "sd": 0.3}},  # truncated to [0, 1]
    {"uniform": [0.1, 0.4]},
]


def _reference(p, plan, j):
    """The scipy distribution a parameter should follow."""
    if p.kind == "beta":
        a, b = plan.beta_a[j], plan.beta_b[j]
        return stats.beta(a, b, loc=p.lo, scale=p.hi - p.lo)
    if p.kind == "normal":
        m, s = p.args
        return stats.truncnorm((p.lo - m) / s, (p.hi - m) / s, loc=m, scale=s)
    return stats.uniform(p.args[0], p.args[1] - p.args[0])


def test_each_distribution_is_drawn_exactly():
    """Kolmogorov-Smirnov against scipy over 20,000 replicate keys (fixed: the test is deterministic)."""
    params = [parse_param(s) for s in SPECS]
    plan = SamplePlan(params)
    draws = np.array([plan.draw((i, 99)) for i in range(20_000)])
    kinds = {"beta": 0, "normal": 0}
    for col, p in enumerate(params):
        j = kinds.get(p.kind, 0)
        if p.kind in kinds:
            kinds[p.kind] += 1
        pval = stats.kstest(draws[:, col], _reference(p, plan, j).cdf).pvalue
        assert pval > 1e-3, (SPECS[col], pval)


def test_choice_follows_its_probabilities():
    plan = SamplePlan([parse_param({"choice": [0.1, 0.2, 0.3], "p": [0.2, 0.3, 0.5]})])
    draws = np.array([plan.draw((i, 5))[0] for i in range(20_000)])
    counts = np.array([(draws == v).sum() for v in (0.1, 0.2, 0.3)])
    assert stats.chisquare(counts, 20_000 * np.array([0.2, 0.3, 0.5])).pvalue > 1e-3


def test_a_parameter_draws_the_same_whatever_else_is_random():
    """Fixing, adding or reordering other parameters leaves each one's draw unchanged: its stream is keyed by its name."""
    a, b, c = parse_param({"beta": {"mean": 0.4, "sd": 0.1}}), parse_param({"uniform": [0, 1]}), parse_param(0.5)
    full = SamplePlan([a, b, a], ["x", "y", "z"])
    fixed = SamplePlan([a, c, a], ["x", "y", "z"])
    shuffled = SamplePlan([b, a], ["y", "z"])
    for i in range(50):
        f, g, s = full.draw((i, 1)), fixed.draw((i, 1)), shuffled.draw((i, 1))
        assert f[0] == g[0] and f[2] == g[2] and s[1] == f[2] and s[0] == f[1]
        assert f[0] != f[2]  # two parameters with the same law but different names draw differently


def test_a_replicate_key_does_not_draw_from_the_model_generator():
    rng = np.random.default_rng(np.random.SeedSequence(3, spawn_key=(7,)))
    before = rng.bit_generator.state
    k1, k2 = streams.replicate_key(rng), streams.replicate_key(rng)
    assert k1 == k2 and rng.bit_generator.state == before
    assert streams.replicate_key(np.random.default_rng(np.random.SeedSequence(3, spawn_key=(8,)))) != k1


def _outcomes(tmp_path, name, overrides):
    from negsim.api import run

    out = tmp_path / name
    run("us_drawdown", runs=40, seed=0, out=out, overrides=overrides)
    return hashlib.sha256((out / "outcomes.csv").read_bytes()).hexdigest()


def test_a_set_on_a_parameter_with_no_mechanism_gives_identical_outcomes(tmp_path):
    """us_drawdown draws the US's opportunism and Canada's cohesion (beta, uniform); neither moves its outcomes."""
    base = _outcomes(tmp_path, "base", [])
    assert _outcomes(tmp_path, "opp", ["actors.USA.opportunism=0.2"]) == base
    assert _outcomes(tmp_path, "coh", ["actors.CAN.cohesion=0.5"]) == base


def test_every_actor_array_names_a_scenario_path():
    """Draws tables and stream names say ``actors.X.<path>`` with the scenario's own path for every actor array."""
    from negsim.scenario.compile import ACTOR_ARRAYS, document_path
    from negsim.scenario.schema import Actor

    for name in ACTOR_ARRAYS:
        model, parts = Actor, document_path(f"actors.AAA.{name}").split(".")[2:]
        for part in parts:
            assert part in model.model_fields, (name, parts)
            model = model.model_fields[part].annotation
