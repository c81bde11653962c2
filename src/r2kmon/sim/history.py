"""Realistic simulated history for ``--demo``: levels, volatilities and co-movements taken
from real daily history, so the board, the gauge and the charts look like a real market.

Used by :mod:`r2kmon.sim.feed` (crypto, every calendar day) and :mod:`r2kmon.sim.market`
(indices, trading days). Each of those is a *family*: one leader (BTC, ``^RUT``) and
members that move with it (ETH, ``^GSPC``), ETFs that track an index (IWM, SPY) and
``^VIX``, which reverts to its mean. The path of each price is a random walk *bridged*
from its real level six years ago to its real level today, so its all-time high, its
drawdowns and its volatility are of the right size whatever the seed.

The constants below were derived once from the daily files in ``../shared/data/history``
(see its README for where they come from); the demo ships without those files and never
reads them.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from r2kmon.model import Bar

HISTORY_YEARS = 6
"""How much history the demo makes: the span the constants were measured over."""


@dataclass(frozen=True, slots=True)
class Profile:
    """How one asset moves, from its real history."""

    now: float
    """The level the simulated history ends at (before a few percent of jitter)."""
    then: float
    """The level :data:`HISTORY_YEARS` years before."""
    vol: float
    """Annualised volatility of daily log returns."""
    rho: float = 1.0
    """Correlation of its daily returns with its family's leader (the leader: with the
    shared market factor, see :func:`factor`)."""
    follows: str | None = None
    """An ETF tracking an index: its price is the index's times ``now / index.now``."""
    revert: float = 0.0
    """Mean reversion of the log level towards ``now``, per year (``^VIX``); 0: a walk."""
    floor: float = 0.0
    """A mean-reverting level is reflected off this one (``^VIX`` never closed under 9)."""


# Crypto, measured over 2020-03-26 → 2026-03-26 (the last day of BTC-USD.csv and
# ETH-USD.csv, Yahoo): BTC closed at 68,792 after 6,716 six years before, with an all-time
# high of 124,753 (2025-10-06) and 0.58 annualised volatility (0.44 over the last year);
# ETH at 2,060 after 138, high 4,831 (2025-08-22), volatility 0.79; daily ETH~BTC
# correlation 0.81; ETH/BTC against its 200-day average: median -3 %, 5th-95th percentile
# -25 % … +43 %, 1st-99th -38 % … +83 %, annualised volatility 0.46.
# SOL has no data here after 2021 (cmc_2013_2021/SOL.csv: listed near 1 USD in April 2020,
# 1.78 volatility in its 2020-21 run): its level and volatility are rough guesses.
CRYPTO: Mapping[str, Profile] = MappingProxyType(
    {
        "BTC": Profile(68_800.0, 6_700.0, 0.58, rho=0.40),
        "ETH": Profile(2_060.0, 138.0, 0.79, rho=0.81),
        "SOL": Profile(140.0, 1.0, 0.95, rho=0.75),
    }
)
CRYPTO_LEADER = "BTC"
CRYPTO_DEFAULT = Profile(1.0, 1.0, 0.9, rho=0.6)
"""Any other pair: a coin near a dollar, as volatile as the small ones are."""

# Markets, measured over 2020-02-20 → 2026-02-20 (the last day of RUT.csv, IWM.csv and
# SPY.csv, Yahoo): ^RUT closed at 2,664 after 1,696, 2.0 % under its all-time high of
# 2,719 (2026-01-22), volatility 0.27 (0.23 over the last year); IWM/^RUT = 0.0993 (daily
# correlation 0.99); SPY~^RUT correlation 0.87; ^GSPC (GSPC.csv, to 2025-11-28) closed at
# 6,849 after 3,141, volatility 0.21, and SPY/^GSPC = 0.0995 that day; BTC~^RUT daily
# correlation 0.40 (the market factor's weight in BTC above).
# ^VIX has no file here: its level (long-run median near 17-18, mostly 12-35) and
# volatility are general knowledge, not measured.
MARKETS: Mapping[str, Profile] = MappingProxyType(
    {
        "^RUT": Profile(2_664.0, 1_696.0, 0.27),
        "IWM": Profile(264.6, 157.5, 0.27, follows="^RUT"),
        "^GSPC": Profile(6_849.0, 3_141.0, 0.21, rho=0.87),
        "SPY": Profile(681.5, 312.5, 0.21, follows="^GSPC"),
        "^VIX": Profile(17.5, 17.5, 1.0, rho=-0.7, revert=4.0, floor=9.5),
    }
)
MARKETS_LEADER = "^RUT"
MARKETS_DEFAULT = Profile(100.0, 70.0, 0.25, rho=0.7)

RUT_UNDER_HIGH = 0.982
"""Where the demo's ``^RUT`` history ends against its all-time high: inside the 3 %
``testing`` band, as the real one stood (2.0 % under it on 2026-02-20), so the scripted
moment of :mod:`r2kmon.sim.market` can walk it through a breakout."""
HIGH_AGE_SESSIONS = 60
"""That high was set at least this many sessions before the end (the real one: 20), so
every breakout machine's episode around it is over (the multi-year level leaves out the
last 20 sessions, a failure stays 5, an episode re-arms after 20): the board's ``^RUT``
row reads ``testing`` against the all-time high at the start, never an old ``failed``."""

_TRACKING = 0.001
"""Daily tracking noise of an ETF against its index (log; IWM~^RUT: 0.99 correlation)."""


def factor(seed: int, day: int) -> float:
    """The market-wide shock of UTC day number ``day``: the same in both families, so BTC
    and ``^RUT`` move together on the days both trade, as much as they really do."""
    return random.Random(seed * 1_000_003 + day).gauss(0.0, 1.0)


def paths(
    profiles: Mapping[str, Profile],
    leader: str,
    days: Sequence[int],
    step_years: float,
    seed: int,
    rng: random.Random,
) -> dict[str, list[float]]:
    """Correlated closes per asset, one per entry of ``days`` (UTC day numbers), each ending
    at its profile's ``now`` and starting near its ``then``."""
    n = len(days)
    root = math.sqrt(step_years)
    shocks: dict[str, list[float]] = {name: [] for name in profiles}
    for day in days:
        lead = profiles[leader]
        z_lead = _mix(lead.rho, factor(seed, day), rng)
        for name, profile in profiles.items():
            z = z_lead if name == leader else _mix(profile.rho, z_lead, rng)
            shocks[name].append(z)
    out: dict[str, list[float]] = {}
    for name, profile in profiles.items():
        if profile.follows is not None:
            continue
        if profile.revert:
            out[name] = _reverting(profile, shocks[name], step_years)
            continue
        logs = [0.0]
        for z in shocks[name][1:]:
            logs.append(logs[-1] + profile.vol * root * z)
        # The bridge: a straight line moves the end onto the real change over the years.
        gap = math.log(profile.now / profile.then) - logs[-1]
        logs = [x + gap * i / max(n - 1, 1) for i, x in enumerate(logs)]
        out[name] = [profile.then * math.exp(x) for x in logs]
    for name, profile in profiles.items():
        if profile.follows is None:
            continue
        index = profiles[profile.follows]
        ratio = profile.now / index.now
        noise = 0.0
        closes = []
        for close in out[profile.follows]:
            noise = 0.9 * noise + rng.gauss(0.0, _TRACKING)
            closes.append(close * ratio * math.exp(noise))
        out[name] = closes
    return out


def end_under_high(closes: list[float], under: float, age: int) -> None:
    """Shape ``closes`` in place so the last is ``under`` times the highest close, set in
    the last year but at least ``age`` rows before the end, and the last unchanged.

    The high is the path's own highest close of that stretch. Before it, the path is
    tilted down (a little more drift over the years) so no older close tops it, and folded
    under it where the tilt is not enough; after it, the path keeps its own moves (so it
    still moves with the others) bent onto a straight line to the end and folded under
    the high: months spent under a peak, as ``^RUT`` spent 2021-2024.
    """
    n = len(closes)
    year = 252
    if n <= age + 1:
        return
    logs = [math.log(c) for c in closes]
    first = max(0, n - year)
    peak = max(range(first, n - age), key=logs.__getitem__)
    top, end = logs[peak], logs[-1]
    ceiling = top + math.log(0.997)
    if peak > 0:
        tilt = max(
            ((x - math.log(0.99) - top) / (1 - t / peak) for t, x in enumerate(logs[:first])),
            default=0.0,
        )
        tilt = min(max(tilt, 0.0), 0.5)  # at most a 40 % lower start; fold the rest
        for t in range(peak):
            x = logs[t] + tilt * (t / peak - 1)
            logs[t] = min(x, 2 * ceiling - x)
    target = top + math.log(under)
    span = n - 1 - peak
    for k in range(1, span + 1):
        x = logs[peak + k] + (target - end) * k / span
        logs[peak + k] = min(x, 2 * ceiling - x)
    # Back onto the real level: the whole path moves, so only the start level changes.
    shift = end - logs[-1]
    closes[:] = [math.exp(x + shift) for x in logs]


def bars(
    closes: Sequence[float], starts: Sequence[float], vol: float, step_years: float,
    rng: random.Random, *, gaps: bool,
) -> list[Bar]:  # fmt: skip
    """Daily OHLC bars around ``closes``: each opens at the previous close (with an
    overnight gap for markets that sleep) and reaches a little past its open and close,
    as real days do (a high-low range of about 1.1 to 1.3 daily standard deviations)."""
    sd = vol * math.sqrt(step_years)
    out: list[Bar] = []
    prev = closes[0]
    for start, close in zip(starts, closes, strict=True):
        open_ = prev * math.exp(rng.gauss(0.0, 0.3 * sd)) if gaps else prev
        top = max(open_, close) * math.exp(abs(rng.gauss(0.0, 0.3 * sd)))
        bottom = min(open_, close) * math.exp(-abs(rng.gauss(0.0, 0.3 * sd)))
        out.append(Bar(start, open_, top, bottom, close))
        prev = close
    return out


def _mix(rho: float, common: float, rng: random.Random) -> float:
    return rho * common + math.sqrt(max(0.0, 1.0 - rho * rho)) * rng.gauss(0.0, 1.0)


def _reverting(profile: Profile, shocks: Sequence[float], step_years: float) -> list[float]:
    """A log level pulled back towards ``now`` (an Ornstein-Uhlenbeck walk)."""
    mean = math.log(profile.now)
    x = mean
    out = []
    for z in shocks:
        x = revert_step(profile, x, step_years, z)
        out.append(math.exp(x))
    return out


def revert_step(profile: Profile, x: float, years: float, z: float) -> float:
    """One step of a mean-reverting log level ``x`` with shock ``z``, kept above the floor."""
    x += profile.revert * (math.log(profile.now) - x) * years + profile.vol * math.sqrt(years) * z
    if profile.floor > 0:
        x = max(x, 2 * math.log(profile.floor) - x)
    return x


def _daily_sd(logs: Sequence[float]) -> float:
    steps = [b - a for a, b in itertools.pairwise(logs)]
    if len(steps) < 2:
        return 0.01
    mean = sum(steps) / len(steps)
    return math.sqrt(sum((s - mean) ** 2 for s in steps) / (len(steps) - 1))
