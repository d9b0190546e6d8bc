"""`python -m bench.gateway_callbacks`: the gateway's CPU per job's callback,
`POST /callbacks/<job>` through Flask (the route before) beside the plain WSGI route in front of
it (`gateway.http.callbacks_wsgi`), side by side in one process.

The gateway is the real app on a real SQLite ledger; each callback is a success with one output
for a job claimed beforehand, signed as the dispatcher signs it, so each one is authorised,
read, settled in the ledger and answered. OpenFaaS, faas-cli and MinIO are the unit tests'
in-memory stand-ins (no callback reaches them). The Flask path is `Flask.wsgi_app` itself, which
the app's own middleware wraps; rounds alternate; what counts is the calling thread's CPU per
callback (`time.thread_time`), the environs built beforehand. No stack, no lock needed.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from werkzeug.test import EnvironBuilder

from bench.cpu_table import rows
from bench.platform_stack import machine
from bench.report_file import write_section
from gateway.assembly import Parts, assemble
from gateway.jobs.model import NewJob
from tests.support.tools import ROOT
from tests.unit.gateway.test_service_api import (
    FakeFaasCli,
    FakeOpenFaaS,
    FakeStorage,
    gateway_config,
)

REPORT = ROOT / "docs" / "BENCHMARKS.md"
DONE = {"X-Function-Status": "200", "X-Duration-Seconds": "0.25", "X-Function-Name": "svc"}
OUTPUTS = json.dumps({"results": [{"outputs": ["out/a.png"], "log_tail": "ok"}]}).encode()
Wsgi = Callable[[dict[str, Any], Any], Any]


def environs(parts: Parts, first: int, count: int) -> list[dict[str, Any]]:
    """A signed success callback for each of `count` new jobs, each claimed (running)."""
    parts.ledger.add(
        [NewJob("svc", "b", f"in/{first + n:07d}", f"e{first + n}", "{}", 3, 100.0)
         for n in range(count)]
    )  # fmt: skip
    batches = parts.ledger.claim_batches("svc", size=1, now=101.0, timeout=3600, concurrency=count)
    found = []
    for batch in batches:
        url = urlsplit(parts.dispatcher.callback_url(batch))
        found.append(
            EnvironBuilder(
                path=url.path, query_string=url.query, method="POST", data=OUTPUTS,
                headers=list(DONE.items()),
            ).get_environ()
        )  # fmt: skip
    if len(found) != count:
        raise SystemExit(f"claimed {len(found)} jobs, not {count}")
    return found


def per_callback(call: Wsgi, prepared: list[dict[str, Any]]) -> tuple[float, float]:
    """CPU and wall microseconds per callback."""
    statuses: list[str] = []
    cpu, wall = time.thread_time(), time.perf_counter()
    for environ in prepared:
        b"".join(call(environ, lambda status, headers, exc=None: statuses.append(status)))
    spent = ((time.thread_time() - cpu) / len(prepared) * 1e6,
             (time.perf_counter() - wall) / len(prepared) * 1e6)  # fmt: skip
    if any(not s.startswith("200") for s in statuses):
        raise SystemExit(f"a callback was refused: {[s for s in statuses if s[:3] != '200'][:3]}")
    return spent


def measure(count: int, rounds: int) -> dict[str, list[tuple[float, float]]]:
    with tempfile.TemporaryDirectory(prefix="oscar-bench-") as tmp:
        openfaas = FakeOpenFaaS()
        parts = assemble(
            gateway_config(Path(tmp)), openfaas=openfaas, storage=FakeStorage(),
            faas_cli=FakeFaasCli(openfaas),
        )  # fmt: skip
        try:
            app = parts.app
            ways: dict[str, Wsgi] = {
                "through Flask (before)": lambda env, sr: Flask.wsgi_app(app, env, sr),
                "plain WSGI, callbacks_wsgi (now)": app.wsgi_app,
            }
            seen: dict[str, list[tuple[float, float]]] = {way: [] for way in ways}
            first = 0
            for round_ in range(rounds + 1):  # round 0 warms both
                order = list(ways) if round_ % 2 else list(reversed(ways))
                for way in order:
                    prepared = environs(parts, first, count)
                    first += count
                    spent = per_callback(ways[way], prepared)
                    if round_:
                        seen[way].append(spent)
            return seen
        finally:
            parts.ledger.close()


def render(seen: dict[str, list[tuple[float, float]]], *, command: str) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "## A job's callback: the gateway's CPU per callback, Flask beside plain WSGI",
        "",
        f"`{command}` on {when}; {machine()}. In-process WSGI calls into the real app on a"
        " SQLite ledger: each a signed success for a running job, settled and answered; each"
        " way in turn, rounds alternating; the calling thread's CPU per callback.",
        "",
        "| route | CPU per callback, median (rounds) | vs Flask | wall per callback, median |",
        "|---|---:|---:|---:|",
    ]
    lines += rows(seen)
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.gateway_callbacks", description=__doc__)
    parser.add_argument("--callbacks", type=int, default=1000, help="per way and round")
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args(argv)
    command = " ".join(["python -m bench.gateway_callbacks", *(argv or sys.argv[1:])])
    section = render(measure(args.callbacks, args.rounds), command=command)
    print(section)
    write_section(REPORT, section, name="gateway-callbacks")
    return 0


if __name__ == "__main__":
    sys.exit(main())
