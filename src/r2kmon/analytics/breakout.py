"""The breakout state machine and the board row built from it.

Used by :mod:`r2kmon.analytics.compute` (the board in the UI and in ``snapshot --json``)
and by the history-replay tests. One machine runs per symbol and level kind; each daily
close moves it one step:

``below``      the close is more than ``band_pct`` under the level;
``testing``    the close is within ``band_pct`` under the level (or on it);
``breakout``   the close cleared the level by more than ``buffer_pct``; the level is now
               fixed until the episode ends;
``confirmed``  ``confirm_closes`` consecutive closes above the level, or one close
               ``confirm_pct`` above it;
``failed``     within ``fail_sessions`` of the breakout, a close back below the level
               before confirmation, or below the ``-band_pct`` floor after it; shown for
               ``failed_hold_sessions`` unless the price breaks out again;
``retest``     a confirmed breakout that had risen above the ``+band_pct`` band pulled
               back into it (or closed back at or under the level) and has not fallen
               through the ``-band_pct`` floor.

A confirmed (or retesting) episode ends when the close falls more than ``band_pct`` under
the broken level, or when a newer high of the same kind has stood for ``rearm_sessions``:
that high is then the resistance that matters, and the machine judges the price against
it (``below``/``testing``). Outside an episode the level follows the resistance table, so
a 52-week high that rolls out of its window is replaced by the next one.

Why over 400 lines: the transitions above and the level bookkeeping they depend on are
kept in one place, so each state's rules are read in one file.

The live path is incremental: :func:`run` replays the daily history once per day and
returns the state after the last close plus the level for the next session;
:func:`step` then judges a live price against that in constant time per bar.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType

import pandas as pd

from r2kmon.analytics.resistance import (
    LEVEL_KINDS,
    Level,
    LevelKind,
    LevelSettings,
    LevelTable,
    level_tables,
)
from r2kmon.analytics.series import epoch, finite_or_none, is_crypto_pair
from r2kmon.model import (
    BreakoutSettings as BreakoutSettings,
)
from r2kmon.model import (
    BreakoutState as BreakoutState,
)
from r2kmon.model.analytics import BoardLevel, BoardRow

EPISODE_STATES: frozenset[BreakoutState] = frozenset({"breakout", "confirmed", "retest", "failed"})


@dataclass(frozen=True, slots=True)
class BoardSettings:
    """Breakout settings: defaults for markets and for crypto, and per-symbol overrides.

    Crypto gets its own defaults because it trades every calendar day (a 52-week window is
    365 rows, not 252) and moves three to four times as much per day as an index, so a 3 %
    band would flip between ``testing`` and ``below`` on noise.
    """

    default: BreakoutSettings = field(default_factory=BreakoutSettings)
    crypto: BreakoutSettings = field(
        default_factory=lambda: BreakoutSettings(
            band_pct=8.0, confirm_pct=8.0, fail_sessions=14, failed_hold_sessions=7,
            rearm_sessions=28,
        )
    )  # fmt: skip
    per_symbol: Mapping[str, BreakoutSettings] = field(default_factory=lambda: MappingProxyType({}))
    levels: LevelSettings = field(default_factory=LevelSettings)
    crypto_levels: LevelSettings = field(
        default_factory=lambda: LevelSettings(
            multi_year_sessions=1095, exclude_recent_sessions=28, week52_sessions=365,
            min_history_sessions=28,
        )
    )  # fmt: skip
    per_symbol_levels: Mapping[str, LevelSettings] = field(
        default_factory=lambda: MappingProxyType({})
    )

    def for_symbol(self, symbol: str) -> BreakoutSettings:
        """The machine settings that apply to ``symbol``."""
        if symbol in self.per_symbol:
            return self.per_symbol[symbol]
        return self.crypto if is_crypto_pair(symbol) else self.default

    def levels_for(self, symbol: str) -> LevelSettings:
        """The level windows that apply to ``symbol`` (rows of its own series)."""
        if symbol in self.per_symbol_levels:
            return self.per_symbol_levels[symbol]
        return self.crypto_levels if is_crypto_pair(symbol) else self.levels


@dataclass(frozen=True, slots=True)
class LevelState:
    """Where one machine stands after a session. ``state is None`` until a level exists."""

    kind: LevelKind
    state: BreakoutState | None = None
    level: Level | None = None
    since: pd.Timestamp | None = None
    """Date the current state began."""
    since_index: int = -1
    breakout_index: int = -1
    """Session of the breakout that started the current episode (-1 outside one)."""
    held: int = 0
    """Closes above the level since the breakout, counted until confirmation."""
    cleared: bool = False
    """Whether a close of this episode has been above the ``+band_pct`` band: only a price
    that moved away can pull back, so ``retest`` needs it (or a close back at the level)."""


def _armed(
    prev: LevelState,
    level: Level | None,
    close: float,
    day: pd.Timestamp,
    t: int,
    cfg: BreakoutSettings,
) -> LevelState:
    """Judge ``close`` against a level that is not (yet) broken."""
    if level is None:
        return LevelState(prev.kind)
    if close > level.price * (1 + cfg.buffer_pct / 100):
        return LevelState(prev.kind, "breakout", level, day, t, t, 1)
    state: BreakoutState = "testing" if close >= level.price * (1 - cfg.band_pct / 100) else "below"
    if state == prev.state:
        if level is prev.level:
            return prev  # the common case on a replay: nothing changed, nothing allocated
        return LevelState(prev.kind, state, level, prev.since, prev.since_index)
    return LevelState(prev.kind, state, level, day, t)


def _armed_level(prev: LevelState, candidate: Level | None, cfg: BreakoutSettings) -> Level | None:
    """The level an armed machine judges against.

    A candidate above the held level but within the buffer comes from closes that sat
    inside the buffer (anything higher was a breakout), so the held level stays. Any other
    candidate replaces it: a lower one means the old high left its window; a higher one
    can only be an older high entering a window that leaves out recent sessions (the
    multi-year high after a breakout episode ended), and that high is the level now.
    """
    held = prev.level
    if held is None or candidate is None or prev.state not in ("below", "testing"):
        return candidate
    if held.price <= candidate.price <= held.price * (1 + cfg.buffer_pct / 100):
        return held
    return candidate


def step(
    prev: LevelState,
    close: float,
    day: pd.Timestamp,
    t: int,
    candidate: Level | None,
    cfg: BreakoutSettings,
) -> LevelState:
    """The machine after close ``close`` of session ``t`` (dated ``day``).

    ``candidate`` is the level of ``prev.kind`` computed from sessions before ``t``.
    Pure: the same inputs give the same state, so the live path can call it on a
    provisional price without disturbing the state kept from the last daily close.
    States are built with their constructor rather than ``dataclasses.replace``, which
    cost most of a 40-year replay.
    """
    if not math.isfinite(close) or close <= 0:
        return prev
    state = prev.state
    if state is None or state in ("below", "testing"):
        return _armed(prev, _armed_level(prev, candidate, cfg), close, day, t, cfg)

    kind, level = prev.kind, prev.level
    if level is None:  # an episode always holds its level; recover by re-arming
        return _armed(LevelState(kind), candidate, close, day, t, cfg)
    top = level.price * (1 + cfg.band_pct / 100)
    floor = level.price * (1 - cfg.band_pct / 100)

    if state == "failed":
        fresh = _armed(LevelState(kind), candidate, close, day, t, cfg)
        if fresh.state == "breakout" or t - prev.since_index >= cfg.failed_hold_sessions:
            return fresh
        return prev

    bo = prev.breakout_index
    if state == "breakout":
        if close < level.price:
            if t - bo <= cfg.fail_sessions:
                return LevelState(kind, "failed", level, day, t, bo, 0, prev.cleared)
            return _armed(LevelState(kind), candidate, close, day, t, cfg)
        held = prev.held + 1
        cleared = prev.cleared or close > top
        if held >= cfg.confirm_closes or close >= level.price * (1 + cfg.confirm_pct / 100):
            return LevelState(kind, "confirmed", level, day, t, bo, held, cleared)
        return LevelState(kind, "breakout", level, prev.since, prev.since_index, bo, held, cleared)

    # confirmed or retest
    newer_high_stood = (
        candidate is not None
        and candidate.price > level.price
        and t - candidate.set_index >= cfg.rearm_sessions
        and close <= candidate.price
    )
    if close < floor and t - bo <= cfg.fail_sessions:
        # Confirmed, then broke down through the band soon after: still a failed breakout.
        return LevelState(kind, "failed", level, day, t, bo, 0, prev.cleared)
    if close < floor or newer_high_stood:
        return _armed(LevelState(kind), candidate, close, day, t, cfg)
    cleared = prev.cleared or close > top
    pulled_back = close <= level.price or (prev.cleared and close <= top)
    new_state: BreakoutState = "retest" if pulled_back else "confirmed"
    if new_state == state and cleared == prev.cleared:
        return prev
    if new_state == state:
        return LevelState(kind, state, level, prev.since, prev.since_index, bo, prev.held, cleared)
    return LevelState(kind, new_state, level, day, t, bo, prev.held, cleared)


@dataclass(frozen=True, slots=True)
class SymbolBreakouts:
    """The machines of one symbol after its daily closes, ready for live prices.

    Two checkpoints are kept so a live price can be judged in constant time whichever day
    it belongs to: after the last row (for a price of a later session) and before it (for a
    price of the same date as the last row, which was then a provisional bar).
    """

    symbol: str
    settings: BreakoutSettings
    states: tuple[LevelState, ...]
    """After the last row; one per kind, in :data:`LEVEL_KINDS` order."""
    next_levels: tuple[Level | None, ...]
    """Each kind's level for the session after the last row."""
    prior_states: tuple[LevelState, ...]
    """Before the last row."""
    last_levels: tuple[Level | None, ...]
    """Each kind's level for the last row."""
    rows: int
    last_close: float | None
    last_day: pd.Timestamp | None
    prior_close: float | None = None
    prior_day: pd.Timestamp | None = None


def _steps(
    closes: pd.Series,
    tables: Mapping[LevelKind, LevelTable],
    cfg: BreakoutSettings,
) -> Iterator[tuple[LevelState, ...]]:
    """Every machine's state after each close, in order (the one loop :func:`_replay` and
    :func:`machines_by_day` share)."""
    dates = pd.DatetimeIndex(closes.index)
    # Boxing every date once up front is far cheaper than ``dates[t]`` per row.
    days: list[pd.Timestamp] = list(dates)
    values = closes.to_numpy(dtype="float64").tolist()
    states = [LevelState(kind) for kind in LEVEL_KINDS]
    # Levels change rarely; building one Level per row and kind dominated the replay's
    # cost, so each distinct (kind, row of the high) is built once.
    cache: dict[tuple[int, int], Level] = {}
    for t, (day, close) in enumerate(zip(days, values, strict=True)):
        for k, kind in enumerate(LEVEL_KINDS):
            table = tables[kind]
            pos = int(table.index[t])
            candidate: Level | None = None
            if pos >= 0:
                candidate = cache.get((k, pos))
                if candidate is None or candidate.price != table.price[t]:
                    candidate = Level(kind, float(table.price[t]), days[pos], pos)
                    cache[(k, pos)] = candidate
            states[k] = step(states[k], close, day, t, candidate, cfg)
        yield tuple(states)


def _replay(
    closes: pd.Series,
    tables: Mapping[LevelKind, LevelTable],
    cfg: BreakoutSettings,
    record: bool,
) -> tuple[tuple[LevelState, ...], tuple[LevelState, ...], list[dict[str, object]]]:
    dates = pd.DatetimeIndex(closes.index)
    values = closes.to_numpy(dtype="float64").tolist()
    first = tuple(LevelState(kind) for kind in LEVEL_KINDS)
    states, prior = first, first
    rows: list[dict[str, object]] = []
    for t, after in enumerate(_steps(closes, tables, cfg)):
        prior, states = states, after
        if record:
            for s in after:
                rows.append(
                    {
                        "date": dates[t],
                        "kind": s.kind,
                        "close": values[t],
                        "state": s.state,
                        "level": s.level.price if s.level else None,
                        "level_set_on": s.level.set_on if s.level else None,
                        "since": s.since,
                    }
                )
    return states, prior, rows


def run(symbol: str, closes: pd.Series, settings: BoardSettings) -> SymbolBreakouts:
    """Replay a clean close series (``series.clean_closes``) and keep the final machines."""
    cfg = settings.for_symbol(symbol)
    tables = level_tables(closes, settings.levels_for(symbol))
    states, prior, _ = _replay(closes, tables, cfg, record=False)
    dates = pd.DatetimeIndex(closes.index)
    n = len(closes)
    return SymbolBreakouts(
        symbol=symbol,
        settings=cfg,
        states=states,
        next_levels=tuple(tables[kind].at(n, dates) for kind in LEVEL_KINDS),
        prior_states=prior,
        last_levels=tuple(tables[kind].at(max(n - 1, 0), dates) for kind in LEVEL_KINDS),
        rows=n,
        last_close=float(closes.iloc[-1]) if n else None,
        last_day=dates[-1] if n else None,
        prior_close=float(closes.iloc[-2]) if n > 1 else None,
        prior_day=dates[-2] if n > 1 else None,
    )


def replay_history(closes: pd.Series, settings: BoardSettings, symbol: str = "") -> pd.DataFrame:
    """Every machine's state after every close: columns ``date, kind, close, state, level,
    level_set_on, since``. For the history tests and the UI's breakout-history view."""
    cfg = settings.for_symbol(symbol)
    tables = level_tables(closes, settings.levels_for(symbol))
    _, _, rows = _replay(closes, tables, cfg, record=True)
    return pd.DataFrame(
        rows, columns=["date", "kind", "close", "state", "level", "level_set_on", "since"]
    )


def machines_by_day(
    symbol: str, closes: pd.Series, settings: BoardSettings
) -> Iterator[SymbolBreakouts]:
    """The machines as :func:`run` would return them for every prefix of ``closes``: one
    per row, in order, after that row's close (for the gauge replay of
    :mod:`r2kmon.analytics.track_record`). The machine is causal, so the state after row
    ``t`` is the state :func:`run` gives for the rows up to ``t``; one pass instead of one
    replay per day. ``next_levels`` and ``last_levels`` are not filled (only the board row
    of the day is built from these)."""
    cfg = settings.for_symbol(symbol)
    tables = level_tables(closes, settings.levels_for(symbol))
    dates: list[pd.Timestamp] = list(pd.DatetimeIndex(closes.index))
    values = closes.to_numpy(dtype="float64").tolist()
    prior: tuple[LevelState, ...] = tuple(LevelState(kind) for kind in LEVEL_KINDS)
    none: tuple[Level | None, ...] = (None,) * len(LEVEL_KINDS)
    for t, states in enumerate(_steps(closes, tables, cfg)):
        yield SymbolBreakouts(
            symbol=symbol,
            settings=cfg,
            states=states,
            next_levels=none,
            prior_states=prior,
            last_levels=none,
            rows=t + 1,
            last_close=values[t],
            last_day=dates[t],
            prior_close=values[t - 1] if t else None,
            prior_day=dates[t - 1] if t else None,
        )
        prior = states


def with_live_price(machines: SymbolBreakouts, price: float, day: pd.Timestamp) -> SymbolBreakouts:
    """The machines judged on a provisional live price dated ``day``.

    A price of a later date than the last row is a new session; one of the same date
    replaces that row (it was a provisional daily bar); an older one changes nothing.
    Constant work per kind: the levels were computed once by :func:`run`.
    """
    if machines.last_day is None or day < machines.last_day:
        return machines
    if day == machines.last_day:
        base, levels, t = machines.prior_states, machines.last_levels, machines.rows - 1
    else:
        base, levels, t = machines.states, machines.next_levels, machines.rows
    states = tuple(
        step(s, price, day, t, lvl, machines.settings) for s, lvl in zip(base, levels, strict=True)
    )
    return replace(machines, states=states, last_close=price, last_day=day)


def before_day(machines: SymbolBreakouts, day: pd.Timestamp) -> SymbolBreakouts:
    """The machines as they stood with the rows before ``day`` only (for "yesterday").

    Only the last row can be cut (that is all the checkpoints allow), which is what the
    one-day comparison needs.
    """
    if machines.last_day is None or machines.last_day < day:
        return machines
    return replace(
        machines,
        states=machines.prior_states,
        next_levels=machines.last_levels,
        rows=max(machines.rows - 1, 0),
        last_close=machines.prior_close,
        last_day=machines.prior_day,
        prior_close=None,
        prior_day=None,
    )


_URGENCY: Mapping[BreakoutState, int] = MappingProxyType(
    {"breakout": 0, "failed": 0, "retest": 0, "testing": 1, "confirmed": 2, "below": 3}
)


def choose_state(states: Sequence[LevelState], price: float | None) -> LevelState | None:
    """The level that matters now: a fresh event (breakout, failed, retest) first, then a
    level being tested, then a confirmed one, most significant kind first; when every
    level is far above, the nearest one."""
    live = [s for s in states if s.state is not None and s.level is not None]
    if not live:
        return None
    active = [s for s in live if s.state != "below"]
    if active:
        # ``min`` keeps the first of equals, and ``states`` is in significance order.
        return min(active, key=lambda s: _URGENCY[s.state] if s.state else 9)
    return min(live, key=lambda s: s.level.price if s.level else math.inf)


def _distance(price: float | None, level: Level) -> float | None:
    return finite_or_none((price / level.price - 1) * 100) if price is not None else None


def board_row(machines: SymbolBreakouts, as_of: float | None) -> BoardRow:
    """The board row of one symbol from its machines (daily or live-judged)."""
    price = machines.last_close
    chosen = choose_state(machines.states, price)
    if chosen is None or chosen.level is None:
        return BoardRow(machines.symbol, price, None, None, None, None, None, None, as_of)
    levels = tuple(
        BoardLevel(
            kind=s.kind,
            price=s.level.price,
            set_on=epoch(s.level.set_on),
            distance_pct=_distance(price, s.level),
            state=s.state,
            since=epoch(s.since) if s.since is not None else None,
            matters=s is chosen,
        )
        for s in machines.states
        if s.level is not None
    )
    level = chosen.level
    return BoardRow(
        symbol=machines.symbol,
        price=price,
        resistance=level.price,
        resistance_kind=level.kind,
        resistance_date=epoch(level.set_on),
        distance_pct=_distance(price, level),
        state=chosen.state,
        since=epoch(chosen.since) if chosen.since is not None else None,
        as_of=as_of,
        levels=levels,
    )
