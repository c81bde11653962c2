"""Messages the UI passes around."""

from __future__ import annotations

from textual.message import Message

from r2kmon.model.state import AppState


class StateUpdated(Message):
    """A new state to draw. The refresh timer posts it only when the state's version
    changed; tests post it directly with fixed data, exactly as production does."""

    def __init__(self, state: AppState, *, force: bool = False) -> None:
        """``force``: drawn even while paused (the refresh key)."""
        super().__init__()
        self.state = state
        self.force = force
