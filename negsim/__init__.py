"""negsim: agent-based simulation of NATO-Russia negotiation scenarios.

Import what you need from :mod:`negsim.api` (``run``, ``trace``, ``load``, ``validate``).
"""

__version__ = "0.1.0"
