"""Which health changes become a notification: merged, rate-limited, one line when offline.

Used by the app (``R2kApp._notify_health``), which feeds it every state it draws and a
tick each second, and shows what it returns. Plain Python without Textual, so tests drive
it with a frozen clock and count what it says.

The rules, for a user who keeps the app open all day while sources come and go:

* A source notifies when its state *changes*: it goes ``down`` (with the reason) or comes
  back ``ok`` from down. ``connecting`` and ``stale`` between two attempts are not a change
  (a feed is ``connecting`` for a moment at every retry), and the same state again with the
  same or another error never notifies twice.
* At most one notification per source per :data:`EVERY_S`: changes inside that window are
  held, and when it ends one notification says where the source stands, with how many
  changes it merged. A source that is back where it was last said says nothing.
* A source that goes down waits :data:`GRACE_S` before it is said: when the network goes
  away the sources fail one after another over a second or two, and they are then all
  said by the single offline notification instead.
* Offline (:func:`r2kmon.model.reachability`): one notification when it begins (after
  :data:`GRACE_S` too, so that the sources still starting have reported and its count is
  the final one), one when it ends, and no per-source notification in between. Sources
  that were down during the outage come back silently (the "back online" notification
  covers them); one that is still down later with another reason (a server answering
  with an error) is said. Going offline and back are rate-limited like a source.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from r2kmon.model import SourceHealth, failure_headline, reachability

EVERY_S = 60.0
"""At most one notification per source (and per offline/online change) in this window."""
GRACE_S = 5.0
"""A source that goes down is said after this long, unless the app went offline by then."""

Severity = Literal["information", "warning", "error"]


@dataclass(frozen=True, slots=True)
class Notice:
    """One notification to show (the text is remote data: shown without markup)."""

    title: str
    message: str
    severity: Severity = "information"


@dataclass(slots=True)
class _Track:
    """What was last said of one source (or of the network), and where it stands now.

    A source's states are ``ok`` and ``down``, and ``outage`` for what was said: it went
    down with the network, and the offline notification said so. The network's are
    ``online`` and ``offline``."""

    said: str | None = None
    said_at: float = float("-inf")
    now: str | None = None
    since: float = 0.0
    """When ``now`` began."""
    changes: int = 0
    """Changes of ``now`` since the last notification (told when several are merged)."""
    reason: str = ""


@dataclass
class HealthNotices:
    """Turns successive health records into the few notifications worth showing."""

    every_s: float = EVERY_S
    grace_s: float = GRACE_S
    _sources: dict[str, _Track] = field(default_factory=dict)
    _network: _Track = field(default_factory=_Track)

    def observe(self, health: Mapping[str, SourceHealth], now: float) -> list[Notice]:
        """The notifications due at ``now`` for these records (call with every state and
        once a second, so held notifications come out when their window ends)."""
        reach = reachability(health.values(), now)
        notices: list[Notice] = []
        network = self._network
        _change(network, "offline" if reach.offline else "online", now)
        settled = network.now != "offline" or now - network.since >= self.grace_s
        if network.now != network.said and settled and now - network.said_at >= self.every_s:
            notice: Notice | None = None
            if network.now == "offline":
                reason = f" ({reach.fault})" if reach.fault else ""
                text = f"offline: {reach.reachable} of {reach.counted} sources reachable{reason}"
                notice = Notice("Offline", text, "error")
            elif network.said == "offline":
                rest = reach.counted - reach.reachable
                tail = f"; the other {rest} retry by themselves" if rest > 0 else ""
                text = f"back online: {reach.reachable} of {reach.counted} sources reachable"
                notice = Notice("Back online", text + tail)
            if notice is not None:
                notices.append(notice)
                network.said_at = now  # a silent change (online from the start) is no notice
            network.said = network.now

        for name, record in health.items():
            if record.summary:
                continue  # it repeats the sources it sums up
            track = self._sources.setdefault(name, _Track())
            state = {"down": "down", "ok": "ok"}.get(record.status)
            if state is None:
                continue  # connecting or stale: between two attempts, not a change
            _change(track, state, now)
            if state == "down":
                track.reason = failure_headline(record)
            if reach.offline:
                # Nothing per source while offline. Once the offline notification is out,
                # it has said this source too (unless it was said down before): it comes
                # back silently. An offline too short to be said leaves it to say itself.
                if network.said == "offline" and track.now == "down" and track.said != "down":
                    track.said, track.changes = "outage", 0
                continue
            said = self._due(name, track, record, now)
            if said is not None:
                notices.append(said)
        return notices

    def _due(self, name: str, track: _Track, record: SourceHealth, now: float) -> Notice | None:
        if track.said is None and track.now == "ok":
            track.changes = 0  # fine from the start: nothing to say
            return None
        if track.said == "outage" and (track.now == "ok" or record.fault is not None):
            # Back after the outage, or still unreachable since it: the offline and back
            # online notifications said so.
            track.said = "ok" if track.now == "ok" else "outage"
            track.changes = 0
            return None
        if track.now == track.said:
            return None  # back where it was last said: nothing new (flaps still counted)
        if track.now == "down" and now - track.since < self.grace_s:
            return None  # perhaps the first of many: the offline line would say them all
        if now - track.said_at < self.every_s:
            return None  # said less than a minute ago: held, and merged when it ends
        merged = f" ({track.changes} changes since the last notice)" if track.changes > 1 else ""
        track.said, track.said_at, track.changes = track.now, now, 0
        if track.now == "down":
            return Notice("Source down", f"{name} is down: {track.reason}{merged}", "error")
        return Notice("Source recovered", f"{name} is back{merged}")


def _change(track: _Track, state: str, now: float) -> None:
    if state != track.now:
        track.now, track.since = state, now
        track.changes += 1
