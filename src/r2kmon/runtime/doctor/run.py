"""Running the checks, all at once, each bounded in time; the probe's findings folded into
the client's verdict where it says more; the fix and the clock note added; and the
``r2kmon doctor`` command around it."""

from __future__ import annotations

import asyncio
import json
import logging
import time

from r2kmon.config import Config
from r2kmon.model import clean_text
from r2kmon.net import NetworkPolicy
from r2kmon.net.failure import (
    DNS,
    TIMEOUT,
)
from r2kmon.redact import redact
from r2kmon.runtime.doctor.advice import fix_for
from r2kmon.runtime.doctor.check import (
    DEFAULT_TIMEOUT,
    NETWORK_FAULTS,
    PROBE_STEPS,
    SKEW_NOTE_S,
    Check,
    Report,
)
from r2kmon.runtime.doctor.plan import Target, plan
from r2kmon.runtime.doctor.probe import run_probe
from r2kmon.runtime.doctor.report import document, render
from r2kmon.sources.equity_check import PathResult, check_paths, verdict

log = logging.getLogger(__name__)


async def run_target(target: Target, policy: NetworkPolicy, timeout: float) -> Check:
    check = target.check
    probe = asyncio.create_task(run_probe(check, policy, timeout))
    try:
        # Every phase has its own timeout; this only guards against one that has none.
        async with asyncio.timeout(2 * timeout + 1.0):
            await target.run(policy, timeout)
    except TimeoutError:
        pending = [
            name
            for name, step in check.steps.items()
            if step.status == "skipped" and name not in PROBE_STEPS
        ]
        check.failed(pending[0] if pending else "data", f"no result within {2 * timeout + 1:g} s")
    except Exception as exc:  # a bug in one check must not hide the others' results
        log.exception("doctor: checking %s failed", check.name)
        check.error = clean_text(f"internal error: {type(exc).__name__}: {exc}")
    finally:
        await probe
    found = check.probe_failure
    if not check.works and found is not None and found.fault is not None:
        # The probe can say better what the client saw: where its time ran out (a
        # resolver that does not answer), or that the socket it could not open was the
        # proxy's (the client names the host it was asking the proxy for).
        hidden = check.fault in (None, TIMEOUT) and found.fault != check.fault
        proxied = check.proxy is not None and check.fault in NETWORK_FAULTS | {DNS}
        if check.http_status is None and (hidden or proxied):
            if proxied:
                for step in check.steps.values():
                    if step.name not in PROBE_STEPS and step.detail == check.error:
                        step.detail = found.reason
            check.error, check.fault = found.reason, found.fault
    for unreached in check.steps.values():
        if unreached.status == "skipped" and not unreached.detail:
            unreached.detail = "not reached"
    return check


async def run_doctor(config: Config, *, timeout: float = DEFAULT_TIMEOUT) -> Report:
    """Check every endpoint ``config`` enables, all at once."""
    policy = config.network.policy()
    targets, unused = plan(config)
    equity = asyncio.create_task(_equity_paths(config, policy, timeout))
    checks = list(await asyncio.gather(*(run_target(t, policy, timeout) for t in targets)))
    report = Report(
        checks,
        unused,
        timeout,
        policy.trust(),
        str(config.source) if config.source is not None else None,
        time.time(),
        equity=await equity,
    )
    report.equity_fix = verdict(report.equity)
    no_dns = bool(checks) and all(check.fault == DNS for check in checks)
    for check in checks:
        if not check.works:
            check.fix = fix_for(check, no_dns=no_dns)
    skewed = [c for c in checks if c.skew_s is not None and abs(c.skew_s) >= SKEW_NOTE_S]
    if skewed:
        worst = max(skewed, key=lambda c: abs(c.skew_s or 0))
        skew = worst.skew_s or 0
        side = "behind" if skew > 0 else "ahead of"
        report.notes.append(
            f"clock: this machine is {abs(skew)} s {side} {worst.host} (its Date header): "
            "ages and staleness are off by as much; sync the clock (NTP)"
        )
    return report


async def _equity_paths(config: Config, policy: NetworkPolicy, timeout: float) -> list[PathResult]:
    """Every path to the Russell 2000 the config has (none without market symbols)."""
    from r2kmon.sources.poller import new_client, settings_from_endpoints

    if not config.markets.symbols:
        return []
    providers = settings_from_endpoints(config.providers, config.markets.symbols).providers
    try:
        async with new_client(network=policy) as client:
            return await check_paths(providers, client, policy, timeout=timeout)
    except Exception:  # a bug here must not hide the endpoints' results
        log.exception("doctor: checking the paths to the Russell 2000 failed")
        return []


def run_command(config: Config, *, demo: bool, as_json: bool, timeout: float) -> int:
    """``r2kmon doctor``: print the report; 0 when every enabled endpoint works, else 1.

    With ``--demo`` nothing is checked (the demo opens no connection) and the answer is 0.
    """
    if demo:
        report = Report([], [], timeout, "", None, time.time(), simulated=True)
    else:
        report = asyncio.run(run_doctor(config, timeout=timeout))
    if as_json:
        # An endpoint that echoes a configured key in its error shows it masked.
        print(redact(json.dumps(document(report), indent=2)))
    else:
        print(redact(render(report)), end="")
    return 0 if report.ok else 1
