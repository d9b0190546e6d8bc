"""CPU per MinIO event in the gateway: `POST /events` through Flask against the plain WSGI
route in front of it (`gateway.http.events_wsgi`), side by side in one process.

    python -m bench.gateway_events [--events 2000] [--rounds 4]

The gateway is the real app on a real SQLite ledger, with one service (`grayify`) that takes
every event, so each one is authorised, parsed, routed and inserted as a job; OpenFaaS,
faas-cli and MinIO are the unit tests' in-memory stand-ins (no event here reaches them). The
Flask path is `Flask.wsgi_app` itself, which the app's own middleware wraps; rounds alternate.
It prints the medians of the process's CPU per event; no stack, no lock needed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.test import EnvironBuilder

from gateway.assembly import assemble
from tests.support.events import minio_event, minio_record
from tests.unit.gateway.test_service_api import (
    ADMIN,
    SERVICE,
    FakeFaasCli,
    FakeOpenFaaS,
    FakeStorage,
    gateway_config,
)

WEBHOOK = {"Authorization": "Bearer webhook-token", "Content-Type": "application/json"}
Wsgi = Callable[[dict[str, Any], Any], Any]


def per_event(call: Wsgi, first: int, count: int) -> float:
    """CPU seconds per event for `count` new events (the environ built beforehand)."""
    environs = [
        EnvironBuilder(
            path="/events",
            method="POST",
            data=minio_event(minio_record("grayify", f"in/{first + n:07d}.png")),
            headers=list(WEBHOOK.items()),
        ).get_environ()
        for n in range(count)
    ]
    statuses: list[str] = []
    began = time.process_time()
    for environ in environs:
        b"".join(call(environ, lambda status, headers, exc=None: statuses.append(status)))
    spent = time.process_time() - began
    if any(not s.startswith("200") for s in statuses):
        raise SystemExit(f"an event was refused: {[s for s in statuses if s[:3] != '200'][:3]}")
    return spent / count


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.gateway_events")
    parser.add_argument("--events", type=int, default=2000, help="events per way and round")
    parser.add_argument("--rounds", type=int, default=4, help="alternating rounds (4)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="oscar-bench-") as tmp:
        openfaas = FakeOpenFaaS()
        parts = assemble(
            gateway_config(Path(tmp)), openfaas=openfaas, storage=FakeStorage(),
            faas_cli=FakeFaasCli(openfaas),
        )  # fmt: skip
        try:
            app = parts.app
            created = app.test_client().post("/system/services", json=SERVICE, headers=ADMIN)
            if created.status_code != 201:
                raise SystemExit(f"the service was not created: {created.get_data()!r}")
            ways: dict[str, Wsgi] = {
                "through Flask": lambda env, sr: Flask.wsgi_app(app, env, sr),
                "plain WSGI (events_wsgi)": app.wsgi_app,
            }
            spent: dict[str, list[float]] = {way: [] for way in ways}
            first = 0
            for round_ in range(args.rounds + 1):  # round 0 warms both
                order = list(ways) if round_ % 2 else list(reversed(ways))
                for way in order:
                    value = per_event(ways[way], first, args.events)
                    first += args.events
                    if round_:
                        spent[way].append(value)
        finally:
            parts.ledger.close()
    flask = statistics.median(spent["through Flask"])
    for way, values in spent.items():
        median = statistics.median(values)
        print(f"{way}: {median * 1000:.3f} ms of CPU per event ({median / flask:.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
