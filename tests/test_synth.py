"""Synthetic scenarios (negsim.scenario.synth): valid, runnable, reproducible, and fine at 300 actors."""

from __future__ import annotations

import pytest

from negsim.api import load, validate
from negsim.errors import ScenarioError
from negsim.montecarlo.runner import run_many
from negsim.scenario.synth import compile_synthetic, synthetic_scenario, validate_document, write_synthetic


@pytest.mark.parametrize("n,k", [(4, 1), (5, 3), (35, 10), (60, 15)])
def test_valid_and_runs(n, k):
    doc = synthetic_scenario(n, k, seed=3)
    sc = validate_document(doc)
    assert len(sc.actors) == n
    assert len(sc.talks.issues) == k
    comp = compile_synthetic(n, k, seed=3)
    rows = run_many(comp, 5, seed=1)
    assert [r["replicate"] for r in rows] == list(range(5))
    assert all(r["end_cause"] in ("agreement", "veto", "deadlock", "walkout") for r in rows)


def test_structure():
    doc = synthetic_scenario(40, 9, seed=0)
    assert doc["pact"]["parties"] == ["CPT", "ALY", "ALLIANCE"]
    obligors = [i["obligor"] for i in doc["issues"].values()]
    assert "mutual" in obligors
    assert any(isinstance(o, list) and "CPT" in o for o in obligors)
    assert any(isinstance(o, list) and o[0].startswith("M") for o in obligors)
    assert all(a["assumption"] == "synthetic" for a in doc["actors"].values())
    assert all(i["assumption"] == "synthetic" for i in doc["issues"].values())
    assert {i["front"] for i in doc["issues"].values()} >= {"central", "arctic_baltic", "black_sea_caucasus"}


def test_deterministic_for_a_seed():
    assert synthetic_scenario(30, 7, seed=5) == synthetic_scenario(30, 7, seed=5)
    assert synthetic_scenario(30, 7, seed=5) != synthetic_scenario(30, 7, seed=6)
    a = run_many(compile_synthetic(30, 7, seed=5), 5, seed=2)
    b = run_many(compile_synthetic(30, 7, seed=5), 5, seed=2)
    assert a == b


def test_written_file_validates_strict(tmp_path):
    path = write_synthetic(tmp_path / "syn.yaml", 12, 6, seed=1)
    assert validate([str(path)], allow_outside=True, strict=True) == {str(path): []}
    comp = load(path, allow_outside=True)
    assert comp.n == 12 and comp.k == 6
    rows = run_many(comp, 5, seed=0)
    direct = run_many(compile_synthetic(12, 6, seed=1), 5, seed=0)
    assert rows == direct  # the YAML round trip changes nothing


def test_rejects_tiny_sizes():
    with pytest.raises(ValueError):
        synthetic_scenario(3, 5)
    with pytest.raises(ValueError):
        synthetic_scenario(10, 0)


def test_validate_document_reports_problems():
    doc = synthetic_scenario(6, 3)
    doc["talks"]["mediator"] = "NOPE"
    with pytest.raises(ScenarioError):
        validate_document(doc)


def test_300_actors_runs():
    """No timing assertion: a 300-actor, 15-issue scenario runs a few replicates without error."""
    comp = compile_synthetic(300, 15, seed=0)
    rows = run_many(comp, 3, seed=0)
    assert len(rows) == 3
