"""Errors negsim shows to users: one sentence each, with a location, all at once."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario: where it is and what is wrong."""

    file: str
    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = self.file + (f":{self.line}" if self.line else "")
        return f"{where}: {self.path or '(document)'}: {self.message}" if self.path else f"{where}: {self.message}"


class ScenarioError(Exception):
    """A scenario that cannot be run; ``problems`` lists every error found."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class UsageError(Exception):
    """A bad command line or environment (output directory, options): one clear sentence."""


class NegsimWarning(UserWarning):
    """A warning of negsim's Python API (the command line prints the same text as ``negsim: warning: ...``)."""


#: where :func:`warn` sends a warning: False prints it for the command line; True raises it as a Python warning
WARNINGS_AS_PYTHON = [False]


def warn(message: str) -> None:
    """Tell the user something is odd but not wrong: on stderr for the CLI, through :mod:`warnings` in the Python API."""
    if WARNINGS_AS_PYTHON[-1]:
        import warnings

        warnings.warn(message, NegsimWarning, stacklevel=3)
    else:
        import sys

        print(f"negsim: warning: {message}", file=sys.stderr)
