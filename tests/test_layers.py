"""The package's architecture stays true: imports go one way.

The layers are declared once, in pyproject.toml's import-linter contract; these tests run it on
the package as it is, and on a copy with one upward import added, which it must refuse.
"""

import shutil
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

PACKAGE = ROOT / "negsim"
LINT = [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"]


def _lint(cwd: Path) -> subprocess.CompletedProcess:
    # --no-cache: nothing written into the checkout; cwd first on sys.path, so `negsim` is cwd's copy
    return subprocess.run([*LINT, "--no-cache"], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_the_layers_contract_holds():
    res = _lint(ROOT)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "1 kept, 0 broken" in res.stdout


def test_an_upward_import_breaks_the_contract(tmp_path):
    """The scenario language importing the API (a layer above it) must fail the check, naming the import."""
    shutil.copytree(PACKAGE, tmp_path / "negsim", ignore=shutil.ignore_patterns("*.so", "__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    schema = tmp_path / "negsim" / "scenario" / "schema.py"
    schema.write_text(schema.read_text() + "\n\ndef _upward():\n    from negsim import api  # a forbidden import\n")
    res = _lint(tmp_path)
    assert res.returncode == 1, res.stdout + res.stderr
    assert "negsim.scenario.schema -> negsim.api" in res.stdout
