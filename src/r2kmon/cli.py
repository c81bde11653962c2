"""The command line: ``r2kmon`` (the app), ``snapshot``, ``doctor``, ``config path|check|example``.

``--demo`` and ``--config`` are accepted before or after the command. Errors a person can
fix (a bad config, a missing file) print one clear message and exit with code 2; nothing
here prints a traceback for them. The Textual app is imported only by the command that
starts it, so ``snapshot`` and ``config`` stay light and headless.

Why over 400 lines: every command's arguments and its few lines of wiring sit together,
so the file reads like ``r2kmon --help``; what each command does lives in the runtime.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Awaitable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from r2kmon import __version__, paths
from r2kmon.config import Config, describe, example_text, find_config_file, load_config
from r2kmon.errors import R2kError, StartupError
from r2kmon.logsetup import configure_logging
from r2kmon.redact import redact

if TYPE_CHECKING:
    from r2kmon.hub import Hub
    from r2kmon.runtime import Runtime
    from r2kmon.store import Store

log = logging.getLogger(__name__)


class _Stopped(Exception):
    """SIGTERM or SIGHUP stopped a headless command (after its cleanup)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


async def _stoppable(work: Awaitable[int]) -> int:
    """Run ``work``; SIGTERM or SIGHUP cancel it as its own end would (the runtime's
    tasks cancelled and awaited: the store's final save, the websockets closed), then
    raise :class:`_Stopped`. The handlers are the loop's: they run as a loop callback,
    never in the middle of a save, and a second signal finds the cancel already made."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None
    received: list[int] = []

    def stop(signum: int) -> None:
        if not received:
            received.append(signum)
            task.cancel()

    # Signals reach only the main thread: a caller running the command in another thread
    # (an embedding program, a test) keeps its own handling.
    main_thread = threading.current_thread() is threading.main_thread()
    hooked = (signal.SIGTERM, signal.SIGHUP) if main_thread else ()
    for signum in hooked:
        loop.add_signal_handler(signum, stop, signum)
    try:
        return await work
    except asyncio.CancelledError:
        if received:
            raise _Stopped(received[0]) from None
        raise
    finally:
        for signum in hooked:
            loop.remove_signal_handler(signum)


def _common() -> argparse.ArgumentParser:
    """Options every command takes. SUPPRESS keeps a subcommand from resetting a value
    given before it (``r2kmon --demo snapshot``)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--demo",
        action="store_true",
        default=argparse.SUPPRESS,
        help="simulated data, no network (shown as SIMULATED)",
    )
    common.add_argument(
        "--config",
        type=Path,
        metavar="PATH",
        default=argparse.SUPPRESS,
        help="config file (else $R2KMON_CONFIG, else the user config file)",
    )
    return common


def _positive(text: str) -> float:
    """A ``--timeout``: zero or less would fail every check before it starts."""
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, not {text}")
    return value


def _since(text: str) -> float:
    """A ``--since`` date or time (ISO-8601; UTC unless it says otherwise) as epoch seconds."""
    from datetime import datetime, timezone

    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date, as 2026-11-17, not {text!r}") from None
    return (when if when.tzinfo else when.replace(tzinfo=timezone.utc)).timestamp()


def build_parser() -> argparse.ArgumentParser:
    common = _common()
    parser = argparse.ArgumentParser(
        prog="r2kmon",
        description="Is risk appetite turning on, and is it reaching crypto?",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"r2kmon {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("run", parents=[common], help="the terminal app (the default)")
    snap = commands.add_parser(
        "snapshot", parents=[common], help="fetch once, print the state and exit"
    )
    snap.add_argument(
        "--format",
        choices=["text", "json", "prometheus"],
        default=None,
        help="text (the default), json (the documented document) or prometheus (text "
        "exposition, for node_exporter's textfile collector)",
    )
    snap.add_argument(
        "--json", action="store_true", help="print the JSON document (= --format json)"
    )
    snap.add_argument(
        "--output",
        type=Path,
        metavar="FILE",
        default=None,
        help="write to FILE instead of stdout, replaced whole (a reader never sees half)",
    )
    snap.add_argument(
        "--wait",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="longest wait for every source to answer (default 10)",
    )
    doctor = commands.add_parser(
        "doctor",
        parents=[common],
        help="check every enabled exchange and provider the way the app uses it",
    )
    doctor.add_argument("--json", action="store_true", help="print the JSON document")
    doctor.add_argument(
        "--timeout",
        type=_positive,
        default=5.0,  # doctor.DEFAULT_TIMEOUT; not imported here: it loads the clients
        metavar="SECONDS",
        help="time allowed per phase of each check (default 5)",
    )
    status = commands.add_parser(
        "status-line",
        parents=[common],
        help="one line for a tmux status bar, from the running app's status file",
    )
    status.add_argument(
        "--symbols",
        default="^RUT,BTC-USD",
        metavar="LIST",
        help="comma-separated symbols to show after the gauge (default ^RUT,BTC-USD)",
    )
    status.add_argument(
        "--tmux", action="store_true", help="colour the parts with tmux #[fg=...] codes"
    )
    commands.add_parser(
        "watch",
        parents=[common],
        help="headless: the pipeline and the alert rules, one JSON line per alert and signal",
    )
    journal = commands.add_parser(
        "journal", parents=[common], help="the signal journal kept in the store"
    )
    journal.add_argument(
        "--since",
        type=_since,
        metavar="DATE",
        default=None,
        help="from this date or time on (UTC unless it says otherwise)",
    )
    journal.add_argument("--symbol", metavar="S", default=None, help="only this symbol")
    journal.add_argument("--format", choices=["text", "json", "csv"], default="text")
    config = commands.add_parser("config", parents=[common], help="config file tools")
    config.add_argument(
        "action",
        choices=["path", "check", "example"],
        help="path: where files are; check: validate; example: print a documented config",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``r2kmon`` console script; returns the exit code."""
    args = build_parser().parse_args(argv)
    demo: bool = getattr(args, "demo", False)
    config_path: Path | None = getattr(args, "config", None)
    command: str = args.command or "run"
    try:
        if command == "config":
            return _config_command(args.action, config_path)
        if command == "status-line":
            symbols = [s.strip() for s in args.symbols.split(",") if s.strip()]
            return _status_line(demo, symbols, tmux=args.tmux)
        config = load_config(config_path)
        configure_logging(config.general.log_level)
        if command == "snapshot":
            fmt: str = args.format or ("json" if args.json else "text")
            if args.output is not None and fmt == "text":
                raise StartupError("--output writes --format json or prometheus, not text")
            snapshot = _snapshot(config, demo=demo, wait=args.wait, fmt=fmt, output=args.output)
            return asyncio.run(_stoppable(snapshot))
        if command == "watch":
            from r2kmon.runtime.watch import watch

            return asyncio.run(watch(config, demo=demo, out=sys.stdout))
        if command == "journal":
            return _journal(config, demo, args.since, args.symbol, args.format)
        if command == "doctor":
            from r2kmon.runtime.doctor import run_command

            return run_command(config, demo=demo, as_json=args.json, timeout=args.timeout)
        return _run_app(config, demo=demo)
    except R2kError as exc:
        print(f"r2kmon: {exc.title}: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except _Stopped as stop:
        log.info("stopped by %s", signal.Signals(stop.signum).name)
        return 128 + stop.signum
    except BrokenPipeError:
        # `r2kmon snapshot --json | head`: the reader left; that is not an error of ours.
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keeps the interpreter's flush quiet
        return 0


def _status_line(demo: bool, symbols: list[str], *, tmux: bool = False) -> int:
    """Print the running app's status in one line; no network, no config needed."""
    import time

    from r2kmon.runtime.statusline import read_status, status_file, status_line

    path = status_file(demo)
    document = read_status(path)
    if document is None:
        print(f"r2kmon: no status (is r2kmon{' --demo' if demo else ''} running?)")
        return 1
    print(status_line(document, time.time(), symbols, tmux=tmux))
    return 0


def _config_command(action: str, explicit: Path | None) -> int:
    if action == "example":
        sys.stdout.write(example_text())
        return 0
    path, why = find_config_file(explicit)
    if action == "path":
        print(f"config file: {path if path else paths.user_config_file()} ({why})")
        print(f"log file:    {paths.log_file()}")
        print(f"data dir:    {paths.data_dir()}")
        return 0
    config = load_config(explicit)
    print("\n".join(describe(config)))
    print("config OK")
    return 0


async def _snapshot(
    config: Config, *, demo: bool, wait: float, fmt: str, output: Path | None = None
) -> int:
    from r2kmon.runtime import Runtime
    from r2kmon.runtime.snapshot import build_document

    runtime = Runtime(config, demo=demo)
    deadline = asyncio.get_running_loop().time() + wait
    task = asyncio.create_task(runtime.run())
    try:
        answered = await runtime.wait_answered(wait)
        if not answered:
            log.warning("snapshot: not every source answered within %.1f s", wait)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    # One analytics round on what arrived, so board, gauge and correlation are filled.
    await runtime.analysis.step()
    # The gauge's track record replays in the background: it gets what is left of --wait
    # (the document says null when it did not finish).
    await runtime.analysis.finish_track_record(deadline - asyncio.get_running_loop().time())
    document = build_document(runtime.state(), runtime.clock.now())
    if fmt != "text":
        from r2kmon.runtime.prometheus import render

        # Health is redacted as the hub takes it in; this is the net for any other text.
        shown = render(document) if fmt == "prometheus" else json.dumps(document, indent=2) + "\n"
        text = redact(shown)
        if output is not None:
            _replace_file(output, text)
        else:
            sys.stdout.write(text)
    else:
        from r2kmon.runtime.snapshot_text import snapshot_text

        sys.stdout.write(redact(snapshot_text(document)))
    # What failed, one line per source, on stderr (stdout stays the document).
    for name, record in sorted(document["health"].items()):
        if record["status"] == "down":
            why = redact(record["last_error"] or "no answer")
            print(f"r2kmon: {name} down: {why}", file=sys.stderr)
    # Non-zero only when nothing at all could be fetched, as DESIGN.md promises scripts.
    return 0 if any(q is not None for q in document["quotes"].values()) else 1


def _journal(config: Config, demo: bool, since: float | None, symbol: str | None, fmt: str) -> int:
    """Print the journal kept in the store; no network."""
    from r2kmon.runtime.journal import render
    from r2kmon.store import Store, StoreError

    if demo:
        raise StartupError("the demo keeps no journal (simulated data is never stored)")
    path = Path(config.store.path).expanduser() if config.store.path else paths.store_file()
    if not path.exists():
        print(f"r2kmon: no journal yet ({path} does not exist)", file=sys.stderr)
        return 1
    try:
        store = Store(path)
        try:
            entries = store.journal(since=since, subject=symbol)
        finally:
            store.close()
    except StoreError as exc:
        raise StartupError(str(exc)) from exc
    sys.stdout.write(render(entries, fmt))
    return 0


def _replace_file(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file beside it and a rename, so a
    reader (node_exporter's textfile collector) sees the old file or the new one, never
    half of one."""
    import tempfile

    path = path.expanduser()
    tmp: Path | None = None
    try:
        with tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.", delete=False
        ) as handle:
            tmp = Path(handle.name)
            handle.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
        raise StartupError(f"cannot write {path}: {exc}") from exc


class _Starter:
    """The app's two-step start (:class:`r2kmon.ui.app.Starter`): the stored history on
    a hub first, then the runtime on that hub and store."""

    def __init__(self, config: Config, demo: bool) -> None:
        self.config, self.demo = config, demo
        self._opened: tuple[Hub, Store | None] | None = None

    def open_history(self) -> Hub:
        from r2kmon.runtime import open_history

        self._opened = open_history(self.config, demo=self.demo)
        return self._opened[0]

    def build_runtime(self) -> Runtime:
        # The engine keeping the signal journal as well (r2kmon journal reads it).
        from r2kmon.runtime.recorder import JournalingRuntime
        from r2kmon.runtime.statusline import status_file

        hub, store = self._opened if self._opened is not None else (None, None)
        return JournalingRuntime(
            self.config, demo=self.demo, hub=hub, store=store, status_file=status_file(self.demo)
        )


def _run_app(config: Config, *, demo: bool) -> int:
    if not sys.stdout.isatty():
        raise StartupError("standard output is not a terminal; use 'r2kmon snapshot' in scripts")
    from r2kmon.ui.app import R2kApp

    app = R2kApp(None, config, starter=_Starter(config, demo))
    app.run()
    return app.return_code or 0
