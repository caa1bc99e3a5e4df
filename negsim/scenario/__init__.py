"""The scenario language: a YAML file in, a validated and compiled scenario out.

Reading YAML safely (yamlio), the schema, parameters and their distributions, event targets,
cross-references, provenance against the source cards, loading with ``extends`` and ``--set``
(load), compilation to arrays (compile) and synthetic scenarios (synth). Imports only
:mod:`negsim.errors` and :mod:`negsim.paths` from outside this package.
"""
