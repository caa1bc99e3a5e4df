"""negsim: agent-based simulation of NATO-Russia negotiation scenarios.

From Python, the commands are functions at the package top, returning typed pandas DataFrames
(:mod:`negsim.frames`)::

    import negsim
    res = negsim.run("us_drawdown", runs=500)          # res.rows, res.summary, res.text
    cmp = negsim.compare("us_drawdown", set=["us_presence.CEE=0.2"])
    sw = negsim.sweep("mini.yaml", {"actors.AAA.reservation": "0:0.3:4"})
    sa = negsim.sensitivity("us_drawdown", ["pact.verification=0.2:0.9"], runs=100)

``negsim.load`` compiles a scenario; ``negsim.NegotiationModel`` is the Mesa model of one
replicate (``step()``, a ``DataCollector``, ``mesa.batch_run``); :mod:`negsim.api` holds the
rest (``validate``, ``trace``, ``explain``, ``draw_table``, ``backtest``...). Nothing heavy is
imported until it is used, so ``negsim --help`` stays fast.
"""

__version__ = "0.1.0"

_TOP = {
    "run": "negsim.frames",
    "compare": "negsim.frames",
    "sweep": "negsim.frames",
    "load": "negsim.frames",
    "sensitivity": "negsim.frames",
    "discover": "negsim.frames",
    "outcome_frame": "negsim.frames",
    "read_outcomes": "negsim.frames",
    "NegotiationModel": "negsim.model.model",
}
__all__ = ["__version__", *_TOP]


def __getattr__(name: str):
    if name in _TOP:
        import importlib

        value = getattr(importlib.import_module(_TOP[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'negsim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_TOP))
