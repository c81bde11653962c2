"""Messages the UI passes around."""

from __future__ import annotations

from textual.message import Message

from r2kmon.model import HubSnapshot


class HubUpdated(Message):
    """A new hub snapshot to draw. The refresh timer posts it only when the snapshot's
    version changed; tests post it directly with fixed data, exactly as production does."""

    def __init__(self, snapshot: HubSnapshot) -> None:
        super().__init__()
        self.snapshot = snapshot
