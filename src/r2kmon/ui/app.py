"""The Textual app: runs the runtime, pulls its state on a timer, draws the current view.

The refresh timer only *asks* the runtime for its state and posts :class:`StateUpdated`
when the version changed, so redraw cost follows the refresh rate, never the message rate.
Tests construct the app without a runtime and post ``StateUpdated`` with fixed data and a
frozen clock, the same message production posts.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import App
from textual.binding import Binding, BindingType

from r2kmon import paths
from r2kmon.clock import Clock, SystemClock
from r2kmon.config import Config
from r2kmon.runtime import Runtime
from r2kmon.state import AppState
from r2kmon.ui.messages import StateUpdated
from r2kmon.ui.screens.dashboard import DashboardScreen
from r2kmon.ui.screens.help import HelpScreen, help_rows

KEY_DISPLAY = {"question_mark": "?", "slash": "/", "escape": "esc", "tab": "tab"}


class R2kApp(App[int]):
    """r2kmon's terminal UI."""

    TITLE = "r2kmon"
    CSS_PATH = "app.tcss"
    ENABLE_COMMAND_PALETTE = True

    # Every binding has an id, so the config's [keys] table can remap it.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit", id="quit", priority=True),
        Binding("question_mark", "help", "Help", id="help", key_display="?"),
        Binding("r", "refresh", "Refresh", id="refresh"),
        Binding("p", "pause", "Pause", id="pause"),
        Binding("t", "cycle_theme", "Theme", id="theme"),
        Binding("s", "save_svg", "Screenshot", id="screenshot"),
    ]

    def __init__(
        self, runtime: Runtime | None, config: Config, *, clock: Clock | None = None
    ) -> None:
        super().__init__()
        self.runtime = runtime
        self.config = config
        self.clock: Clock = clock or (runtime.clock if runtime else SystemClock())
        self.state: AppState | None = None
        self.paused = False
        self._posted_version: tuple[int, int] | None = None
        self.dashboard = DashboardScreen(
            ascii_only=config.general.ascii, stale_after_s=config.general.stale_after_s
        )

    def on_mount(self) -> None:
        self.set_keymap(dict(self.config.keys))
        if self.config.general.theme in self.available_themes:
            self.theme = self.config.general.theme
        self.push_screen(self.dashboard)
        if self.runtime is not None:
            # Producers belong to the app (not to a screen that could be popped) and a
            # failure in them must never end the app: the runtime reports it in health.
            self.run_worker(self.runtime.run(), name="runtime", exit_on_error=False)
            self.set_interval(1.0 / self.config.general.refresh_hz, self.poll_hub)
        self.set_interval(1.0, self._tick_clock)
        self.call_after_refresh(self._tick_clock)

    def poll_hub(self) -> None:
        """Post the runtime's state if it changed since the last one posted."""
        if self.runtime is None or self.paused:
            return
        state = self.runtime.state()
        if state.version != self._posted_version:
            self._posted_version = state.version
            self.post_message(StateUpdated(state))

    def on_state_updated(self, message: StateUpdated) -> None:
        self.state = message.state
        with self.batch_update():
            self.dashboard.show(message.state.hub, self.clock.now(), self.paused)

    def _tick_clock(self) -> None:
        hub = self.state.hub if self.state is not None else None
        self.dashboard.tick_clock(self.clock.now(), self.paused, hub)

    # --- actions ----------------------------------------------------------------------

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        keymap = dict(self.config.keys)
        bindings = [b for b in self.BINDINGS if isinstance(b, Binding)]
        self.push_screen(HelpScreen(help_rows(bindings, keymap, KEY_DISPLAY)))

    def action_refresh(self) -> None:
        """Redraw now from the latest snapshot, even if paused or unchanged."""
        if self.runtime is not None:
            self._posted_version = None
            paused, self.paused = self.paused, False
            self.poll_hub()
            self.paused = paused
        elif self.state is not None:
            self.post_message(StateUpdated(self.state))

    def action_pause(self) -> None:
        """Freeze the screen; data keeps flowing into the hub underneath."""
        self.paused = not self.paused
        self.call_after_refresh(self._tick_clock)
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
        self.notify(f"Saved {saved}")
