"""The signal journal's entries, and the newest of them as the runtime hands them to the UI.

:mod:`r2kmon.runtime.journal` decides what an entry is, the store keeps them
(:meth:`r2kmon.store.Store.journal`), :mod:`r2kmon.runtime.recorder` keeps the newest of
each subject in memory as it writes them, and the state carries those
(:attr:`r2kmon.model.state.AppState.journal`): the board view shows the selected symbol's
without opening the store.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One line of the signal journal (:mod:`r2kmon.runtime.journal` decides what one is):
    a breakout state changing at one level of a symbol, the gauge changing band, a source
    going down or coming back, an alert firing. Kept forever; written once however often
    it is saved (the journal's unique index)."""

    ts: float
    kind: str
    """``breakout``, ``gauge``, ``source`` or ``alert``."""
    subject: str
    """The symbol, ``gauge``, or the source's name."""
    level: str
    """The resistance level's kind (``breakout``); empty for the others."""
    old: str | None
    """The state before (``None``: first seen, or an alert)."""
    new: str
    """The state now (the band, ``up``/``down``, ``fired``)."""
    value: float | None = None
    """The price (breakout, alert) or the gauge's score at the change."""
    reference: float | None = None
    """The resistance level's price (breakout)."""
    message: str = ""
    """In words: the alert's text, why a source went down."""

    @property
    def key(self) -> tuple[str, str, str]:
        """What changes state: one level of one symbol, the gauge, one source."""
        return (self.kind, self.subject, self.level)


JournalStatus = Literal["loading", "kept", "unavailable"]
"""``loading``: the kept entries are being read from the store; ``kept``: the entries are
the journal's newest; ``unavailable``: no journal is kept (demo, no store), or it could not
be read; :attr:`RecentJournal.detail` says which."""


@dataclass(frozen=True, slots=True)
class RecentJournal:
    """The newest journal entries of each subject, as kept in the store (an entry appears
    once it is written)."""

    status: JournalStatus
    detail: str = ""
    """Why there are no entries, in words, when ``status`` is not ``kept``."""
    by_subject: Mapping[str, tuple[JournalEntry, ...]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    """Subject (a symbol, ``gauge``, a source) → its newest entries, oldest first."""
    version: int = 0
    """Changes whenever the entries or the status changed."""

    def of(self, subject: str) -> tuple[JournalEntry, ...]:
        """``subject``'s newest entries, oldest first (none: nothing recorded yet)."""
        return self.by_subject.get(subject, ())
