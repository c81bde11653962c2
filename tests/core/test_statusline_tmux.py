"""``status-line --tmux``: the same line, coloured with tmux's ``#[...]`` codes."""

from __future__ import annotations

import re
from typing import Any

from r2kmon.runtime.statusline import status_line

DOCUMENT: dict[str, Any] = {
    "written_at": 100.0,
    "simulated": True,
    "gauge": {"score": 61.2, "label": "risk-on"},
    "quotes": {
        "^RUT": {"price": 2663.78, "change_pct": -0.05, "freshness": "live", "state": "breakout"},
        "A#B": {"price": 5.0, "change_pct": 1.0, "freshness": "stale", "state": None},
    },
    "alert": {"ts": 40.0, "message": "SIMULATED: ^RUT → breakout: 2,663.78"},
}


def plain(tmux_line: str) -> str:
    """What tmux shows: the #[...] styles gone, ## back to #."""
    return re.sub(r"#\[[^\]]*\]", "", tmux_line).replace("##", "#")


def test_the_tmux_line_is_the_plain_line_with_colours() -> None:
    symbols = ["^RUT", "A#B"]
    line = status_line(DOCUMENT, 170.0, symbols)
    coloured = status_line(DOCUMENT, 170.0, symbols, tmux=True)
    assert plain(coloured) == line
    assert line == (
        "R2K 61 risk-on │ ^RUT 2,663.78 ▼-0.05% breakout │ A#B 5.00 ▲+1.00% STALE"
        " │ ALERT ^RUT → breakout 2m ago │ SIMULATED │ r2kmon not running (last status 1m old)"
    )
    assert "#[fg=green]risk-on#[default]" in coloured
    assert "#[fg=red]▼-0.05%#[default]" in coloured
    assert "#[fg=green,bold]breakout#[default]" in coloured
    assert "#[fg=yellow]STALE#[default]" in coloured
    assert "#[fg=red,bold]ALERT ^RUT → breakout 2m ago#[default]" in coloured
    assert "#[fg=magenta]SIMULATED#[default]" in coloured
    assert "#[fg=red]r2kmon not running (last status 1m old)#[default]" in coloured
    # a '#' of the data is doubled: tmux shows it, and starts no format with it
    assert "A##B 5.00" in coloured
    assert "#[" not in line
