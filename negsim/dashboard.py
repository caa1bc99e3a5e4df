"""``negsim dashboard``: explore a scenario in the browser (a Solara app, served on 127.0.0.1).

Pick a bundled scenario or give a file; move the sliders of its main parameters (each shows
the scenario's value and the claims or assumption behind it); the app runs N replicates on
common random numbers each time a value changes, counting the replicates done as they finish
("120 / 200 replicates", from :func:`negsim.api.run`'s progress function), and shows the
headline probabilities with their 95% intervals, the outcome bars, the survival curve, the
blockers, and the trace of any replicate.

Solara is the framework Mesa's SolaraViz is built on. negsim pins the Solara release whose
front-end assets ship as a Python package (``solara-assets``), so the page loads nothing from a
network: newer Solara releases fetch their front end from a CDN at run time. The app runs in
production mode (no version check against solara.dev) with Solara's telemetry off.

This module is imported only by the dashboard command (and the server it starts), so the rest
of negsim never pays for the web stack.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import tempfile
from pathlib import Path

import numpy as np

SCENARIO_ENV = "NEGSIM_DASHBOARD_SCENARIO"
RUNS_DEFAULT = 200
#: parameters every scenario has, with their slider ranges
COMMON = {
    "pact.verification": (0.0, 1.0),
    "compliance.sanction": (0.0, 0.5),
    "compliance.temptation": (0.0, 0.5),
    "talks.delay_cost": (0.0, 0.05),
}
_NUMBER = re.compile(r"=\s*(-?[0-9.]+(?:e-?[0-9]+)?)\s*(?:\(|$)")
_MEAN = re.compile(r"mean=(-?[0-9.]+)")
_UNIFORM = re.compile(r"uniform\((-?[0-9.]+),\s*(-?[0-9.]+)\)")


def _value(first_line: str) -> float | None:
    """A parameter's value, or its distribution's mean, from ``negsim explain``'s first line."""
    rhs = first_line.split("=", 1)[1] if "=" in first_line else ""
    if m := _MEAN.search(rhs):
        return float(m.group(1))
    if m := _UNIFORM.search(rhs):
        return (float(m.group(1)) + float(m.group(2))) / 2
    if m := _NUMBER.search(first_line):
        return float(m.group(1))
    return None


def _schema_value(sc, path: str):
    """The Param at a scenario path (``pact.verification``, ``actors.RUS.reservation``), or None."""
    node = sc
    for part in path.split("."):
        if isinstance(node, dict):
            node = node.get(part)
        else:
            node = getattr(node, part, None)
        if node is None:
            return None
    return node if hasattr(node, "kind") and hasattr(node, "args") else None


def _mean(param) -> float:
    """A Param's value, or its distribution's mean."""
    if param.kind == "uniform":
        return (float(param.args[0]) + float(param.args[1])) / 2
    if param.kind in ("value", "beta", "normal"):
        return float(param.args[0])
    vals = [float(v) for v in param.args]
    return float(np.dot(vals, param.p)) if getattr(param, "p", None) else float(np.mean(vals))


def main_parameters(scenario: str) -> list[dict]:
    """The sliders of a scenario: the common scalars, its US presence by region, and each single-state party's reservation.

    Each is ``{path, lo, hi, step, value, drawn, provenance}``: ``value`` is the scenario's value (a
    distribution's mean when ``drawn``), ``provenance`` the lines ``negsim explain`` prints for it.
    ``value`` sits on a step of the slider (``lo`` is moved up, within a step, to make it so): a slider snaps to
    its steps, and a scenario's own value off them would read as a change and start a second run.
    """
    from negsim import api

    comp = api.load(scenario)
    paths = dict(COMMON)
    paths.update({f"us_presence.{r}": (0.0, 1.0) for r in comp.regions})
    singles = [d.members[0] for d in comp.parties if d.rule == "self"][:3]
    paths.update({f"actors.{comp.codes[i]}.reservation": (-0.2, 1.0) for i in singles})  # the scale's top: nothing is enough
    out = []
    for path, (lo, hi) in paths.items():
        try:
            lines = api.explain(scenario, path)
        except Exception:  # noqa: BLE001 - a path this scenario does not spell out: the slider starts at the default
            lines = []
        first = next((ln for ln in lines if ln.startswith(path)), "")
        value, drawn = _value(first), "(" in first.split("=", 1)[-1]
        if value is None:  # not in the file: negsim's default, from the validated scenario
            param = _schema_value(comp.scenario, path)
            if param is None:
                continue
            value, drawn = _mean(param), not param.fixed
            lines = [f"{path} = {param.describe()}", "    negsim's default (the scenario does not set it)"]
        value = round(value, 4)
        lo, hi = min(lo, value), max(hi, value)  # a scenario's value outside the usual span widens it
        step = max(round((hi - lo) / 200, 6), 1e-6)  # about 200 steps
        lo = round(value - step * math.floor((value - lo) / step + 1e-9), 6)  # moved up, never below the span
        out.append({"path": path, "lo": lo, "hi": hi, "step": step, "value": value, "drawn": drawn,
                    "provenance": "\n".join(lines[:5])})  # fmt: skip
    return out


def simulate(scenario: str, changes: dict, runs: int, seed: int = 0, progress=None) -> dict:
    """Run the scenario with ``changes`` (path -> value): the summary, the text and the figures as PNG bytes.

    ``progress(done, total)``, if given, is told the replicates finished as the run goes (see :func:`negsim.api.run`).
    """
    import negsim
    from negsim.report.plots import figure_for
    from negsim.report.style import render

    folder = Path(tempfile.mkdtemp(prefix="negsim-dash-"))
    try:
        res = negsim.run(scenario, runs=runs, seed=seed, set=[f"{k}={v:g}" for k, v in changes.items()], out=folder / "run",
                         progress=progress or False)  # fmt: skip
        figures = {}
        for kind in ("outcomes", "survival", "blockers"):
            try:
                figures[kind] = render(figure_for(res.out_dir, kind), "png", dpi=100)  # the house style, screen size
            except Exception as e:  # noqa: BLE001 - e.g. no pact in force: say so in place of the plot
                figures[kind] = str(e)
        return {"summary": res.summary, "text": res.text, "figures": figures}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _scenarios() -> list[str]:
    from negsim import api

    names = [p.stem for p, _ in api.bundled()]
    start = os.environ.get(SCENARIO_ENV)
    return ([start] if start and start not in names else []) + names


def _headline(summary: dict) -> str:
    from negsim.montecarlo.stats import SHORT_LABELS

    rows = ["| outcome | estimate | 95% interval |", "|---|---|---|"]
    for k in ("complete", "ratified", "in_force", "survived"):
        label = SHORT_LABELS[k]
        p = summary["probabilities"][k]
        rows.append(f"| {label} | {p['p']:.1%} | [{p['lo']:.1%}, {p['hi']:.1%}] |")
    return "\n".join(rows)


def _app():
    """The Solara page (built on import of solara only)."""
    import solara

    names = _scenarios()
    scenario = solara.reactive(names[0] if names else "")
    runs = solara.reactive(RUNS_DEFAULT)
    replicate = solara.reactive(0)
    done = solara.reactive((None, 0, 0))  # (the run's key, replicates done, of how many), set by the run's thread
    values: dict = {}

    @solara.component
    def Sliders(name, params):
        for p in params:
            if (name, p["path"]) not in values:  # each scenario's sliders start at its own values
                values[(name, p["path"])] = solara.reactive(p["value"])
            with solara.Details(summary=f"{p['path']} (scenario: {p['value']:g}{', drawn' if p['drawn'] else ''})", expand=False):
                solara.Preformatted(p["provenance"] or "no provenance recorded")
            solara.SliderFloat(p["path"], value=values[(name, p["path"])], min=p["lo"], max=p["hi"], step=p["step"])

    @solara.component
    def Page():
        solara.Title("negsim dashboard")
        params = solara.use_memo(lambda: main_parameters(scenario.value), dependencies=[scenario.value])
        current = {p["path"]: values[(scenario.value, p["path"])].value for p in params if (scenario.value, p["path"]) in values}
        changes = {k: v for k, v in current.items() if abs(v - next(p["value"] for p in params if p["path"] == k)) > 1e-9}
        key = (scenario.value, tuple(sorted(changes.items())), runs.value)
        result = solara.use_thread(
            lambda: simulate(scenario.value, changes, runs.value, progress=lambda n, total: done.set((key, n, total))),
            dependencies=[key],
            intrusive_cancel=False,
        )
        with solara.Sidebar():
            solara.Select("scenario", values=names, value=scenario)
            solara.SliderInt("replicates", value=runs, min=20, max=2000, step=20)
            Sliders(scenario.value, params)
        solara.Markdown(f"## {scenario.value}\nChanged: {', '.join(f'`{k}={v:g}`' for k, v in changes.items()) or 'nothing'}")
        running = result.state == solara.ResultState.RUNNING or result.value is None and result.error is None
        Count(key, runs.value, running)
        if running:
            return
        if result.error is not None:
            solara.Error(f"{result.error}")
            return
        out = result.value
        solara.Markdown(_headline(out["summary"]))
        for kind, title in (("outcomes", "Outcomes"), ("survival", "Survival of the pact"), ("blockers", "Who blocks")):
            solara.Markdown(f"### {title}")
            fig = out["figures"][kind]
            solara.Text(fig) if isinstance(fig, str) else solara.Image(fig, format="png")
        solara.Markdown("### Trace of one replicate")
        solara.InputInt("replicate", value=replicate)
        Trace(scenario.value, changes, replicate.value)

    @solara.component
    def Count(key, total, running):
        """Replicates done of this run ("120 / 200 replicates"), a bar while it runs; a previous run's late counts are ignored."""
        run_key, n, of = done.value
        n, of = (n, of) if run_key == key else (0, total)
        solara.Text(f"{n:,} / {of:,} replicates", classes=["negsim-count"])
        if running:
            solara.ProgressLinear(100 * n / max(of, 1))

    @solara.component
    def Trace(name, changes, index):
        from negsim import api

        lines = solara.use_memo(
            lambda: api.trace(name, 0, index, [f"{k}={v:g}" for k, v in changes.items()])[0],
            dependencies=[name, str(changes), index],
        )
        solara.Preformatted("\n".join(lines[-60:]))

    return Page


def page():
    """The Solara entry point: ``solara run negsim.dashboard:page``."""
    return _app()


def serve(scenario: str | None, host: str = "127.0.0.1", port: int = 8765) -> int:
    """Start the dashboard's server in the foreground (Ctrl-C stops it); returns its exit code."""
    import subprocess
    import sys

    env = dict(os.environ, SOLARA_TELEMETRY_MIXPANEL_ENABLE="False", MPLBACKEND="Agg")
    if scenario:
        env[SCENARIO_ENV] = scenario
    app = Path(__file__).with_name("_dashboard_app.py")
    cmd = [sys.executable, "-m", "solara", "run", str(app), "--host", host, "--port", str(port), "--production", "--no-open",
           "--no-check-version"]  # fmt: skip
    print(f"negsim dashboard: http://{host}:{port}/ (Ctrl-C stops it)", flush=True)
    try:
        return subprocess.call(cmd, env=env)
    except KeyboardInterrupt:
        return 130
