"""Runs the pure analytics against the hub, off the event loop, and keeps the alert log
(:mod:`r2kmon.runtime.alert_log`) up to date.

Used by the runtime. Two cadences, as :mod:`r2kmon.analytics.compute` is built for: the
daily state (resistance levels, breakout replay, correlations, event study; a few hundred
milliseconds) is redone in a thread only when the hub's daily bars changed; the live
result (breakout states against live prices, the gauge; about a millisecond) is redone
when anything else changed, at most every ``interval_s``. Neither ever runs on the loop
that answers websocket pings.

The hub's bars become the analytics' frames in :mod:`r2kmon.analytics.frames`, in the
analytics' thread: nothing here touches pandas. A failure inside the analytics is a bug: it
is logged with its traceback and shown as the analytics status, and the last good result
stays; it is retried only when data changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from types import MappingProxyType

from r2kmon.analytics.compute import (
    AnalyticsInputs,
    AnalyticsSettings,
    DailyState,
    compute_live,
    prepare_daily,
)
from r2kmon.analytics.frames import daily_inputs, live_inputs
from r2kmon.analytics.track_record import ReplayStopped, replay_track_record
from r2kmon.clock import Clock
from r2kmon.config import BreakoutConfig, GaugeConfig, with_overrides
from r2kmon.hub import Hub
from r2kmon.model import (
    Alert,
    AlertRule,
    AnalyticsStatus,
    DatedSeries,
    Freshness,
    HubSnapshot,
    RuleStatus,
    SourceHealth,
    failure_headline,
    is_crypto_pair,
)
from r2kmon.model.analytics import AnalyticsResult
from r2kmon.model.track_record import TrackRecord

# Defined with the alert log (pandas-free); kept importable from here, where they were.
from r2kmon.runtime.alert_log import ALERTS_KEPT as ALERTS_KEPT
from r2kmon.runtime.alert_log import AlertLog as AlertLog

log = logging.getLogger(__name__)

FRED_LIQUIDITY_UNIT_USD = 1e9
"""``sources.fred`` converts WALCL, WTREGEN and RRPONTSYD to billions of dollars before they
reach the hub (FRED itself sends millions for the first two)."""

DAILY_HISTORY_SOURCES = ("yahoo", "backfill", "fred")
"""The health records of what brings daily bars: Yahoo (the indices and ETFs), the
exchanges' REST backfill (BTC, ETH, ...) and FRED (its series, and a daily close for some
markets). Fixed names rather than passed in: they are the names these producers report
under whatever the config says; one that is not configured has no record and is not
counted (see :meth:`Analysis.history_status`)."""

NOT_ON_THE_BOARD = frozenset({"^VIX", "^TNX", "DX-Y.NYB"})
"""Market symbols that are context (volatility, yields, the dollar), not breakout candidates."""


def board_symbols(symbols: Sequence[str]) -> tuple[str, ...]:
    """Which configured symbols get a breakout board row: indices and ETFs, BTC and ETH."""
    crypto = [s for s in symbols if "-" in s and s.split("-")[0] in ("BTC", "ETH")]
    markets = [s for s in symbols if "-" not in s and s not in NOT_ON_THE_BOARD]
    return (*markets, *crypto)


class Analysis:
    """The latest analytics result for the hub's data, recomputed as the data changes."""

    def __init__(
        self,
        hub: Hub,
        settings: AnalyticsSettings,
        clock: Clock,
        *,
        interval_s: float = 2.0,
        history: Callable[[], Mapping[str, DatedSeries]] | None = None,
        rules: tuple[AlertRule, ...] = (),
        on_rule: Callable[[Alert], None] | None = None,
        judge: Callable[[HubSnapshot, float], Mapping[str, Freshness]],
    ) -> None:
        """``history`` gives the stored history of the single-value context series
        (:data:`~r2kmon.analytics.frames.SERIES_FROM_VALUES`), read in the analytics'
        thread. ``judge`` gives each quote's freshness at a time (the runtime's
        :meth:`~r2kmon.runtime.Runtime.judge_freshness`), which the rules check."""
        self._judge = judge
        self._hub = hub
        self._history = history
        self._settings = settings
        self._clock = clock
        self._interval_s = interval_s
        self._daily: DailyState | None = None
        self._daily_for = -1
        self._live_for = -1
        self.result: AnalyticsResult | None = None
        self.version = 0
        self.status = AnalyticsStatus(
            "waiting", "waiting for daily history", 0, len(settings.board_symbols)
        )
        self.alert_log = AlertLog(rules, on_rule)
        self.track_record: TrackRecord | None = None
        """The gauge's track record (:mod:`r2kmon.analytics.track_record`); ``None`` until
        the first replay finished."""
        self._inputs: AnalyticsInputs | None = None
        self._track_day: int | None = None
        self._track_task: asyncio.Task[None] | None = None
        self._track_stop = threading.Event()

    @property
    def alerts(self) -> tuple[Alert, ...]:
        return tuple(self.alert_log.alerts)

    def rule_statuses(self) -> tuple[RuleStatus, ...]:
        """Where each ``[[alerts]]`` rule stands."""
        return self.alert_log.rules.statuses()

    def note(self, alert: Alert) -> None:
        """Add an alert that did not come from observing the data (an alert command that
        failed, a store event), so the UI shows it with the next state."""
        self.alert_log.note(alert)
        self.version += 1

    async def run(self) -> None:
        """Recompute until cancelled."""
        try:
            while True:
                await self.step()
                await asyncio.sleep(self._interval_s)
        finally:
            self.stop_replay()

    def stop_replay(self) -> None:
        """Ask a running replay to stop at its next day (its thread cannot be cancelled, and
        the interpreter waits for it at exit)."""
        self._track_stop.set()

    async def finish_track_record(self, timeout: float) -> None:
        """Wait up to ``timeout`` seconds for a running replay (``snapshot``), then stop it."""
        task = self._track_task
        if task is not None and self._track_stop.is_set():
            # Stopped when the runtime stopped: it ends at its next day; then start anew.
            await asyncio.gather(task, return_exceptions=True)
        self._maybe_replay()
        task = self._track_task
        if task is None:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(task), timeout)
        if not task.done():
            self.stop_replay()

    def _maybe_replay(self) -> None:
        """Start the replay once a day (by the clock's UTC date), after the first live
        result, so it never delays the first screen; never two at once."""
        if self._daily is None or self._inputs is None or self.result is None:
            return
        if self._track_task is not None and not self._track_task.done():
            return
        day = int(self._clock.now() // 86_400)
        if day == self._track_day:
            return
        self._track_day = day
        self._track_stop = threading.Event()
        self._track_task = asyncio.create_task(
            self._replay(self._daily, self._inputs, self._track_stop)
        )

    async def _replay(
        self, state: DailyState, inputs: AnalyticsInputs, stop: threading.Event
    ) -> None:
        try:
            record = await asyncio.to_thread(replay_track_record, state, inputs, stop=stop.is_set)
        except asyncio.CancelledError:
            stop.set()  # the thread is not cancelled with the task: tell it to stop
            raise
        except ReplayStopped:
            self._track_day = None  # not done for today: the next round starts it again
            return
        except Exception:
            log.exception("track record replay failed")
            return
        self.track_record = record
        self.version += 1

    async def step(self) -> None:
        """One round: daily state if daily bars changed, live result if anything did."""
        snapshot = self._hub.snapshot()
        changed = False
        # The "done for" marks are set after the work, so a round cancelled half-way
        # (the snapshot command stops the runtime at any moment) is simply redone.
        if snapshot.daily_version != self._daily_for:
            changed |= await self._prepare(snapshot)
            self._daily_for = snapshot.daily_version
        if self._daily is not None and snapshot.version != self._live_for:
            changed |= await self._live(snapshot)
            self._live_for = snapshot.version
        self._maybe_replay()
        if self.status.state in ("waiting", "unavailable"):
            # Without daily bars nothing else changes the status: health has to, each round
            # (a source failing or coming back changes no daily bar).
            status = self.history_status(snapshot)
            if status != self.status:
                self.status, changed = status, True
        now = self._clock.now()
        freshness = self._judge(snapshot, now)
        if self.alert_log.observe(snapshot, self.result, now, freshness) or changed:
            self.version += 1

    async def _prepare(self, snapshot: HubSnapshot) -> bool:
        wanted = self._settings.board_symbols
        have = [s for s in wanted if snapshot.bars_1d.get(s)]
        if not have:
            self.status = AnalyticsStatus(
                "waiting", f"daily history: 0 of {len(wanted)} symbols", 0, len(wanted)
            )
            return True
        self.status = AnalyticsStatus(
            "computing",
            f"daily history: {len(have)} of {len(wanted)} symbols",
            len(have),
            len(wanted),
        )
        try:
            self._daily, self._inputs = await asyncio.to_thread(self._prepare_in_thread, snapshot)
        except Exception as exc:
            log.exception("daily analytics failed")
            self.status = AnalyticsStatus(
                "error", f"analytics failed: {type(exc).__name__}: {exc}", len(have), len(wanted)
            )
            return True
        self._live_for = -1  # judge the live prices against the new daily state
        return True

    def history_status(self, snapshot: HubSnapshot) -> AnalyticsStatus:
        """The status while no board symbol has daily bars: ``unavailable`` with the
        reasons once every source of daily history that reports (of
        :data:`DAILY_HISTORY_SOURCES`) is down — so a pane says why instead of loading
        forever — else ``waiting``. It goes back to ``waiting`` when one of them recovers,
        and to ``computing`` when bars arrive."""
        wanted = self._settings.board_symbols
        have = sum(1 for s in wanted if snapshot.bars_1d.get(s))
        records = [snapshot.health[n] for n in DAILY_HISTORY_SOURCES if n in snapshot.health]
        if have == 0 and records and all(r.status == "down" for r in records):
            reasons = "; ".join(_why_down(r) for r in records)
            return AnalyticsStatus("unavailable", f"no daily history: {reasons}", 0, len(wanted))
        return AnalyticsStatus(
            "waiting", f"daily history: {have} of {len(wanted)} symbols", have, len(wanted)
        )

    def _prepare_in_thread(self, snapshot: HubSnapshot) -> tuple[DailyState, AnalyticsInputs]:
        history = self._history() if self._history is not None else None
        inputs = daily_inputs(snapshot, history)
        return prepare_daily(inputs, self._settings), inputs

    async def _live(self, snapshot: HubSnapshot) -> bool:
        assert self._daily is not None
        live, changes = live_inputs(snapshot)
        try:
            self.result = await asyncio.to_thread(compute_live, self._daily, live, changes)
        except Exception as exc:
            log.exception("live analytics failed")
            self.status = AnalyticsStatus("error", f"analytics failed: {type(exc).__name__}: {exc}")
            return True
        wanted = self._settings.board_symbols
        have = sum(1 for s in wanted if snapshot.bars_1d.get(s))
        self.status = AnalyticsStatus(
            "ready", f"daily history: {have} of {len(wanted)} symbols", have, len(wanted)
        )
        return True


def _why_down(record: SourceHealth) -> str:
    """``yahoo unreachable (cannot resolve query2.finance.yahoo.com)`` or ``fred down
    (HTTP 403 ...)``: the source, whether it reached its server, the first reason."""
    reason = failure_headline(record)
    if record.fault is not None:
        # The poller prefixes its error kind; "unreachable" is said already.
        return f"{record.name} unreachable ({reason.removeprefix('unreachable: ')})"
    return f"{record.name} down ({reason})"


def analytics_settings(
    symbols: Sequence[str],
    gauge: GaugeConfig | None = None,
    breakout: BreakoutConfig | None = None,
) -> AnalyticsSettings:
    """The analytics settings for the configured symbols, with the config's overrides of
    the gauge and the breakout thresholds applied to the analytics' own defaults."""
    base = AnalyticsSettings()
    gauge = gauge or GaugeConfig()
    breakout = breakout or BreakoutConfig()
    markets = with_overrides(base.board.default, breakout.markets)
    crypto = with_overrides(base.board.crypto, breakout.crypto)
    per_symbol = {
        symbol: with_overrides(crypto if is_crypto_pair(symbol) else markets, overrides)
        for symbol, overrides in breakout.symbols.items()
    }
    return replace(
        base,
        board_symbols=board_symbols(symbols),
        matrix_symbols=tuple(symbols),
        board=replace(base.board, default=markets, crypto=crypto, per_symbol=per_symbol),
        liquidity=replace(
            base.liquidity,
            walcl_unit_usd=FRED_LIQUIDITY_UNIT_USD,
            tga_unit_usd=FRED_LIQUIDITY_UNIT_USD,
            rrp_unit_usd=FRED_LIQUIDITY_UNIT_USD,
        ),
        gauge=replace(
            base.gauge,
            weights=MappingProxyType({**base.gauge.weights, **gauge.weights}),
            **gauge.settings,
        ),
    )
