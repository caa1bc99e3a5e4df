"""A non-editable install (pip install ., a wheel) finds the bundled scenarios and source cards it installed."""

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from negsim import api, paths

ROOT = Path(__file__).resolve().parent.parent


def _share(tmp_path: Path) -> Path:
    """A prefix laid out as pip lays out negsim's data files."""
    share = tmp_path / "prefix" / "share" / "negsim"
    shutil.copytree(ROOT / "scenarios", share / "scenarios")
    shutil.copytree(ROOT / "seeds", share / "seeds")
    return tmp_path / "prefix"


def test_without_a_checkout_bundled_names_resolve_to_the_installed_copy(tmp_path, monkeypatch):
    prefix = _share(tmp_path)
    monkeypatch.setattr(paths, "REPO_SCENARIOS", tmp_path / "no-checkout" / "scenarios")
    monkeypatch.setattr(paths, "REPO_SEEDS", tmp_path / "no-checkout" / "seeds")
    monkeypatch.setattr(sys, "prefix", str(prefix))
    monkeypatch.chdir(tmp_path)
    path = api.resolve_scenario_path("polish_belarusian_limits")
    assert path == prefix / "share" / "negsim" / "scenarios" / "polish_belarusian_limits.yaml"
    assert "polish_belarusian_limits.yaml" in [f.name for f, _ in api.bundled()]
    assert paths.seeds_dir() == prefix / "share" / "negsim" / "seeds"
    comp = api.load("polish_belarusian_limits")  # extends base/europe_2025.yaml beside it
    assert comp.n == 35


def test_the_checkout_comes_first(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "prefix", str(_share(tmp_path)))
    assert paths.bundled_dir() == paths.REPO_SCENARIOS
    assert api.resolve_scenario_path("us_drawdown") == paths.REPO_SCENARIOS / "us_drawdown.yaml"


def test_pip_install_dot_runs_a_bundled_scenario_by_name(tmp_path):
    """End to end: install negsim (not editable) into a fresh venv and run and validate by name from elsewhere."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    env = {**os.environ, "CC": "false"}  # the compiled kernels are optional: skip compiling them, to keep this quick
    subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps", str(ROOT)], check=True, env=env, timeout=600)
    # negsim's dependencies from this interpreter (its editable negsim is not on that path: .pth files are not read there)
    env = {**os.environ, "PYTHONPATH": sysconfig.get_paths()["purelib"]}
    work = tmp_path / "elsewhere"
    work.mkdir()
    args = [str(py), "-m", "negsim"]
    done = subprocess.run(
        [*args, "validate", "--strict", "polish_belarusian_limits"], cwd=work, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    run = [*args, "run", "polish_belarusian_limits", "--runs", "3", "--out", "out", "-q"]
    done = subprocess.run(run, cwd=work, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (work / "out" / "outcomes.csv").read_text().count("\n") == 4
    where = subprocess.run(
        [str(py), "-c", "import negsim; print(negsim.__file__)"], cwd=work, env=env, capture_output=True, text=True
    )
    assert where.stdout.startswith(str(venv)), where.stdout  # the installed copy ran, not the checkout
