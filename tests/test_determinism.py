"""Same seed, same numbers: across worker counts, and byte for byte across runs."""

import subprocess

from conftest import compile_file, negsim_cmd

from negsim.montecarlo.runner import run_many


def test_rows_identical_for_any_worker_count(mini):
    comp = compile_file(mini)
    one = run_many(comp, 60, 42, jobs=1)
    two = run_many(comp, 60, 42, jobs=2)
    three = run_many(comp, 60, 42, jobs=3)
    assert one == two == three


def test_replicate_does_not_depend_on_run_size(mini):
    comp = compile_file(mini)
    assert run_many(comp, 10, 3)[:5] == run_many(comp, 5, 3)


def test_golden_run_is_byte_identical_and_seed_sensitive(mini, tmp_path):
    outs = []
    for name, seed, jobs in (("a", 9, 1), ("b", 9, 2), ("c", 10, 1)):
        out = tmp_path / name
        r = subprocess.run(
            negsim_cmd("run", mini, "--runs", 200, "--seed", seed, "--jobs", jobs, "--out", out, "-q"),
            capture_output=True,
            text=True,
        )
        assert r.returncode == 0, r.stderr
        outs.append(((out / "outcomes.csv").read_bytes(), (out / "summary.json").read_bytes()))
    assert outs[0] == outs[1]
    assert outs[0][0] != outs[2][0]
