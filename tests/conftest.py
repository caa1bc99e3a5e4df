import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
SCENARIOS = ROOT / "scenarios"


@pytest.fixture
def mini():
    return FIXTURES / "mini.yaml"


def compile_file(path, overrides=()):
    from negsim.api import load

    return load(path, list(overrides))


def negsim_cmd(*args):
    return [sys.executable, "-m", "negsim", *map(str, args)]


def children(pid: int) -> list[int]:
    """The pids of a process's children (Linux /proc), e.g. a run's pool workers."""
    kids = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as fh:
            kids += [int(k) for k in fh.read().split()]
    return kids
