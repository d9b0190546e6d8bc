"""`python -m bench.relay_clients`: what one relayed call costs the relaying process in each HTTP
client, on the same kept-alive connection to our streaming server (no lock needed: one process).

A relay hop (the gateway to OpenFaaS, the provider to a replica) sends a 1 KiB POST and streams
back a small answer. Each client makes the same calls in turn, rounds alternating; what counts
is the CPU of the calling thread per call (`time.thread_time`), beside the wall time.
urllib3's PoolManager is what the relays used before `wsgi_relay.upstream`.
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import urllib3

from bench.platform_stack import machine
from bench.report_file import write_section
from tests.support.tools import ROOT
from wsgi_relay.server import Limits, StreamingServer
from wsgi_relay.upstream import Timeouts, Upstreams

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

REPORT = ROOT / "docs" / "BENCHMARKS.md"
BODY = b"x" * 1024


def echo_size(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    answer = b"%d\n" % len(environ["wsgi.input"].read())
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(answer)))])
    return [answer]


def clients(port: int) -> dict[str, Callable[[], None]]:
    base = f"http://127.0.0.1:{port}"
    pool = urllib3.PoolManager(num_pools=4, maxsize=64, retries=False)
    timeout = urllib3.Timeout(connect=5.0, read=300.0)
    upstreams = Upstreams(timeouts=Timeouts(connect=5.0, read=300.0))
    plain = http.client.HTTPConnection("127.0.0.1", port)
    sized = {"Content-Length": str(len(BODY))}

    def urllib3_pool_manager() -> None:
        answer = pool.urlopen(
            "POST", f"{base}/", body=BODY, headers=sized, preload_content=False,
            decode_content=False, redirect=False, timeout=timeout,
        )  # fmt: skip
        b"".join(answer.stream(1 << 16, decode_content=False))
        answer.release_conn()

    def wsgi_relay_upstream() -> None:
        answer = upstreams.send("POST", base, "/", headers=sized, body=BODY)
        answer.read()
        answer.release()

    def bare_http_client() -> None:
        plain.request("POST", "/", body=BODY, headers=sized)
        plain.getresponse().read()

    return {
        "urllib3 PoolManager (before)": urllib3_pool_manager,
        "wsgi_relay.upstream (now)": wsgi_relay_upstream,
        "http.client alone, one connection": bare_http_client,
    }


def measure(calls: int, rounds: int) -> dict[str, tuple[list[float], list[float]]]:
    server = StreamingServer(
        echo_size, host="127.0.0.1", port=0, ident="bench", limits=Limits(threads=4, io_seconds=30)
    )
    threading.Thread(target=server.run, daemon=True).start()
    try:
        made = clients(server.port)
        seen: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in made}
        for _ in range(rounds):
            for name, call in made.items():
                for _ in range(50):
                    call()
                cpu, wall = time.thread_time(), time.perf_counter()
                for _ in range(calls):
                    call()
                seen[name][0].append((time.thread_time() - cpu) / calls * 1e6)
                seen[name][1].append((time.perf_counter() - wall) / calls * 1e6)
        return seen
    finally:
        server.close()


def render(seen: dict[str, tuple[list[float], list[float]]], *, command: str) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    first = statistics.median(next(iter(seen.values()))[0])
    lines = [
        "## Relay clients: one relayed call's CPU in the relaying process",
        "",
        f"`{command}` on {when}; {machine()}. A 1 KiB POST and a small answer on a kept-alive"
        " connection to our streaming server, each client in turn, rounds alternating.",
        "",
        "| client | CPU per call, median (rounds) | vs before | wall per call, median |",
        "|---|---:|---:|---:|",
    ]
    for name, (cpu, wall) in seen.items():
        rounds = ", ".join(f"{c:.0f}" for c in cpu)
        lines.append(
            f"| {name} | {statistics.median(cpu):.0f} us ({rounds}) |"
            f" {statistics.median(cpu) / first:.2f}x | {statistics.median(wall):.0f} us |"
        )
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.relay_clients")
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    command = " ".join(["python -m bench.relay_clients", *(argv or sys.argv[1:])])
    section = render(measure(args.calls, args.rounds), command=command)
    print(section)
    write_section(REPORT, section, name="relay-clients")
    return 0


if __name__ == "__main__":
    sys.exit(main())
