"""The risk-on gauge panel: score, label, change since yesterday, coverage, and each
component as a small bar, so the score explains itself.

Used by the dashboard. It repaints only when the gauge (or what is loading instead of it)
changed, which happens when the analytics change, not at the refresh rate.
"""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from r2kmon.model.analytics import Gauge
from r2kmon.ui import format as fmt
from r2kmon.ui.palette import DIM, GAUGE_STYLE, TITLE, direction_style

NAME_W, BAR_W = 12, 8
CELL_W = NAME_W + 1 + BAR_W + 4 + 2
"""One component: name, bar, score, and the two-cell gap before the next one."""

SHORT_NAMES = {
    "breakout": "breakout",
    "small_cap_rs": "smallcap RS",
    "index_trend": "index trend",
    "btc_trend": "BTC trend",
    "btc_momentum": "BTC moment.",
    "alt_season": "alt season",
    "btc_dominance_trend": "BTC dominan.",
    "vix_level": "VIX level",
    "vix_trend": "VIX trend",
    "dollar_trend": "dollar",
    "liquidity_trend": "liquidity",
    "flows": "IWM flows",
    "fear_greed": "fear/greed",
}


class GaugePanel(Widget):
    """The gauge, or a line saying what it is waiting for."""

    DEFAULT_CSS = """
    GaugePanel { height: auto; padding: 0 1; }
    """

    def __init__(self, *, ascii_only: bool = False, id: str | None = None) -> None:
        super().__init__(id=id)
        self.ascii_only = ascii_only
        self.gauge: Gauge | None = None
        self.waiting: Text | None = Text("Loading: waiting for the first data", DIM)
        self.reading: str | None = None

    def show(self, gauge: Gauge | None, waiting: Text | None, reading: str | None = None) -> None:
        """Show ``gauge`` (or ``waiting`` when there is none) and ``reading``, the track
        record's line for its band (:func:`r2kmon.ui.track_record.reading`); repaint only
        on change."""
        if gauge == self.gauge and waiting == self.waiting and reading == self.reading:
            return
        self.gauge, self.waiting, self.reading = gauge, waiting, reading
        self.refresh(layout=True)

    def render(self) -> Text:
        width = max(self.size.width, CELL_W)
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append("RISK-ON GAUGE ", TITLE)
        gauge = self.gauge
        if gauge is None:
            text.append_text(self.waiting or Text("—", DIM))
            return text
        if gauge.score is None:
            text.append("— no component has data yet ", DIM)
        else:
            label = gauge.label or "—"
            text.append(f"{gauge.score:5.1f}", GAUGE_STYLE.get(label, TITLE))
            text.append("/100 ")
            text.append(label.upper(), GAUGE_STYLE.get(label, TITLE))
            if gauge.change is not None:
                change = round(gauge.change, 1)  # the arrow agrees with the number shown
                if change == 0:
                    text.append("  =0.0 vs yesterday", direction_style(0.0))
                else:
                    up = change > 0
                    arrow = ("^" if up else "v") if self.ascii_only else ("▲" if up else "▼")
                    text.append(f"  {arrow}{change:+.1f} vs yesterday", direction_style(change))
        text.append(f"  coverage {gauge.coverage * 100:.0f}%", DIM)
        if self.reading:
            text.append("\n" + self.reading, DIM)
        per_line = max(1, (width + 2) // CELL_W)
        for i, component in enumerate(gauge.components):
            text.append("\n" if i % per_line == 0 else "  ")
            name = SHORT_NAMES.get(component.name, component.name)[:NAME_W].ljust(NAME_W)
            text.append(name + " ", DIM if component.score is None else None)
            bar_style = direction_style(None if component.score is None else component.score - 50)
            text.append(fmt.bar(component.score, BAR_W, ascii_only=self.ascii_only), bar_style)
            shown = "  —" if component.score is None else f"{component.score:3.0f}"
            text.append(" " + shown, DIM if component.score is None else None)
        return text
