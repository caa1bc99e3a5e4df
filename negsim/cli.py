"""The ``negsim`` command line. It only parses and prints; the work is in :mod:`negsim.api`.

Imports are lazy so ``negsim --help`` answers at once (mesa alone takes about a second).
"""

from __future__ import annotations

import argparse
import sys

EPILOG = """\
examples:
  negsim list                                   the bundled scenarios
  negsim validate scenarios/*.yaml              check files without running them
  negsim run polish_belarusian_limits           1,000 replicates, summary, results/ folder
  negsim run scenarios/us_drawdown.yaml --runs 5000 --jobs 2 --seed 7
  negsim run draft_treaty_2021 --set actors.RUS.concession.shape=linear
  negsim trace polish_belarusian_limits --seed 7 --replicate 12   why did replicate 12 end so?
  negsim explain polish_belarusian_limits actors.POL.trust      where do these numbers come from?
  negsim sources                                the source cards and what each claim supports
  negsim sweep polish_belarusian_limits -p actors.POL.trust.RUS=0:0.5:6 -p actors.POL.reservation=0,0.1 --jobs 2 --plot
  negsim compare us_drawdown --set 'actors.*.spoiler=0' --out results/no-spoilers
  negsim plot results/polish_belarusian_limits-20261123-010203 --kind survival --out survival.pdf
  negsim sensitivity us_drawdown -p pact.verification=0.2:0.9 -p compliance.sanction=0.05:0.3 --jobs 2
  negsim discover results/us_drawdown-sensitivity-20261204-190000 --outcome survived --threshold 0.5
  negsim backtest                               the historical cases against the record
  negsim report results/us_drawdown-20261204-190000   one HTML file to send a colleague

Exit codes: 0 success, 2 bad input (scenario or options), 130 interrupted (Ctrl-C or kill;
finished replicates are saved), 1 a bug in negsim (please report it with the command).
Docs: docs/scenario-language.md (the YAML), docs/model.md (the model, ODD form).
"""


class _Version(argparse.Action):
    """--version: negsim's version and whether the compiled Nash search and round loop are in use (imported only when asked)."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):
        super().__init__(option_strings=option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        from negsim import __version__
        from negsim.model import proposals

        kernel = "compiled (negsim.model._nash)" if proposals.KERNEL == "compiled" else f"numpy, slower: {proposals.KERNEL_NOTE}"
        parser.exit(message=f"negsim {__version__}\nNash search and round loop: {kernel}\n")


def _option(*names: str, **kw) -> argparse.ArgumentParser:
    """One option as a parent parser (argparse ``parents=``), in a group that --help lists after a command's own options."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument_group("options shared with other commands").add_argument(*names, **kw)
    return parent


class _Shared:
    """Options several commands share, each declared once here."""

    def __init__(self):
        self.outside = _option(
            "--allow-outside", action="store_true", help="let extends: read files outside the scenario's directory"
        )
        self.quiet = _option("--quiet", "-q", action="store_true", help="no progress bar")
        self.force = _option(
            "--force", action="store_true", help="replace negsim's results in --out (only files its manifest lists; never yours)"
        )
        self.plot = _option("--plot", action="store_true", help="also draw the default plots into OUT/plots/ (see negsim plot)")

    @staticmethod
    def sets(help: str) -> argparse.ArgumentParser:
        """``--set PATH=VALUE`` (repeatable), with the command's own help text."""
        return _option("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE", help=help)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="negsim",
        description="Simulate NATO-Russia negotiation scenarios thousands of times: is a pact reached, "
        "ratified, does it survive, and why not?",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action=_Version, help="show the version and whether the compiled kernels are built, and exit")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sh = _Shared()
    _run_parser(sub, sh)
    _validate_parser(sub, sh)
    _trace_parser(sub, sh)
    _explain_parser(sub, sh)
    _sources_parser(sub, sh)
    _table_parser(sub, sh)
    _sweep_parser(sub, sh)
    _compare_parser(sub, sh)
    _plot_parser(sub, sh)
    _synth_parser(sub, sh)
    _list_parser(sub, sh)
    _backtest_parser(sub, sh)
    _sensitivity_parser(sub, sh)
    _discover_parser(sub, sh)
    _report_parser(sub, sh)
    _dashboard_parser(sub, sh)
    return p


def _run_parser(sub, sh: _Shared) -> None:
    """The ``negsim run`` subcommand's options."""
    r = sub.add_parser(
        "run",
        parents=[
            sh.sets("override a scenario value, e.g. --set actors.POL.trust.RUS=0.3 (repeatable)"),
            sh.force,
            sh.plot,
            sh.quiet,
            sh.outside,
        ],
        help="run a scenario many times and summarise the outcomes",
        description="Run N replicates of a scenario in parallel, print P(agreement), P(ratified), "
        "P(in force) and P(survives) with 95% intervals and the causes of failure, and write "
        "outcomes.csv, summary.json, scenario.resolved.yaml and manifest.json to --out.",
    )
    r.add_argument("scenario", help="a scenario file, or the name of a bundled scenario (see `negsim list`)")
    r.add_argument("--runs", "-n", type=int, default=1000, help="number of replicates (default 1000)")
    r.add_argument(
        "--seed", "-s", type=int, default=0, help="root seed; the same seed gives the same table whatever --jobs (default 0)"
    )
    r.add_argument("--jobs", "-j", type=int, default=1, help="worker processes (default 1; use the number of cores)")
    r.add_argument("--out", "-o", help="output directory (default results/NAME-TIMESTAMP)")
    r.add_argument(
        "--precision",
        type=float,
        metavar="H",
        help="keep running batches until every headline probability's 95%% interval half-width is below H "
        "(e.g. 0.01); --runs is then the first batch",
    )
    r.add_argument("--max-runs", type=int, help="cap on replicates with --precision (default 100000)")
    r.add_argument("--scheduler", metavar="ADDRESS", help="run on an existing Dask cluster (e.g. tcp://host:8786)")
    r.add_argument(
        "--check", action="store_true", help="verify the model's invariants on every replicate (a bug report names the seed)"
    )
    r.add_argument(
        "--draws",
        action="store_true",
        help="also write draws.csv: each replicate's value of every random parameter (one column per scenario path), "
        "joined to outcomes.csv on replicate",
    )


def _validate_parser(sub, sh: _Shared) -> None:
    """The ``negsim validate`` subcommand's options."""
    v = sub.add_parser(
        "validate",
        parents=[sh.outside],
        help="check scenario files without running them",
        description="Check each file: YAML syntax, keys, types, ranges, references. Every problem is "
        "listed with file, line and path. Exit code 2 if any file has a problem.",
    )
    v.add_argument("files", nargs="+", help="scenario files (or bundled names)")
    v.add_argument(
        "--strict", action="store_true", help="also require every parameter to cite a source claim or state an assumption"
    )


def _trace_parser(sub, sh: _Shared) -> None:
    """The ``negsim trace`` subcommand's options."""
    t = sub.add_parser(
        "trace",
        parents=[sh.sets("override a scenario value (repeatable)"), sh.outside],
        help="tell one replicate round by round, in plain words",
        description="Play one replicate and narrate it in time order: what each issue's levels 0 and 1 mean, "
        "proposals, who refused and why, concessions, each ratification vote in the period it falls in, "
        "the entry into force, each compliance period's events up to the breakdown. --seed and --replicate "
        "match row REPLICATE of `negsim run --seed SEED`.",
    )
    t.add_argument("scenario", help="a scenario file or bundled name")
    t.add_argument("--seed", "-s", type=int, default=0, help="root seed of the run (default 0)")
    t.add_argument("--replicate", "-r", type=int, default=0, help="replicate index within the run (default 0)")


def _explain_parser(sub, sh: _Shared) -> None:
    """The ``negsim explain`` subcommand's options."""
    e = sub.add_parser(
        "explain",
        parents=[sh.outside],
        help="where each value of a scenario comes from",
        description="For each parameter of a scenario (or those under PATH, e.g. actors.POL.trust), print "
        "its value or distribution and the claims that speak about it (source card, paragraph; a claim "
        "supports only the parameters its card's about: names), or the assumption made where no claim "
        "speaks. Unsourced values are flagged. Issue levels (positions, red lines) show what 0 and 1 mean on that issue.",
    )
    e.add_argument("scenario", help="a scenario file or bundled name")
    e.add_argument("path", nargs="?", default="", help="only parameters under this path, e.g. actors.POL.trust.RUS")


def _sources_parser(sub, sh: _Shared) -> None:
    """The ``negsim sources`` subcommand's options."""
    sr = sub.add_parser(
        "sources",
        help="list the source cards and what each claim supports",
        description="List the source cards in seeds/ and, for each claim, how many distinct parameters of the "
        "bundled scenarios it supports (cited where they are and spoken about by the claim).",
    )
    sr.add_argument("--claims", action="store_true", help="print every claim's paraphrase too")


def _table_parser(sub, sh: _Shared) -> None:
    """The ``negsim table`` subcommand's options."""
    tb = sub.add_parser(
        "table",
        parents=[sh.quiet, sh.outside],
        help="headline results of several scenarios as a Markdown table",
        description="Run each scenario (no files written) and print a Markdown table of P(agreement) and "
        "P(survives) with 95% intervals and the main blocker. --update README.md rewrites the table "
        "between the README's scenario-table markers.",
    )
    tb.add_argument("files", nargs="+", help="scenario files or bundled names")
    tb.add_argument("--runs", "-n", type=int, default=1000, help="replicates per scenario (default 1000)")
    tb.add_argument("--seed", "-s", type=int, default=0, help="root seed (default 0, as for run)")
    tb.add_argument("--jobs", "-j", type=int, default=1, help="worker processes (default 1)")
    tb.add_argument("--update", metavar="README", help="write the table into this file between its markers")


def _sweep_parser(sub, sh: _Shared) -> None:
    """The ``negsim sweep`` subcommand's options."""
    sw = sub.add_parser(
        "sweep",
        parents=[sh.sets("a fixed change at every point (repeatable)"), sh.plot, sh.quiet, sh.outside],
        help="run a scenario over a grid or Latin hypercube of parameter values",
        description="Run a scenario at every point of a parameter design, the same replicate seeds at every point "
        "(common random numbers). SPEC is a list (0.1,0.3,0.5), a range LOW:HIGH:POINTS (0:1:11), or for "
        "--design lhs a range LOW:HIGH or a distribution ({beta: {mean: 0.3, sd: 0.1}}). FILE may also be a "
        "sweep file (YAML with scenario, params, runs, seed, design, samples). Writes rows.parquet (or rows.csv), "
        "points.csv and manifest.json; a killed sweep continues with --resume.",
    )
    sw.add_argument("scenario", help="a scenario file or bundled name, or a sweep file")
    sw.add_argument("--param", "-p", action="append", default=[], metavar="PATH=SPEC", help="a swept parameter (repeatable)")
    sw.add_argument("--runs", "-n", type=int, help="replicates per point (default 200)")
    sw.add_argument("--seed", "-s", type=int, help="root seed (default 0)")
    sw.add_argument("--jobs", "-j", type=int, help="worker processes (default 1, or the sweep file's jobs)")
    sw.add_argument(
        "--design",
        metavar="grid|lhs|FILE.csv",
        help="full-factorial grid (default), Latin hypercube, or a design matrix made elsewhere (SALib, the EMA "
        "Workbench, a spreadsheet): a CSV file with one column per parameter path and one row per point, each "
        "point validated like --set (then give no --param)",
    )
    sw.add_argument("--samples", type=int, help="points of a Latin hypercube design (default 100)")
    sw.add_argument("--out", "-o", help="output directory (default results/NAME-sweep-TIMESTAMP)")
    sw.add_argument("--resume", action="store_true", help="continue an interrupted sweep in --out")
    sw.add_argument(
        "--force", action="store_true", help="discard negsim's results in --out and start over (never your own files)"
    )
    sw.add_argument("--scheduler", metavar="ADDRESS", help="run on an existing Dask cluster (dask.distributed)")
    sw.add_argument(
        "--precision", type=float, metavar="H", help="per point, add replicates until every headline 95%% half-width is below H"
    )
    sw.add_argument("--max-runs", type=int, help="cap on replicates per point with --precision (default 10000)")


def _compare_parser(sub, sh: _Shared) -> None:
    """The ``negsim compare`` subcommand's options."""
    cp = sub.add_parser(
        "compare",
        parents=[sh.sets("changes that make B (repeatable)"), sh.force, sh.quiet, sh.outside],
        help="paired comparison of two scenarios (or one with --set changes)",
        description="Run A and B on the same replicate seeds and print each probability's difference B - A "
        "with a 95% interval from the paired replicates.",
    )
    cp.add_argument("a", help="scenario A (file or bundled name)")
    cp.add_argument("b", nargs="?", help="scenario B (default: A with the --set changes)")
    cp.add_argument("--runs", "-n", type=int, default=1000, help="paired replicates (default 1000)")
    cp.add_argument("--seed", "-s", type=int, default=0, help="root seed (default 0)")
    cp.add_argument("--jobs", "-j", type=int, default=1, help="worker processes (default 1)")
    cp.add_argument("--out", "-o", help="also write both outcome tables, comparison.json, comparison.png and a manifest here")


def _plot_parser(sub, sh: _Shared) -> None:
    """The ``negsim plot`` subcommand's options."""
    pl = sub.add_parser(
        "plot",
        help="draw plots of a run or sweep result folder",
        description="Draw publication-quality plots from a result folder written by 'negsim run' or 'negsim sweep'. "
        "By default a run gets outcomes, survival and blockers; a sweep gets line (one parameter) or heatmap "
        "(two or more) and blockers (failed talks by state and issue, split into vetoes, deadlocks and walk-outs "
        "by a spoiler or on substance; breakdowns by state and cause); a sensitivity folder gets morris (mu* against "
        "sigma) or sobol (tornado bars of the total and first-order indices). Files go to RESULT/plots/ unless "
        "--out is given.",
    )
    pl.add_argument("result", help="a result folder of 'negsim run' or 'negsim sweep'")
    pl.add_argument(
        "--kind",
        "-k",
        choices=["outcomes", "survival", "line", "heatmap", "blockers", "morris", "sobol", "all"],
        help="which plot (default: by result)",
    )
    pl.add_argument("--out", "-o", help="a file (.png, .svg, .pdf; one plot only) or a folder (default RESULT/plots/)")
    pl.add_argument(
        "--format",
        "-f",
        dest="formats",
        action="append",
        choices=["png", "svg", "pdf"],
        help="format(s) written into a folder (repeatable; default png)",
    )
    pl.add_argument("--x", metavar="PATH", help="swept parameter on the x axis (line, heatmap)")
    pl.add_argument("--y", metavar="PATH", help="swept parameter on the y axis (heatmap)")
    pl.add_argument("--by", metavar="PATH", help="swept parameter with one line per level (line)")
    pl.add_argument(
        "--prob",
        action="append",
        choices=["complete", "reached", "ratified", "in_force", "survived"],
        help="probability shown: the heatmap's (default survived); the line plot's, repeatable (default complete and "
        "survived). complete: the package agreed in full (P(agreement)); reached: any part agreed",
    )


def _synth_parser(sub, sh: _Shared) -> None:
    """The ``negsim synth`` subcommand's options."""
    sy = sub.add_parser(
        "synth",
        help="write a synthetic scenario of N actors and K issues",
        description="Generate a valid scenario (a counterpart, its ally, N-2 members of a consensus body; K issues "
        "on three fronts), drawn from --seed; every value is marked assumption: synthetic. Useful for scaling "
        "studies and as a template.",
    )
    sy.add_argument("actors", type=int, help="number of actors (>= 4)")
    sy.add_argument("issues", type=int, help="number of issues (>= 1)")
    sy.add_argument("--out", "-o", required=True, help="YAML file to write")
    sy.add_argument("--seed", "-s", type=int, default=0, help="seed of the generator (default 0)")
    sy.add_argument("--force", action="store_true", help="replace an existing file")


def _list_parser(sub, sh: _Shared) -> None:
    """The ``negsim list`` subcommand's options."""
    sub.add_parser("list", help="list the bundled scenarios", description="List the bundled scenarios with their titles.")


BACKTEST_EPILOG = """\
Each case in scenarios/history/ is a scenario built from the historical record (dates, votes,
parties, verification provisions) whose backtest: block states the expected direction, e.g.

  backtest:
    - {outcome: ratified, expect: below, bound: 0.5}          # P(ratified) wholly below 50%
    - outcome: survived                                         # paired, common random numbers:
      expect: lower                                             # the case as written is lower ...
      variant: {label: without the 2018 withdrawal, set: ['events=[]']}   # ... than this variant

A check passes when the whole 95% interval lies on the expected side (of the bound, or of 0 for
the paired difference, printed as the case minus its variant in percentage points).
Exit codes: 0 every check passes, 1 some check fails, 2 bad input, 130 interrupted.
See docs/scenario-language.md ("Back-tests").
"""


def _backtest_parser(sub, sh: _Shared) -> None:
    """The ``negsim backtest`` subcommand's options."""
    bt = sub.add_parser(
        "backtest",
        parents=[sh.quiet],
        help="run the historical cases and check each expected direction",
        description="Run every historical case (scenarios/history/*.yaml, or the FILES given) and print a table: "
        "case, expected direction, measured probability or paired difference with its 95% interval, PASS or FAIL.",
        epilog=BACKTEST_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    bt.add_argument("files", nargs="*", help="history cases to run (default: every file in scenarios/history/)")
    bt.add_argument("--runs", "-n", type=int, default=1000, help="replicates per run (default 1000)")
    bt.add_argument("--seed", "-s", type=int, default=0, help="root seed (default 0)")
    bt.add_argument("--jobs", "-j", type=int, default=1, help="worker processes (default 1)")


SENSITIVITY_EPILOG = """\
Each --param is a range LOW:HIGH (uniform). A parameter 'dummy' that no mechanism reads is
added to every design: its index is the noise floor, and a parameter whose 95% interval
overlaps the dummy's cannot be told from no effect at this sample size.

  morris  --samples R trajectories (default 10) of 4 levels: R * (D + 1) points (D counts the
          dummy); mu* (mean absolute elementary effect) with a bootstrap interval, and sigma.
          For screening many parameters.
  sobol   --samples N (a power of 2, default 64): N * (D + 2) points; first-order S1 and total
          ST indices with bootstrap intervals. For a few parameters.

Every point runs the same --runs replicate seeds (common random numbers). Writes the sweep's
files plus indices.csv, outputs.csv (each point's probabilities and mean periods in force) and
sensitivity.json; a killed run continues with --resume --out DIR. Then: negsim plot DIR;
negsim discover DIR --outcome survived.

Example: negsim sensitivity polish_belarusian_limits -p actors.POL.trust.RUS=0:0.6 \\
           -p pact.verification=0.2:0.9 -p compliance.sanction=0.05:0.3 --jobs 2
"""


def _sensitivity_parser(sub, sh: _Shared) -> None:
    """The ``negsim sensitivity`` subcommand's options."""
    s = sub.add_parser(
        "sensitivity",
        parents=[sh.sets("a fixed change at every point (repeatable)"), sh.plot, sh.quiet, sh.outside],
        help="which parameters drive each headline probability (Morris or Sobol indices, SALib)",
        description="Global sensitivity of P(agreement), P(ratified), P(in force), P(survives) and the mean periods "
        "in force to the chosen parameters, on common random numbers, with 95% intervals and a dummy parameter "
        "as the noise floor.",
        epilog=SENSITIVITY_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    s.add_argument("scenario", help="a scenario file or bundled name")
    s.add_argument("--param", "-p", action="append", default=[], metavar="PATH=LOW:HIGH", help="a parameter (repeatable)")
    s.add_argument("--method", "-m", choices=["morris", "sobol"], default="morris", help="morris (default) or sobol")
    s.add_argument(
        "--samples", type=int, help="Morris trajectories (default 10) or Sobol base samples (a power of 2, default 64)"
    )
    s.add_argument("--runs", "-n", type=int, default=200, help="replicates per point (default 200)")
    s.add_argument("--seed", "-s", type=int, default=0, help="root seed (default 0)")
    s.add_argument("--jobs", "-j", type=int, default=1, help="worker processes (default 1)")
    s.add_argument("--out", "-o", help="output directory (default results/NAME-sensitivity-TIMESTAMP)")
    s.add_argument("--resume", action="store_true", help="continue an interrupted analysis in --out")
    s.add_argument("--force", action="store_true", help="discard negsim's results in --out and start over (never your own files)")
    s.add_argument("--scheduler", metavar="ADDRESS", help="run on an existing Dask cluster (dask.distributed)")


DISCOVER_EPILOG = """\
PRIM (the Patient Rule Induction Method, Friedman and Fisher 1999, as implemented in the EMA
Workbench) peels the parameter space of a sweep or sensitivity result towards the points where
the outcome's probability reaches --threshold, and prints the peeling trade-off (coverage: the
share of those points inside the box; density: the share of the box's points that are such
points) and the box chosen: the one with the largest coverage whose density is at least
--density (else the densest). Writes prim.csv (the trade-off) and prim_box.csv (the box's
limits) into RESULT, and with --plot the trade-off curve and the box over the points.

Example: negsim discover results/us_drawdown-sensitivity-... --outcome survived --threshold 0.5
"""


def _discover_parser(sub, sh: _Shared) -> None:
    """The ``negsim discover`` subcommand's options."""
    d = sub.add_parser(
        "discover",
        parents=[sh.plot],
        help="scenario discovery: under which parameter ranges is an outcome likely (PRIM boxes)",
        description="Find the ranges of the swept parameters in which P(OUTCOME) >= THRESHOLD, with PRIM, from a "
        "finished sweep or sensitivity result.",
        epilog=DISCOVER_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    d.add_argument("result", help="a finished sweep or sensitivity folder")
    d.add_argument(
        "--outcome",
        default="survived",
        choices=["complete", "reached", "ratified", "in_force", "survived"],
        help="the probability judged (default survived)",
    )
    d.add_argument("--threshold", type=float, default=0.5, help="a point is of interest when P(outcome) >= this (default 0.5)")
    d.add_argument("--density", type=float, default=0.8, help="the box's least density (default 0.8)")


def _report_parser(sub, sh: _Shared) -> None:
    """The ``negsim report`` subcommand's options."""
    rp = sub.add_parser(
        "report",
        help="one self-contained HTML report of a run, sweep, sensitivity analysis or comparison",
        description="Write one HTML file that needs nothing else (plots inline as SVG, no network): the question, "
        "the headline probabilities with 95% intervals, why pacts failed (who, on what, under which rule), the "
        "survival curve, the blockers, per-front results, the provenance of the parameters that matter most, and "
        "the command that reproduces the result.",
    )
    rp.add_argument("result", help="a finished result folder (negsim run, sweep, sensitivity, or compare --out)")
    rp.add_argument("--out", "-o", help="the HTML file to write (default RESULT/report.html)")


def _dashboard_parser(sub, sh: _Shared) -> None:
    """The ``negsim dashboard`` subcommand's options."""
    db = sub.add_parser(
        "dashboard",
        help="explore a scenario in the browser: sliders, outcome bars, survival, blockers, traces",
        description="Serve a local web app (Solara) on 127.0.0.1: pick a bundled scenario or a file, move the sliders "
        "of its main parameters (each with its provenance), and see the outcome bars with intervals, the survival "
        "curve, the blockers and the trace of any replicate, updated as the parameters change. Needs "
        "pip install 'negsim[dashboard]'.",
    )
    db.add_argument("scenario", nargs="?", help="a scenario file or bundled name to start with (default: the first bundled)")
    db.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    db.add_argument("--port", type=int, default=8765, help="port (default 8765)")


def _err(msg: str) -> int:
    print(f"negsim: error: {msg}", file=sys.stderr)
    return 2


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``negsim`` console script."""
    args = _parser().parse_args(argv)
    if args.command is None:  # a bare `negsim` is a usage error: show what it can do
        _parser().print_help(sys.stderr)
        return 2
    import signal
    import threading

    from negsim.errors import ScenarioError, UsageError

    def _terminated(signum, frame):  # `kill` (SIGTERM) stops like Ctrl-C: finished replicates are saved
        raise KeyboardInterrupt

    # only in the main thread (signal handlers can be set nowhere else), and restored on return
    # so that main() called from Python (a notebook, a test) leaves the caller's handler alone
    previous = signal.signal(signal.SIGTERM, _terminated) if threading.current_thread() is threading.main_thread() else None
    if argv is None:  # the negsim command: after a stop it only saves and exits, so a late Ctrl-C is ignored
        from negsim.montecarlo.pool import stopped_for_good

        stopped_for_good()
    code = 1
    try:
        code = _dispatch(args)
        return code
    except BrokenPipeError:  # `negsim explain ... | head`: the reader left; stop quietly
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except ScenarioError as e:
        for p in e.problems:
            print(str(p), file=sys.stderr)
        n = len(e.problems)
        print(f"negsim: {n} problem{'s' if n != 1 else ''} found; nothing was run.", file=sys.stderr)
        return 2
    except UsageError as e:
        return _err(str(e))
    except KeyboardInterrupt:
        print("negsim: interrupted", file=sys.stderr)
        code = 130
        return code
    except AssertionError as e:  # an InvariantError from --check: a model bug, with its seed
        if type(e).__name__ != "InvariantError":
            raise
        print(f"negsim: model invariant violated (a bug; please report it):\n{e}", file=sys.stderr)
        return 1
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
            if code == 130 and argv is None:  # the negsim command, stopped and exiting: a late Ctrl-C must not kill its exit
                for s in (signal.SIGINT, signal.SIGTERM):
                    signal.signal(s, signal.SIG_IGN)


def _cmd_list(args) -> int:
    """`negsim list`: the bundled scenarios with their titles."""
    from negsim import api

    items = api.bundled()
    if not items:
        return _err("no bundled scenarios found (looked in ./scenarios and the source checkout)")
    width = max(len(p.stem) for p, _ in items)
    for p, title in items:
        print(f"{p.stem:<{width}}  {title}")
    return 0


def _cmd_synth(args) -> int:
    """`negsim synth`: write a synthetic scenario."""
    from pathlib import Path

    from negsim.scenario.synth import write_synthetic

    if Path(args.out).exists() and not args.force:
        return _err(f"{args.out} exists (use --force to replace it)")
    try:
        path = write_synthetic(args.out, args.actors, args.issues, args.seed)
    except ValueError as e:
        return _err(str(e))
    except OSError as e:
        return _err(f"cannot write {args.out}: {e.strerror or e}")
    print(f"wrote {path}: {args.actors} actors, {args.issues} issues (seed {args.seed})")
    return 0


def _cmd_plot(args) -> int:
    """`negsim plot`: draw the plots of a result folder."""
    from negsim.report.plots import plot

    files = plot(
        args.result,
        kind=args.kind,
        out=args.out,
        formats=tuple(args.formats) if args.formats else None,
        x=args.x,
        y=args.y,
        by=args.by,
        probs=tuple(args.prob or ("complete", "survived")),
        prob=args.prob[0] if args.prob else "survived",
    )
    for f in files:
        print(f)
    return 0


def _cmd_sweep(args) -> int:
    """`negsim sweep`: a sweep over a parameter design."""
    if args.resume and not args.out:
        return _err("--resume needs --out: the folder of the sweep to continue")
    return _sweep(args)


def _cmd_compare(args) -> int:
    """`negsim compare`: a paired comparison of A and B."""
    from negsim import api

    result, text, out_dir = api.compare(
        args.a,
        args.b,
        args.overrides,
        runs=args.runs,
        seed=args.seed,
        jobs=args.jobs,
        out=args.out,
        force=args.force,
        allow_outside=args.allow_outside,
        progress=not args.quiet,
    )
    print(text)
    if out_dir:
        print(f"\nResults: {out_dir}/")
    return 0


def _cmd_table(args) -> int:
    """`negsim table`: the Markdown table of headline results."""
    from negsim import api

    if args.update:
        api.check_readme(args.update)  # before minutes of simulation, not after
    table = api.scenario_table(
        args.files,
        runs=args.runs,
        seed=args.seed,
        jobs=args.jobs,
        progress=sys.stderr.isatty() and not args.quiet,
        allow_outside=args.allow_outside,
    )
    if args.update:
        api.update_readme(args.update, table)
        print(f"updated the scenario table in {args.update}")
    else:
        print(table)
    return 0


def _cmd_explain(args) -> int:
    """`negsim explain`: each parameter's value and its sources."""
    from negsim import api

    lines = api.explain(args.scenario, args.path, allow_outside=args.allow_outside)
    if not lines:
        return _err(f"no parameter under {args.path!r} (try `negsim explain {args.scenario}` for all)")
    print("\n".join(lines))
    return 0


def _cmd_sources(args) -> int:
    """`negsim sources`: the source cards and their claims."""
    from negsim import api

    print("\n".join(api.sources(args.claims)))
    return 0


def _cmd_validate(args) -> int:
    """`negsim validate`: check files without running them."""
    from negsim import api

    results = api.validate(args.files, allow_outside=args.allow_outside, strict=args.strict)
    bad = 0
    for f, problems in results.items():
        if problems:
            bad += 1
            for p in problems:
                print(str(p), file=sys.stderr)
        else:
            print(f"{f}: ok")
    if bad:
        print(f"negsim: {bad} of {len(results)} file(s) have problems.", file=sys.stderr)
    return 2 if bad else 0


def _cmd_trace(args) -> int:
    """`negsim trace`: one replicate in plain words."""
    from negsim import api

    if args.seed < 0 or args.replicate < 0:
        return _err("--seed and --replicate must be non-negative")
    lines, row = api.trace(args.scenario, args.seed, args.replicate, args.overrides, allow_outside=args.allow_outside)
    print("\n".join(lines))
    print()
    print(_verdict(row))
    return 0


def _cmd_run(args) -> int:
    """`negsim run`: run replicates and print the summary."""
    from negsim import api

    if (err := _max_runs(args, 100_000)) is not None:
        return err
    res = api.run(args.scenario, runs=args.runs, seed=args.seed, jobs=args.jobs, out=args.out,
                  overrides=args.overrides, progress=not args.quiet, force=args.force,
                  allow_outside=args.allow_outside, precision=args.precision, max_runs=args.max_runs,
                  scheduler=args.scheduler, check=args.check, draws=args.draws)  # fmt: skip
    print(res.text)
    if res.out_dir:
        written = ["outcomes.csv", "outcomes.parquet", "summary.json", "scenario.resolved.yaml", "draws.csv"]
        files = ", ".join(f for f in written if (res.out_dir / f).exists()) + ", manifest.json"
        print(f"\nResults: {res.out_dir}/ ({files})")
        if args.plot and res.complete:
            _plots(res.out_dir)
    if not res.complete:
        print(
            "negsim: interrupted; the results above cover only the replicates that finished (manifest says complete: false).",
            file=sys.stderr,
        )
        return 130
    return 0


def _cmd_backtest(args) -> int:
    """`negsim backtest`: the historical cases against their expected directions; exit 1 if any check fails."""
    from negsim import api

    _, text, ok = api.backtest(
        args.files or None, runs=args.runs, seed=args.seed, jobs=args.jobs, progress=sys.stderr.isatty() and not args.quiet
    )
    print(text)
    return 0 if ok else 1


def _cmd_sensitivity(args) -> int:
    """`negsim sensitivity`: Morris or Sobol indices of the headline outcomes."""
    from negsim import api

    if args.resume and not args.out:
        return _err("--resume needs --out: the folder of the analysis to continue")
    res = api.sensitivity(args.scenario, args.param, method=args.method, samples=args.samples, runs=args.runs,
                          seed=args.seed, jobs=args.jobs, out=args.out, resume=args.resume, force=args.force,
                          progress=not args.quiet, scheduler=args.scheduler, overrides=args.overrides,
                          allow_outside=args.allow_outside)  # fmt: skip
    if not res.complete:
        print(f"negsim: interrupted; finished chunks are kept in {res.out_dir}/parts; rerun with --resume --out {res.out_dir}",
              file=sys.stderr)  # fmt: skip
        return 130
    print(res.text)
    print()
    print(res.table_text)
    print(f"\nResults: {res.out_dir}/ (indices.csv, outputs.csv, sensitivity.json, points.csv, manifest.json)")
    if args.plot and len(res.indices):
        _plots(res.out_dir)
    elif args.plot:
        print("No plot: no outcome varied at any point, so there are no indices to draw.")
    return 0


def _cmd_discover(args) -> int:
    """`negsim discover`: PRIM boxes over a sweep or sensitivity result."""
    from negsim import api

    res = api.discover(args.result, outcome=args.outcome, threshold=args.threshold, density=args.density)
    print(res.text)
    if args.plot:
        from negsim.report.sensitivity_plots import plot_prim

        files = plot_prim(res)
        print("Plots: " + ", ".join(str(f) for f in files))
    return 0


def _cmd_report(args) -> int:
    """`negsim report`: the HTML report of a result folder."""
    from negsim.report.html import write_report

    path = write_report(args.result, args.out)
    print(f"Report: {path}")
    return 0


def _cmd_dashboard(args) -> int:
    """`negsim dashboard`: the Solara app, in the foreground."""
    import importlib.util

    if importlib.util.find_spec("solara") is None:
        return _err("negsim dashboard needs Solara: pip install 'negsim[dashboard]'")
    from negsim import api
    from negsim.dashboard import serve

    if args.scenario:
        api.load(args.scenario)  # a bad scenario fails here, with its problems, not in the browser
    return serve(str(api.resolve_scenario_path(args.scenario)) if args.scenario else None, args.host, args.port)


#: each command's function (``negsim COMMAND``), called with the parsed arguments; it returns the exit code
COMMANDS = {
    "list": _cmd_list,
    "synth": _cmd_synth,
    "plot": _cmd_plot,
    "sweep": _cmd_sweep,
    "compare": _cmd_compare,
    "table": _cmd_table,
    "explain": _cmd_explain,
    "sources": _cmd_sources,
    "validate": _cmd_validate,
    "trace": _cmd_trace,
    "run": _cmd_run,
    "backtest": _cmd_backtest,
    "sensitivity": _cmd_sensitivity,
    "discover": _cmd_discover,
    "report": _cmd_report,
    "dashboard": _cmd_dashboard,
}


def _dispatch(args) -> int:
    """Run the command ``args.command`` names; its exit code."""
    return COMMANDS[args.command](args)


def _max_runs(args, default: int) -> int | None:
    """Check --max-runs against --precision and --runs (sets the default); an exit code on error, else None."""
    if args.max_runs is None:
        args.max_runs = default
        return None
    if args.precision is None:
        return _err("--max-runs only applies with --precision (without it, --runs replicates are run)")
    if args.runs is not None and args.max_runs < args.runs:
        return _err(f"--max-runs {args.max_runs} is below --runs {args.runs} (the first batch); raise it or lower --runs")
    return None


def _sweep(args) -> int:
    from negsim.montecarlo import sweep as sw

    file_cfg = sw.load_sweep_file(args.scenario) if sw.is_sweep_file(args.scenario) else {}
    scenario = file_cfg.get("scenario", args.scenario)
    specs = [sw.parse_spec_value(k, v) for k, v in file_cfg.get("params", {}).items()]
    specs += [sw.parse_spec(p) for p in args.param]
    runs = args.runs if args.runs is not None else file_cfg.get("runs", 200)
    if (err := _max_runs(args, 10_000)) is not None:
        return err
    seed = args.seed if args.seed is not None else file_cfg.get("seed", 0)
    design = args.design or file_cfg.get("design", "grid")
    points = None
    if design not in ("grid", "lhs"):
        if specs:
            return _err(
                f"--design {design}: a design file's columns are the parameters; give no --param (nor params in a sweep file)"
            )
        specs, points = sw.read_design(design)
        design = "file"
    samples = args.samples if args.samples is not None else file_cfg.get("samples", 100)
    jobs = args.jobs if args.jobs is not None else file_cfg.get("jobs", 1)
    for key, value in (("runs", runs), ("seed", seed), ("samples", samples), ("jobs", jobs)):
        if isinstance(value, bool) or not isinstance(value, int):
            return _err(f"{args.scenario}: {key} must be a whole number, got {value!r}")
    from negsim.api import resolve_scenario_path

    res = sw.sweep(resolve_scenario_path(str(scenario)), specs, runs=runs, seed=seed, jobs=jobs, out=args.out, design=design,
                   samples=samples, resume=args.resume, force=args.force, progress=not args.quiet,
                   scheduler=args.scheduler, overrides=args.overrides, precision=args.precision,
                   max_runs=args.max_runs, allow_outside=args.allow_outside, points=points)  # fmt: skip
    if not res.complete:
        print(
            f"negsim: interrupted; finished chunks are kept in {res.out_dir}/parts; rerun with --resume --out {res.out_dir}",
            file=sys.stderr,
        )
        return 130
    print(sw.format_points(res.out_dir))
    per = f"{runs} replicates" if args.precision is None else f"{runs}+ replicates (until half-width < {args.precision})"
    print(f"\n{len(res.points)} points x {per} = {res.rows:,} rows (common random numbers, seed {seed})")
    print(f"Results: {res.out_dir}/ ({res.table.name}, points.csv, manifest.json)")
    if args.plot:
        _plots(res.out_dir)
    return 0


def _plots(out_dir) -> None:
    from negsim.report.plots import plot

    files = plot(out_dir)
    print("Plots: " + ", ".join(str(f) for f in files))


def _verdict(row: dict) -> str:
    if not row["reached"]:
        why = f"{row['end_cause']}"
        if row["end_cause"] == "walkout":
            cause = {"substance": "on substance: no proposal reached its no-deal value"}
            why = f"{row['walkout_actor']} walked out ({cause.get(row.get('walkout_cause'), 'walk-out')}"
            why += f"; the last refusal was on {row['veto_issue']})" if row["veto_issue"] else ")"
        elif row["veto_actor"]:
            why += f" by {row['veto_actor']} on {row['veto_issue']} ({row['veto_reason'].replace('_', ' ')}, rule: {row['veto_rule']})"
        return f"Outcome: no agreement after {row['rounds']} rounds: {why}."
    parts = [f"Outcome: agreement on {row['issues_agreed']} issue(s) after {row['rounds']} rounds"]
    if row.get("holdout_actor"):
        paid = {
            "side_payment": f"bought off by a side payment from {row['holdout_payer']}",
            "linked_concession": "bought off by a linked concession",
        }
        how = paid.get(row["holdout_how"], "never bought off")
        parts.append(f"{row['holdout_actor']} held out for {float(row['holdout_demand']):.3f} ({how})")
    if row.get("ratification_holdout_actor"):
        got = "then was paid" if row["ratification_holdout_paid"] is True else "then gave way unpaid"
        parts.append(f"{row['ratification_holdout_actor']}'s legislature held the signed text for "
                     f"{float(row['ratification_holdout_periods']):.1f} periods ({got})")  # fmt: skip
    if not row["in_force"] and row["ratified"]:
        parts.append("ratified, but it would enter into force only after the horizon")
    elif not row["in_force"]:
        parts.append(f"not ratified ({row['ratification_failed_actor']} failed), so never in force")
    elif not row["ratified"]:
        parts.append(
            f"in force among those who ratified ({row['ratification_failed_actor']} did not) from period {row['entry_period']}"
        )
        parts.append("survived to the horizon" if row["survived"] else f"broke down in period {row['breakdown_period']}")
    elif row["survived"]:
        parts.append(f"in force from period {row['entry_period']}, survived to the horizon")
    else:
        parts.append(f"in force from period {row['entry_period']}, broke down in period {row['breakdown_period']} "
                     f"({row['breakdown_cause'].replace('_', ' ')} by {row['breakdown_actor']}"
                     f"{', on ' + row['breakdown_issue'] if row['breakdown_issue'] else ''})")  # fmt: skip
    return "; ".join(parts) + "."
