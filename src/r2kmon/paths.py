"""Where r2kmon keeps its files, from platformdirs (so ``XDG_*`` variables are honoured)."""

from __future__ import annotations

from pathlib import Path

import platformdirs

APP = "r2kmon"


def user_config_file() -> Path:
    """The config file read when neither ``--config`` nor ``$R2KMON_CONFIG`` is given."""
    return platformdirs.user_config_path(APP) / "config.toml"


def data_dir() -> Path:
    """The directory for the SQLite store and the status-line state file."""
    return platformdirs.user_data_path(APP)


def status_fallback_dir() -> Path:
    """Where the status-line file goes when the data dir cannot be written (read-only,
    or uncreatable): the cache dir, as the file is rebuilt every few seconds anyway."""
    return platformdirs.user_cache_path(APP)


def store_file() -> Path:
    """The SQLite store of bars, context values and alerts."""
    return data_dir() / "r2kmon.sqlite"


def log_file() -> Path:
    """The log file; nothing is ever logged to the terminal the UI draws on."""
    return platformdirs.user_log_path(APP) / "r2kmon.log"


def screenshot_dir() -> Path:
    """Where ``s`` saves SVG screenshots."""
    return platformdirs.user_data_path(APP) / "screenshots"
