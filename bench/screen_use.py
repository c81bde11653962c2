"""How much of a large terminal each view fills: run ``r2kmon --demo`` in tmux at 160x48
and 200x60, switch to every view and print the share of rows that carry content.

A row carries content when it has any non-blank character (the header and the key line
included). Usage: ``python bench/screen_use.py`` (needs tmux and r2kmon on PATH).
"""

from __future__ import annotations

import subprocess
import time

SIZES = ((160, 48), (200, 60))
VIEWS = ("dashboard", "board", "crypto", "charts", "correlation", "macro", "health", "portfolio")
SETTLE_S = 3.0
"""Seconds after a key before the pane is captured (the demo's first data and charts)."""


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], check=True, capture_output=True, text=True).stdout


def measure(width: int, height: int) -> dict[str, float]:
    session = f"screen-use-{width}x{height}"
    tmux("new-session", "-d", "-s", session, "-x", str(width), "-y", str(height), "r2kmon --demo")
    try:
        time.sleep(8.0)  # the demo's history and analytics
        shares = {}
        for digit, view in enumerate(VIEWS, start=1):
            tmux("send-keys", "-t", session, str(digit))
            time.sleep(SETTLE_S)
            rows = tmux("capture-pane", "-p", "-t", session).splitlines()[:height]
            shares[view] = sum(1 for row in rows if row.strip()) / height
        return shares
    finally:
        tmux("kill-session", "-t", session)


def main() -> None:
    for width, height in SIZES:
        shares = measure(width, height)
        cells = "  ".join(f"{view} {share:.0%}" for view, share in shares.items())
        print(f"{width}x{height}: {cells}")


if __name__ == "__main__":
    main()
