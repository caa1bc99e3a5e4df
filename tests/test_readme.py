"""The README's quick start: exactly two commands, and the first one's run works."""

import re
import shlex
import subprocess
import sys

from conftest import ROOT


def quick_start_commands():
    text = (ROOT / "README.md").read_text()
    section = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return [line.strip() for line in section.splitlines() if line.startswith("    ") and line.strip()]


def test_quick_start_has_exactly_two_commands():
    cmds = quick_start_commands()
    assert len(cmds) == 2, cmds
    assert "negsim run" in cmds[0] and "pip install -e ." in cmds[0]
    assert "pytest" in cmds[1] and "[test]" in cmds[1]


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    assert quick_start_commands()[1] in ci


def test_quick_start_run_works(tmp_path):
    # the part after the install: `.venv/bin/negsim run scenarios/... --jobs 2`, run with this python
    run_part = quick_start_commands()[0].split("&&")[-1].strip()
    args = shlex.split(run_part)
    assert re.search(r"negsim$", args[0])
    (tmp_path / "scenarios").symlink_to(ROOT / "scenarios")
    r = subprocess.run(
        [sys.executable, "-m", "negsim", *args[1:], "-q"], capture_output=True, text=True, cwd=tmp_path, timeout=300
    )
    assert r.returncode == 0, r.stderr
    assert "P(agreement)" in r.stdout and "Results: results/" in r.stdout
    assert list((tmp_path / "results").glob("*/outcomes.csv"))


def test_readme_commands_exist():
    from negsim.cli import _parser

    text = (ROOT / "README.md").read_text()
    sub = _parser()._subparsers._group_actions[0].choices
    for cmd in set(re.findall(r"`negsim (\w+)", text)):
        assert cmd in sub, f"README mentions `negsim {cmd}`, which does not exist"
