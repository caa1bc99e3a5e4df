"""The typed, frozen scenario: pydantic models that validate a scenario document once.

The model never reads raw dicts: :func:`negsim.scenario.load.load_scenario` turns YAML into a
:class:`Scenario`, and :mod:`negsim.scenario.compile` turns that into arrays.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, field_validator, model_validator

from negsim.scenario.params import Param, parse_param

FRONTS = ("central", "arctic_baltic", "black_sea_caucasus")
SHAPES = ("linear", "conceder", "boulware", "reciprocal", "categorical")
RULES = ("consensus", "unanimity", "qmv", "majority", "capability", "bilateral")
INF = math.inf
#: fields that map names to values; their own ``source``/``assumption`` keys are provenance
MAP_FIELDS = {
    "positions",
    "salience",
    "red_lines",
    "trust",
    "us_presence",
    "set",
    "shift",
    "actors",
    "issues",
    "bodies",
    "profiles",
}


def _p(lo: float, hi: float):
    return PlainValidator(lambda v: parse_param(v, lo, hi))


P01 = Annotated[Param, _p(0.0, 1.0)]
PPos = Annotated[Param, _p(0.0, INF)]
PSigned = Annotated[Param, _p(-1.0, 1.0)]
PSens = Annotated[Param, _p(0.0, 10.0)]


class Frozen(BaseModel):
    """Base: unknown keys are errors; instances are immutable; provenance allowed anywhere."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)
    source: list[str] = Field(default_factory=list)
    assumption: str | None = None

    @field_validator("source", mode="before")
    @classmethod
    def _one_source(cls, v):
        return [v] if isinstance(v, str) else v

    @model_validator(mode="before")
    @classmethod
    def _strip_map_provenance(cls, data):
        """Maps keyed by names (positions, trust, actors, ...) may carry source/assumption too."""
        if not isinstance(data, dict):
            return data
        out = data
        for k, v in data.items():
            if k in MAP_FIELDS and isinstance(v, dict) and any(p in v for p in ("source", "assumption")):
                if out is data:
                    out = dict(data)
                out[k] = {kk: vv for kk, vv in v.items() if kk not in ("source", "assumption")}
        return out


class Issue(Frozen):
    """A negotiation dimension on [0, 1]; 0 is the status quo.

    ``meaning`` (optional, descriptive) says in words what the two ends of the scale stand for,
    ``{0: "...", 1: "..."}``; trace and explain print it next to the issue's levels.
    """

    label: str = ""
    meaning: dict[Literal[0, 1], Annotated[str, Field(min_length=1)]] = Field(default_factory=dict)
    front: Literal["central", "arctic_baltic", "black_sea_caucasus", "all"] = "central"
    obligor: list[str] | Literal["mutual"] = "mutual"
    difficulty: P01 = parse_param(0.5)
    #: the chance a breach of this issue is seen (default: the pact's verification); a treaty may verify one issue and not another
    verification: P01 | None = None
    #: a breach is an overt act everyone sees (an invasion, an open deployment): seen with certainty, without any regime
    overt: bool = False

    @field_validator("meaning")
    @classmethod
    def _both_ends(cls, v: dict) -> dict:
        if v and set(v) != {0, 1}:
            raise ValueError("meaning needs both ends of the scale: {0: what 0 means, 1: what 1 means}")
        return v

    def scale(self) -> str:
        """The meaning as text, ``0 = ..., 1 = ...`` (empty if none is given)."""
        return scale_text(self.meaning)


def scale_text(meaning) -> str:
    """An issue's ``meaning`` mapping as text, ``0 = ..., 1 = ...`` (empty unless both ends are given)."""
    if not isinstance(meaning, dict) or 0 not in meaning or 1 not in meaning:
        return ""
    return f"0 = {meaning[0]}, 1 = {meaning[1]}"


class Concession(Frozen):
    """How an actor moves toward a proposal it rejected (see negsim.model.concession)."""

    shape: Literal["linear", "conceder", "boulware", "reciprocal", "categorical"] = "linear"
    rate: P01 = parse_param(0.5)
    categorical_on: list[str] = Field(default_factory=list)  # issues on which it never moves


class Ratification(Frozen):
    """Whether and how the actor's legislature must approve a signed pact (a two-level game: negsim.model.ratification).

    ``positions``, ``salience`` and ``trust`` are the legislature's own where they differ from its
    executive's (a domestic median); on every issue or state left out it shares the executive's.
    ``foresight`` is how much of the drawn ``support``'s deviation from its distribution's mean the
    executive knows when it negotiates and signs (Putnam's uncertainty about the win-set).
    """

    required: bool = False
    threshold: P01 = parse_param(0.5)
    support: P01 = parse_param(0.6)
    sensitivity: PSens = parse_param(1.0)
    delay: Annotated[Param, _p(0.0, 50.0)] = parse_param(1.0)
    #: share of its legislature's hidden deviation from the scenario's ``support`` distribution the executive reads
    foresight: P01 = parse_param(0.5)
    positions: dict[str, P01] = Field(default_factory=dict)
    salience: dict[str, P01] = Field(default_factory=dict)
    trust: dict[str, P01] = Field(default_factory=dict)


class Walkout(Frozen):
    """After ``after`` failed rounds the actor walks out with chance ``hazard`` per round."""

    after: int = Field(default=6, ge=1, le=1000, strict=True)
    hazard: P01 = parse_param(0.0)


class Actor(Frozen):
    """A state: the Mesa agent's parameters (see docs/model.md for each one's role)."""

    name: str = ""
    capability: P01 = parse_param(0.01)
    population: Annotated[Param, _p(0.0, 2000.0)] = parse_param(1.0)
    blocs: list[str] = Field(default_factory=list)
    region: str = "other"
    positions: dict[str, P01] = Field(default_factory=dict)
    salience: dict[str, P01] = Field(default_factory=dict)
    red_lines: dict[str, P01] = Field(default_factory=dict)
    concession: Concession = Concession()
    trust: dict[str, P01] = Field(default_factory=dict)
    us_reliance: P01 = parse_param(0.0)
    threat: P01 = parse_param(0.5)
    drawdown_softening: Annotated[Param, _p(-1.0, 2.0)] = parse_param(1.0)
    reservation: PSigned = parse_param(0.0)
    ratification: Ratification = Ratification()
    spoiler: P01 = parse_param(0.0)
    cohesion: P01 = parse_param(0.0)  # extra gain needed to sign a separate pact outside its alliance
    opportunism: P01 = parse_param(0.1)
    walkout: Walkout = Walkout()


class Members(Frozen):
    """Body membership by bloc (``{bloc: NATO}``)."""

    bloc: str


class Body(Frozen):
    """A decision body and its rule (consensus with silence procedure, QMV, ...)."""

    label: str = ""
    members: list[str] | Members
    rule: Literal["consensus", "unanimity", "qmv", "majority", "capability", "bilateral"] = "consensus"
    silence: bool = True
    indifference: P01 = parse_param(0.02)
    states: P01 = parse_param(0.55)
    population: P01 = parse_param(0.65)
    threshold: P01 = parse_param(0.5)


class Cascade(Frozen):
    """Central-front success spreads to the peripheral fronts (002)."""

    from_front: Literal["central", "arctic_baltic", "black_sea_caucasus"] = Field(default="central", alias="from")
    trust_gain: P01 = parse_param(0.1)
    softening: Annotated[Param, _p(0.0, 1.0)] = parse_param(0.05)
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, arbitrary_types_allowed=True)


class Talks(Frozen):
    """How the negotiation is run."""

    issues: list[str]
    mediator: str | None = None
    proposal: Literal["compromise", "nash"] = "compromise"
    #: the compromise's proposer anticipates acceptance: a refused compromise moves toward the Nash text, just far enough
    anticipate: bool = True
    mediator_bias: P01 = parse_param(0.0)
    sequencing: Literal["multilateral", "shuttle", "parallel"] = "multilateral"
    stages: list[list[str]] = Field(default_factory=list)
    counterpart: str | None = None
    agenda: Literal["grand_bargain", "baby_steps"] = "grand_bargain"
    step_trust_gain: P01 = parse_param(0.05)
    delay_cost: P01 = parse_param(0.005)
    cascade: Cascade | None = None
    max_rounds: int = Field(default=12, ge=1, le=1000, strict=True)
    round_months: float = Field(default=1.0, gt=0, le=120)  # a round's length on the calendar, in months


class WeightedEntry(Frozen):
    """Entry into force once at least ``count`` signatories, holding ``share`` of the weights, have ratified.

    The weights are those of the listed actors (an actor not listed weighs 0): the Kyoto Protocol's Art. 25 asks
    for 55 parties, among them Annex I parties with 55% of Annex I's carbon dioxide of 1990. The pact then binds
    those who ratified.
    """

    rule: Literal["weighted"] = "weighted"
    share: float = Field(gt=0, le=1)
    weights: dict[str, Annotated[float, Field(ge=0)]]
    count: int = Field(default=2, ge=2, strict=True)

    @field_validator("weights")
    @classmethod
    def _some_weight(cls, v: dict) -> dict:
        if not v or sum(v.values()) <= 0:
            raise ValueError("weights needs at least one actor with a positive weight (actor: weight)")
        return v


class Pact(Frozen):
    """Who the pact binds and how it comes into force."""

    parties: list[str]
    entry_into_force: Annotated[Literal["all", "ratifiers"] | WeightedEntry, Field(union_mode="left_to_right")] = "all"
    verification: P01 = parse_param(0.5)
    horizon: int = Field(default=20, ge=1, le=10_000, strict=True)
    period: str = "year"
    period_months: float | None = Field(default=None, gt=0, le=1200)  # a period in months (default: from `period`)
    response: Literal["consultation", "graduated", "breakdown"] = "graduated"  # what follows a breach that is seen

    @field_validator("entry_into_force", mode="wrap")
    @classmethod
    def _entry_rule(cls, v, handler):
        """One message per problem: a name that is no rule, or what is wrong inside a weighted rule (not both forms')."""
        if isinstance(v, dict):
            return WeightedEntry.model_validate(v)
        if v not in ("all", "ratifiers"):
            raise ValueError(
                f"entry_into_force is all, ratifiers or a weighted rule {{share: S, weights: {{ACTOR: W, ...}}, count: N}}; got {v!r}"
            )
        return handler(v)

    @field_validator("parties")
    @classmethod
    def _two_sides(cls, v: list[str]) -> list[str]:
        """A pact binds parties to each other; N states that must all agree are N parties."""
        if len(v) < 2:
            got = f"got {v[0]!r} alone" if v else "got none"
            raise ValueError(
                f"a pact needs at least 2 parties, {got}; for N states that must all agree (unanimity), list the states "
                "themselves as parties (parties: [A, B, C]: each must accept); a body, even one with rule: unanimity, "
                "is one party and needs another to sign with (parties: [RUS, BODY])"
            )
        return v


class Compliance(Frozen):
    """Rates of the compliance periods: each obligor's choice to keep or break the pact (docs/model.md, 'Compliance')."""

    base_hazard: P01 = parse_param(0.1)  # chance per period that an occasion to break a commitment arises
    temptation: PSens = parse_param(0.1)  # gain from breaking a commitment, beyond what delivering it costs
    sanction: PSens = parse_param(0.1)  # cost of a breach that is seen: retaliation, reputation
    discount: P01 = parse_param(0.9)  # weight of the next period against this one (the shadow of the future)
    power_shift: PSens = parse_param(1.0)  # gain from breaking per unit rise of the victims' exposure since entry
    mistake: P01 = parse_param(0.01)  # chance per period of an involuntary breach (minor: no strike, never ends it)
    major_share: P01 = parse_param(0.3)  # chance that a seen breach ends the pact under the graduated response
    incident_drop: P01 = parse_param(0.1)
    incident_escalation: P01 = parse_param(0.05)
    withdraw_margin: P01 = parse_param(0.05)
    subversion_drop: P01 = parse_param(0.05)


class Incident(Frozen):
    """An incident between two actors: trust falls both ways; it may end the pact."""

    between: list[str] = Field(min_length=2, max_length=2)
    severity: P01 = parse_param(1.0)


class Event(Frozen):
    """A timed (``at`` a period, or ``round`` of the talks) or random (``hazard`` per period) change or incident."""

    at: int | None = Field(default=None, ge=0, strict=True)
    round: int | None = Field(default=None, ge=1, strict=True)
    hazard: P01 | None = None
    set: dict[str, Annotated[Param, _p(-INF, INF)]] = Field(default_factory=dict)
    shift: dict[str, Annotated[Param, _p(-INF, INF)]] = Field(default_factory=dict)
    incident: Incident | None = None
    repeat: bool | None = None
    label: str = ""


class Variant(Frozen):
    """The counterfactual of a paired back-test: the case with ``--set``-style changes (``PATH=VALUE``), e.g. ``events=[]``."""

    label: str = Field(min_length=1)
    set: list[str] = Field(min_length=1)

    @field_validator("set")
    @classmethod
    def _path_value(cls, v: list[str]) -> list[str]:
        bad = [s for s in v if "=" not in s or not s.partition("=")[0].strip()]
        if bad:
            raise ValueError(f"{bad[0]!r} is not PATH=VALUE (as for --set, e.g. 'events=[]' or actors.USA.reservation=0)")
        return v


class Check(Frozen):
    """One expected direction of a historical case (``negsim backtest``): a bound, or a paired comparison with a variant.

    ``expect: below`` / ``above`` with ``bound``: the outcome's 95% interval lies wholly below / above the bound.
    ``expect: lower`` / ``higher`` with ``variant``: the paired difference (the case as written minus its variant,
    common random numbers) has a 95% interval wholly below / above 0.
    """

    outcome: Literal["complete", "reached", "ratified", "in_force", "survived"]
    expect: Literal["below", "above", "lower", "higher"]
    bound: float | None = Field(default=None, gt=0, lt=1)
    variant: Variant | None = None
    label: str = ""

    @model_validator(mode="after")
    def _bound_or_variant(self):
        if self.expect in ("below", "above") and (self.bound is None or self.variant is not None):
            raise ValueError(f"expect: {self.expect} compares the outcome with a bound: give bound: (0 < b < 1) and no variant")
        if self.expect in ("lower", "higher") and (self.variant is None or self.bound is not None):
            raise ValueError(
                f"expect: {self.expect} compares the case with its variant: give variant: {{label, set: [PATH=VALUE]}} and no bound"
            )
        return self


#: a scenario's name, which names its results folder: letters, digits, - _ . (not first: . or -), at most 100
PLAIN_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}")


class Scenario(Frozen):
    """A whole validated scenario."""

    name: str = ""
    title: str = ""
    question: str = ""
    expected: str = ""
    issues: dict[str, Issue]
    profiles: dict[str, dict] = Field(default_factory=dict)
    actors: dict[str, Actor]
    bodies: dict[str, Body] = Field(default_factory=dict)
    us_presence: dict[str, P01] = Field(default_factory=dict)
    talks: Talks
    pact: Pact
    compliance: Compliance = Compliance()
    events: list[Event] = Field(default_factory=list)
    backtest: list[Check] = Field(default_factory=list)  # expected directions of a historical case

    @field_validator("name")
    @classmethod
    def _plain_name(cls, v: str) -> str:
        """The name becomes a folder name under results/: no path separators, no leading dot, nothing odd."""
        if v and not PLAIN_NAME.fullmatch(v):
            raise ValueError(
                f"name {v[:60]!r} must be a plain name (letters, digits, '-', '_', '.'; not starting with '.' or '-'; "
                "at most 100 characters): it names the results folder (without a name: key, the file's name is used)"
            )
        return v


def all_field_names() -> set[str]:
    """Every key the scenario language knows, for did-you-mean suggestions."""
    names: set[str] = {"extends", "profile", "value", "uniform", "normal", "beta", "choice", "p", "from", "bloc"}
    for cls in (
        Scenario,
        Issue,
        Concession,
        Ratification,
        Walkout,
        Actor,
        Members,
        Body,
        Cascade,
        Talks,
        Pact,
        Compliance,
        Incident,
        Event,
        Check,
        Variant,
    ):
        names.update(cls.model_fields)
    names.discard("from_front")
    return names
