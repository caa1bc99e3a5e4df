"""Compiling a validated :class:`~negsim.scenario.schema.Scenario` into arrays, once per run.

A :class:`CompiledScenario` holds the structure that never changes between replicates
(actor order, issue order, parties, rules, events) and a :class:`~negsim.scenario.params.SamplePlan`
for every uncertain number. :meth:`CompiledScenario.draw` gives one replicate's
:class:`World`: numpy arrays over actors (N), issues (K) and actor pairs (N x N).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from negsim.scenario.params import Param, SamplePlan, parse_param
from negsim.scenario.schema import FRONTS, SHAPES, Scenario
from negsim.scenario.streams import replicate_key
from negsim.scenario.targets import Target, parse_target

SCALARS = (
    "verification", "mediator_bias", "step_trust_gain", "cascade_trust_gain", "cascade_softening", "delay_cost",
    "base_hazard", "temptation", "sanction", "discount", "power_shift", "mistake", "major_share",
    "incident_drop", "incident_escalation", "withdraw_margin", "subversion_drop",
)  # fmt: skip
#: months in a period named by ``pact.period`` when ``pact.period_months`` is not given (12 for any other name)
PERIOD_MONTHS = {"year": 12.0, "half-year": 6.0, "quarter": 3.0, "month": 1.0, "week": 12 / 52}
ACTOR_ARRAYS = (
    "cap", "pop", "us_reliance", "threat", "softening", "reserve", "spoiler", "opportunism",
    "rate", "rat_threshold", "rat_support", "rat_sens", "rat_delay", "walk_hazard", "cohesion",
    "rat_foresight",
)  # fmt: skip


@dataclass
class World:
    """One replicate's drawn state. The model mutates it as the run goes on."""

    scal: dict[str, float]
    pos: np.ndarray  # N x K ideal points (move as actors concede)
    sal: np.ndarray  # N x K salience
    red: np.ndarray  # N x K red-line levels (nan = none)
    trust: np.ndarray  # N x N, row i's trust in column j
    leg_pos: np.ndarray  # N x K the legislature's own ideal points (nan: its executive's)
    leg_sal: np.ndarray  # N x K the legislature's own salience (nan: its executive's)
    leg_trust: np.ndarray  # N x N the legislature's own trust in each state (nan: its executive's)
    us_presence: np.ndarray  # R
    difficulty: np.ndarray  # K
    ver_issue: np.ndarray  # K each issue's own verification (nan: the pact's)
    ev_value: np.ndarray  # one per event action
    ev_hazard: np.ndarray  # one per event (nan for timed events)
    ev_severity: np.ndarray  # one per event (incidents)
    cap: np.ndarray = field(default=None)
    pop: np.ndarray = field(default=None)
    us_reliance: np.ndarray = field(default=None)
    threat: np.ndarray = field(default=None)
    softening: np.ndarray = field(default=None)
    reserve: np.ndarray = field(default=None)
    spoiler: np.ndarray = field(default=None)
    opportunism: np.ndarray = field(default=None)
    rate: np.ndarray = field(default=None)
    rat_threshold: np.ndarray = field(default=None)
    rat_support: np.ndarray = field(default=None)
    rat_sens: np.ndarray = field(default=None)
    rat_delay: np.ndarray = field(default=None)
    walk_hazard: np.ndarray = field(default=None)
    cohesion: np.ndarray = field(default=None)
    rat_foresight: np.ndarray = field(default=None)
    #: N the support each executive expects of its legislature (the drawn one, read with its foresight: Putnam)
    rat_seen: np.ndarray = field(default=None)
    #: N sd of what each executive does not know of its legislature's support (before the vote's own noise)
    rat_doubt: np.ndarray = field(default=None)


@dataclass(frozen=True)
class Decider:
    """A party or stage member that says yes or no: one actor, or a body under its rule."""

    name: str
    members: np.ndarray  # actor indices
    rule: str  # "self" for a single actor, else a body rule
    silence: bool = True
    indifference: float = 0.02
    states: float = 0.55
    population: float = 0.65
    threshold: float = 0.5
    signs: bool = True  # a pact party (its members sign), not only a stage that approves

    def param(self, world, name: str) -> float:
        """This replicate's value of a body parameter (states, population, threshold, indifference)."""
        scal = getattr(world, "scal", None)
        key = f"{self.name}.{name}"
        return scal[key] if scal is not None and key in scal else getattr(self, name)


@dataclass(frozen=True)
class EventSpec:
    """One compiled event: when it fires and what it does."""

    index: int
    at: int | None
    repeat: bool
    label: str
    actions: tuple  # (op, Target, value index)
    incident: tuple[int, int] | None
    round: int | None = None

    @property
    def hazard_driven(self) -> bool:
        """Fires by chance each period (neither ``at`` nor ``round`` given)."""
        return self.at is None and self.round is None


class CompiledScenario:
    """Everything fixed for a run, plus the plan to draw each replicate's numbers."""

    def __init__(self, sc: Scenario, document: dict | None = None):
        self.scenario = sc
        self.document = document or {}
        self.name = sc.name
        self.codes = list(sc.actors)
        self.idx = {c: i for i, c in enumerate(self.codes)}
        self.names = [sc.actors[c].name or c for c in self.codes]
        self.issues = list(sc.talks.issues)
        self.kidx = {k: i for i, k in enumerate(self.issues)}
        self.labels = [sc.issues[k].label or k for k in self.issues]
        self.regions = sorted(set(sc.us_presence) | {a.region for a in sc.actors.values()})
        self.ridx = {r: i for i, r in enumerate(self.regions)}
        n, k = len(self.codes), len(self.issues)
        self.n, self.k = n, k
        self.fronts = [sc.issues[i].front for i in self.issues]
        self.shape = np.array([SHAPES.index(sc.actors[c].concession.shape) for c in self.codes])
        self.walk_after = np.array([sc.actors[c].walkout.after for c in self.codes])
        rat = [sc.actors[c].ratification for c in self.codes]
        self.rat_required = np.array([r.required for r in rat])
        #: N the mean and sd of each legislature's support as the scenario states it: what its executive knows before foresight
        self.rat_prior, self.rat_prior_sd = np.array([(r.support.mean, r.support.sd) for r in rat], float).T
        self.region = np.array([self.ridx[sc.actors[c].region] for c in self.codes])
        self.bloc_members = {}
        for c in self.codes:
            for b in sc.actors[c].blocs:
                self.bloc_members.setdefault(b, []).append(self.idx[c])
        self._structure(sc, n, k)
        self._build_params(sc)

    def _structure(self, sc: Scenario, n: int, k: int) -> None:
        """Parties, sides, the talks' and the pact's rules, obligors and frozen issues."""
        self.deciders = {
            name: self._decider(name, signs=name in sc.pact.parties)
            for name in set(sc.pact.parties) | {p for st in sc.talks.stages for p in st}
        }
        self.parties = [self.deciders[p] for p in sc.pact.parties]
        self.signatory = np.zeros(n, bool)
        for p in self.parties:
            self.signatory[p.members] = True
        # pacts that could be signed: one multilateral pact, or one per partner in parallel talks
        self.n_pacts = int(self.signatory.sum()) - 1 if sc.talks.sequencing == "parallel" else 1
        entry = sc.pact.entry_into_force
        self.entry_rule = entry if isinstance(entry, str) else entry.rule
        self.entry_weights = np.zeros(n)  # weighted rule: each actor's weight, the share needed and the count
        self.entry_share, self.entry_count = 0.0, 2
        if not isinstance(entry, str):
            for code, wt in entry.weights.items():
                self.entry_weights[self.idx[code]] = wt
            self.entry_share, self.entry_count = entry.share, entry.count
        self.party_of = np.full(n, -1)
        for j, p in enumerate(self.parties):
            self.party_of[p.members[self.party_of[p.members] < 0]] = j
        # allies: two different states of the same pact party (for the pressure on a holdout)
        same = (self.party_of[:, None] == self.party_of[None, :]) & (self.party_of[:, None] >= 0)
        self.allies = (same & ~np.eye(n, dtype=bool)).astype(float)
        self.same_side = self._sides(sc, same)
        self.stages = [[self.deciders[p] for p in st] for st in sc.talks.stages]
        # members of a body under the bilateral rule sign for themselves (cohesion applies)
        self.bilateral_member = np.zeros(n, bool)
        for d in self.deciders.values():
            if d.rule == "bilateral":
                self.bilateral_member[d.members] = True
        #: N: a signatory whose failure to ratify may stop the pact, so its executive anticipates its legislature at
        #: the table (docs/model.md 3.8): every one under `all` and `ratifiers`; under the weighted rule one unless the
        #: signatories sure to be bound without it (no vote to pass, no bilateral opt-out) already meet the rule (one
        #: of weight 0 only when they are too few for the count)
        self.entry_pivotal = np.ones(n, bool)
        if self.entry_rule == "weighted":
            sure = self.signatory & ~self.rat_required & ~self.bilateral_member
            w = self.entry_weights
            others_w = (w * sure).sum() - w * sure
            others_n = int(sure.sum()) - sure.astype(int)
            short_n = others_n < self.entry_count
            self.entry_pivotal = np.where(w > 0, (others_w < self.entry_share * w.sum() - 1e-12) | short_n, short_n)
        t = sc.talks
        self.sequencing, self.agenda, self.proposal = t.sequencing, t.agenda, t.proposal
        self.anticipate = t.anticipate and t.proposal == "compromise"
        self.mediator = self.idx[t.mediator] if t.mediator else -1
        self.counterpart = self.idx[t.counterpart] if t.counterpart else -1
        self.max_rounds = t.max_rounds
        self.cascade_from = t.cascade.from_front if t.cascade else None
        self.horizon, self.period = sc.pact.horizon, sc.pact.period
        # the calendar shared by the talks and the periods, in months (docs/model.md 1.3)
        self.round_months = t.round_months
        self.period_months = sc.pact.period_months or PERIOD_MONTHS.get(sc.pact.period, 12.0)
        self.response = sc.pact.response
        # obligors: K x N; "mutual" = every signatory
        self.obligor = np.zeros((k, n), bool)
        for j, iid in enumerate(self.issues):
            ob = sc.issues[iid].obligor
            if ob == "mutual":
                self.obligor[j] = self.signatory
            else:
                for o in ob:
                    self.obligor[j, self._members(o)] = True
        self.mutual = np.array([sc.issues[i].obligor == "mutual" for i in self.issues])
        self.overt = np.array([sc.issues[i].overt for i in self.issues], dtype=bool)
        # issues on which an actor never moves: all of them for the categorical shape (003)
        self.frozen = np.zeros((n, k), bool)
        for i, c in enumerate(self.codes):
            con = sc.actors[c].concession
            self.frozen[i] = con.shape == "categorical"
            for iid in con.categorical_on:
                if iid in self.kidx:
                    self.frozen[i, self.kidx[iid]] = True

    # -- structure -----------------------------------------------------------------
    def _members(self, name: str) -> np.ndarray:
        if name in self.idx:
            return np.array([self.idx[name]])
        body = self.scenario.bodies[name]
        if isinstance(body.members, list):
            return np.array([self.idx[m] for m in body.members])
        return np.array(self.bloc_members.get(body.members.bloc, []), dtype=int)

    def _decider(self, name: str, signs: bool) -> Decider:
        if name in self.idx:
            return Decider(name, np.array([self.idx[name]]), "self", signs=signs)
        b = self.scenario.bodies[name]
        return Decider(
            name,
            self._members(name),
            b.rule,
            b.silence,
            b.indifference.mean,
            b.states.mean,
            b.population.mean,
            b.threshold.mean,
            signs,
        )

    def _sides(self, sc: Scenario, same: np.ndarray) -> np.ndarray:
        """N x N: states on one side of the pact (docs/model.md 3.1): the same party, or a bloc not every signatory holds."""
        blocs = [set(sc.actors[c].blocs) for c in self.codes]
        signed = [blocs[i] for i in np.flatnonzero(self.signatory)]
        common = set.intersection(*signed) if signed else set()
        n = self.n
        side = same | np.eye(n, dtype=bool)
        for i in range(n):
            for j in range(i + 1, n):
                if (blocs[i] & blocs[j]) - common:
                    side[i, j] = side[j, i] = True
        return side

    def front_issues(self, front: str) -> np.ndarray:
        """Indices of the issues in play on a front (issues on 'all' count for every front)."""
        return np.array([j for j, f in enumerate(self.fronts) if f in (front, "all")], dtype=int)

    # -- parameters ------------------------------------------------------------------
    def _build_params(self, sc: Scenario) -> None:
        """Collect every parameter with the array slot it fills, in draw order, then lay out the arrays."""
        params: list[Param] = []
        slots: list[tuple[str, tuple]] = []
        names: list[str] = []

        def add(array: str, index, p: Param, name: str | None = None) -> None:
            params.append(p)
            slots.append((array, index))
            names.append(name or self._slot_name(array, index))

        n, k = self.n, self.k
        self._shapes = {
            "pos": (n, k),
            "sal": (n, k),
            "red": (n, k),
            "trust": (n, n),
            "leg_pos": (n, k),
            "leg_sal": (n, k),
            "leg_trust": (n, n),
            "us_presence": (len(self.regions),),
            "difficulty": (k,),
            "ver_issue": (k,),
        }
        zero = parse_param(0.0)
        self._actor_params(sc, add, zero)
        self._scalar_params(sc, add, zero)
        nact = self._event_params(sc, add, zero)
        self._shapes.update(
            {
                "ev_value": (nact,),
                "ev_hazard": (len(self.events),),
                "ev_severity": (len(self.events),),
                "scal": (len(self._scalar_names),),
            }
        )
        for name in ACTOR_ARRAYS:
            self._shapes[name] = (n,)
        self._layout(params, slots, names)

    def _slot_name(self, array: str, index: tuple) -> str:
        """The name that keys a parameter's random stream: its place, by actor, issue, region or scalar name."""
        if array == "scal":
            return f"scal.{self._scalar_names[index[0]]}"
        if array == "us_presence":
            return f"us_presence.{self.regions[index[0]]}"
        if array in ("difficulty", "ver_issue"):
            return f"issues.{self.issues[index[0]]}.{'difficulty' if array == 'difficulty' else 'verification'}"
        if array in ("ev_hazard", "ev_severity"):
            return f"events.{index[0]}.{array}"
        actor = self.codes[index[0]]
        if array in ("trust", "leg_trust"):
            return f"actors.{actor}.{array}.{self.codes[index[1]]}"
        if len(index) == 2:
            return f"actors.{actor}.{array}.{self.issues[index[1]]}"
        return f"actors.{actor}.{array}"

    def _actor_params(self, sc: Scenario, add, zero: Param) -> None:
        """Each actor's traits, positions, saliences, red lines and trust; then US presence and difficulty."""
        for i, c in enumerate(self.codes):
            a = sc.actors[c]
            for name, p in (
                ("cap", a.capability), ("pop", a.population), ("us_reliance", a.us_reliance),
                ("threat", a.threat), ("softening", a.drawdown_softening), ("reserve", a.reservation),
                ("spoiler", a.spoiler), ("opportunism", a.opportunism), ("rate", a.concession.rate),
                ("rat_threshold", a.ratification.threshold), ("rat_support", a.ratification.support),
                ("rat_sens", a.ratification.sensitivity), ("rat_delay", a.ratification.delay),
                ("walk_hazard", a.walkout.hazard), ("cohesion", a.cohesion),
                ("rat_foresight", a.ratification.foresight),
            ):  # fmt: skip
                add(name, (i,), p)
            for j, iid in enumerate(self.issues):
                add("pos", (i, j), a.positions.get(iid, zero))
                add("sal", (i, j), a.salience.get(iid, zero))
                if iid in a.red_lines:
                    add("red", (i, j), a.red_lines[iid])
            default = a.trust.get("default", a.trust.get("*", parse_param(0.5)))
            for jj, other in enumerate(self.codes):
                if jj != i:
                    add("trust", (i, jj), a.trust.get(other, default))
            leg = a.ratification  # the legislature's own preferences, only where the scenario gives them
            for part, arr in (("positions", "leg_pos"), ("salience", "leg_sal")):
                for iid, p in getattr(leg, part).items():
                    if iid in self.kidx:
                        add(arr, (i, self.kidx[iid]), p)
            for other, p in leg.trust.items():
                if other != c:
                    add("leg_trust", (i, self.idx[other]), p)
        for r, reg in enumerate(self.regions):
            add("us_presence", (r,), sc.us_presence.get(reg, parse_param(1.0)))
        for j, iid in enumerate(self.issues):
            add("difficulty", (j,), sc.issues[iid].difficulty)
            if sc.issues[iid].verification is not None:
                add("ver_issue", (j,), sc.issues[iid].verification)

    def _scalar_params(self, sc: Scenario, add, zero: Param) -> None:
        """The scenario-wide scalars: pact, talks, compliance and each voting body's rule."""
        t, c = sc.talks, sc.compliance
        scal = {
            "verification": sc.pact.verification, "mediator_bias": t.mediator_bias,
            "step_trust_gain": t.step_trust_gain,
            "cascade_trust_gain": t.cascade.trust_gain if t.cascade else zero,
            "cascade_softening": t.cascade.softening if t.cascade else zero,
            "delay_cost": t.delay_cost,
        }  # fmt: skip
        for name in SCALARS[6:]:
            scal[name] = getattr(c, name)
        for bname in sorted(self.deciders):
            if self.deciders[bname].rule != "self":
                b = sc.bodies[bname]
                for f in ("indifference", "states", "population", "threshold"):
                    scal[f"{bname}.{f}"] = getattr(b, f)
        self._scalar_names = list(scal)
        for j, s in enumerate(self._scalar_names):
            add("scal", (j,), scal[s])

    def _event_params(self, sc: Scenario, add, zero: Param) -> int:
        """Each event's values, hazard and severity; sets self.events and returns the number of actions."""
        events = []
        nact = 0
        for e_i, ev in enumerate(sc.events):
            actions = []
            for op in ("set", "shift"):
                for path, p in getattr(ev, op).items():
                    tgt = parse_target(path, sc)
                    add("ev_value", (nact,), p, f"events.{e_i}.{op}.{path}")
                    actions.append((op, tgt, nact))
                    nact += 1
            add("ev_hazard", (e_i,), ev.hazard if ev.hazard is not None else zero)
            add("ev_severity", (e_i,), ev.incident.severity if ev.incident else zero)
            inc = (self.idx[ev.incident.between[0]], self.idx[ev.incident.between[1]]) if ev.incident else None
            repeat = ev.repeat if ev.repeat is not None else inc is not None
            label = ev.label or (
                f"incident {ev.incident.between[0]}-{ev.incident.between[1]}"
                if inc
                else ", ".join(f"{op} {t.array}" for op, t, _ in actions)
            )
            events.append(EventSpec(e_i, ev.at, repeat, label, tuple(actions), inc, ev.round))
        self.events = events
        self.round_events = any(e.round is not None for e in events)
        return nact

    def _layout(self, params: list[Param], slots: list[tuple[str, tuple]], names: list[str]) -> None:
        """Base arrays hold the fixed values; the random ones are scattered in per replicate."""
        n = self.n
        self.plan = SamplePlan(params, names)
        self._params = params
        self._slots = slots
        self._base = {name: np.zeros(shape) for name, shape in self._shapes.items()}
        for name in ("red", "leg_pos", "leg_sal", "leg_trust", "ver_issue"):
            self._base[name][:] = np.nan
        self._base["trust"][np.diag_indices(n)] = 1.0
        for p, (arr, index) in zip(params, slots, strict=True):
            self._base[arr][index] = p.args[0] if p.fixed else np.nan
        scatter: dict[str, tuple[list, list]] = {}
        for v, (p, (arr, index)) in enumerate(zip(params, slots, strict=True)):
            if not p.fixed:
                flat = np.ravel_multi_index(index, self._shapes[arr])
                scatter.setdefault(arr, ([], []))
                scatter[arr][0].append(flat)
                scatter[arr][1].append(v)
        self._scatter = {a: (np.array(f), np.array(v)) for a, (f, v) in scatter.items()}
        self.n_random = sum(not p.fixed for p in params)

    def draw(self, rng: np.random.Generator) -> World:
        """Draw one replicate's world (every distribution sampled once, each from its own stream).

        The streams' key comes from ``rng``'s SeedSequence without drawing from it
        (:func:`~negsim.scenario.streams.replicate_key`), so the same generator gives the same world.
        """
        values = self.plan.draw(replicate_key(rng)) if self.n_random else None
        arrays = {name: a.copy() for name, a in self._base.items()}
        if values is not None:
            for arr, (flat, v) in self._scatter.items():
                arrays[arr].flat[flat] = values[v]
        scal = dict(zip(self._scalar_names, arrays.pop("scal").tolist(), strict=True))
        world = World(scal=scal, **arrays)
        seen = self.rat_prior + world.rat_foresight * (world.rat_support - self.rat_prior)
        world.rat_seen, world.rat_doubt = seen, (1 - world.rat_foresight) * self.rat_prior_sd
        return world

    def draw_names(self) -> list[str]:
        """The scenario path of each random parameter, in the order :meth:`draw_values` gives them."""
        return [document_path(self.plan.names[i]) for i in self.plan.random_idx]

    def draw_values(self, rng: np.random.Generator) -> np.ndarray:
        """One replicate's value of every random parameter (the numbers :meth:`draw` scatters into its world)."""
        return self.plan.draw(replicate_key(rng))[self.plan.random_idx] if self.n_random else np.zeros(0)

    def index_of(self, target: Target) -> tuple[str, tuple | slice]:
        """Where a :class:`Target` lives in a :class:`World`: (attribute, index)."""
        if target.array == "us_presence":
            return "us_presence", (self.ridx[target.key],)
        if target.array == "verification":
            return "scal", ("verification",)
        rows = np.arange(self.n) if target.actor == "*" else np.array([self.idx[target.actor]])
        if target.array == "trust":
            cols = np.arange(self.n) if target.key == "*" else np.array([self.idx[target.key]])
            r, c = np.meshgrid(rows, cols, indexing="ij")
            off = r != c  # trust in oneself stays 1
            return "trust", (r[off], c[off])
        if target.array in ("pos", "sal"):
            if target.key not in self.kidx:
                return "", ()  # issue not in play: nothing to change
            return target.array, (rows, self.kidx[target.key])
        return target.array, (rows,)


#: a stream name's array -> the scenario path it comes from (actors.X.<array>...), for draws tables
_ACTOR_PATHS = {
    "cap": "capability", "pop": "population", "softening": "drawdown_softening", "reserve": "reservation",
    "rate": "concession.rate", "rat_threshold": "ratification.threshold", "rat_support": "ratification.support",
    "rat_sens": "ratification.sensitivity", "rat_delay": "ratification.delay", "rat_foresight": "ratification.foresight",
    "walk_hazard": "walkout.hazard",
    "pos": "positions", "sal": "salience", "red": "red_lines", "leg_pos": "ratification.positions",
    "leg_sal": "ratification.salience", "leg_trust": "ratification.trust",
}  # fmt: skip
_SCALAR_PATHS = {
    "verification": "pact.verification", "mediator_bias": "talks.mediator_bias", "step_trust_gain": "talks.step_trust_gain",
    "cascade_trust_gain": "talks.cascade.trust_gain", "cascade_softening": "talks.cascade.softening",
    "delay_cost": "talks.delay_cost",
}  # fmt: skip


def document_path(stream: str) -> str:
    """The scenario path of a parameter, from the name of its random stream.

    E.g. ``actors.POL.rat_support`` -> ``actors.POL.ratification.support``, ``scal.sanction`` -> ``compliance.sanction``.

    >>> document_path("actors.POL.rat_support"), document_path("scal.sanction"), document_path("scal.NATO.threshold")
    ('actors.POL.ratification.support', 'compliance.sanction', 'bodies.NATO.threshold')
    """
    head, _, rest = stream.partition(".")
    if head == "actors":
        actor, _, tail = rest.partition(".")
        array, dot, key = tail.partition(".")
        return f"actors.{actor}.{_ACTOR_PATHS.get(array, array)}{dot}{key}"
    if head == "scal":
        if rest in _SCALAR_PATHS:
            return _SCALAR_PATHS[rest]
        return f"compliance.{rest}" if rest in SCALARS else f"bodies.{rest}"
    if head == "events":
        i, _, what = rest.partition(".")
        return f"events.{i}." + {"ev_hazard": "hazard", "ev_severity": "incident.severity"}.get(what, what)
    return stream


FRONT_NAMES = FRONTS
