"""The package's architecture stays true: imports go one way, and no module takes another's private names.

The layers are declared once, in pyproject.toml's import-linter contract; these tests run it on
the package as it is, and on a copy with one upward import added, which it must refuse.
"""

import ast
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


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        yield name, path, ast.parse(path.read_text(), str(path))


def test_no_module_imports_another_modules_private_names():
    """``from negsim.x import _y`` only for a private submodule of the importer's own subpackage (``model._nash``, ``scenario._philox``)."""
    modules = {name for name, _, _ in _modules()} | {"negsim.model._nash", "negsim.scenario._philox"}
    bad = []
    for name, path, tree in _modules():
        package = name.rsplit(".", 1)[0]
        imported = {}  # local name -> negsim module it stands for
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("negsim"):
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    if full in modules:
                        imported[alias.asname or alias.name] = full
                        if alias.name.startswith("_") and node.module != package:
                            bad.append(f"{path.name}:{node.lineno} imports {full}")
                    elif alias.name.startswith("_") and not alias.name.startswith("__"):
                        bad.append(f"{path.name}:{node.lineno} imports {full}")
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in imported
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
            ):
                bad.append(f"{path.name}:{node.lineno} uses {imported[node.value.id]}.{node.attr}")
    assert not bad, "private names taken across modules:\n" + "\n".join(bad)


MAX_FUNCTION_LINES = 80  # the compiled kernel (negsim/model/_nash.pyx) is Cython, outside this scan


def test_no_function_is_longer_than_80_lines():
    """Functions short enough to read at once: any def over the limit is named with its length."""
    long = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({lines} lines)")
    assert not long, "split these functions:\n" + "\n".join(long)
