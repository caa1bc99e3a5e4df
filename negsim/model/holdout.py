"""Veto players and hold-ups: a state refuses a text because holding out pays, and can be bought off.

A *veto player* (Tsebelis 2002) is a state whose no alone stops the package: a party that
decides for itself, or a member of a body that decides by consensus or unanimity (NATO: 004).
A veto player that would accept a package on its merits may still hold out for more (002: some
members "may obstruct"; the Sweden precedent in 000). What it asks for is a share, its
``spoiler`` trait, of what the package still leaves it short of its best:

    demand_i = spoiler_i * max(best_i - gain_i(x), 0)

so a package that already serves it leaves nothing to demand. Holding out has a cost: the
pressure of the allies who accept, weighted by their capability (the US holds about 80% of
NATO's, 003) and scaled by the state's ``cohesion`` (the weight it puts on alliance unity),
plus a round of delay (``delay_cost`` per month, times the round's months):

    cost_i = cohesion_i * (capability share of i's allies in its party who accept) + delay_cost * threat_i * round_months

and i holds out when demand_i > cost_i. The mediator (else the party that gains most) buys the
holdouts off with a side payment, at a cost to itself, when their demands fit within its
surplus over its no-deal value (it wants the deal); if it cannot, the next proposal must give each holdout its demand on the
issues (a linked concession, as in Stokman's exchange model: *assumption* for the form).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: decision rules under which one member's no stops the body
VETO_RULES = ("self", "consensus", "unanimity")


@dataclass
class Holdout:
    """The largest hold-up of the talks: who, what it asked, whether and how it was paid, by whom."""

    actor: str = ""
    demand: float = 0.0
    bought_off: bool = False
    how: str = ""  # side_payment | linked_concession | "" (never paid)
    price: float = 0.0  # what the payer gave up (side payment), or the demand met on the issues
    payer: str = ""  # the side payment's payer ("" for a linked concession: the other parties pay on the issues)


def veto_players(comp, stages) -> np.ndarray:
    """N bool: the states whose refusal alone stops the package (a party of its own, or a consensus/unanimity member)."""
    out = np.zeros(comp.n, bool)
    for d in (d for st in stages for d in st):
        if d.rule in VETO_RULES:
            out[d.members] = True
    return out


def demands(spoiler: np.ndarray, best: np.ndarray, gain: np.ndarray) -> np.ndarray:
    """What each state would ask for holding out: its spoiler share of what the package leaves it short of its best."""
    return spoiler * np.maximum(best - gain, 0.0)


def pressure(allies: np.ndarray, cap: np.ndarray, cohesion: np.ndarray, accept: np.ndarray) -> np.ndarray:
    """N: the allies' pressure on each state to go along: cohesion times the capability share of its accepting allies.

    ``allies`` is N x N float: 1 where two different states belong to the same pact party.
    """
    allies_cap = allies @ cap
    accepting = allies @ (cap * accept)
    share = np.where(allies_cap > 0, accepting / np.where(allies_cap > 0, allies_cap, 1.0), 0.0)
    return cohesion * share


def holdouts(veto: np.ndarray, accept: np.ndarray, demand: np.ndarray, cost: np.ndarray) -> np.ndarray:
    """N bool: veto players that accept the package on its merits but hold out because their demand beats its cost."""
    return veto & accept & (demand > cost)


def payer(mediator: int, hold: np.ndarray, spare: np.ndarray, participants: np.ndarray) -> int:
    """Who can buy the holdouts off: the mediator if it is not one of them, else the participant with most to spare (-1: none)."""
    if mediator >= 0 and not hold[mediator]:
        return mediator
    can = participants & ~hold & np.isfinite(spare)
    return int(np.flatnonzero(can)[np.argmax(spare[can])]) if can.any() else -1
