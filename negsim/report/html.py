"""``negsim report RESULT``: one self-contained HTML file for a run, a sweep, a sensitivity analysis or a comparison.

The file needs nothing else: the plots are inline SVG, the style is inline, and it refers to no
network resource (no script, stylesheet, font or image from elsewhere), so it can be mailed or
archived as it is. It holds the question, the headline probabilities with their 95% intervals,
why pacts failed (who, on what, under which rule), the survival curve, the blockers, per-front
results, the provenance of the parameters that matter most (the claims and assumptions behind
their values) and the command that reproduces the result.
"""

from __future__ import annotations

import csv
import json
from html import escape
from pathlib import Path

from negsim.errors import UsageError
from negsim.montecarlo.stats import LABELS

CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.15em;margin-top:1.8em;border-bottom:1px solid #ddd;padding-bottom:.2em}
table{border-collapse:collapse;margin:.6em 0}td,th{padding:.25em .7em;border-bottom:1px solid #eee;text-align:left;vertical-align:top}
th{background:#f6f6f6}td.num{text-align:right;font-variant-numeric:tabular-nums}
pre,code{font:12.5px/1.4 ui-monospace,Menlo,Consolas,monospace;background:#f6f6f6}pre{padding:.7em;overflow-x:auto;white-space:pre-wrap}
.muted{color:#666}.fig svg{max-width:100%;height:auto}
"""


def _svg(fig) -> str:
    """A figure as inline SVG markup (no XML prolog, no external reference)."""
    from negsim.report.style import render

    text = render(fig, "svg").decode()  # drawn in the house style, as it was built
    return text[text.index("<svg") :]


def _table(head: list[str], rows: list[list], numeric: set[int] = frozenset()) -> str:
    cells = "".join(
        "<tr>" + "".join(f"<td{' class=num' if i in numeric else ''}>{escape(str(c))}</td>" for i, c in enumerate(r)) + "</tr>"
        for r in rows
    )
    return "<table><tr>" + "".join(f"<th>{escape(h)}</th>" for h in head) + f"</tr>{cells}</table>"


def _pct(p: dict) -> list[str]:
    return [f"{p['p']:.1%}", f"[{p['lo']:.1%}, {p['hi']:.1%}]"]


def _figure(result_dir: Path, kind: str, caption: str) -> str:
    from negsim.report.plots import figure_for

    try:
        fig = figure_for(result_dir, kind)
    except UsageError as e:  # e.g. no pact was ever in force: the report says so instead of the plot
        return f"<p class=muted>{escape(caption)}: {escape(str(e))}</p>"
    return f"<div class=fig><h3>{escape(caption)}</h3>{_svg(fig)}</div>"


def _provenance(scenario_file: str | None, paths: list[str], limit: int = 12) -> str:
    """The claims and assumptions behind the values of ``paths`` (negsim explain), as a list."""
    if not scenario_file or not Path(scenario_file).exists() or not paths:
        return "<p class=muted>No provenance: the scenario file is not available here.</p>"
    from negsim.scenario.load import load_scenario
    from negsim.scenario.provenance import explain

    try:
        ls = load_scenario(Path(scenario_file))
    except Exception:  # noqa: BLE001 - the file changed since the run: no provenance rather than no report
        return "<p class=muted>No provenance: the scenario file no longer loads.</p>"
    items = []
    for path in dict.fromkeys(paths):
        try:
            lines = explain(ls.document, path, fname=str(scenario_file), locs=ls.locs)
        except Exception:  # noqa: BLE001 - a path the scenario does not have: skip it, say nothing wrong
            continue
        if lines:
            items.append("<li><pre>" + escape("\n".join(lines[:6])) + "</pre></li>")
        if len(items) >= limit:
            break
    return "<ul>" + "".join(items) + "</ul>" if items else "<p class=muted>No recorded provenance for these parameters.</p>"


def _doc(result_dir: Path) -> dict:
    from negsim.scenario.yamlio import parse_yaml

    f = result_dir / "scenario.resolved.yaml"
    try:
        doc = parse_yaml(f.read_text(encoding="utf-8"), str(f))[0] if f.exists() else {}
    except Exception:  # noqa: BLE001 - a report without the question is still a report
        return {}
    return doc if isinstance(doc, dict) else {}


def _top(counts: dict, n: int = 5) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda kv: -kv[1])[:n]


def _run_sections(result_dir: Path, man: dict) -> list[str]:
    """A run's report body: headline, why talks failed, ratification, breakdowns, plots, fronts, provenance."""
    s = json.loads((result_dir / "summary.json").read_text())
    n = s["replicates"]
    out = ["<h2>Headline probabilities</h2>"]
    out.append(
        _table(
            ["outcome", "estimate", "95% interval"],
            [[LABELS[k], *_pct(s["probabilities"][k])] for k in LABELS if k in s["probabilities"]],
            {1, 2},
        )
    )
    t = s.get("talks", {})
    out.append("<h2>Why pacts failed</h2>")
    ends = ", ".join(f"{k} {v / n:.0%}" for k, v in _top(t.get("end_cause", {}), 6))
    out.append(f"<p>How the talks ended: {escape(ends)} (of {n:,} replicates).</p>")
    who = [[k, v, f"{v / n:.1%}"] for k, v in _top(t.get("blocked_by_actor_issue", {}), 8)]
    if who:
        out.append("<h3>Who blocked, on what</h3>" + _table(["state on issue", "replicates", "share"], who, {1, 2}))
    rules = [[k, v] for k, v in _top(t.get("blocked_by_rule", {}))] + [
        [f"reason: {k}", v] for k, v in _top(t.get("blocked_by_reason", {}))
    ]
    if rules:
        out.append("<h3>Under which rule, for which reason</h3>" + _table(["rule or reason", "replicates"], rules, {1}))
    failed = _top(s.get("ratification", {}).get("failed_by_actor", {}), 8)
    if failed:
        out.append("<h3>Ratification failed in</h3>" + _table(["state", "replicates"], [[k, v] for k, v in failed], {1}))
    b = s.get("breakdown", {})
    if b.get("count"):
        rows = [[f"cause: {k}", v] for k, v in _top(b.get("by_cause", {}))] + [
            [f"state: {k}", v] for k, v in _top(b.get("by_actor", {}))
        ]
        out.append(
            f"<h3>Breakdowns ({b['count']:,}; median period {b.get('median_period')})</h3>"
            + _table(["", "replicates"], rows, {1})
        )
    out.append("<h2>Plots</h2>")
    out += [
        _figure(result_dir, k, c)
        for k, c in (("outcomes", "Outcomes"), ("survival", "Survival of the pact (Kaplan-Meier)"), ("blockers", "Who blocks"))
    ]
    fronts = s.get("fronts", {})
    if fronts:
        out.append("<h2>Per front</h2>" + _table(["front", "agreed", "95% interval", "survived", "95% interval"],
                                                [[f, *_pct(v["agreed"]), *_pct(v["survived"])] for f, v in fronts.items()], {1, 2, 3, 4}))  # fmt: skip
    paths = []
    for key, _ in _top(t.get("blocked_by_actor_issue", {}), 3):
        actor, _, issue = key.partition(" on ")
        paths += [f"actors.{actor}.reservation", f"actors.{actor}.positions.{issue}", f"actors.{actor}.trust"]
    for actor, _ in _top(s.get("ratification", {}).get("failed_by_actor", {}), 3):  # the legislatures that failed most
        paths += [f"actors.{actor}.ratification.{key}" for key in ("support", "threshold", "foresight")]
    paths += [o.split("=", 1)[0] for o in man.get("overrides") or []]
    out.append("<h2>Where the numbers that matter come from</h2><p>The values behind the states that blocked most "
               "and the legislatures that failed most (and any --set changes), with their sources:</p>"
               + _provenance(man.get("scenario_file"), paths))  # fmt: skip
    return out


def _sweep_sections(result_dir: Path, man: dict) -> list[str]:
    """A sweep's (or a sensitivity analysis's) report body: points or indices, plots, provenance of its parameters."""
    out = []
    params = list(man.get("params", []))
    sens = result_dir / "sensitivity.json"
    scenario_file = str(man.get("signature", {}).get("scenario", ""))
    if sens.exists():
        meta = json.loads(sens.read_text())
        out.append("<h2>Which parameters matter</h2><pre>" + escape(meta.get("summary", "")) + "</pre>")
        out.append(_figure(result_dir, meta["method"], f"{meta['method'].capitalize()} indices"))
        with open(result_dir / "indices.csv", newline="") as fh:
            rows = [r for r in csv.DictReader(fh) if r["index"] in ("mu_star", "ST") and r["separable"] == "True"]
        params = [r["parameter"] for r in sorted(rows, key=lambda r: -float(r["estimate"]))]
    else:
        with open(result_dir / "points.csv", newline="") as fh:
            pts = list(csv.DictReader(fh))
        head = [*params, "P(agreement)", "95% interval", "P(survives)", "95% interval"]
        rows = [[*(p[q] for q in params), f"{float(p['p_complete']):.1%}", f"[{float(p['lo_complete']):.1%}, {float(p['hi_complete']):.1%}]",
                 f"{float(p['p_survived']):.1%}", f"[{float(p['lo_survived']):.1%}, {float(p['hi_survived']):.1%}]"] for p in pts[:60]]  # fmt: skip
        out.append(
            f"<h2>Points ({len(pts):,}; {man.get('runs')} replicates each, common random numbers)</h2>" + _table(head, rows)
        )
        out.append(_figure(result_dir, "line" if len(params) == 1 else "heatmap", "Probabilities over the swept parameters"))
        out.append(_figure(result_dir, "blockers", "Who blocks"))
    out.append("<h2>Where the parameters' base values come from</h2>" + _provenance(scenario_file, params))
    return out


def _compare_sections(result_dir: Path, man: dict) -> list[str]:
    from negsim.report.plots import fig_compare

    c = json.loads((result_dir / "comparison.json").read_text())
    rows = [[LABELS.get(k, k), f"{d['a']:.1%}", f"{d['b']:.1%}", f"{100 * d['diff']:+.1f} pp", f"[{100 * d['lo']:+.1f}, {100 * d['hi']:+.1f}]", d["discordant"]]
            for k, d in c["differences"].items()]  # fmt: skip
    out = [f"<h2>A against B ({c['runs']:,} paired replicates, seed {c['seed']})</h2>"]
    out.append(f"<p>A: <code>{escape(str(c['a']))}</code>; B: <code>{escape(str(c['b']))}</code>"
               + (f" with <code>{escape(' '.join(c['overrides_b']))}</code>" if c.get("overrides_b") else "") + "</p>")  # fmt: skip
    out.append(_table(["outcome", "A", "B", "B - A", "95% interval", "discordant pairs"], rows, {1, 2, 3, 4, 5}))
    out.append(f"<div class=fig>{_svg(fig_compare(c))}</div>")
    out.append("<h2>Where the changed values come from</h2>" + _provenance(str(c["a"]) if Path(str(c["a"])).exists() else None,
                                                                        [o.split("=", 1)[0] for o in c.get("overrides_b") or []]))  # fmt: skip
    return out


def build(result_dir: str | Path) -> str:
    """The report's HTML text for a result folder."""
    result_dir = Path(result_dir)
    try:
        man = json.loads((result_dir / "manifest.json").read_text())
    except (OSError, ValueError):
        raise UsageError(f"{result_dir} is not a negsim result folder (no readable manifest.json)") from None
    kind = man.get("kind")
    if not man.get("complete", kind == "compare"):
        raise UsageError(f"{result_dir} holds an unfinished {kind}: finish it (--resume) before reporting on it")
    doc = _doc(result_dir)
    title = doc.get("title") or man.get("scenario_name") or result_dir.name
    body = {"run": _run_sections, "sweep": _sweep_sections, "compare": _compare_sections}.get(kind)
    if body is None:
        raise UsageError(
            f"{result_dir}: a report is made for a run, a sweep, a sensitivity analysis or a comparison (this is {kind!r})"
        )
    head = [f"<h1>{escape(str(title))}</h1>"]
    if doc.get("question"):
        head.append(f"<p><b>Question.</b> {escape(str(doc['question']))}</p>")
    what = "sensitivity analysis" if (result_dir / "sensitivity.json").exists() else kind
    head.append(f"<p class=muted>negsim {escape(str(man.get('negsim_version', '')))} {escape(what)}, finished "
                f"{escape(str(man.get('finished', '')))}; seed {escape(str(man.get('seed', '')))}.</p>")  # fmt: skip
    command = man.get("reproduce") or man.get("command") or ""
    tail = [f"<h2>Reproduce</h2><pre>{escape(command)}</pre>"]
    html = "".join(head + body(result_dir, man) + tail)
    return f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>{escape(str(title))}</title><style>{CSS}</style></head><body>{html}</body></html>\n"


def write_report(result_dir: str | Path, out: str | Path | None = None) -> Path:
    """Write the report (default: RESULT/report.html, recorded in the folder's manifest) and return its path."""
    from negsim.montecarlo.folder import write_recorded, write_result

    result_dir = Path(result_dir)
    text = build(result_dir)
    target = Path(out) if out is not None else result_dir / "report.html"
    try:
        if out is None:  # into the folder: listed in its manifest, so --force knows it as negsim's
            write_recorded(result_dir, "report.html", lambda fh: fh.write(text), encoding="utf-8")
        else:
            write_result(target, text)
    except OSError as e:
        raise UsageError(f"cannot write {target}: {e.strerror or e}") from None
    return target
