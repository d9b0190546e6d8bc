"""The WSGI servers we could run our hops on, side by side in one run (issue 10).

    python -m bench.wsgi_servers [--calls 500] [--mb 1024]

Each server runs in a process of its own (`python -m bench.wsgi_servers --serve NAME PORT`)
with the same app: it reads the body in 64 KiB pieces and answers its size, or on `/big` as
many bytes back. Measured per server: small calls (1 KiB in, one keep-alive connection) at
p50 and p95; 1 GiB streamed in and the same streamed back; the server's peak RSS meanwhile
(with its worker processes); and whether `/health` still answers while 50 clients trickle
their headers, and while 50 trickle their bodies. Servers: waitress (our hops before issue 10),
cheroot as `wsgi_relay.server` runs it (our hops now), gunicorn (gthread, one worker), granian
(one worker). It prints its section and rewrites it in docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import psutil

from bench.platform_stack import MIB, machine
from bench.report_file import write_section
from tests.support.tools import ROOT
from tests.support.waiting import free_port, wait_for

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

SERVERS = ("waitress", "cheroot (wsgi_relay.server)", "gunicorn gthread", "granian")
PIECE = 1 << 16


def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    size = 0
    while piece := environ["wsgi.input"].read(PIECE):
        size += len(piece)
    if environ.get("PATH_INFO") == "/big":
        start_response("200 OK", [("Content-Length", str(size))])
        return (b"x" * min(PIECE, size - sent) for sent in range(0, size, PIECE))
    body = str(size).encode()
    start_response("200 OK", [("Content-Length", str(len(body)))])
    return [body]


def serve(name: str, port: int) -> None:
    if name == "waitress":
        import waitress

        waitress.serve(app, host="127.0.0.1", port=port, threads=32, max_request_body_size=1 << 40)
    elif name.startswith("cheroot"):
        from wsgi_relay.server import Limits, StreamingServer

        StreamingServer(
            app,
            host="127.0.0.1",
            port=port,
            ident="bench",
            limits=Limits(threads=32, io_seconds=60),
        ).run()
    elif name.startswith("gunicorn"):
        from gunicorn.app.base import BaseApplication  # type: ignore[import-untyped]

        class Gunicorn(BaseApplication):  # type: ignore[misc]
            def load_config(self) -> None:
                for key, value in {"bind": f"127.0.0.1:{port}", "workers": 1}.items():
                    self.cfg.set(key, value)
                self.cfg.set("worker_class", "gthread")
                self.cfg.set("threads", 32)

            def load(self) -> Callable[..., Any]:
                return app

        Gunicorn().run()
    else:
        from granian import Granian
        from granian.constants import Interfaces

        Granian(
            "bench.wsgi_servers:app",
            address="127.0.0.1",
            port=port,
            interface=Interfaces.WSGI,
            workers=1,
            blocking_threads=32,
        ).serve()


@contextlib.contextmanager
def running(name: str) -> Iterator[tuple[int, psutil.Process]]:
    port = free_port()
    command = [sys.executable, "-m", "bench.wsgi_servers", "--serve", name, str(port)]
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_for(lambda: _answers(port), timeout=30, what=f"{name} on port {port}")
        yield port, psutil.Process(process.pid)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _answers(port: int) -> bool:
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        connection.request("GET", "/health")
        return connection.getresponse().status == 200
    except OSError:
        return False


def small_calls(port: int, calls: int) -> list[float]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    seconds = []
    for number in range(calls + 20):
        started = time.perf_counter()
        connection.request("POST", "/small", body=b"a" * 1024)
        connection.getresponse().read()
        if number >= 20:  # after a warm-up
            seconds.append(time.perf_counter() - started)
    return seconds


def tree_rss(process: psutil.Process) -> int:
    try:
        return sum(p.memory_info().rss for p in [process, *process.children(recursive=True)])
    except psutil.Error:
        return 0


def big_call(port: int, process: psutil.Process, size: int) -> tuple[float, int]:
    peak, done = [0], threading.Event()

    def sample() -> None:
        while not done.wait(0.02):
            peak[0] = max(peak[0], tree_rss(process))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    piece = b"y" * MIB
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    started = time.perf_counter()
    connection.putrequest("POST", "/big")
    connection.putheader("Content-Length", str(size))
    connection.endheaders()
    for _ in range(size // MIB):
        connection.send(piece)
    answer = connection.getresponse()
    while answer.read(MIB):
        pass
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    return seconds, peak[0]


def starved(port: int, *, bodies: bool, clients: int = 50) -> bool:
    """Whether /health goes unanswered (5 s) while `clients` trickle a byte a second."""
    socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(clients)]
    if bodies:
        for sock in socks:
            sock.sendall(b"POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n")
    try:
        for _ in range(3):  # three seconds of trickling before the probe
            for sock in socks:
                with contextlib.suppress(OSError):
                    sock.send(b"x" if bodies else b"G")
            time.sleep(1)  # the trickle's pace, not a synchronisation
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/health")
            return connection.getresponse().status != 200
        except OSError:
            return True
    finally:
        for sock in socks:
            sock.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.wsgi_servers")
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--mb", type=int, default=1024)
    parser.add_argument("--serve", nargs=2, metavar=("NAME", "PORT"))
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.serve[0], int(args.serve[1]))
        return 0
    began = time.monotonic()
    rows = []
    for name in SERVERS:
        with running(name) as (port, process):
            small = sorted(small_calls(port, args.calls))
            big, peak = big_call(port, process, args.mb * MIB)
            heads, bodies = starved(port, bodies=False), starved(port, bodies=True)
        p95 = small[int(0.95 * len(small))]
        rows.append(
            f"| {name} | {statistics.median(small) * 1000:.2f} | {p95 * 1000:.2f} | {big:.2f} | "
            f"{peak / MIB:.0f} MiB | {'no' if heads else 'yes'} | {'no' if bodies else 'yes'} |"
        )
    section = "\n".join(
        [
            "## WSGI servers for our hops, side by side",
            "",
            f"Written by `python -m bench.wsgi_servers --calls {args.calls} --mb {args.mb}` on "
            f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC in {time.monotonic() - began:.0f} s; "
            f"{machine()}. The same app on each (see the module), 32 threads.",
            "",
            f"| server | small call p50 ms | p95 ms | {args.mb} MiB in and back, s | peak RSS | "
            "/health under 50 trickled headers | under 50 trickled bodies |",
            "|---|---:|---:|---:|---:|---|---|",
            *rows,
            "",
        ]
    )
    print(section)
    write_section(ROOT / "docs" / "BENCHMARKS.md", section, name="wsgi-servers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
