"""The engine between the data and the screens: builds and supervises the producers, runs
the analytics off the loop, keeps the alert log, persists, and serves the state.

Used by the UI, ``r2kmon snapshot``, ``status-line`` and ``doctor``; never imports Textual.

* :mod:`~r2kmon.runtime.engine`: :class:`Runtime`, in phases: open history
  (:mod:`~r2kmon.runtime.history`) → build (:mod:`~r2kmon.runtime.build`: the producers
  the config asks for) → run (the producers, the analysis, and the store and status-line
  loops of :mod:`~r2kmon.runtime.persist`);
* :mod:`~r2kmon.runtime.supervisor`: the one restart policy for anything that runs;
* :mod:`~r2kmon.runtime.analysis`: the analytics against the hub;
* :mod:`~r2kmon.runtime.alert_log`: the alert log, which decides what a change is;
* :mod:`~r2kmon.runtime.rules`: the user's ``[[alerts]]`` rules and the alert command;
* :mod:`~r2kmon.runtime.desktop`: those rules as desktop notifications (``notify-send``);
* :mod:`~r2kmon.runtime.portfolio`: ``[[holdings]]`` valued at the hub's prices;
* :mod:`~r2kmon.runtime.reaching`: the numbers of the "Reaching crypto?" panel, from a state
  (the state itself, :class:`~r2kmon.model.state.AppState`, is a model type);
* :mod:`~r2kmon.runtime.snapshot`: the ``snapshot --json`` document, and
  :mod:`~r2kmon.runtime.prometheus` the same as Prometheus text;
* :mod:`~r2kmon.runtime.journal`: the signal journal (what counts as a signal change), and
  :mod:`~r2kmon.runtime.recorder` the engine keeping it as it runs;
* :mod:`~r2kmon.runtime.watch`: ``r2kmon watch``, headless;
* :mod:`~r2kmon.runtime.statusline`: the status file and the ``status-line`` text;
* :mod:`~r2kmon.runtime.doctor`: ``r2kmon doctor``.
"""

from r2kmon.runtime.build import (
    build_producers as build_producers,
)
from r2kmon.runtime.build import (
    configured_symbols as configured_symbols,
)
from r2kmon.runtime.build import (
    market_hours as market_hours,
)
from r2kmon.runtime.engine import (
    Runtime as Runtime,
)
from r2kmon.runtime.history import (
    open_history as open_history,
)
