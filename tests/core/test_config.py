"""Config: defaults, lookup order, and every kind of bad file, said in TOML words."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from r2kmon import config as cfg
from r2kmon import paths
from r2kmon.config import THEMES, Config, load_config, parse_config
from r2kmon.errors import ConfigError
from tests.paths import REPO

if TYPE_CHECKING:
    from _typeshed import DataclassInstance


def write(tmp_path: Path, text: str, name: str = "r2kmon.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problem(tmp_path: Path, text: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return caught.value.message


def test_no_file_gives_the_defaults() -> None:
    config = load_config(None)
    assert config.source is None
    assert config.crypto.symbols == ("BTC-USD", "ETH-USD", "SOL-USD")
    assert config.crypto.exchanges == ("binance", "coinbase", "kraken")
    assert config.markets.symbols == ("^RUT", "IWM", "SPY", "^VIX")
    assert config.exchanges["binance"].url == "wss://stream.binance.com:9443"
    assert config.providers["yahoo"].url == "https://query2.finance.yahoo.com"


def test_example_file_documents_exactly_the_defaults() -> None:
    example = REPO / "config.example.toml"
    assert example.read_text() == cfg.example_text(), "repo copy and packaged copy differ"
    assert parse_config(example.read_text(), example) == Config(source=example)


def test_every_field_appears_in_the_example_with_a_comment() -> None:
    text = cfg.example_text()
    sections: dict[str, type[DataclassInstance]] = {
        "general": cfg.GeneralConfig,
        "crypto": cfg.CryptoConfig,
    }
    sections |= {"markets": cfg.MarketsConfig, "demo": cfg.DemoConfig, "store": cfg.StoreConfig}
    for section, cls in sections.items():
        block = text.split(f"\n[{section}]", 1)[1].split("\n[", 1)[0]
        for field in cls.__dataclass_fields__:
            line = next((ln for ln in block.splitlines() if ln.startswith(f"{field} ")), None)
            assert line is not None, f"{section}.{field} missing from the example"
            assert "#" in line, f"{section}.{field} has no comment"
    for name in (*cfg.EXCHANGES, *cfg.PROVIDERS):
        kind = "exchanges" if name in cfg.EXCHANGES else "providers"
        assert f"[{kind}.{name}]" in text
    for binding in cfg.DEFAULT_KEYS:
        assert f"\n{binding} = " in text


def test_a_good_file_overrides_only_what_it_says(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[crypto]\nsymbols = ["btc/usd", "ETH-USD"]\nexchanges = ["okx", "bybit"]\n'
        '[exchanges.binance]\nurl = "ws://127.0.0.1:9999"\n'
        '[keys]\nquit = "x"\n',
    )
    config = load_config(path)
    assert config.source == path
    assert config.crypto.symbols == ("btc/usd", "ETH-USD")
    assert config.crypto.exchanges == ("okx", "bybit")
    assert config.exchanges["binance"].url == "ws://127.0.0.1:9999"
    # the rest of the endpoint keeps its default, so one line points one exchange elsewhere
    assert config.exchanges["binance"].rest_url == "https://api.binance.com"
    assert config.exchanges["kraken"].url == "wss://ws.kraken.com/v2"
    assert config.keys["quit"] == "x"
    assert config.keys["help"] == "question_mark"
    assert config.general.refresh_hz == 4.0


def test_integers_are_accepted_where_numbers_are_expected(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "[general]\nrefresh_hz = 2\n"))
    assert config.general.refresh_hz == 2.0
    assert isinstance(config.general.refresh_hz, float)


def test_lookup_order_flag_then_env_then_user_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = paths.user_config_file()
    user.parent.mkdir(parents=True)
    user.write_text('[markets]\nsymbols = ["USER"]\n')
    assert str(user).startswith(str(tmp_path)), "XDG_CONFIG_HOME must be honoured"
    assert load_config(None).markets.symbols == ("USER",)

    env_file = write(tmp_path, '[markets]\nsymbols = ["ENV"]\n', "env.toml")
    monkeypatch.setenv("R2KMON_CONFIG", str(env_file))
    assert load_config(None).markets.symbols == ("ENV",)

    flag_file = write(tmp_path, '[markets]\nsymbols = ["FLAG"]\n', "flag.toml")
    assert load_config(flag_file).markets.symbols == ("FLAG",)


def test_missing_explicit_files_are_errors_not_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ConfigError, match=r"no such config file.*--config"):
        load_config(tmp_path / "nope.toml")
    monkeypatch.setenv("R2KMON_CONFIG", str(tmp_path / "gone.toml"))
    with pytest.raises(ConfigError, match=r"no such config file.*\$R2KMON_CONFIG"):
        load_config(None)


def test_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    message = problem(tmp_path, "[crypto]\nsymbols = [BTC-USD]\n")
    assert message.startswith(f"{tmp_path / 'r2kmon.toml'}: not valid TOML:")
    assert "line 2" in message


def test_unknown_key_names_line_and_nearest_key(tmp_path: Path) -> None:
    message = problem(tmp_path, '# comment\n[crypto]\nsymbol = ["BTC-USD"]\n')
    assert message == (
        f"{tmp_path / 'r2kmon.toml'}:3: key 'crypto.symbol': unknown key. Did you mean 'symbols'?"
    )


def test_unknown_section_and_exchange_suggest_the_valid_ones(tmp_path: Path) -> None:
    message = problem(tmp_path, '[crpyto]\nsymbols = []\n[exchanges.binanse]\nurl = "wss://x"\n')
    assert "key 'crpyto': unknown section. Did you mean 'crypto'?" in message
    assert ":3: key 'exchanges.binanse': unknown exchange. Did you mean 'binance'?" in message


def test_wrong_types_say_what_was_expected(tmp_path: Path) -> None:
    message = problem(tmp_path, '[crypto]\nsymbols = "BTC-USD"\n[general]\nascii = "yes"\n')
    assert "key 'crypto.symbols': expected a list of strings, got 'BTC-USD' (a string)" in message
    assert "key 'general.ascii': expected true or false, got 'yes' (a string)" in message


def test_values_are_checked_beyond_their_type(tmp_path: Path) -> None:
    message = problem(
        tmp_path,
        '[crypto]\nsymbols = ["BTCUSD"]\nexchanges = ["binanse"]\nchannel = "book"\n'
        "[general]\nrefresh_hz = 100.0\n"
        '[exchanges.okx]\nurl = "ftp://x"\n',
    )
    assert "crypto.symbols" in message
    assert "BASE-QUOTE" in message
    assert "unknown exchange 'binanse'. Did you mean 'binance'?" in message
    assert "crypto.channel" in message
    assert "general.refresh_hz': must be between 0.2 and 20" in message
    assert "exchanges.okx.url': must start with ws://" in message


def test_a_key_bound_twice_is_refused(tmp_path: Path) -> None:
    message = problem(tmp_path, '[keys]\nhelp = "q"\n')
    assert "key 'q' is already bound" in message


def test_unknown_binding_suggests_the_nearest(tmp_path: Path) -> None:
    message = problem(tmp_path, '[keys]\nquti = "x"\n')
    assert "unknown binding id. Did you mean 'quit'?" in message


def test_secrets_are_never_printed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COINGECKO_API_KEY", "sekrit-value-123")
    lines = "\n".join(cfg.describe(Config()))
    assert "sekrit" not in lines
    assert "coingecko: API key from $COINGECKO_API_KEY (set)" in lines


def test_example_documents_the_analytics_defaults_it_shows() -> None:
    """The commented-out gauge and breakout defaults in the example are the real ones."""
    import dataclasses
    import re

    from r2kmon.analytics.breakout import BoardSettings, BreakoutSettings
    from r2kmon.analytics.gauge import DEFAULT_WEIGHTS

    text = cfg.example_text()

    def shown(section: str) -> dict[str, float]:
        block = text.split(f"\n[{section}]", 1)[1].split("\n\n", 1)[0]
        return {
            m.group(1): float(m.group(2))
            for m in re.finditer(r"^# (\w+) = ([0-9.]+)", block, re.MULTILINE)
        }

    assert shown("gauge.weights") == dict(DEFAULT_WEIGHTS)
    names = [f.name for f in dataclasses.fields(BreakoutSettings)]
    board = BoardSettings()
    assert shown("breakout") == {n: getattr(board.default, n) for n in names}
    assert shown("breakout.crypto") == {n: getattr(board.crypto, n) for n in names}


def test_gauge_and_breakout_overrides_reach_the_analytics(tmp_path: Path) -> None:
    from r2kmon.runtime.analysis import analytics_settings

    config = load_config(
        write(
            tmp_path,
            "[gauge]\nrisk_on_above = 70\n[gauge.weights]\nfear_greed = 0\nbreakout = 3\n"
            "[breakout]\nband_pct = 2.5\n[breakout.crypto]\nconfirm_closes = 5\n"
            '[breakout.symbols."^RUT"]\nbuffer_pct = 0.5\n',
        )
    )
    settings = analytics_settings(["BTC-USD", "^RUT", "IWM"], config.gauge, config.breakout)
    assert settings.gauge.risk_on_above == 70.0
    assert settings.gauge.risk_off_below == 40.0  # untouched
    assert settings.gauge.weights["fear_greed"] == 0.0
    assert settings.gauge.weights["breakout"] == 3.0
    assert settings.gauge.weights["vix_level"] == 1.0  # untouched
    assert settings.board.default.band_pct == 2.5
    assert settings.board.crypto.confirm_closes == 5
    assert settings.board.crypto.band_pct == 8.0  # crypto keeps its own defaults
    rut = settings.board.for_symbol("^RUT")
    assert (rut.buffer_pct, rut.band_pct) == (0.5, 2.5)  # on top of the markets group
    assert settings.board.for_symbol("IWM").buffer_pct == 0.0


def test_bad_gauge_and_breakout_settings_are_named(tmp_path: Path) -> None:
    message = problem(
        tmp_path,
        "[gauge]\nrisk_on_above = 10\n[gauge.weights]\nfear_gread = 1\n"
        "[breakout]\nconfirm_closes = 2.5\nband = 3\n[breakout.crypto]\nband_pct = -1\n",
    )
    assert "key 'gauge.weights.fear_gread': unknown setting. Did you mean 'fear_greed'?" in message
    assert "need 0 <= risk_off_below <= risk_on_above <= 100" in message
    assert "confirm_closes must be a whole number, not 2.5" in message
    assert "key 'breakout.band': unknown setting. Did you mean 'band_pct'?" in message
    assert "key 'breakout.crypto': band, buffer and confirm percentages must not be negative" in (
        message
    )


def test_a_clock_skew_that_would_refuse_every_tick_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"crypto.max_clock_skew_s.*between 1 and 86400"):
        parse_config("[crypto]\nmax_clock_skew_s = 0\n", tmp_path / "c.toml")


def test_an_unknown_theme_is_named_with_the_nearest_and_every_theme(tmp_path: Path) -> None:
    message = problem(tmp_path, '[general]\nrefresh_hz = 4\ntheme = "dracla"\n')
    assert f"{tmp_path / 'r2kmon.toml'}:3: key 'general.theme': unknown theme 'dracla' " in message
    assert "(did you mean 'dracula'?); the themes are textual-dark, textual-light, nord" in message
    assert message.rstrip(".").endswith(", ".join(THEMES))
    far = problem(tmp_path, '[general]\ntheme = "zzz"\n')
    assert "unknown theme 'zzz'; the themes are textual-dark," in far
