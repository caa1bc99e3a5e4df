"""The model: one replicate of a compiled scenario, as a Mesa model of states.

Valuation, decision rules, proposals and the Nash search (with its compiled kernel, _nash.pyx),
concession, negotiation rounds, ratification, compliance and events, and the Mesa model that
runs them in order (model). Imports :mod:`negsim.scenario` and below, never the Monte Carlo
machinery or the reports.
"""
