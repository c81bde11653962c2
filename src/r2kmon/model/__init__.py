"""Frozen value types shared by every layer, and symbol canonicalisation.

Producers (``feeds/``, ``sources/``, ``sim/``) create these; the hub stores them; the
analytics, the runtime, the store and the UI read them. Nothing here does I/O or imports
anything of ours outside this package, so every layer can depend on it.

* :mod:`~r2kmon.model.core`: ticks, bars, quotes, context values and their stored history,
  source health, hub snapshots, the ``Sink`` and ``Producer`` protocols, symbols and the
  text helpers;
* :mod:`~r2kmon.model.health`: whether r2kmon can reach the network (the offline line);
* :mod:`~r2kmon.model.signals`: breakout states, the analytics status, a quote's freshness;
* :mod:`~r2kmon.model.session`: the US market session, and the calendar interface;
* :mod:`~r2kmon.model.alerts`: ``[[alerts]]`` rules and the alert log's entries;
* :mod:`~r2kmon.model.portfolio`: ``[[holdings]]`` and the portfolio they value to;
* :mod:`~r2kmon.model.tuning`: the gauge's and the breakout machine's settings;
* :mod:`~r2kmon.model.analytics`: what the analytics hand out (board, gauge, correlations,
  event study, context), and :mod:`~r2kmon.model.track_record` the gauge's track record;
* :mod:`~r2kmon.model.reaching`: the numbers of the "Reaching crypto?" panel;
* :mod:`~r2kmon.model.state`: :class:`~r2kmon.model.state.AppState`, everything a screen,
  the status line and the snapshot document read.

Those last four are imported from their modules (``from r2kmon.model.state import
AppState``), not from this package.
"""

from r2kmon.model.alerts import (
    ALTSEASON as ALTSEASON,
)
from r2kmon.model.alerts import (
    COMMAND_SOURCE as COMMAND_SOURCE,
)
from r2kmon.model.alerts import (
    CONDITIONS as CONDITIONS,
)
from r2kmon.model.alerts import (
    GAUGE as GAUGE,
)
from r2kmon.model.alerts import (
    Alert as Alert,
)
from r2kmon.model.alerts import (
    AlertLevel as AlertLevel,
)
from r2kmon.model.alerts import (
    AlertRule as AlertRule,
)
from r2kmon.model.alerts import (
    Condition as Condition,
)
from r2kmon.model.alerts import (
    RuleState as RuleState,
)
from r2kmon.model.alerts import (
    RuleStatus as RuleStatus,
)
from r2kmon.model.alerts import (
    is_ratio as is_ratio,
)
from r2kmon.model.core import (
    BAR_SECONDS as BAR_SECONDS,
)
from r2kmon.model.core import (
    Bar as Bar,
)
from r2kmon.model.core import (
    ContextValue as ContextValue,
)
from r2kmon.model.core import (
    DatedSeries as DatedSeries,
)
from r2kmon.model.core import (
    HealthStatus as HealthStatus,
)
from r2kmon.model.core import (
    HubSnapshot as HubSnapshot,
)
from r2kmon.model.core import (
    Interval as Interval,
)
from r2kmon.model.core import (
    Producer as Producer,
)
from r2kmon.model.core import (
    Quote as Quote,
)
from r2kmon.model.core import (
    Sink as Sink,
)
from r2kmon.model.core import (
    SourceHealth as SourceHealth,
)
from r2kmon.model.core import (
    SourceKind as SourceKind,
)
from r2kmon.model.core import (
    SymbolError as SymbolError,
)
from r2kmon.model.core import (
    Tick as Tick,
)
from r2kmon.model.core import (
    TickKind as TickKind,
)
from r2kmon.model.core import (
    age_text as age_text,
)
from r2kmon.model.core import (
    canonical_crypto as canonical_crypto,
)
from r2kmon.model.core import (
    canonical_market as canonical_market,
)
from r2kmon.model.core import (
    clean_text as clean_text,
)
from r2kmon.model.core import (
    escape_controls as escape_controls,
)
from r2kmon.model.core import (
    is_crypto_pair as is_crypto_pair,
)
from r2kmon.model.core import (
    price_text as price_text,
)
from r2kmon.model.core import (
    split_pair as split_pair,
)
from r2kmon.model.health import (
    Reachability as Reachability,
)
from r2kmon.model.health import (
    failure_headline as failure_headline,
)
from r2kmon.model.health import (
    reachability as reachability,
)
from r2kmon.model.portfolio import (
    DOLLAR_QUOTES as DOLLAR_QUOTES,
)
from r2kmon.model.portfolio import (
    Holding as Holding,
)
from r2kmon.model.portfolio import (
    dollar_priced as dollar_priced,
)
from r2kmon.model.session import (
    NEW_YORK as NEW_YORK,
)
from r2kmon.model.session import (
    CalendarLoader as CalendarLoader,
)
from r2kmon.model.session import (
    MarketCalendar as MarketCalendar,
)
from r2kmon.model.session import (
    MarketState as MarketState,
)
from r2kmon.model.session import (
    SessionState as SessionState,
)
from r2kmon.model.signals import (
    BREAKOUT_STATES as BREAKOUT_STATES,
)
from r2kmon.model.signals import (
    FRESHNESS as FRESHNESS,
)
from r2kmon.model.signals import (
    FRESHNESS_MARK as FRESHNESS_MARK,
)
from r2kmon.model.signals import (
    AnalyticsStatus as AnalyticsStatus,
)
from r2kmon.model.signals import (
    BreakoutState as BreakoutState,
)
from r2kmon.model.signals import (
    Freshness as Freshness,
)
from r2kmon.model.signals import (
    stamp_text as stamp_text,
)
from r2kmon.model.tuning import (
    DEFAULT_WEIGHTS as DEFAULT_WEIGHTS,
)
from r2kmon.model.tuning import (
    BreakoutSettings as BreakoutSettings,
)
from r2kmon.model.tuning import (
    GaugeLabel as GaugeLabel,
)
from r2kmon.model.tuning import (
    GaugeSettings as GaugeSettings,
)
