"""The Monte Carlo machinery: many replicates, their seeds, and what is kept of them.

Replicate seeds and executors (runner: local processes, Dask; pool), result folders and their
manifests (folder), sweeps, summary statistics (stats) and the model's invariants. Imports
:mod:`negsim.model` and below, never the reports, the API or the CLI.
"""
