"""Invariants of an outcome row and of a replicate's world: what must hold whatever the scenario.

:func:`check_row` checks one outcome row (as :func:`negsim.montecarlo.runner.run_replicate` returns it,
or as read back from ``outcomes.csv``, where every value is a string); :func:`check_world`
checks a model's state (trust, positions and salience in [0, 1], no NaN, trust in oneself 1).
Both return a list of problems (empty when all is well). A violation is a bug in negsim, and
:class:`InvariantError` says how to reproduce it: ``negsim trace SCENARIO --seed S --replicate I``.

The contract of a row (derived from :meth:`negsim.model.model.NegotiationModel.run`):

* stages nest: survived => in force => reached; ratified => reached; complete => reached;
  ``complete`` (agreed in full) needs ``end_cause == "agreement"`` and no holdouts; reached <=> issues_agreed > 0 <=>
  pacts_signed > 0; ratified <=> reached and no ratification failure recorded;
* counts nest: pacts_signed >= pacts_in_force >= pacts_surviving, with in_force <=>
  pacts_in_force > 0 and survived <=> pacts_surviving > 0;
* entry_period is set iff in force, and then 0 <= entry_period < horizon;
* the breakdown fields are set iff in force and not survived, with a known cause and reason,
  in a period after entry into force and no later than the horizon;
* the veto fields are empty when the talks ended in agreement and set otherwise; a walk-out
  names the actor who walked out;
* compliance counters are non-negative integers, and zero unless the pact entered into force;
* final_trust lies in [0, 1]; rounds >= 1; no value is NaN or infinite;
* per front: agreed and survived are both empty (no issue on the front) or both set;
  survived => agreed; agreed => reached; survived => survived overall; complete => agreed.
"""

from __future__ import annotations

import math

import numpy as np

from negsim.scenario.schema import FRONTS

END_CAUSES = ("agreement", "veto", "deadlock", "walkout")
VETO_REASONS = ("red_line", "below_threshold", "below_aspiration", "outside_win_set", "holdout", "not_positive", "walkout")
BREAKDOWN_REASONS = {
    "withdrawal": ("gain_below_no_deal", "trust_collapsed"),
    "major_violation": ("seen_breach",),
    "incident": ("incident_escalated",),
}
VETO_FIELDS = ("veto_actor", "veto_issue", "veto_rule", "veto_party", "veto_reason")
BREAKDOWN_FIELDS = ("breakdown_period", "breakdown_cause", "breakdown_actor", "breakdown_issue", "breakdown_reason")
COUNTERS = ("violations_detected", "violations_undetected", "breaches_chosen", "incidents", "subversions")
BREACH_FIELDS = ("breach_period", "breach_actor", "breach_issue", "breach_seen", "breach_followed", "breach_chosen")
BREACH_FOLLOWED = ("unseen", "minor", "consultation", "strike", "breakdown")


class InvariantError(AssertionError):
    """An invariant failed for one replicate: a bug, reproducible from its seed and index."""

    def __init__(self, seed: int, replicate: int, problems: list[str], scenario: str = "SCENARIO"):
        self.seed, self.replicate, self.problems, self.scenario = seed, replicate, list(problems), scenario
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(
            f"invariant violated in replicate {replicate} of seed {seed} (a bug in negsim; please report it):\n{lines}\n"
            f"Reproduce it with: negsim trace {scenario} --seed {seed} --replicate {replicate}"
        )


def _bool(row: dict, key: str, problems: list[str]) -> bool | None:
    v = row.get(key)
    if isinstance(v, bool | np.bool_):
        return bool(v)
    if v in ("True", "False"):
        return v == "True"
    problems.append(f"{key} should be a boolean, got {v!r}")
    return None


def _int(row: dict, key: str, problems: list[str], optional: bool = False) -> int | None:
    v = row.get(key)
    if optional and v in ("", None):
        return None
    if isinstance(v, bool | np.bool_):
        problems.append(f"{key} should be an integer, got {v!r}")
        return None
    if isinstance(v, int | np.integer):
        return int(v)
    if isinstance(v, str) and v.lstrip("-").isdigit():
        return int(v)
    problems.append(f"{key} should be an integer, got {v!r}")
    return None


def _set(row: dict, key: str) -> bool:
    return row.get(key) not in ("", None)


def check_row(row: dict, comp=None) -> list[str]:
    """Every invariant an outcome row breaks (empty when it is consistent).

    With the compiled scenario ``comp``, also checks the horizon and that named actors and
    issues exist in it.
    """
    p: list[str] = []
    for key, v in row.items():
        if isinstance(v, float | np.floating) and not math.isfinite(v):
            p.append(f"{key} is {v!r}")
        elif isinstance(v, str) and v.strip().lower() in ("nan", "inf", "-inf", "+inf", "infinity", "-infinity"):
            p.append(f"{key} is {v!r}")
    b = {k: _bool(row, k, p) for k in ("reached", "complete", "ratified", "in_force", "survived")}
    if any(v is None for v in b.values()):
        return p
    _stages(row, b, p, comp)
    _counts(row, b, p)
    entry = _entry(row, b, p, comp)
    _breakdown(row, b, p, comp, entry)
    _end_of_talks(row, p)
    _counters_and_trust(row, b, p)
    if comp is not None:
        _names(row, p, comp)
    _fronts(row, b, p)
    return p


def _stages(row: dict, b: dict, p: list[str], comp) -> None:
    """The stages nest (survived, in force, ratified, complete each need an agreement) and agree with the end of the talks."""
    reached, complete, ratified, in_force, survived = (b[k] for k in ("reached", "complete", "ratified", "in_force", "survived"))
    if survived and not in_force:
        p.append("survived but not in force")
    if in_force and not reached:
        p.append("in force but no agreement reached")
    if ratified and not reached:
        p.append("ratified but no agreement reached")
    if complete and not reached:
        p.append("complete but no agreement reached")
    end = row.get("end_cause")
    if end not in END_CAUSES:
        p.append(f"end_cause {end!r} is not one of {', '.join(END_CAUSES)}")
    if complete and end != "agreement":
        p.append(f"complete is {complete} but end_cause is {end!r}")
    if complete and row.get("holdouts"):
        p.append(f"complete, yet {row['holdouts']} signed nothing")
    rounds = _int(row, "rounds", p)
    if rounds is not None and rounds < 1:
        p.append(f"rounds is {rounds} (at least one round is always played)")
    issues = _int(row, "issues_agreed", p)
    if issues is not None:
        if reached != (issues > 0):
            p.append(f"reached is {reached} but issues_agreed is {issues}")
        if comp is not None and not 0 <= issues <= comp.k:
            p.append(f"issues_agreed is {issues}, outside 0..{comp.k}")


def _counts(row: dict, b: dict, p: list[str]) -> None:
    """The pact counts nest and agree with the flags; ratification fails only for something signed."""
    reached, ratified, in_force, survived = b["reached"], b["ratified"], b["in_force"], b["survived"]
    signed, live, alive = (_int(row, k, p) for k in ("pacts_signed", "pacts_in_force", "pacts_surviving"))
    if None not in (signed, live, alive):
        if not signed >= live >= alive >= 0:
            p.append(f"pacts signed {signed}, in force {live}, surviving {alive} do not nest")
        if reached != (signed > 0):
            p.append(f"reached is {reached} but pacts_signed is {signed}")
        if in_force != (live > 0):
            p.append(f"in_force is {in_force} but pacts_in_force is {live}")
        if survived != (alive > 0):
            p.append(f"survived is {survived} but pacts_surviving is {alive}")
    failed = row.get("ratification_failed_actor", "")
    if ratified != (reached and not failed):
        p.append(f"ratified is {ratified} with reached {reached} and ratification_failed_actor {failed!r}")
    if failed and not reached:
        p.append(f"ratification failed in {failed} but nothing was signed")


def _entry(row: dict, b: dict, p: list[str], comp) -> int | None:
    """An entry period is set exactly when a pact entered into force, and lies before the horizon; returns it."""
    entry = _int(row, "entry_period", p, optional=True)
    if b["in_force"] != _set(row, "entry_period"):
        p.append(f"entry_period {row.get('entry_period')!r} with in_force {b['in_force']}")
    if entry is not None:
        if entry < 0:
            p.append(f"entry_period is {entry}")
        if comp is not None and entry >= comp.horizon:
            p.append(f"entry_period {entry} is not before the horizon {comp.horizon}")
    return entry


def _breakdown(row: dict, b: dict, p: list[str], comp, entry: int | None) -> None:
    """The breakdown fields are set exactly when a pact in force broke down, after entry, for a known cause and reason."""
    in_force, survived = b["in_force"], b["survived"]
    broke = in_force and not survived
    for key in BREAKDOWN_FIELDS:
        if key == "breakdown_issue":
            continue  # an incident ends a pact on no particular issue
        if _set(row, key) != broke:
            p.append(f"{key} is {row.get(key)!r} with in_force {in_force} and survived {survived}")
    if not (broke and _set(row, "breakdown_period")):
        if _set(row, "breakdown_issue"):
            p.append(f"breakdown_issue {row.get('breakdown_issue')!r} although no pact broke down")
        return
    period = _int(row, "breakdown_period", p)
    if period is not None:
        if entry is not None and period <= entry:
            p.append(f"breakdown in period {period}, not after entry into force (period {entry})")
        if period < 1 or (comp is not None and period > comp.horizon):
            p.append(f"breakdown_period {period} is outside the compliance periods")
    cause, reason = row.get("breakdown_cause"), row.get("breakdown_reason")
    if cause not in BREAKDOWN_REASONS:
        p.append(f"breakdown_cause {cause!r} is not one of {', '.join(BREAKDOWN_REASONS)}")
    elif reason not in BREAKDOWN_REASONS[cause]:
        p.append(f"breakdown_reason {reason!r} does not go with cause {cause!r}")
    if cause != "incident" and not _set(row, "breakdown_issue"):
        p.append(f"breakdown by {cause} names no issue")


def _end_of_talks(row: dict, p: list[str]) -> None:
    """Talks that ended in agreement name no veto; talks that did not name who stopped them, on what, under which rule."""
    end = row.get("end_cause")
    if end == "agreement":
        for key in VETO_FIELDS:
            if _set(row, key):
                p.append(f"{key} is {row.get(key)!r} although the talks ended in agreement")
    elif end in END_CAUSES:
        for key in ("veto_actor", "veto_issue", "veto_rule", "veto_reason"):
            if not _set(row, key):
                p.append(f"talks ended by {end} but {key} is empty")
        if _set(row, "veto_reason") and row["veto_reason"] not in VETO_REASONS:
            p.append(f"veto_reason {row['veto_reason']!r} is not one of {', '.join(VETO_REASONS)}")
    if end == "walkout" and not _set(row, "walkout_actor"):
        p.append("talks ended by walk-out but walkout_actor is empty")


def _counters_and_trust(row: dict, b: dict, p: list[str]) -> None:
    """Compliance counters are non-negative and zero without a pact in force; the final trust is a share."""
    for key in COUNTERS:
        n = _int(row, key, p)
        if n is not None and (n < 0 or (n > 0 and not b["in_force"])):
            p.append(f"{key} is {n} with in_force {b['in_force']}")
    if _set(row, "final_trust"):
        try:
            t = float(row["final_trust"])
        except (TypeError, ValueError):
            p.append(f"final_trust is {row['final_trust']!r}")
        else:
            if not 0.0 <= t <= 1.0:
                p.append(f"final_trust {t} is outside [0, 1]")
    _breach(row, p)


def _breach(row: dict, p: list[str]) -> None:
    """The breach columns are set together, exactly when a breach happened, and agree with the counters."""
    if not any(k in row for k in BREACH_FIELDS):
        return
    some = [_set(row, k) for k in BREACH_FIELDS]
    total = sum(_int(row, k, p) or 0 for k in ("violations_detected", "violations_undetected"))
    if any(some) != all(some):
        p.append(f"breach columns are partly set: {[row.get(k) for k in BREACH_FIELDS]}")
        return
    if all(some) != (total > 0):
        p.append(f"breach_period is {row.get('breach_period')!r} with {total} breaches counted")
    if not all(some):
        return
    seen, chosen = _bool(row, "breach_seen", p), _bool(row, "breach_chosen", p)
    followed = row.get("breach_followed")
    if followed not in BREACH_FOLLOWED:
        p.append(f"breach_followed {followed!r} is not one of {', '.join(BREACH_FOLLOWED)}")
    elif seen is not None and (followed == "unseen") == seen:
        p.append(f"breach_followed is {followed!r} but breach_seen is {seen}")
    elif chosen is False and followed not in ("unseen", "minor"):
        p.append(f"a mistaken breach is followed by {followed!r}")
    if chosen and (_int(row, "breaches_chosen", p) or 0) < 1:
        p.append("breach_chosen is True but breaches_chosen is 0")


def _names(row: dict, p: list[str], comp) -> None:
    """Every actor and issue a row names exists in the compiled scenario ``comp``."""
    codes, names = set(comp.codes), set(comp.issues)
    for key in ("veto_actor", "walkout_actor", "ratification_failed_actor", "breach_actor"):
        if _set(row, key) and row[key] not in codes:
            p.append(f"{key} {row[key]!r} is not an actor of the scenario")
    for key in ("veto_issue", "breakdown_issue", "breach_issue"):
        if _set(row, key) and row[key] not in names:
            p.append(f"{key} {row[key]!r} is not an issue in play")


def _fronts(row: dict, b: dict, p: list[str]) -> None:
    """Each front's flags are set together and nest inside the row's own (agreed before survived, within the pact)."""
    for f in FRONTS:
        a_key, s_key = f"{f}_agreed", f"{f}_survived"
        if a_key not in row and s_key not in row:
            continue
        if _set(row, a_key) != _set(row, s_key):
            p.append(f"{a_key} is {row.get(a_key)!r} but {s_key} is {row.get(s_key)!r}")
            continue
        if not _set(row, a_key):
            continue
        fa, fs = _bool(row, a_key, p), _bool(row, s_key, p)
        if fa is None or fs is None:
            continue
        if fs and not fa:
            p.append(f"front {f} survived but was never agreed")
        if fa and not b["reached"]:
            p.append(f"front {f} agreed but no agreement reached")
        if fs and not b["survived"]:
            p.append(f"front {f} survived but no pact did")
        if b["complete"] and not fa:
            p.append(f"every issue agreed but front {f} is not")


def _unit(name: str, a: np.ndarray, p: list[str], nan_ok: bool = False) -> None:
    a = np.asarray(a, float)
    bad = np.isnan(a)
    if bad.any() and not nan_ok:
        p.append(f"{name} has NaN at {np.argwhere(bad)[:3].tolist()}")
    vals = a[~bad]
    if np.isinf(vals).any():
        p.append(f"{name} is infinite somewhere")
    elif vals.size and (vals.min() < -1e-12 or vals.max() > 1 + 1e-12):
        p.append(f"{name} outside [0, 1]: min {vals.min():.6g}, max {vals.max():.6g}")


def check_world(model) -> list[str]:
    """Every invariant the model's current world breaks (empty when it is consistent)."""
    w, comp = model.world, model.comp
    p: list[str] = []
    _unit("trust", w.trust, p)
    _unit("positions", w.pos, p)
    _unit("salience", w.sal, p)
    _unit("us_presence", w.us_presence, p)
    _unit("red lines", w.red, p, nan_ok=True)  # NaN: no red line
    if w.trust.shape != (comp.n, comp.n):
        p.append(f"trust has shape {w.trust.shape}, expected {(comp.n, comp.n)}")
    elif not np.array_equal(np.diag(w.trust), np.ones(comp.n)):
        p.append(f"trust in oneself is not 1: {np.diag(w.trust)[np.diag(w.trust) != 1][:5].tolist()}")
    if w.pos.shape != (comp.n, comp.k) or w.sal.shape != (comp.n, comp.k):
        p.append(f"positions/salience have shapes {w.pos.shape}/{w.sal.shape}, expected {(comp.n, comp.k)}")
    for name in ("cap", "pop", "spoiler", "opportunism", "rate", "rat_threshold", "rat_support", "walk_hazard"):
        a = getattr(w, name, None)
        if a is not None and not np.isfinite(np.asarray(a, float)).all():
            p.append(f"{name} is not finite everywhere")
    for name in ("rat_seen", "rat_doubt", "rat_foresight"):  # the executives' reading of their legislatures
        a = np.asarray(getattr(w, name), float)
        if not (np.isfinite(a).all() and (a >= 0).all() and (a <= 1).all()):
            p.append(f"{name} is outside [0, 1] somewhere")
    for key, v in w.scal.items():
        if not math.isfinite(v):
            p.append(f"scalar {key} is {v!r}")
    if model.trust_at_entry is not None:
        t = np.asarray(model.trust_at_entry, float)
        t = t[~np.isnan(t)]  # NaN: not a member of a pact in force
        if t.size and (t.min() < 0 or t.max() > 1):
            p.append("trust at entry into force outside [0, 1]")
    return p


def check_replicate(comp, seed: int, replicate: int, row: dict, model=None, scenario: str = "SCENARIO") -> None:
    """Raise :class:`InvariantError` if the row (and the model's final world, if given) breaks an invariant."""
    problems = check_row(row, comp)
    if model is not None:
        problems += [f"world: {q}" for q in check_world(model)]
    if problems:
        raise InvariantError(seed, replicate, problems, scenario)


def check_rows(rows, comp=None, scenario: str = "SCENARIO") -> None:
    """Check every row of a run; raise :class:`InvariantError` for the first inconsistent one."""
    for row in rows:
        problems = check_row(row, comp)
        if problems:
            raise InvariantError(int(row["seed"]), int(row["replicate"]), problems, scenario)
