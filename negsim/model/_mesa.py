"""Mesa's ``Model`` and ``Agent`` without the rest of mesa's package start-up.

``import mesa`` runs mesa's ``__init__``, which imports every part of mesa: the data collector
and batch runner (pandas), continuous space (scipy) and the network grid (networkx). negsim
uses none of them, and on mesa 3.3 they are about 90% of the import (1.5 s of 1.7 s on the
benchmark machine: ``python benchmarks/bench.py --only run`` prints both), paid by every run.

:func:`load` imports ``mesa.model`` and ``mesa.agent`` with the ``mesa`` package registered
but its ``__init__`` not yet run. The package then finishes its own start-up the first time
anything asks it for a name it does not have yet (``mesa.DataCollector``,
``from mesa import batch_run``, ``mesa.__version__``), so code that imports mesa after negsim
in the same process (a notebook, a test) sees the whole package. ``import mesa.space`` and the
like work as always. If mesa is already imported, or the partial import fails for any reason
(a mesa whose core imports its package), the plain ``import mesa`` is used instead.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
import types

#: mesa's own dunder names, which finish the package; other dunders (``__wrapped__``, ``__getstate__``, ...)
#: are probes of introspection tools, answered without starting mesa
_MESA_DUNDERS = frozenset({"__version__", "__all__", "__title__", "__license__", "__copyright__"})
_LOCK = threading.RLock()
_finishing = False


class _Deferred(types.ModuleType):
    # The ``mesa`` package before its ``__init__`` has run: the first missing name runs it.

    @property
    def __doc__(self):  # noqa: D105 - help(mesa) reads this first: the docstring is mesa's, once it has run
        finish(self)
        return self.__dict__.get("__doc__")

    def __getattr__(self, name: str):
        if name.startswith("__") and name.endswith("__") and name not in _MESA_DUNDERS:
            raise AttributeError(name)
        finish(self)
        try:
            return self.__dict__[name]
        except KeyError:
            raise AttributeError(f"module 'mesa' has no attribute {name!r}") from None

    def __dir__(self):
        finish(self)
        return list(self.__dict__)


def finish(pkg: types.ModuleType) -> None:
    """Run mesa's ``__init__`` in the deferred package, once.

    Other threads asking meanwhile wait for it; a name mesa's own start-up asks for before it
    exists is missing, as in a plain import. If the start-up fails, the error is raised and the
    package stays deferred, so the next access tries again (as a plain ``import mesa`` would).
    """
    global _finishing
    with _LOCK:
        if type(pkg) is not _Deferred or _finishing:
            return
        _finishing = True
        try:
            pkg.__spec__.loader.exec_module(pkg)
            pkg.__class__ = types.ModuleType
        finally:
            _finishing = False


def load() -> tuple[type, type]:
    """``(mesa.Model, mesa.Agent)``, importing only the parts of mesa they need."""
    if "mesa" not in sys.modules:
        spec = importlib.util.find_spec("mesa")
        if spec is not None and spec.loader is not None and spec.submodule_search_locations:
            pkg = importlib.util.module_from_spec(spec)
            pkg.__class__ = _Deferred
            sys.modules["mesa"] = pkg
            try:
                from mesa.agent import Agent
                from mesa.model import Model

                return Model, Agent
            except Exception:  # noqa: BLE001 - any failure: forget the partial import, use the plain one
                for name in [m for m in sys.modules if m == "mesa" or m.startswith("mesa.")]:
                    del sys.modules[name]
    mesa = importlib.import_module("mesa")
    return mesa.Model, mesa.Agent
