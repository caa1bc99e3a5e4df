"""negsim's negotiation phase against a NegMAS multilateral SAO negotiation of the same size.

NegMAS is the peer library for negotiation mechanics; it is not a negsim dependency and this
script installs nothing. Put it in a separate virtual environment together with negsim:

    python3 -m venv /tmp/negmas_venv
    /tmp/negmas_venv/bin/pip install negmas
    /tmp/negmas_venv/bin/pip install -e .          # from the negsim checkout
    /tmp/negmas_venv/bin/python benchmarks/negmas_compare.py --size 35x10

(``python benchmarks/bench.py`` runs it with /tmp/negmas_venv/bin/python when that exists, or
with ``--negmas-python PATH``.)

What is compared, for N agents and K issues:

- NegMAS: one ``SAOMechanism`` (stacked alternating offers, multilateral) with N negotiators
  (``BoulwareTBNegotiator`` by default, or ``AspirationNegotiator``), each with a random
  ``LinearAdditiveUtilityFunction`` over K discrete issues of ``--values`` values each
  (2 by default: 2^K outcomes) and a reserved value; ``n_steps`` = 12, as negsim's 12 rounds
  (in one SAO step every negotiator responds to the standing offer and makes its own). Timed:
  ``mechanism.run()`` on a freshly built mechanism (building it is reported apart).
- negsim: ``negsim.model.negotiation.negotiate(model)`` alone, on freshly built models of a synthetic
  scenario of N actors and K issues (:mod:`negsim.scenario.synth`: Nash proposal over a 21-level grid
  per issue, consensus body, 12 rounds). Model construction is not timed.

Both run single-threaded in this process. The ratio printed is NegMAS time / negsim time per
negotiation.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time


def _size(text: str) -> tuple[int, int]:
    n, _, k = text.lower().partition("x")
    return int(n), int(k)


def negmas_time(n: int, k: int, values: int, steps: int, repeat: int, negotiator: str, seed: int) -> dict:
    """Median seconds of one NegMAS SAO negotiation among ``n`` agents over ``k`` issues."""
    import numpy as np
    from negmas import AspirationNegotiator, BoulwareTBNegotiator, SAOMechanism, make_issue
    from negmas.outcomes import make_os
    from negmas.preferences import LinearAdditiveUtilityFunction

    cls = {"boulware": BoulwareTBNegotiator, "aspiration": AspirationNegotiator}[negotiator]
    rng = np.random.default_rng(seed)
    runs, builds, agreements, steps_done = [], [], 0, []
    for _ in range(repeat):
        t0 = time.perf_counter()
        issues = [make_issue(values, f"i{j}") for j in range(k)]
        os_ = make_os(issues)
        mech = SAOMechanism(outcome_space=os_, n_steps=steps)
        for i in range(n):
            w = rng.random(k)
            ufun = LinearAdditiveUtilityFunction(
                values=[{v: float(rng.random()) for v in issue.all} for issue in issues],
                weights=list(w / w.sum()),
                outcome_space=os_,
                reserved_value=float(rng.uniform(0.2, 0.5)),
            )
            mech.add(cls(name=f"a{i}"), ufun=ufun)
        t1 = time.perf_counter()
        state = mech.run()
        t2 = time.perf_counter()
        builds.append(t1 - t0)
        runs.append(t2 - t1)
        agreements += state.agreement is not None
        steps_done.append(state.step)
    return {
        "negotiation_s": statistics.median(runs),
        "build_s": statistics.median(builds),
        "outcomes": values**k,
        "agreements": agreements,
        "steps": statistics.median(steps_done),
        "repeat": repeat,
        "negotiator": cls.__name__,
    }


def negsim_time(n: int, k: int, replicates: int, seed: int) -> dict:
    """Mean seconds of negsim's negotiation phase (``negotiate(model)``) on fresh models."""
    from negsim.model.model import NegotiationModel
    from negsim.model.negotiation import negotiate
    from negsim.montecarlo.runner import replicate_rng, single_threaded_blas
    from negsim.scenario.synth import compile_synthetic

    single_threaded_blas()
    comp = compile_synthetic(n, k, seed)
    times, rounds, agreed = [], [], 0
    for i in range(replicates + 3):
        m = NegotiationModel(comp, replicate_rng(seed, i))
        t0 = time.perf_counter()
        res = m.play(negotiate(m))
        dt = time.perf_counter() - t0
        if i >= 3:  # the first few warm up caches
            times.append(dt)
            rounds.append(res.rounds)
            agreed += res.end_cause == "agreement"
    return {
        "negotiation_s": statistics.fmean(times),
        "median_s": statistics.median(times),
        "rounds_mean": statistics.fmean(rounds),
        "agreements": agreed,
        "replicates": replicates,
    }


def compare(
    n: int, k: int, values: int = 2, steps: int = 12, repeat: int = 3, replicates: int = 200, negotiator="boulware", seed=0
):
    """Both timings and the ratio for one size."""
    ns = negsim_time(n, k, replicates, seed)
    nm = negmas_time(n, k, values, steps, repeat, negotiator, seed)
    return {
        "agents": n,
        "issues": k,
        "negsim": ns,
        "negmas": nm,
        "ratio": nm["negotiation_s"] / ns["negotiation_s"] if ns["negotiation_s"] > 0 else float("inf"),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", action="append", type=_size, help="NxK (agents x issues), repeatable; default 35x10")
    ap.add_argument("--values", type=int, default=2, help="values per NegMAS issue (default 2: 2^K outcomes)")
    ap.add_argument("--steps", type=int, default=12, help="NegMAS n_steps (default 12, as negsim's max_rounds)")
    ap.add_argument("--repeat", type=int, default=3, help="NegMAS negotiations per size (median)")
    ap.add_argument("--replicates", type=int, default=200, help="negsim negotiations per size (mean)")
    ap.add_argument("--negotiator", choices=["boulware", "aspiration"], default="boulware")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", action="store_true", help="print the results as one JSON line (for bench.py)")
    a = ap.parse_args(argv)
    try:
        import negmas  # noqa: F401
    except ImportError:
        print("negmas is not installed in this Python; see the instructions at the top of this file", file=sys.stderr)
        return 2
    out = []
    for n, k in a.size or [(35, 10)]:
        r = compare(n, k, a.values, a.steps, a.repeat, a.replicates, a.negotiator, a.seed)
        out.append(r)
        if not a.json:
            print(
                f"{n} agents x {k} issues: NegMAS SAO {r['negmas']['negotiation_s'] * 1000:.1f} ms "
                f"({r['negmas']['negotiator']}, {r['negmas']['outcomes']} outcomes, {r['negmas']['steps']} steps, "
                f"build {r['negmas']['build_s'] * 1000:.1f} ms); negsim negotiate() {r['negsim']['negotiation_s'] * 1000:.2f} ms "
                f"({r['negsim']['rounds_mean']:.1f} rounds); ratio {r['ratio']:.0f}x"
            )
    if a.json:
        import negmas as nm

        print(json.dumps({"negmas_version": getattr(nm, "__version__", "?"), "results": out}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
