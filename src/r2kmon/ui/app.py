"""The Textual app: runs the runtime, draws the current view from its latest state.

Started by ``cli`` for the interactive command. Where the states come from (the runtime,
started after the first paint, asked on a timer) is :mod:`r2kmon.ui.polling`; which lines
of the alert log become notifications is :mod:`r2kmon.ui.notices`. What decides how the
screen looks is kept in reactives (the state, pause, the filter, the narrow layout, the
chart range), each redrawing through its watcher, only on a change and only the visible
view. Tests construct the app without a runtime and post ``StateUpdated`` with fixed data
and a frozen clock, the same message production posts.

Why over 400 lines: the app is where bindings, actions, palette commands and the
runtime's start and stop meet; each of them is a few lines, and what they call lives in
the views, screens, :mod:`~r2kmon.ui.polling` and :mod:`~r2kmon.ui.notices`.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import ScrollableContainer
from textual.events import Resize
from textual.filter import LineFilter
from textual.reactive import var
from textual.screen import Screen
from textual.widgets import Input

from r2kmon import paths
from r2kmon.clock import Clock, SystemClock
from r2kmon.config import Config
from r2kmon.redact import redact
from r2kmon.runtime.state import AppState
from r2kmon.ui.ascii import AsciiFilter
from r2kmon.ui.lifeline import EXIT_GRACE_S, end_within
from r2kmon.ui.messages import StateUpdated
from r2kmon.ui.notices import Notices
from r2kmon.ui.palette import ANSI_DARK, ANSI_NO_COLOR_DARK, ANSI_NO_COLOR_LIGHT
from r2kmon.ui.polling import Starter, StatePoller
from r2kmon.ui.screens.detail import DetailScreen
from r2kmon.ui.screens.help import HelpScreen, help_rows
from r2kmon.ui.screens.main import VIEW_NAMES, MainScreen
from r2kmon.ui.views.base import DEFAULT_RANGE, RANGES, DrawContext
from r2kmon.ui.widgets.status_header import StatusHeader
from r2kmon.ui.widgets.table import LineTable

if TYPE_CHECKING:
    from r2kmon.runtime import Runtime

log = logging.getLogger(__name__)


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
NARROW_BELOW = 100
"""Under this many columns the narrow (80x24) layout applies."""


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

    # Reactives without a repaint: each watcher draws what depends on it (an App's own
    # repaint would be the whole screen).
    state: var[AppState | None] = var(None, always_update=True, init=False)
    """The last state posted; drawn as it arrives unless paused. Every post is a change:
    the poller posts only when the version moved, and ``r`` posts to redraw."""
    paused: var[bool] = var(False, init=False)
    """The screen is frozen (``p``); states keep arriving underneath, alerts still notify."""
    filter: var[str] = var("", init=False)
    """The ``/`` filter: only rows whose symbol or name contains it."""
    narrow: var[bool] = var(False, init=False)
    """The terminal is under :data:`NARROW_BELOW` columns: the 80x24 layout."""
    range_index: var[int] = var(DEFAULT_RANGE, init=False)
    """The chart range of the charts and correlation views (``[`` and ``]``)."""

    def __init__(
        self,
        runtime: Runtime | None,
        config: Config,
        *,
        clock: Clock | None = None,
        starter: Starter | None = None,
    ) -> None:
        """``runtime`` runs at once; ``starter`` builds one after the first screen is drawn
        (see :class:`~r2kmon.ui.polling.StatePoller`)."""
        super().__init__()
        self.config = config
        self._ascii_filter = AsciiFilter()
        self.poller = StatePoller(self, config.general.refresh_hz, runtime, starter)
        self._clock = clock or (runtime.clock if runtime else SystemClock())
        self._notices = Notices(since=self.clock.now())
        self._lifeline: threading.Thread | None = None
        """Ends the process if a quit asked by a signal hangs (:mod:`r2kmon.ui.lifeline`)."""
        """Which lines of the alert log become notifications (merged, rate-limited)."""
        keymap = dict(config.keys)
        shown = [b for b in self.BINDINGS if isinstance(b, Binding) and b.show]
        self.main = MainScreen(
            ascii_only=config.general.ascii,
            keys=[(key, text) for key, _, text in help_rows(shown, keymap, KEY_DISPLAY)],
            palette_key=KEY_DISPLAY.get(self.COMMAND_PALETTE_BINDING, "^p"),
        )

    def get_line_filters(self) -> Sequence[LineFilter]:
        """Textual's filters, then with ``[general] ascii`` the one that leaves no glyph
        outside ASCII (:mod:`r2kmon.ui.ascii`)."""
        filters = super().get_line_filters()
        return [*filters, self._ascii_filter] if self.config.general.ascii else filters

    @property
    def runtime(self) -> Runtime | None:
        """The runtime behind the app (``None`` while it is being built)."""
        return self.poller.runtime

    @property
    def clock(self) -> Clock:
        """The runtime's clock once there is one: the time its data is stamped in."""
        runtime = self.poller.runtime
        return runtime.clock if runtime is not None else self._clock

    @property
    def resting(self) -> bool:
        """The refresh timer rests after a quiet spell (see :mod:`r2kmon.ui.polling`)."""
        return self.poller.resting

    # --- lifecycle --------------------------------------------------------------------

    def on_mount(self) -> None:
        self.set_keymap(dict(self.config.keys))
        # How the palette's ANSI colours are drawn: readable on the dark themes, and plain
        # text under NO_COLOR (see r2kmon.ui.palette).
        if self.no_color:
            self.ansi_theme_dark = ANSI_NO_COLOR_DARK
            self.ansi_theme_light = ANSI_NO_COLOR_LIGHT
        else:
            self.ansi_theme_dark = ANSI_DARK
        # A 16-colour terminal gets the nearest of its colours: the theme's grey bars become
        # ANSI bright black, on which red and orange text fall under 4.5:1 (app.tcss).
        self.set_class(self.console.color_system in ("standard", "windows"), "-16-colors")
        if self.config.general.theme in self.available_themes:
            self.theme = self.config.general.theme
        self.push_screen(self.main)
        self.poller.start()
        self.set_interval(1.0, self._tick_clock)
        self.call_after_refresh(self._tick_clock)
        self._quit_on_signals()

    async def on_unmount(self) -> None:
        # Textual cancelled the runtime's worker as the app's message loop ended; its
        # shutdown (the producers stopped, the store's final save, the status file's last
        # write) must end before the app does: once App.run returns, asyncio.run cancels
        # whatever is left, and that second cancel would cut the shutdown short.
        await self.poller.stopped()

    def _quit_on_signals(self) -> None:
        """SIGTERM (``kill``, a service manager, ``tmux kill-server``) and SIGHUP (the
        terminal or the SSH session went away) end the app through its own quit path, as
        ``q`` does: the terminal restored by Textual's driver, then the runtime's final
        save. Textual itself handles only SIGTSTP, SIGCONT and SIGWINCH; without this the
        default action kills the process with the terminal in the alternate screen.

        A handler on the event loop, not ``signal.signal``: it runs as a loop callback,
        never in the middle of a draw. The loop's close removes it."""
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGHUP):
            try:
                loop.add_signal_handler(signum, self._quit_on_signal, signum)
            except (NotImplementedError, RuntimeError, ValueError):
                return  # no Unix signals here (Windows), or not the main thread

    def _quit_on_signal(self, signum: int) -> None:
        name = signal.Signals(signum).name
        log.info("%s received: quitting", name)
        if self._lifeline is None:  # Textual's shutdown can hang on a vanished terminal
            self._lifeline = end_within(EXIT_GRACE_S, name)
        self.exit(return_code=0)

    def poll_hub(self) -> bool:
        """Post the runtime's state if it changed since the last one posted; say whether
        (the refresh timer's call)."""
        return self.poller.poll()

    def on_resize(self, event: Resize) -> None:
        self.narrow = event.size.width < NARROW_BELOW

    def on_state_updated(self, message: StateUpdated) -> None:
        # Notified even while paused: a frozen screen is no reason to miss an alert.
        self._notify(message.state)
        self.state = message.state
        if message.force and self.paused:
            self._draw(force=True)

    # --- watchers: each redraws what depends on it, only when it changed ----------------

    def watch_state(self) -> None:
        if not self.paused:
            self._draw()

    def watch_paused(self) -> None:
        self._draw()  # the header's PAUSED; on resume, the latest state

    def watch_filter(self) -> None:
        self._draw()

    def watch_narrow(self, narrow: bool) -> None:
        self.main.set_class(narrow, "narrow")
        self._draw()

    def watch_range_index(self) -> None:
        self._draw()

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
            self.poller.expire()  # a quote's freshness moved with the clock alone: re-ask
        self.poller.wake()
        if self.state is not None:
            self._notify(self.state)  # held notifications whose minute is up
        self._draw(tick=True)

    def _notify(self, state: AppState) -> None:
        """The notifications due now (see :mod:`r2kmon.ui.notices`), and the bell for a
        rule that fired (if ``[general] bell``)."""
        notices = self._notices.observe(state.alerts, state.hub.health, self.clock.now())
        for notice in notices:
            # Logged too: the log says what the user was told, and when.
            log.info("notified: %s: %s", notice.title, notice.message)
            # Remote text: markup=False so "[bold]" in an error styles nothing.
            self.notify(
                redact(notice.message),
                title=notice.title,
                severity=notice.severity,
                timeout=notice.timeout,
                markup=False,
            )
        if self.config.general.bell and any(notice.bell for notice in notices):
            self.bell()

    # --- command palette --------------------------------------------------------------

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        for command in super().get_system_commands(screen):
            # Textual's own saves to a downloads folder that a server often lacks ("Failed
            # to save screenshot"): the palette's entry is the `s` key's, saved under the
            # data dir and redacted.
            if command.title != "Screenshot":
                yield command
        yield SystemCommand(
            "Screenshot", "Save an SVG of the screen under the data dir", self.action_save_svg
        )
        for n, name in enumerate(VIEW_NAMES, start=1):
            yield SystemCommand(
                f"View {n}: {name.capitalize()}",
                f"Switch to the {name} view (key {n})",
                lambda name=name: self.action_show_view(name),
            )
        for n, (label, _) in enumerate(RANGES, start=1):
            # Numbered: the palette sorts by title, and "1M 1Y 5Y 6M max" is no order.
            yield SystemCommand(
                f"Chart range {n}: {label}",
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
        self._draw()  # not a reactive: the view on screen is the switcher's

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

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "filter":
            self.filter = event.value.strip()

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

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        keymap = dict(self.config.keys)
        bindings = [b for b in (*self.BINDINGS, *MainScreen.BINDINGS) if isinstance(b, Binding)]
        self.push_screen(HelpScreen(help_rows(bindings, keymap, KEY_DISPLAY)))

    def action_refresh(self) -> None:
        """Redraw now from the latest state, even if paused or unchanged (a paused screen
        takes this one frame and stays paused)."""
        state = self.poller.current() or self.state
        if state is not None:
            self.post_message(StateUpdated(state, force=True))

    def action_pause(self) -> None:
        """Freeze the screen; data keeps flowing into the hub underneath."""
        self.paused = not self.paused
        self.notify(
            "Paused: the screen is frozen, data keeps arriving" if self.paused else "Resumed"
        )

    def action_cycle_theme(self) -> None:
        names = sorted(self.available_themes)
        current = names.index(self.theme) if self.theme in names else -1
        self.theme = names[(current + 1) % len(names)]
        self.notify(f"Theme: {self.theme}")

    def export_screenshot(self, *, title: str | None = None, simplify: bool = False) -> str:
        """The SVG of the screen, registered secrets masked (a screenshot gets shared)."""
        return redact(super().export_screenshot(title=title, simplify=simplify))

    def action_save_svg(self) -> None:
        """Save an SVG of the screen under the data dir (shown in a notification)."""
        directory = paths.screenshot_dir()
        directory.mkdir(parents=True, exist_ok=True)
        saved = self.save_screenshot(path=str(directory))
        self.notify(Text(f"Saved {saved}").plain, markup=False)
