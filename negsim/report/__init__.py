"""What a reader sees: the summary text of a run and the plots of runs, sweeps and comparisons.

Imports :mod:`negsim.montecarlo` (statistics, result folders) and below, never the API or the CLI.
"""
