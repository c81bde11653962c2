"""Which lines of the alert log become a notification: merged, rate-limited, one line when
offline.

Used by the app (``R2kApp._notify``), which feeds it every state it receives and the last
one again each second, and shows what it returns. Plain Python without Textual, so tests
drive it with a frozen clock and count what it says.

What changed is the alert log's to say (:mod:`r2kmon.runtime.alert_log`): this module reads
its new lines (none from before this run) and decides only which are worth a toast, and
when:

* One of the user's ``[[alerts]]`` rules firing, an alert command failing and a store event
  (a damaged file moved aside, a write that failed) are each said at once, for
  :data:`ALERT_NOTIFY_S`; a rule rings the bell too (if ``[general] bell``).
* A source's ``down`` and ``back to ok`` lines are where the source stands (``stale`` is
  between two answers, not a change). At most one notification per source per
  :data:`EVERY_S`: changes inside that window are held, and when it ends one notification
  says where the source stands, with how many changes it merged. A source that is back
  where it was last said says nothing. Summary records (``summary``) never notify.
* A source that goes down waits :data:`GRACE_S` before it is said: when the network goes
  away the sources fail one after another over a second or two, and they are then all
  said by the single offline notification instead.
* Offline (:func:`r2kmon.model.reachability`, from the sources' records as they stand):
  one notification when it begins (after :data:`GRACE_S` too, so that the sources still
  starting have reported and its count is the final one), one when it ends, and no
  per-source notification in between. Sources that were down during the outage come back
  silently (the "back online" notification covers them); one that is still down later with
  another reason (a server answering with an error) is said. Going offline and back are
  rate-limited like a source.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from r2kmon.model import COMMAND_SOURCE, Alert, SourceHealth, failure_headline, reachability
from r2kmon.runtime.alert_log import DOWN, health_step
from r2kmon.store import STORE_SOURCE

EVERY_S = 60.0
"""At most one notification per source (and per offline/online change) in this window."""
GRACE_S = 5.0
"""A source that goes down is said after this long, unless the app went offline by then."""
ALERT_NOTIFY_S = 30.0
"""How long an alert's notification stays up (it stays in the health view's alert log)."""

Severity = Literal["information", "warning", "error"]


@dataclass(frozen=True, slots=True)
class Notice:
    """One notification to show (the text is remote data: shown without markup)."""

    title: str
    message: str
    severity: Severity = "information"
    timeout: float | None = None
    """Seconds on screen (``None``: Textual's default)."""
    bell: bool = False
    """Worth the terminal bell (a rule fired)."""


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
class Notices:
    """Turns the alert log's new lines, and the sources' records, into the few
    notifications worth showing."""

    since: float
    """Lines older than this were notified by an earlier run (the store keeps them)."""
    every_s: float = EVERY_S
    grace_s: float = GRACE_S
    _sources: dict[str, _Track] = field(default_factory=dict)
    _network: _Track = field(default_factory=_Track)
    _last: Alert | None = None
    _at_mark: set[Alert] = field(default_factory=set)
    """The lines dated :attr:`since` already read (several can share a timestamp)."""

    def observe(
        self, alerts: Sequence[Alert], health: Mapping[str, SourceHealth], now: float
    ) -> list[Notice]:
        """The notifications due at ``now`` for the alert log ``alerts`` (oldest first)
        and the records ``health`` (call with every state and once a second, so held
        notifications come out when their window ends)."""
        notices: list[Notice] = []
        for alert in self._new_lines(alerts):
            step = health_step(alert)
            record = health.get(alert.source)
            if step is None:
                notices.extend(_at_once(alert))
            elif step != "stale" and not (record is not None and record.summary):
                track = self._sources.setdefault(alert.source, _Track())
                _change(track, step, alert.ts)
                if step == "down":
                    # Until the record's own first reason replaces it (below).
                    track.reason = alert.message.removeprefix(DOWN)
        reach = reachability(health.values(), now)
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

        for name, track in self._sources.items():
            record = health.get(name)
            if record is not None and record.status == "down" and track.now == "down":
                track.reason = failure_headline(record)  # the latest reason, as it stands
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

    def _new_lines(self, alerts: Sequence[Alert]) -> list[Alert]:
        """The lines of ``alerts`` not read before (and none older than :attr:`since`)."""
        last = alerts[-1] if alerts else None
        if last is self._last:
            return []  # the same log as last time (the usual case, once a second)
        self._last = last
        fresh = [a for a in alerts if a.ts >= self.since and a not in self._at_mark]
        if fresh:
            self.since = max(a.ts for a in fresh)
            self._at_mark = {a for a in alerts if a.ts == self.since}
        return fresh

    def _due(
        self, name: str, track: _Track, record: SourceHealth | None, now: float
    ) -> Notice | None:
        if track.said is None and track.now == "ok":
            track.changes = 0  # fine from the start: nothing to say
            return None
        fault = record.fault if record is not None else None
        if track.said == "outage" and (track.now == "ok" or fault is not None):
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


def _at_once(alert: Alert) -> list[Notice]:
    """The notification of a line that is said as soon as it is read, if it is one."""
    if alert.level == "alert":
        title = f"Alert: {alert.source}"
        return [Notice(title, alert.message, "warning", ALERT_NOTIFY_S, bell=True)]
    if alert.source == COMMAND_SOURCE:
        return [Notice("Alert command failed", alert.message, "error", ALERT_NOTIFY_S)]
    if alert.source == STORE_SOURCE:
        severity: Severity = "error" if alert.level == "error" else "warning"
        return [Notice("Store", alert.message, severity, ALERT_NOTIFY_S)]
    return []  # a breakout state change: the board shows it


def _change(track: _Track, state: str, now: float) -> None:
    if state != track.now:
        track.now, track.since = state, now
        track.changes += 1
