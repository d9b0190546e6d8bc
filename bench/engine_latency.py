"""Local engine benchmark: sync latency and throughput through the OpenFaaS gateway and the
provider against calling one replica's watchdog directly, and cold start (deploy to first 200).

    python -m bench.engine_latency [--calls 200] [--seconds 3]

Starts its own stack (`oscar up` in a temporary state folder; the OpenFaaS gateway's port 8080
must be free), deploys bench/functions/echo with faas-cli, measures, writes its section of
docs/BENCHMARKS.md and stops the stack.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from bench.report_file import write_section

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".tools" / "bin"
REPORT = ROOT / "docs" / "BENCHMARKS.md"
STACK_YML = """version: 1.0
provider:
  name: openfaas
  gateway: {gateway}
functions:
  {name}:
    lang: python-watchdog
    handler: {handler}
    image: oscar-bench/echo:latest
    environment:
      INPUT_PATH: bench/in
      OUTPUT_PATH: bench/out
"""


class Stack:
    def __init__(self) -> None:
        self.state = Path(tempfile.mkdtemp(prefix="oscar-bench-", dir="/var/tmp"))
        self.state.chmod(0o711)
        self.env = {
            **os.environ,
            "OSCAR_STATE_DIR": str(self.state),
            "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        }
        self.status: dict[str, Any] = {}

    def oscar(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "oscar_cli", *args],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if result.returncode != 0:
            raise SystemExit(f"oscar {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
        return result.stdout

    def faas(self, *args: str, stdin: str | None = None) -> str:
        result = subprocess.run(
            [str(BIN / "faas-cli"), *args],
            env=self.env,
            cwd=self.state,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if result.returncode != 0:
            raise SystemExit(f"faas-cli {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
        return result.stdout

    def up(self) -> None:
        self.oscar("up")
        self.status = json.loads(self.oscar("status", "--json"))
        openfaas = self.status["openfaas"]
        self.faas(
            "login",
            "--gateway",
            openfaas["url"],
            "-u",
            openfaas["username"],
            "--password-stdin",
            stdin=openfaas["password"],
        )

    def write_stack(self, name: str) -> Path:
        path = self.state / f"{name}.yml"
        path.write_text(
            STACK_YML.format(
                gateway=self.status["openfaas"]["url"],
                name=name,
                handler=ROOT / "bench" / "functions" / "echo",
            )
        )
        return path

    def down(self) -> None:
        subprocess.run(
            [sys.executable, "-m", "oscar_cli", "down", "--purge"],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            timeout=120,
            check=False,
        )
        shutil.rmtree(self.state, ignore_errors=True)


def wait(what: str, probe: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if probe():
                return
        except requests.RequestException:
            pass
        time.sleep(0.005)
    raise SystemExit(f"timed out waiting for {what}")


def timed_calls(post: Callable[[], requests.Response], count: int) -> list[float]:
    times = []
    for _ in range(count):
        started = time.perf_counter()
        answer = post()
        times.append(time.perf_counter() - started)
        if answer.status_code != 200:
            raise SystemExit(f"call failed: {answer.status_code} {answer.text[:200]}")
    return times


def throughput(post: Callable[[], requests.Response], seconds: float, clients: int) -> float:
    done = [0] * clients
    stop = time.monotonic() + seconds

    def client(index: int) -> None:
        while time.monotonic() < stop:
            if post().status_code == 200:
                done[index] += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done) / seconds


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    began = time.monotonic()
    stack = Stack()
    try:
        stack.up()
        openfaas, gateway = stack.status["openfaas"], stack.status["gateway"]
        provider = stack.status["provider"]["url"]
        stack.oscar("build", "-f", str(stack.write_stack("echo")))
        stack.faas("deploy", "-f", str(stack.write_stack("echo")))

        def described() -> dict[str, Any]:
            answer = requests.get(f"{provider}/system/function/echo", timeout=5)
            return answer.json() if answer.status_code == 200 else {}

        wait("echo ready", lambda: described().get("availableReplicas", 0) >= 1)
        replica = described()["instances"][0]["url"]
        admin = {"Authorization": f"Bearer {gateway['admin_token']}"}
        wait(
            "the gateway to see echo",
            lambda: (
                requests.get(
                    f"{gateway['url']}/system/services/echo", headers=admin, timeout=5
                ).status_code
                == 200
            ),
        )
        token = requests.get(
            f"{gateway['url']}/system/services/echo", headers=admin, timeout=5
        ).json()["token"]
        body = b"x" * 1024
        session = requests.Session()
        paths: dict[str, Callable[[], requests.Response]] = {
            "watchdog (direct)": lambda: session.post(replica, data=body, timeout=30),
            "provider": lambda: session.post(f"{provider}/function/echo", data=body, timeout=30),
            "OpenFaaS gateway": lambda: session.post(
                f"{openfaas['url']}/function/echo", data=body, timeout=30
            ),
            "oscar gateway /run": lambda: session.post(
                f"{gateway['url']}/run/echo",
                data=body,
                timeout=30,
                headers={"Authorization": f"Bearer {token}"},
            ),
        }
        samples: dict[str, list[float]] = {name: [] for name in paths}
        for post in paths.values():
            timed_calls(post, 20)  # warm-up
        # Interleaved call by call, in a rotating order, so a burst of other work on the
        # machine lands on every path alike.
        order = list(paths.items())
        for number in range(args.calls):
            shift = number % len(order)
            for name, post in order[shift:] + order[:shift]:
                samples[name] += timed_calls(post, 1)
        rates = {
            name: throughput(post, args.seconds, 4)
            for name, post in paths.items()
            if name in {"watchdog (direct)", "OpenFaaS gateway"}
        }

        cold: list[float] = []
        for attempt in range(3):
            name = f"cold{attempt}"
            stack_file = stack.write_stack(name)
            started = time.perf_counter()
            stack.faas("deploy", "-f", str(stack_file))
            url = f"{openfaas['url']}/function/{name}"

            def answering(url: str = url) -> bool:
                return session.post(url, data=b"x", timeout=30).status_code == 200

            wait(f"{name} answering", answering)
            cold.append(time.perf_counter() - started)
            stack.faas("remove", name, "--gateway", openfaas["url"])
    finally:
        stack.down()
    report(samples, rates, cold, args, time.monotonic() - began)
    return 0


def report(
    samples: dict[str, list[float]],
    rates: dict[str, float],
    cold: list[float],
    args: argparse.Namespace,
    took: float,
) -> None:
    direct = statistics.median(samples["watchdog (direct)"])
    lines = [
        "## Local engine: sync calls and cold start",
        "",
        f"Written by `python -m bench.engine_latency --calls {args.calls} --seconds "
        f"{args.seconds:g}` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC in {took:.0f} s. "
        f"{os.cpu_count()} CPUs. The echo function answers with its input's size (1 KiB in); "
        "replicas run sandboxed (own network namespace, cgroups, unprivileged user). The "
        "paths are called one call each in turn, in a rotating order, on one keep-alive "
        "session.",
        "",
        "| path | mean ms | p50 ms | p95 ms | p50 overhead vs direct |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, values in samples.items():
        p50 = statistics.median(values)
        lines.append(
            f"| {name} | {statistics.mean(values) * 1000:.2f} | {p50 * 1000:.2f} | "
            f"{percentile(values, 0.95) * 1000:.2f} | +{(p50 - direct) * 1000:.2f} ms |"
        )
    lines += [
        "",
        "Throughput, 4 concurrent clients: "
        + ", ".join(f"{name} {rate:.0f} calls/s" for name, rate in rates.items())
        + f" (ratio {rates['OpenFaaS gateway'] / rates['watchdog (direct)']:.2f}).",
        "",
        "Cold start (faas-cli deploy of a built image to the first 200 through the OpenFaaS "
        "gateway): "
        + ", ".join(f"{c:.2f} s" for c in cold)
        + f"; median {statistics.median(cold):.2f} s (target under 1 s: "
        + ("met" if statistics.median(cold) < 1 else "missed")
        + ").",
    ]
    section = "\n".join(lines)
    write_section(REPORT, section, name="engine")
    print(section)


if __name__ == "__main__":
    sys.exit(main())
