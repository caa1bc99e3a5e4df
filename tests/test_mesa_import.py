"""negsim loads mesa's Model and Agent without the rest of mesa's start-up (negsim/model/_mesa.py)."""

import subprocess
import sys
from importlib.metadata import version

import pytest


def _python(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.skipif(
    tuple(map(int, version("mesa").split(".")[:2])) >= (3, 4), reason="mesa 3.4+ imports pandas in mesa.agent itself"
)
def test_a_run_does_not_import_pandas_scipy_or_networkx():
    out = _python(
        "import sys, numpy as np\n"
        "from negsim import api\n"
        "from negsim.montecarlo.runner import run_replicate\n"
        "comp = api.load(api.resolve_scenario_path('polish_belarusian_limits'))\n"
        "row = run_replicate(comp, 7, 0)\n"
        "print(sorted(m for m in ('pandas', 'scipy', 'networkx') if m in sys.modules), row['replicate'])"
    )
    assert out == "[] 0"


def test_mesa_imported_after_negsim_is_the_whole_package():
    """A notebook importing mesa after negsim gets every name, and the same classes negsim uses."""
    out = _python(
        "import negsim.model.model\n"
        "import mesa\n"
        "from mesa import batch_run, DataCollector\n"
        "import mesa.space\n"
        "assert mesa.__doc__.startswith('Mesa'), mesa.__doc__\n"
        "print(mesa.__version__, mesa.Model is negsim.model.model.Model, mesa.Agent is negsim.model.model.Agent,\n"
        "      callable(batch_run), DataCollector.__name__, 'experimental' in dir(mesa))"
    )
    assert out == f"{version('mesa')} True True True DataCollector True"


def test_mesa_imported_before_negsim_is_used_as_it_is():
    out = _python("import mesa\nimport negsim.model.model\nprint(mesa.Model is negsim.model.model.Model, type(mesa).__name__)")
    assert out == "True module"


def test_when_the_partial_import_fails_the_plain_import_is_used():
    """A mesa whose core needs its package started (simulated: mesa.model fails while the package is deferred)."""
    out = _python(
        "import sys\n"
        "class NeedsPackage:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'mesa.model' and type(sys.modules.get('mesa')).__name__ == '_Deferred':\n"
        "            raise ImportError('mesa.model needs the whole package')\n"
        "sys.meta_path.insert(0, NeedsPackage())\n"
        "from negsim.model import _mesa\n"
        "Model, Agent = _mesa.load()\n"
        "import mesa\n"
        "print(Model is mesa.Model, type(mesa).__name__, 'pandas' in sys.modules)"
    )
    assert out == "True module True"


def test_a_failing_mesa_start_up_fails_each_time_it_is_asked_like_a_plain_import():
    out = _python(
        "import sys\n"
        "class Broken:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'mesa.batchrunner':\n"
        "            raise ImportError('mesa.batchrunner is broken')\n"
        "import negsim.model.model\n"
        "sys.meta_path.insert(0, Broken())\n"
        "import mesa\n"
        "for attempt in (1, 2):\n"
        "    try:\n"
        "        mesa.DataCollector\n"
        "    except ImportError as e:\n"
        "        print(attempt, e)\n"
        "sys.meta_path.pop(0)\n"
        "print(mesa.DataCollector.__name__)"  # mended: the next access finishes the package
    )
    assert out.splitlines() == ["1 mesa.batchrunner is broken", "2 mesa.batchrunner is broken", "DataCollector"]


def test_threads_asking_for_mesa_at_once_both_get_the_whole_package():
    out = _python(
        "import threading, negsim.model.model, mesa\n"
        "out = {}\n"
        "def ask(name):\n"
        "    try:\n"
        "        out[name] = getattr(mesa, name).__name__\n"
        "    except Exception as e:\n"
        "        out[name] = repr(e)\n"
        "ts = [threading.Thread(target=ask, args=(n,)) for n in ('DataCollector', 'batch_run', 'Model')]\n"
        "[t.start() for t in ts]; [t.join() for t in ts]\n"
        "print(sorted(out.items()))"
    )
    assert out == "[('DataCollector', 'DataCollector'), ('Model', 'Model'), ('batch_run', 'batch_run')]"
