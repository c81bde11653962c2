"""Fuzzing the config loader: whatever a file holds, ``load_config`` gives a ``Config`` or
raises one ``ConfigError`` — never a ``TypeError`` from deep inside, never a traceback.

Three kinds of input, from the least to the most structured: arbitrary bytes (a wrong
file, a binary, UTF-16), TOML-shaped text built from the config's own section and key
names with values of every TOML type (so the checks behind the parser are reached, not
just ``tomllib``'s refusal), and the shipped example with one value replaced or some bytes
spliced in (the likeliest real mistakes). Example counts come from the Hypothesis profile
(``tests/conftest.py``: ``ci`` by default, ``long`` for ``bench/fuzz.py``).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from r2kmon.config import (
    _SECTIONS,
    _TOP_LEVEL,
    DEFAULT_EXCHANGES,
    DEFAULT_PROVIDERS,
    Config,
    example_text,
    load_config,
)
from r2kmon.errors import ConfigError

KEYS = sorted(
    {f.name for cls in _SECTIONS.values() for f in dataclasses.fields(cls)}
    | {"url", "rest_url", "enabled", "api_key_env", "symbol", "above", "below", "quantity"}
    | {"cost", "state", "rearm", "note", "change_above", "weights", "band_pct", "quit"}
)
"""Every key the loader knows, and a few it checks in nested tables."""
SECTIONS = sorted(
    {*_TOP_LEVEL, "gauge.weights", "breakout.crypto", 'breakout.symbols."^RUT"'}
    | {f"exchanges.{n}" for n in DEFAULT_EXCHANGES}
    | {f"providers.{n}" for n in DEFAULT_PROVIDERS}
    | {"exchanges.nope", "general.deeper"}
)

_string = st.text(max_size=12).map(
    lambda s: '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'
) | st.sampled_from(['"BTC-USD"', '"^RUT"', '"binance"', '"ticker"', '""', "'x\\y'"])
_scalar = st.one_of(
    _string,
    st.integers(-(10**20), 10**20).map(str),
    st.floats(allow_nan=True).map(lambda f: str(f).replace("inf", "inf")),
    st.sampled_from(["true", "false", "inf", "-inf", "nan", "1979-05-27", "07:32:00"]),
    st.sampled_from(["1_000", "0x1F", "1e999", "-0.0", "1979-05-27T07:32:00Z"]),
)
toml_values = st.recursive(
    _scalar,
    lambda inner: (
        st.lists(inner, max_size=4).map(lambda xs: "[" + ", ".join(xs) + "]")
        | st.lists(st.tuples(st.sampled_from(KEYS), inner), max_size=3).map(
            lambda kv: "{" + ", ".join(f"{k} = {v}" for k, v in dict(kv).items()) + "}"
        )
    ),
    max_leaves=8,
)


@st.composite
def toml_documents(draw: st.DrawFn) -> str:
    """A TOML-shaped document of the config's sections and keys (sometimes invalid TOML:
    a key twice, a table twice — the loader must refuse those in words too)."""
    lines: list[str] = []
    for _ in range(draw(st.integers(0, 4))):
        section = draw(st.sampled_from(SECTIONS) | st.text(max_size=6))
        array = draw(st.booleans()) and section in ("alerts", "holdings")
        lines.append(f"[[{section}]]" if array else f"[{section}]")
        for _ in range(draw(st.integers(0, 4))):
            key = draw(st.sampled_from(KEYS) | st.text(min_size=1, max_size=6))
            lines.append(f"{key} = {draw(toml_values)}")
    return "\n".join(lines) + "\n"


@st.composite
def mutated_examples(draw: st.DrawFn) -> bytes:
    """The shipped example with one value replaced or a few bytes spliced in."""
    text = example_text()
    lines = text.splitlines()
    valued = [i for i, line in enumerate(lines) if " = " in line and not line.startswith("#")]
    i = draw(st.sampled_from(valued))
    key = lines[i].split(" = ", 1)[0]
    lines[i] = f"{key} = {draw(toml_values)}"
    data = ("\n".join(lines) + "\n").encode()
    if draw(st.booleans()):
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(max_size=8)) + data[at:]
    return data


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One directory for all examples (each overwrites the one file): a function-scoped
    ``tmp_path`` would be shared by the examples anyway."""
    return tmp_path_factory.mktemp("config-fuzz")


def load(directory: Path, data: bytes) -> None:
    path = directory / "fuzz.toml"
    path.write_bytes(data)
    try:
        config = load_config(path)
    except ConfigError as exc:
        message = str(exc)
        assert message
        # Control characters from the file are shown escaped, never sent to the terminal.
        assert not any(ord(c) < 32 and c not in "\n\t" for c in message), message
        return
    assert isinstance(config, Config)


@given(data=st.binary(max_size=400))
@example(data=b"\xff\xfe[\x00g\x00e\x00n\x00")  # UTF-16 with a BOM
@example(data=b"[general]\nrefresh_hz = 4.0\x00")
@example(data=b"a = " + b"[" * 5000)
@example(data=b"a = " + b"{b = " * 3000)
def test_arbitrary_bytes_give_a_config_or_one_config_error(fuzz_dir: Path, data: bytes) -> None:
    load(fuzz_dir, data)


@given(text=toml_documents())
@example(text='[crypto]\nsymbols = ["BTC-USD", 1]\n')
@example(text="[general]\nstale_after_s = nan\n")
@example(text="[general]\nrefresh_hz = inf\n")
@example(text='[[alerts]]\nsymbol = "BTC-USD"\nabove = 1e999\n')
@example(text="[[holdings]]\nquantity = -0.0\n")
def test_toml_shaped_text_gives_a_config_or_one_config_error(fuzz_dir: Path, text: str) -> None:
    load(fuzz_dir, text.encode())


@given(data=mutated_examples())
def test_the_example_with_a_value_replaced_gives_a_config_or_one_config_error(
    fuzz_dir: Path, data: bytes
) -> None:
    load(fuzz_dir, data)
