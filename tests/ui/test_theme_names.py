"""The config's theme names are Textual's: the config cannot import Textual to ask."""

from __future__ import annotations

from textual.theme import BUILTIN_THEMES

from r2kmon.config import THEMES


def test_the_config_knows_every_textual_theme_and_no_other() -> None:
    assert sorted(THEMES) == sorted(BUILTIN_THEMES)
