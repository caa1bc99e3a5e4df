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


#: Tests that CI runs once, in its first half (Python 3.11), and not again under Python 3.12 / the newest
#: mesa (.ci/run: `-m "not slow and not once"`). They test the operating system's side (full disks,
#: workers killed from outside, kill-and-resume, concurrent runs, an install from scratch), the
#: notebooks, the browser, matplotlib's figures and the loader's fuzzer. The model, its Mesa classes,
#: Ctrl-C and kill handling (test_interrupts, test_robustness) and everything else run on both.
ONCE_MODULES = {
    "test_results_safety",
    "test_notebooks",
    "test_install",
    "test_dashboard",
    "test_fuzz_scenarios",
    "test_hostile_paths",
    "test_plots",
    "test_report",
}
ONCE_TESTS = {"test_sigkill_at_random_moments_then_resume"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        module = getattr(item, "module", None)
        if (module is not None and module.__name__ in ONCE_MODULES) or getattr(item, "originalname", "") in ONCE_TESTS:
            item.add_marker(pytest.mark.once)
