"""Errors r2kmon shows to a person, each with a title and a sentence.

::

    R2kError                   anything the CLI turns into one clear message and an exit code
    ├── ConfigError            a config file that cannot be used (exit code 2)
    └── StartupError           the terminal or environment cannot run r2kmon (exit code 1)

Errors from remote data never derive from these and never end the app: producers count,
log and report them through ``SourceHealth``.
"""

from __future__ import annotations


class R2kError(Exception):
    """An error with a short ``title`` and a full sentence for the user."""

    title = "r2kmon error"
    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigError(R2kError):
    """A config problem, said in TOML words: file, key, line when known, and the fix."""

    title = "Bad config"
    exit_code = 2


class StartupError(R2kError):
    """r2kmon cannot start here (for example, standard output is not a terminal)."""

    title = "Cannot start"
