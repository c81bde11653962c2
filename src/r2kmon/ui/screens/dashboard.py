"""The dashboard: status header, the quote table, and the key bindings in the footer."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Static

from r2kmon.model import HubSnapshot
from r2kmon.ui.rows import quote_rows
from r2kmon.ui.widgets.quote_table import QuoteTable
from r2kmon.ui.widgets.status_header import StatusHeader


class DashboardScreen(Screen[None]):
    """View 1: quotes with sparklines, sources and ages."""

    def __init__(self, *, ascii_only: bool, stale_after_s: float) -> None:
        super().__init__(name="dashboard")
        self.ascii_only = ascii_only
        self.stale_after_s = stale_after_s

    def compose(self) -> ComposeResult:
        yield StatusHeader(ascii_only=self.ascii_only, id="status")
        yield Static("Quotes", id="title", classes="view-title")
        yield QuoteTable(ascii_only=self.ascii_only, id="quotes")
        yield Footer()

    def show(self, snapshot: HubSnapshot, now: float, paused: bool) -> None:
        """Draw ``snapshot``: only the rows and header text that changed are repainted."""
        self.query_one(StatusHeader).show(
            now=now, simulated=snapshot.simulated, paused=paused, health=snapshot.health
        )
        self.query_one(QuoteTable).set_rows(quote_rows(snapshot, now, self.stale_after_s))

    def tick_clock(self, now: float, paused: bool, snapshot: HubSnapshot | None) -> None:
        """Once a second: the clock, and ages that moved on while no data arrived."""
        self.query_one(StatusHeader).show(
            now=now, simulated=snapshot.simulated if snapshot else False, paused=paused
        )
        if snapshot is not None:
            self.query_one(QuoteTable).set_rows(quote_rows(snapshot, now, self.stale_after_s))
