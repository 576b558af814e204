"""The one user-facing error type, and the exit codes every command shares (DESIGN §6)."""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1  # the run finished, but something failed (a repository, a gate, the database)
EXIT_USAGE = 2  # usage or configuration error


class DevmetricsError(Exception):
    """A problem the user can fix: one line naming the thing and what to do.

    The CLI prints ``str(error)`` and exits with ``exit_code``; nothing else is shown unless
    ``--verbose`` asks for the traceback.
    """

    def __init__(self, message: str, *, exit_code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class ConfigError(DevmetricsError):
    """A configuration file is malformed or holds a key or value devmetrics refuses."""

    def __init__(self, message: str) -> None:
        super().__init__(message, exit_code=EXIT_USAGE)
