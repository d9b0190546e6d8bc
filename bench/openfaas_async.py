"""`python -m bench.openfaas_async`: what the gateway's async call to OpenFaaS costs the gateway,
through urllib3 (the client before) and through `gateway.clients.openfaas.OpenFaaS` (now).

Every job is one `POST /async-function/<fn>` with its callback URL and call id. This measures the
client only: the server is a tiny HTTP/1.1 one started here in a process of its own on loopback
(it answers 202 and an empty body to every POST, keeping the connection alive as OpenFaaS's
gateway does), not OpenFaaS, so nothing is queued. Both clients send the same call (a 1 KiB
body and the dispatcher's headers) over one kept-alive connection, in turn, rounds alternating;
what counts is the calling thread's CPU per call (`time.thread_time`), beside the wall time.
No stack, no lock needed.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import urllib3

from bench.cpu_table import rows
from bench.platform_stack import machine
from bench.report_file import write_section
from gateway.clients.openfaas import OpenFaaS
from tests.support.tools import ROOT
from wsgi_relay.messages import CHUNK

REPORT = ROOT / "docs" / "BENCHMARKS.md"
BODY = b'{"jobs": [' + b" " * 1000 + b"]}"
CALLBACK = "http://gateway:8000/callbacks/0123456789abcdef?call=0123456789abcdef&sig=" + "s" * 64
EXTRA = {"X-Oscar-Input": "event", "X-Oscar-Job": "0123456789abcdef"}
Call = Callable[[int], int]


class Urllib3Async:
    """The async call as `OpenFaaS` made it before, on urllib3 (its `_call` for a POST)."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._pool = urllib3.PoolManager(num_pools=4, maxsize=64, retries=False, blocksize=CHUNK)

    def invoke_async(self, name: str, body: bytes, *, callback_url: str, call_id: str) -> int:
        answer = self._pool.request(
            "POST",
            f"{self._url}/async-function/{name}",
            body=body,
            headers={"Content-Type": "application/json", "X-Callback-Url": callback_url,
                     "X-Call-Id": call_id, **EXTRA},
            timeout=30.0,
            redirect=False,
        )  # fmt: skip
        answer.data  # noqa: B018 - read, as `_call` did
        return answer.status

    def close(self) -> None:
        self._pool.clear()


def serve() -> None:
    """The bench's server, in its own process: prints its port, answers 202 until killed."""

    class Accepting(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(202)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Accepting)
    print(server.server_address[1], flush=True)
    server.serve_forever()


def measure(count: int, rounds: int) -> dict[str, list[tuple[float, float]]]:
    server = subprocess.Popen(
        [sys.executable, "-m", "bench.openfaas_async", "--serve"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        url = f"http://127.0.0.1:{int(server.stdout.readline())}"
        before, now = Urllib3Async(url), OpenFaaS(url, username="admin", password="pw")
        clients: dict[str, Call] = {
            "urllib3 (before)": lambda n: before.invoke_async(
                "grey", BODY, callback_url=CALLBACK, call_id=f"call-{n}"
            ),
            "wsgi_relay.upstream (now)": lambda n: now.invoke_async(
                "grey", BODY, callback_url=CALLBACK, call_id=f"call-{n}", headers=EXTRA
            ),
        }
        seen: dict[str, list[tuple[float, float]]] = {name: [] for name in clients}
        for r in range(rounds):
            order = list(clients) if r % 2 == 0 else list(reversed(clients))
            for name in order:
                call = clients[name]
                for n in range(20):
                    call(-1 - n)  # warm-up (and the connection made)
                cpu, wall = time.thread_time(), time.perf_counter()
                statuses = {call(r * count + n) for n in range(count)}
                seen[name].append(
                    ((time.thread_time() - cpu) / count * 1e6,
                     (time.perf_counter() - wall) / count * 1e6)
                )  # fmt: skip
                if statuses != {202}:
                    raise SystemExit(f"{name}: the server answered {sorted(statuses)}, not 202")
        before.close()
        now.close()
        return seen
    finally:
        server.kill()
        server.wait()


def render(seen: dict[str, list[tuple[float, float]]], *, command: str) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "## The async call to OpenFaaS: the gateway's CPU per job, urllib3 beside http.client",
        "",
        f"`{command}` on {when}; {machine()}. One `POST /async-function/<fn>` per job (a 1 KiB"
        " body, the callback URL, the call id) to a tiny local HTTP/1.1 server answering 202"
        " (not OpenFaaS: the client alone is measured), over one kept-alive connection; each"
        " client in turn, rounds alternating; the calling thread's CPU per call.",
        "",
        "| client | CPU per call, median (rounds) | vs urllib3 | wall per call, median |",
        "|---|---:|---:|---:|",
    ]
    lines += rows(seen)
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.openfaas_async", description=__doc__)
    parser.add_argument("--calls", type=int, default=2000, help="calls per client and round")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve()
        return 0
    command = " ".join(["python -m bench.openfaas_async", *(argv or sys.argv[1:])])
    section = render(measure(args.calls, args.rounds), command=command)
    print(section)
    write_section(REPORT, section, name="openfaas-async")
    return 0


if __name__ == "__main__":
    sys.exit(main())
