"""The long fuzzing run: every Hypothesis fuzz test of the wire parsers and the config
loader, with the ``long`` profile of ``tests/conftest.py`` (20,000 examples per test
instead of CI's 200).

    python bench/fuzz.py              # from the repository root
    python bench/fuzz.py -x -k okx    # extra arguments go to pytest

Tests that fix their own ``max_examples`` keep it (the profile sets only the default).
A failure prints the shrunk example and a ``@reproduce_failure`` blob to replay it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

FUZZ_TESTS = (
    "tests/feeds/test_feed_fuzz_wire.py",
    "tests/feeds/test_feed_adapters.py",
    "tests/feeds/test_feed_binance_fast.py",
    "tests/feeds/test_feed_breadth.py",
    "tests/feeds/test_wire_rules_numbers.py",
    "tests/sources/test_src_fuzz.py",
    "tests/sources/test_src_fuzz_wire.py",
    "tests/core/test_config_fuzz.py",
)
"""The files with fuzz tests of a parser (the adapters, the Binance fast path, breadth,
every provider and REST candle parser, the config loader)."""


def main(argv: list[str]) -> int:
    env = {**os.environ, "HYPOTHESIS_PROFILE": os.environ.get("HYPOTHESIS_PROFILE", "long")}
    command = [
        sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
        "--timeout", "0", "--hypothesis-show-statistics", *FUZZ_TESTS, *argv,
    ]  # fmt: skip
    print("HYPOTHESIS_PROFILE=" + env["HYPOTHESIS_PROFILE"], " ".join(command[1:]), flush=True)
    return subprocess.call(command, cwd=ROOT, env=env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
