"""The Mesa model: one replicate of a scenario, from setup to the horizon.

The model holds the state as numpy arrays (:class:`~negsim.scenario.compile.World`) and runs each
phase vectorised across actors; :class:`StateAgent` objects are the named, inspectable view
of that state (``model.agents``). One ``step()`` is one step of the calendar: a round of the
talks, or a period of ratification and compliance; ``running`` turns False at the end, as Mesa
models do, and :meth:`NegotiationModel.run` steps to the end and returns the outcome row.
"""

from __future__ import annotations

import numpy as np

from negsim.model import _mesa
from negsim.model.compliance import BREACH_FIELDS, comply
from negsim.model.events import fire_timed, incident_trust
from negsim.model.negotiation import negotiate
from negsim.model.ratification import sign
from negsim.scenario.schema import FRONTS, SHAPES

Model, Agent = _mesa.load()  # mesa.Model and mesa.Agent, without mesa's pandas/scipy/networkx parts


class StateAgent(Agent):
    """A state: a named view onto its row of the model's arrays."""

    def __init__(self, model: NegotiationModel, index: int):
        super().__init__(model)
        self.index = index
        self.code = model.comp.codes[index]
        self.name = model.comp.names[index]

    @property
    def positions(self) -> dict[str, float]:
        """Current position on each issue in play."""
        return dict(zip(self.model.comp.issues, self.model.world.pos[self.index].tolist(), strict=True))

    @property
    def trust(self) -> dict[str, float]:
        """Current trust in every other state."""
        row = self.model.world.trust[self.index]
        return {c: float(row[j]) for j, c in enumerate(self.model.comp.codes) if j != self.index}

    @property
    def concession_shape(self) -> str:
        """The actor's concession shape."""
        return SHAPES[int(self.model.comp.shape[self.index])]

    def __repr__(self) -> str:
        return f"StateAgent({self.code})"


def _compiled(scenario, overrides):
    """A compiled scenario from a compiled one, a path or a bundled name (with ``--set``-style ``overrides``)."""
    if hasattr(scenario, "draw"):
        return scenario
    if scenario is None:
        raise TypeError("NegotiationModel needs a scenario: a compiled scenario, a path or a bundled name")
    from negsim.scenario.load import load_compiled

    return load_compiled(scenario, overrides)


def trust_between_sides(model) -> float:
    """Mean trust of each state in the states of the other pact parties (nan if the pact has one party)."""
    po = model.comp.party_of
    cross = (po[:, None] != po[None, :]) & (po[:, None] >= 0) & (po[None, :] >= 0)
    return float(model.world.trust[cross].mean()) if cross.any() else float("nan")


def _agent_trust_other_side(agent) -> float:
    m, i = agent.model, agent.index
    po = m.comp.party_of
    other = (po != po[i]) & (po >= 0) if po[i] >= 0 else np.zeros(len(po), bool)
    return float(m.world.trust[i, other].mean()) if other.any() else float("nan")


#: what a collecting model records each step (docs/model.md, 3.12)
MODEL_REPORTERS = {
    "phase": "phase",
    "month": "month",
    "round": "rounds",
    "period": "period",
    "trust_between_sides": trust_between_sides,
    "broken_down": "broken_down",
    "agreed": lambda m: bool(m.outcome["reached"]) if m.outcome else None,
    "survived": lambda m: bool(m.outcome["survived"]) if m.outcome else None,
}
AGENT_REPORTERS = {
    "code": lambda a: a.model.comp.codes[a.index],
    "trust_in_other_side": _agent_trust_other_side,
    "position_mean": lambda a: float(a.model.world.pos[a.index].mean()) if a.model.comp.k else float("nan"),
    "legislature_support": lambda a: float(a.model.world.rat_support[a.index]),
}


class NegotiationModel(Model):
    """One replicate. ``rng`` is this replicate's own generator (from ``SeedSequence.spawn``).

    As Mesa users build models, it can also be made from a scenario and a seed::

        model = NegotiationModel(scenario="us_drawdown", seed=0, replicate=3, collect=True)
        while model.running:
            model.step()
        model.datacollector.get_model_vars_dataframe()  # one row per step: phase, month, trust between the sides...

    ``scenario`` is a path, a bundled name or a compiled scenario; ``seed`` and ``replicate`` give
    the generator replicate ``replicate`` of ``negsim run --seed SEED`` uses, so the model plays
    that replicate (``overrides`` are ``--set`` changes). ``collect`` adds a Mesa ``DataCollector``
    that records every step (:data:`MODEL_REPORTERS`, :data:`AGENT_REPORTERS`), so
    ``mesa.batch_run(NegotiationModel, {"scenario": "us_drawdown", "seed": range(10), "collect": True})``
    works; Monte Carlo runs make none and keep their fast path.
    """

    def __init__(
        self,
        comp=None,
        rng: np.random.Generator | None = None,
        trace: bool = False,
        *,
        scenario=None,
        seed: int = 0,
        replicate: int = 0,
        overrides: list[str] | None = None,
        collect: bool = False,
    ):
        comp = _compiled(comp if comp is not None else scenario, overrides)
        if rng is None:
            rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(replicate,)))  # as runner.replicate_rng
        super().__init__(rng=rng)
        self.comp = comp
        self.phase = "talks"  # talks, then compliance (ratification's votes fall in its periods), then done
        self.tracing = trace
        self._lines: list[tuple[float, int, str]] = []  # (time, order said, text): see say()
        self.broken_down = False  # every pact in force has broken down, while the model still runs
        self.event_log: list[tuple[int, str]] = []
        self.fired: set[int] = set()
        self.rounds = 0
        self.period = 0
        self.trust_at_entry = np.full(comp.n, np.nan)  # each state's trust when its pact took effect (compliance)
        self.world = comp.draw(self.rng)
        self.shape = comp.shape
        for i in range(comp.n):
            StateAgent(self, i)
        parties = ", ".join(d.name for d in comp.parties)
        self.say(f"Scenario {comp.name}: {comp.n} states, {comp.k} issues, parties {parties}.")
        for ev, sev in fire_timed(self, 0):  # incidents before the talks: trust falls both ways
            incident_trust(self, ev, sev, "Before the talks")
        self.pos0 = self.world.pos.copy()
        self.running = True
        self.outcome: dict | None = None  # the outcome row, once the last step is done
        self.month = 0.0  # the calendar, in months since the talks opened
        self.signature_month = 0.0  # when the talks ended (the periods count from here)
        self._gen = None  # the phases (see _phases), started by the first step
        self._next = None  # the calendar move the phases asked for, made at the start of the next step
        self.datacollector = None
        if collect:
            from mesa import DataCollector

            self.datacollector = DataCollector(model_reporters=MODEL_REPORTERS, agent_reporters=AGENT_REPORTERS)
            self.datacollector.collect(self)

    def release(self) -> None:
        """Let Python free this model.

        mesa 3.3 keeps every model in ``Agent._ids`` (mesa issue 3179, fixed upstream), which
        made a 100,000-replicate run grow to GBs.
        """
        ids = getattr(Agent, "_ids", None)
        if isinstance(ids, dict):
            ids.pop(self, None)

    def say(self, text: str, at: float | None = None) -> None:
        """Add a line to the plain-words trace (only when tracing).

        ``at`` is when it happens, in periods (default: the current period; the talks are
        period 0). :attr:`lines` are in time order, so a ratification decided at signature
        but taking three periods is told among period 3's events, not before period 1's.
        """
        if self.tracing:
            self._lines.append((self.period if at is None else at, len(self._lines), text))

    @property
    def lines(self) -> list[str]:
        """The trace so far, in time order (lines of the same time in the order they were said)."""
        return [text for _, _, text in sorted(self._lines)]

    def when(self, period: int) -> str:
        """How a trace line names ``period``; after every pact has broken down, it says so."""
        if period == 0:
            return "Before the talks"
        return f"Period {period}" + (" (after the pact broke down)" if self.broken_down else "")

    def log_event(self, period: int, label: str) -> None:
        """Remember that an event fired (reported in the outcome)."""
        self.event_log.append((period, label))

    def agent(self, code: str) -> StateAgent:
        """The agent of a state by its code."""
        return self.agents.select(lambda a: a.code == code)[0]

    def _phases(self):
        """The replicate's phases in order, as one generator of calendar steps (see :meth:`step`)."""
        talks = yield from negotiate(self)
        self.signature_month = self.month
        rat = sign(self, talks) if talks.reached else None
        comp_res = (yield from comply(self, talks, rat)) if rat is not None else None
        return self._outcome(talks, rat, comp_res)

    def _advance(self, request) -> None:
        """Move the calendar as a phase asks: to the next round of the talks, or to the next period."""
        kind, value = request
        self.phase = "talks" if kind == "round" else "compliance"
        if kind == "round":
            self.rounds = value
            self.month = self.rounds * self.comp.round_months
        else:
            self.period, self.broken_down = value
            self.month = self.signature_month + self.period * self.comp.period_months

    def step(self) -> None:
        """Advance one step of the calendar: a round of the talks, or a period (votes due, then compliance).

        Signature comes at the end of the talks' last round. ``running`` turns False after the last
        step, and :attr:`outcome` then holds the replicate's outcome row.
        """
        if not self.running:
            return
        if self._gen is None:  # the first step: the phases start (the agenda, the first package's table)
            self._gen = self._phases()
            self._next = self._resume()
        if self._next is not None:
            self._advance(self._next)
            self._next = self._resume()  # this step's round or period runs, up to the next calendar move
        if self.datacollector is not None:
            self.datacollector.collect(self)

    def play(self, phase):
        """Run one phase generator (``negotiate``, ``comply``) to its end, moving the calendar as it asks.

        Returns the phase's result. For tests and benchmarks that time or inspect a phase alone.
        """
        try:
            while True:
                self._advance(next(phase))
        except StopIteration as done:
            return done.value

    def _resume(self):
        """Run the phases up to their next calendar move (None when they are over)."""
        try:
            return next(self._gen)
        except StopIteration as done:
            self.outcome = done.value
            self.running = False
            self.phase = "done"
            return None

    def run(self) -> dict:
        """Play the replicate to the end (step by step) and return its outcome row."""
        while self.running:
            self.step()
        return self.outcome

    def _outcome(self, talks, rat, comp_res) -> dict:
        """The replicate's outcome row (docs/model.md, 3.11)."""
        comp = self.comp
        out = {
            "reached": talks.reached,
            "complete": talks.end_cause == "agreement",
            "end_cause": talks.end_cause,
            "rounds": talks.rounds,
            "issues_agreed": int(talks.agreed.any(0).sum()),
            "veto_actor": talks.veto.actor if talks.end_cause != "agreement" else "",
            "veto_issue": talks.veto.issue if talks.end_cause != "agreement" else "",
            "veto_rule": talks.veto.rule if talks.end_cause != "agreement" else "",
            "veto_party": talks.veto.party if talks.end_cause != "agreement" else "",
            "veto_reason": talks.veto.reason if talks.end_cause != "agreement" else "",
            "walkout_actor": talks.walkout_actor,
            "walkout_cause": talks.walkout_cause,
            "holdout_actor": talks.holdout.actor,
            "holdout_demand": talks.holdout.demand if talks.holdout.actor else "",
            "holdout_bought_off": talks.holdout.bought_off if talks.holdout.actor else "",
            "holdout_how": talks.holdout.how,
            "holdout_price": talks.holdout.price if talks.holdout.bought_off else "",
            "holdout_payer": talks.holdout.payer,
        }
        signed = talks.agreed.any(1) if talks.reached else np.zeros(len(talks.pairs), bool)
        out["pacts_signed"] = int(signed.sum())
        # states of the parties that signed nothing (parallel talks, bilateral bodies): who stayed out
        signers = talks.pairs[signed].any(0) if signed.any() else np.zeros(comp.n, bool)
        candidates = comp.signatory.copy()
        if comp.counterpart >= 0:
            candidates[comp.counterpart] = False
        per_state = comp.sequencing == "parallel" or comp.bilateral_member.any()  # states sign one by one
        out["holdouts"] = ";".join(comp.codes[i] for i in np.flatnonzero(candidates & ~signers)) if per_state else ""
        # agreed in full: every issue, and every state that could sign did (partial: some steps, some of many pacts)
        out["complete"] = out["complete"] and not out["holdouts"] and bool(signed.all())
        # ratified: every signatory whose legislature must approve did; in force: under the
        # entry-into-force rule, before the horizon
        out["ratified"] = bool(rat is not None and not rat.failed_actor)
        out["ratification_failed_actor"] = rat.failed_actor if rat is not None else ""
        out.update(_ratification_columns(comp, rat))
        live = rat.in_force & (rat.entry < comp.horizon) if rat is not None else np.zeros(0, bool)
        out["in_force"] = bool(live.any())
        out["entry_period"] = int(rat.entry[live].min()) if out["in_force"] else ""
        out["talks_months"] = round(self.signature_month, 3)  # the talks' length on the calendar
        out["entry_month"] = round(self.signature_month + out["entry_period"] * comp.period_months, 3) if out["in_force"] else ""
        alive = comp_res.alive if comp_res else np.zeros(len(talks.pairs), bool)
        out["pacts_in_force"] = int(live.sum()) if rat is not None else 0
        out["pacts_surviving"] = int(alive.sum())
        out["survived"] = bool(alive.any())
        first = None
        if comp_res and not out["survived"]:
            # the pact (or the last surviving bilateral pact) ended: report the last breakdown
            brks = [b for b in comp_res.breakdowns if b is not None]
            first = max(brks, key=lambda b: b.period) if brks else None
        out["breakdown_period"] = first.period if first else ""
        out["breakdown_cause"] = first.cause if first else ""
        out["breakdown_actor"] = first.actor if first else ""
        out["breakdown_issue"] = first.issue if first else ""
        out["breakdown_reason"] = first.reason if first else ""
        out["violations_detected"] = comp_res.detected if comp_res else 0
        out["violations_undetected"] = comp_res.undetected if comp_res else 0
        out["breaches_chosen"] = comp_res.chosen if comp_res else 0
        out.update(comp_res.row() if comp_res else dict.fromkeys(BREACH_FIELDS, ""))
        out["incidents"] = comp_res.incidents if comp_res else 0
        out["subversions"] = comp_res.subversions if comp_res else 0
        pairs = talks.pairs
        if pairs.any():
            cross = (comp.party_of[:, None] != comp.party_of[None, :]) & pairs.any(0)[:, None] & pairs.any(0)[None, :]
            out["final_trust"] = round(float(self.world.trust[cross].mean()) if cross.any() else 1.0, 6)
        agreed_any = talks.agreed.any(0)
        surviving_issues = (talks.agreed & alive[:, None]).any(0)
        for f in FRONTS:
            idx = comp.front_issues(f)
            if len(idx) == 0:
                out[f"{f}_agreed"] = ""
                out[f"{f}_survived"] = ""
            else:
                out[f"{f}_agreed"] = bool(agreed_any[idx].all())
                out[f"{f}_survived"] = bool(surviving_issues[idx].all())
        out["events_fired"] = ";".join(sorted({label for _, label in self.event_log}))
        return out


def _ratification_columns(comp, rat) -> dict:
    """Each legislature's time to ratify (periods after signature) and the longest hold-up of the signed text."""
    if rat is None:
        return {"ratification_times": "", "ratification_holdout_actor": "", "ratification_holdout_demand": "",
                "ratification_holdout_periods": "", "ratification_holdout_paid": ""}  # fmt: skip
    h = rat.holdout
    times = ";".join(f"{comp.codes[i]}={rat.time[i]:.2f}" for i in np.flatnonzero(rat.required))
    return {
        "ratification_times": times,
        "ratification_holdout_actor": h.actor,
        "ratification_holdout_demand": h.demand if h.actor else "",
        "ratification_holdout_periods": h.periods if h.actor else "",
        "ratification_holdout_paid": h.paid if h.actor else "",
    }
