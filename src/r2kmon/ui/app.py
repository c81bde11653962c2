"""The Textual app: runs the runtime, pulls its state on a timer, draws the current view.

Started by ``cli`` for the interactive command. The refresh timer only *asks* the runtime
for its state and posts :class:`StateUpdated` when the version changed, so redraw cost
follows the refresh rate, never the message rate; only the visible view is drawn. Tests
construct the app without a runtime and post ``StateUpdated`` with fixed data and a frozen
clock, the same message production posts.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, ClassVar, Protocol

from rich.text import Text
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import ScrollableContainer
from textual.events import Resize
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Input

from r2kmon import paths
from r2kmon.clock import Clock, SystemClock
from r2kmon.config import Config
from r2kmon.model import COMMAND_SOURCE, Alert, HubSnapshot
from r2kmon.runtime.state import AppState
from r2kmon.ui.messages import StateUpdated
from r2kmon.ui.notices import HealthNotices
from r2kmon.ui.screens.detail import DetailScreen
from r2kmon.ui.screens.help import HelpScreen, help_rows
from r2kmon.ui.screens.main import VIEW_NAMES, MainScreen
from r2kmon.ui.views.base import DEFAULT_RANGE, RANGES, DrawContext
from r2kmon.ui.widgets.status_header import StatusHeader
from r2kmon.ui.widgets.table import LineTable

if TYPE_CHECKING:
    # Only for types: the runtime (feeds, sources, HTTP and websocket clients) is imported
    # and built after the first screen is up; see ``Starter``.
    from r2kmon.hub import Hub
    from r2kmon.runtime import Runtime

log = logging.getLogger(__name__)


class Starter(Protocol):
    """How the CLI starts the engine behind a running app, in two steps, each called in a
    thread after the first paint: the stored history first (light: the hub and SQLite),
    drawn as soon as it is loaded; then the runtime on the same hub (pandas, httpx and the
    feeds are imported there)."""

    def open_history(self) -> Hub:
        """The hub holding the stored history."""
        ...

    def build_runtime(self) -> Runtime:
        """The runtime on that hub, not yet running."""
        ...


KEY_DISPLAY = {
    "ctrl+p": "^p",
    "question_mark": "?",
    "slash": "/",
    "escape": "esc",
    "tab": "tab",
    "shift+tab": "shift+tab",
    "left_square_bracket": "[",
    "right_square_bracket": "]",
}
QUIET_S = 2.0
"""Seconds without a change after which the refresh timer rests (see ``_poll_fast``)."""
NARROW_BELOW = 100
"""Under this many columns the narrow (80x24) layout applies."""
ALERT_NOTIFY_S = 30.0
"""How long an alert's notification stays up (it stays in the health view's alert log)."""


def _view_bindings() -> list[BindingType]:
    return [
        Binding(str(n), f"show_view('{name}')", f"View: {name}", id=f"view_{name}", show=False)
        for n, name in enumerate(VIEW_NAMES, start=1)
    ]


class R2kApp(App[int]):
    """r2kmon's terminal UI."""

    TITLE = "r2kmon"
    CSS_PATH = "app.tcss"
    ENABLE_COMMAND_PALETTE = True

    # Every binding has an id, so the config's [keys] table can remap it. None is a
    # ctrl+shift or F-key combination: tmux and SSH pass plain keys through.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit", id="quit"),
        Binding("question_mark", "help", "Help", id="help", key_display="?"),
        *_view_bindings(),
        Binding("j", "cursor_down", "Cursor down (or scroll)", id="cursor_down", show=False),
        Binding("k", "cursor_up", "Cursor up (or scroll)", id="cursor_up", show=False),
        Binding("enter", "detail", "Detail of the row", id="detail", show=False),
        Binding("slash", "filter", "Filter", id="filter", key_display="/"),
        Binding("escape", "clear_filter", "Clear filter", id="clear_filter", show=False),
        Binding("r", "refresh", "Refresh", id="refresh"),
        Binding("p", "pause", "Pause", id="pause"),
        Binding("t", "cycle_theme", "Theme", id="theme"),
        Binding("s", "save_svg", "Screenshot", id="screenshot"),
        Binding(
            "right_square_bracket",
            "chart_range(1)",
            "Chart range longer",
            id="range_next",
            show=False,
        ),
        Binding(
            "left_square_bracket",
            "chart_range(-1)",
            "Chart range shorter",
            id="range_prev",
            show=False,
        ),
    ]

    def __init__(
        self,
        runtime: Runtime | None,
        config: Config,
        *,
        clock: Clock | None = None,
        starter: Starter | None = None,
    ) -> None:
        """``runtime`` runs at once; ``starter`` builds one after the first screen is drawn
        (the CLI's way: the first screen waits for neither the stored history nor the
        runtime's imports, and the stored history waits not for the runtime)."""
        super().__init__()
        self.runtime = runtime
        self._starter = starter
        self._history: Hub | None = None
        self._poll_timer: Timer | None = None
        self._quiet_polls = 0
        self.resting = False
        """The refresh timer rests after a quiet spell (see ``_poll_fast``)."""
        self.config = config
        self.clock: Clock = clock or (runtime.clock if runtime else SystemClock())
        self.state: AppState | None = None
        self.paused = False
        self.filter = ""
        self.narrow = False
        self.range_index = DEFAULT_RANGE
        """The chart range of the charts and correlation views (``[`` and ``]``)."""
        self._posted_version: tuple[int, int] | None = None
        self._notices = HealthNotices()
        """Which health changes become notifications (merged, rate-limited, offline once)."""
        self._alert_mark = self.clock.now()
        """Alerts older than this were notified by an earlier run (the store keeps them)."""
        self._alerted: set[Alert] = set()
        self._last_alert: Alert | None = None
        self._paused_version: tuple[int, int] | None = None
        self._force_draw = False
        keymap = dict(config.keys)
        shown = [b for b in self.BINDINGS if isinstance(b, Binding) and b.show]
        self.main = MainScreen(
            ascii_only=config.general.ascii,
            keys=[(key, text) for key, _, text in help_rows(shown, keymap, KEY_DISPLAY)],
            palette_key=KEY_DISPLAY.get(self.COMMAND_PALETTE_BINDING, "^p"),
        )

    # --- lifecycle --------------------------------------------------------------------

    def on_mount(self) -> None:
        self.set_keymap(dict(self.config.keys))
        if self.config.general.theme in self.available_themes:
            self.theme = self.config.general.theme
        self.push_screen(self.main)
        if self.runtime is not None:
            self._start_runtime(self.runtime)
        elif self._starter is not None:
            # After the first refresh, so the first screen is painted before the runtime's
            # imports and backfill compete with it for the interpreter.
            self.call_after_refresh(self._build_in_thread)
        self.set_interval(1.0, self._tick_clock)
        self.call_after_refresh(self._tick_clock)

    def _build_in_thread(self) -> None:
        self.run_worker(self._start_safely(), name="build-runtime", exit_on_error=False)

    async def _start_safely(self) -> None:
        try:
            await self._build_and_start()
        except Exception as exc:  # a bug, or a file we cannot read: say so, stay up
            log.exception("could not start the runtime")
            self.notify(
                f"could not start: {type(exc).__name__}: {exc} (details in {paths.log_file()})",
                title="r2kmon",
                severity="error",
                timeout=60,
                markup=False,
            )

    async def _build_and_start(self) -> None:
        starter = self._starter
        assert starter is not None
        self._history = await asyncio.to_thread(starter.open_history)
        self._start_polling()
        self.poll_hub()  # the stored history on screen now, not at the next refresh
        # Build the runtime once that screen is out: its imports (pandas, httpx, ...) hold
        # the interpreter lock, and would halve the speed of the drawing if they overlapped.
        drawn = asyncio.Event()
        self.call_after_refresh(drawn.set)
        await drawn.wait()
        runtime = await asyncio.to_thread(starter.build_runtime)
        self.runtime = runtime
        self.clock = runtime.clock
        self._start_runtime(runtime)

    def _start_runtime(self, runtime: Runtime) -> None:
        # Producers belong to the app (not to a screen that could be popped) and a
        # failure in them must never end the app: the runtime reports it in health.
        self.run_worker(runtime.run(), name="runtime", exit_on_error=False)
        self._start_polling()

    def _start_polling(self) -> None:
        if self._poll_timer is None:
            interval = 1.0 / self.config.general.refresh_hz
            self._poll_timer = self.set_interval(interval, self._poll_fast)

    def _poll_fast(self) -> None:
        """The refresh timer. After :data:`QUIET_S` without a change it pauses itself and
        the once-a-second clock polls instead (an idle pane then wakes once a second, not
        ``refresh_hz`` times); the first change resumes it."""
        if self.poll_hub():
            self._quiet_polls = 0
            return
        self._quiet_polls += 1
        quiet_s = self._quiet_polls / self.config.general.refresh_hz
        if self._poll_timer is not None and quiet_s >= QUIET_S:
            self._poll_timer.pause()
            self.resting = True

    def on_resize(self, event: Resize) -> None:
        narrow = event.size.width < NARROW_BELOW
        if narrow != self.narrow:
            self.narrow = narrow
            self.main.set_class(narrow, "narrow")
            self._draw()

    def poll_hub(self) -> bool:
        """Post the runtime's state if it changed since the last one posted; say whether.

        While paused nothing is posted, but an alert still gets its notification and bell:
        a frozen screen is no reason to miss one."""
        if self.paused:
            if self.runtime is not None and self.runtime.version != self._paused_version:
                self._paused_version = self.runtime.version
                self._notify_alerts(self.runtime.state().alerts)
            return False
        if self.runtime is not None:
            if self.runtime.version == self._posted_version:
                return False
            state = self.runtime.state()
        elif self._history is not None:
            if (self._history.version, 0) == self._posted_version:
                return False
            state = AppState(self._history.snapshot())  # stored history, runtime still loading
        else:
            return False
        self._posted_version = state.version
        self.post_message(StateUpdated(state))
        return True

    def on_state_updated(self, message: StateUpdated) -> None:
        self.state = message.state
        self._notify_health(message.state.hub)
        self._notify_alerts(message.state.alerts)
        force, self._force_draw = self._force_draw, False
        if not self.paused or force:
            self._draw(force=force)

    def context(self) -> DrawContext:
        general = self.config.general
        return DrawContext(
            now=self.clock.now(),
            ascii_only=general.ascii,
            stale_after_s=general.stale_after_s,
            filter=self.filter,
            narrow=self.narrow,
            usdt_as_usd=self.config.crypto.usdt_as_usd,
            range_index=self.range_index,
            private=general.private,
        )

    def _draw(self, *, tick: bool = False, force: bool = False) -> None:
        """Redraw the header and the visible view from the last state (while paused only
        when ``force``d by the refresh key)."""
        if not self.main.is_mounted:
            return
        headers = self.main.query(StatusHeader)
        if not headers:
            return  # the screen is still being composed, or already torn down (at exit)
        header = headers.first()
        ctx = self.context()
        state = self.state
        with self.batch_update():
            header.show(
                now=ctx.now,
                view=self.main.view_title(),
                paused=self.paused,
                filter=self.filter,
                simulated=state.hub.simulated if state else None,
                market=state.market.label() if state and state.market else None,
                health=state.hub.health if state and (force or not self.paused) else None,
            )
            if state is not None and (force or not self.paused):
                self.main.draw(state, ctx, tick=tick)

    def _tick_clock(self) -> None:
        until = self.state.freshness_until if self.state is not None else None
        if until is not None and self.clock.now() > until:
            self._posted_version = None  # a quote's freshness moved with the clock: re-ask
        if self.resting and self._poll_timer is not None and self.poll_hub():
            self._quiet_polls = 0
            self.resting = False
            self._poll_timer.resume()  # data moves again: back to refresh_hz
        if self.state is not None and not self.paused:
            self._notify_health(self.state.hub)  # held notifications whose minute is up
        self._draw(tick=True)

    def _notify_health(self, hub: HubSnapshot) -> None:
        """The health notifications due now (see :mod:`r2kmon.ui.notices`): a source's
        change once and at most once a minute, one line for going offline and one for
        coming back. Called with every state and each second (held ones come out then)."""
        for notice in self._notices.observe(hub.health, self.clock.now()):
            # Logged too: the log says what the user was told, and when.
            log.info("notified: %s: %s", notice.title, notice.message)
            # Remote text: markup=False so "[bold]" in an error styles nothing.
            self.notify(notice.message, title=notice.title, severity=notice.severity, markup=False)

    def _notify_alerts(self, alerts: tuple[Alert, ...]) -> None:
        """A notification (and the bell) for each ``[[alerts]]`` rule that fired, and for
        an alert command that failed; each once, and none from before this run."""
        last = alerts[-1] if alerts else None
        if last is self._last_alert:
            return
        self._last_alert = last
        fresh = [
            alert
            for alert in alerts
            if (alert.level == "alert" or alert.source == COMMAND_SOURCE)
            and alert.ts >= self._alert_mark
            and alert not in self._alerted
        ]
        if not fresh:
            return
        for alert in fresh:
            rule = alert.level == "alert"
            self.notify(
                alert.message,
                title=f"Alert: {alert.source}" if rule else "Alert command failed",
                severity="warning" if rule else "error",
                timeout=ALERT_NOTIFY_S,
                markup=False,
            )
        if self.config.general.bell and any(alert.level == "alert" for alert in fresh):
            self.bell()
        self._alert_mark = max(alert.ts for alert in fresh)
        self._alerted = {alert for alert in alerts if alert.ts == self._alert_mark}

    # --- command palette --------------------------------------------------------------

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for n, name in enumerate(VIEW_NAMES, start=1):
            yield SystemCommand(
                f"View {n}: {name.capitalize()}",
                f"Switch to the {name} view (key {n})",
                lambda name=name: self.action_show_view(name),
            )
        for label, _ in RANGES:
            yield SystemCommand(
                f"Chart range {label}",
                "Show the charts and correlations over this range",
                lambda label=label: self._set_range_label(label),
            )
        yield SystemCommand("Pause / resume", "Freeze the screen", self.action_pause)
        yield SystemCommand("Filter", "Filter rows by symbol or source", self.action_filter)

    # --- actions ----------------------------------------------------------------------

    async def action_show_view(self, name: str) -> None:
        """Switch to view ``name`` (built the first time) and draw it from the last state
        at once."""
        if self.screen is not self.main:
            return
        await self.main.show_view(name)
        self._draw()

    def action_cursor_down(self) -> None:
        self._move_cursor(1)

    def action_cursor_up(self) -> None:
        self._move_cursor(-1)

    def _move_cursor(self, step: int) -> None:
        focused = self.focused
        if isinstance(focused, LineTable):
            if step > 0:
                focused.action_cursor_down()
            else:
                focused.action_cursor_up()
        elif isinstance(focused, ScrollableContainer):
            focused.scroll_relative(y=step, animate=False)

    def action_detail(self) -> None:
        """Open the row under the cursor of the focused table."""
        focused = self.focused
        if self.screen is not self.main or self.state is None:
            return
        if not isinstance(focused, LineTable):
            return
        key = focused.selected_key
        if key is None:
            return
        text = self.main.view.detail(key, self.state, self.context())
        if text is not None:
            self.push_screen(DetailScreen(text))

    def action_filter(self) -> None:
        """Show the filter line and type into it."""
        if self.screen is not self.main:
            return
        field = self.main.query_one("#filter", Input)
        field.add_class("shown")
        field.focus()

    def action_clear_filter(self) -> None:
        """Clear and hide the filter line."""
        field = self.main.query_one("#filter", Input)
        was_shown = field.has_class("shown")
        field.remove_class("shown")
        if field.value:
            field.value = ""
        self.filter = ""
        if was_shown:
            self.main.focus_view()
        self._draw()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "filter":
            self.filter = event.value.strip()
            self._draw()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter keeps the filter and returns to the table."""
        if event.input.id == "filter":
            if not event.value:
                event.input.remove_class("shown")
            self.main.focus_view()

    def action_chart_range(self, step: int) -> None:
        """Next or previous chart range (charts and correlation views; wraps around)."""
        self._set_range((self.range_index + step) % len(RANGES))

    def _set_range_label(self, label: str) -> None:
        self._set_range([name for name, _ in RANGES].index(label))

    def _set_range(self, index: int) -> None:
        self.range_index = index
        self.notify(f"Chart range: {RANGES[index][0]}", timeout=2)
        self._draw()

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        keymap = dict(self.config.keys)
        bindings = [b for b in (*self.BINDINGS, *MainScreen.BINDINGS) if isinstance(b, Binding)]
        self.push_screen(HelpScreen(help_rows(bindings, keymap, KEY_DISPLAY)))

    def action_refresh(self) -> None:
        """Redraw now from the latest snapshot, even if paused or unchanged (a paused screen
        takes this one frame and stays paused)."""
        self._force_draw = True
        if self.runtime is not None or self._history is not None:
            self._posted_version = None
            paused, self.paused = self.paused, False
            self.poll_hub()
            self.paused = paused
        elif self.state is not None:
            self.post_message(StateUpdated(self.state))

    def action_pause(self) -> None:
        """Freeze the screen; data keeps flowing into the hub underneath."""
        self.paused = not self.paused
        self._draw()
        if not self.paused:
            self.poll_hub()
        self.notify(
            "Paused: the screen is frozen, data keeps arriving" if self.paused else "Resumed"
        )

    def action_cycle_theme(self) -> None:
        names = sorted(self.available_themes)
        current = names.index(self.theme) if self.theme in names else -1
        self.theme = names[(current + 1) % len(names)]
        self.notify(f"Theme: {self.theme}")

    def action_save_svg(self) -> None:
        """Save an SVG of the screen under the data dir (shown in a notification)."""
        directory = paths.screenshot_dir()
        directory.mkdir(parents=True, exist_ok=True)
        saved = self.save_screenshot(path=str(directory))
        self.notify(Text(f"Saved {saved}").plain, markup=False)
