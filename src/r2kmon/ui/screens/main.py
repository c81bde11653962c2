"""The main screen: the status header, the eight views in a switcher (only the current one
is drawn), the ``/`` filter line and the key line.

Used by the app, which pushes it once and calls :meth:`MainScreen.draw` when the state or
the clock moved. Only the visible view's :meth:`~r2kmon.ui.views.base.View.show` runs.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import ContentSwitcher, Input

from r2kmon.model.state import AppState
from r2kmon.ui.views.base import DrawContext, View
from r2kmon.ui.views.dashboard import DashboardView
from r2kmon.ui.widgets.keybar import KeyBar
from r2kmon.ui.widgets.status_header import StatusHeader

VIEW_NAMES = (
    "dashboard",
    "board",
    "crypto",
    "charts",
    "correlation",
    "macro",
    "health",
    "portfolio",
)
"""View names in digit order: ``1`` is the dashboard, ``7`` health, ``8`` the portfolio."""

_VIEW_CLASSES = {
    "board": ("r2kmon.ui.views.board", "BoardView"),
    "crypto": ("r2kmon.ui.views.crypto", "CryptoView"),
    "charts": ("r2kmon.ui.views.charts", "ChartsView"),
    "correlation": ("r2kmon.ui.views.correlation", "CorrelationView"),
    "macro": ("r2kmon.ui.views.macro", "MacroView"),
    "health": ("r2kmon.ui.views.health", "HealthView"),
    "portfolio": ("r2kmon.ui.views.portfolio", "PortfolioView"),
}
"""Where the views other than the dashboard live: imported and built the first time they
are shown, so the first screen waits for none of them (plotext among their imports)."""


def view_class(name: str) -> type[View]:
    """The view class of ``name`` (any but the dashboard), imported on first use."""
    module, attribute = _VIEW_CLASSES[name]
    cls: type[View] = getattr(importlib.import_module(module), attribute)
    return cls


class MainScreen(Screen[None]):
    """Header, the current view, the filter line, the key line."""

    # tab/shift+tab replace the Screen's own (id-less) bindings so they can be remapped.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("tab", "app.focus_next", "Next pane", id="next_pane", show=False),
        Binding("shift+tab", "app.focus_previous", "Previous pane", id="prev_pane", show=False),
    ]

    def __init__(
        self, *, ascii_only: bool, keys: Sequence[tuple[str, str]] = (), palette_key: str = ""
    ) -> None:
        """``keys``: the (key, description) pairs of the bottom line, as remapped."""
        super().__init__(name="main")
        self.ascii_only = ascii_only
        self.keys = tuple(keys)
        self.palette_key = palette_key

    def compose(self) -> ComposeResult:
        yield StatusHeader(ascii_only=self.ascii_only, id="status")
        with ContentSwitcher(initial="view-dashboard", id="views"):
            yield DashboardView(ascii_only=self.ascii_only, id="view-dashboard")
        filter_input = Input(
            placeholder="filter symbols and sources (enter keeps, escape clears)", id="filter"
        )
        filter_input.cursor_blink = False  # a blinking cursor repaints twice a second
        yield filter_input
        yield KeyBar(self.keys, right=(self.palette_key, "palette") if self.palette_key else None)

    def on_mount(self) -> None:
        self.focus_view()

    @property
    def view(self) -> View:
        """The view on screen."""
        switcher = self.query_one(ContentSwitcher)
        return self.query_one(f"#{switcher.current}", View)

    @property
    def view_name(self) -> str:
        current = self.query_one(ContentSwitcher).current or "view-dashboard"
        return current.removeprefix("view-")

    async def show_view(self, name: str) -> View:
        """Show the view ``name`` (built and mounted the first time); focus its first table
        so j/k work at once."""
        switcher = self.query_one(ContentSwitcher)
        if not switcher.query_children(f"#view-{name}"):
            await switcher.mount(view_class(name)(id=f"view-{name}"))
        switcher.current = f"view-{name}"
        self.focus_view()
        return self.view

    def focus_view(self) -> None:
        """Focus the first table (or focusable widget) of the view on screen."""
        view = self.view
        first = view.query_one(view.FIRST_FOCUS) if view.FIRST_FOCUS else None
        if first is None or not first.focusable:
            first = next((w for w in view.query("*") if w.focusable), None)
        if first is not None:
            first.focus()

    def view_title(self) -> str:
        view = self.view
        return f"{view.DIGIT} {view.TITLE}"

    def draw(self, state: AppState, ctx: DrawContext, *, tick: bool = False) -> None:
        """Draw the visible view (and only it)."""
        view = self.view
        if tick:
            view.tick(state, ctx)
        else:
            view.show(state, ctx)
