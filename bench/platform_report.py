"""The platform benchmark's section of docs/BENCHMARKS.md, rendered from one run's numbers."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime

from bench.platform_calls import SYNC_DIRECT, SYNC_RUN, Big, Sync
from bench.platform_measure import PHASES, Latency, Throughput, percentile
from bench.platform_stack import MIB

LATENCY_P50, LATENCY_P99 = 0.030, 0.150
THROUGHPUT_RATIO = 0.80
SYNC_OVERHEAD = 0.003
RSS_LIMIT = 100 * 1000 * 1000
COLD_START = 1.0


@dataclass(frozen=True)
class Settings:
    command: str
    machine: str
    watchdog: str
    workers: int
    concurrency: int
    replicas: int
    load_before: float
    load_after: float


@dataclass(frozen=True)
class Results:
    settings: Settings
    date: datetime
    runtime_seconds: float
    latency: Latency
    throughput: Throughput
    sync: Sync
    big: Big
    cold: list[float]


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def _verdict(met: bool) -> str:
    return "met" if met else "**missed**"


def _mib(size: int) -> str:
    return f"{size / MIB:.1f} MiB"


def render(results: Results) -> str:
    s = results.settings
    parts = [
        "## Platform: upload to script, throughput, sync calls, a big file, cold start",
        "",
        f"Written by `{s.command}` on {results.date:%Y-%m-%d %H:%M} UTC in "
        f"{results.runtime_seconds:.0f} s; run it again to refresh this section.",
        "",
        f"- Machine: {s.machine}; 1-minute load average {s.load_before:.2f} before the run, "
        f"{s.load_after:.2f} after (other work on the machine skews every number here)",
        f"- Stack: `oscar up` on the local engine (sandboxed replicas, {s.workers} queue-workers, "
        f"MinIO on loopback with one drive); watchdog: {s.watchdog}",
        f'- Services as a user would set them: `oscar.concurrency: "{s.concurrency}"` and '
        f'`com.openfaas.scale.min: "{s.replicas}"` (2 replicas) for the upload and throughput '
        "services; at most "
        f"{min(s.concurrency, s.workers)} jobs run at once, since each CE queue-worker runs one "
        "call at a time.",
        "",
        _latency(results.latency),
        _throughput(results.throughput, s),
        _sync(results.sync),
        _big(results.big),
        _cold(results.cold),
        NOTES,
    ]
    return "\n".join(parts)


def _latency(latency: Latency) -> str:
    rows = [
        f"| {name} | {_ms(percentile(v, 0.5))} | {_ms(percentile(v, 0.99))} | {_ms(max(v))} |"
        for name, v in latency.phases.items()
    ]
    start = latency.phases["script started"]
    steps = _steps(latency)
    return f"""### Upload to script start

{latency.uploads} uploads of 1 KiB, one at a time at {latency.rate:g} per second (a PUT took \
{_ms(statistics.median(latency.put_seconds))} ms at p50). Each time runs from MinIO's \
acknowledgement of the PUT to a moment of that file's job, read from the gateway's jobs API \
(`received_at`, `dispatched_at`, `started_at`, `finished_at`) and from the script's own clock \
(its first line prints `date +%s.%N`). `started_at` is the callback's arrival minus the \
queue-worker's own duration header, so it marks when a queue-worker took the message.

| upload acknowledged → | p50 ms | p99 ms | max ms |
|---|---:|---:|---:|
{chr(10).join(rows)}

Targets, upload to script start: p50 ≤ {_ms(LATENCY_P50)} ms {
        _verdict(percentile(start, 0.5) <= LATENCY_P50)
    }, p99 ≤ {_ms(LATENCY_P99)} ms {_verdict(percentile(start, 0.99) <= LATENCY_P99)}.

| step (per job, p50 / p99 ms) | whose | p50 | p99 |
|---|---|---:|---:|
{chr(10).join(steps)}
"""


STEP_OWNERS = (
    ("MinIO's webhook to the gateway's ledger write", "MinIO, then ours (SQLite commit)"),
    ("ledger to dispatch", "ours (dispatcher wake-up)"),
    (
        "dispatch to a queue-worker",
        "ours (POST /async-function) then not ours (OpenFaaS gateway, NATS Streaming)",
    ),
    (
        "queue-worker to the script's first line",
        "OpenFaaS gateway (not ours), provider proxy, watchdog, supervisor's download, fork",
    ),
)


def _steps(latency: Latency) -> list[str]:
    names = [name for name, _ in PHASES][:4]
    series = [latency.phases[name] for name in names]
    deltas = [series[0]] + [
        [b - a for a, b in zip(series[i - 1], series[i], strict=True)] for i in range(1, 4)
    ]
    return [
        f"| {what} | {whose} | {_ms(percentile(d, 0.5))} | {_ms(percentile(d, 0.99))} |"
        for (what, whose), d in zip(STEP_OWNERS, deltas, strict=True)
    ]


def _throughput(t: Throughput, s: Settings) -> str:
    ratio, fair = t.platform_rate / t.plain_rate, t.platform_rate / t.plain_parallel_rate
    return f"""### Throughput

{t.files} files of 1 KiB through a copy script (`cp "$INPUT_FILE_PATH" "$TMP_OUTPUT_DIR/"`). \
The platform's clock runs from the first PUT (4 uploading threads; the PUTs alone took \
{t.upload_seconds:.1f} s) to the last job's callback; every output is counted. The plain loop \
does the same per-file work with no platform on the same objects: `get_object` to a file, the \
same script through `subprocess.run`, `fput_object`.

| method | seconds | files/s | platform / this |
|---|---:|---:|---:|
| platform: upload, event, job, output | {t.platform_seconds:.2f} | {t.platform_rate:.0f} | — |
| plain loop, one file at a time | {t.plain_seconds:.2f} | {t.plain_rate:.0f} | {ratio:.0%} |
| plain loop, {t.parallel} threads (the platform's parallelism) | \
{t.plain_parallel_seconds:.2f} | {t.plain_parallel_rate:.0f} | {fair:.0%} |

Target, platform at least {THROUGHPUT_RATIO:.0%} of the plain loop: {
        _verdict(ratio >= THROUGHPUT_RATIO)
    } against the sequential loop ({ratio:.0%}), {
        _verdict(fair >= THROUGHPUT_RATIO)
    } against the loop with the same parallelism ({fair:.0%}). From the first event \
to the last callback the platform was busy {t.platform_busy_seconds:.2f} s \
({t.files / t.platform_busy_seconds:.0f} files/s).

CPU per file, from each process's CPU time (and that of the children it reaped) before and \
after the platform's run and the sequential loop:

| process | whose | CPU ms per file |
|---|---|---:|
{chr(10).join(_cpu_rows(t))}
"""


CPU_OWNERS = {
    "gateway": "ours: events, ledger, dispatcher, callbacks",
    "provider": "ours: the invocation proxy and the MinIO port forwarder of each replica",
    "replicas": "ours: watchdog (stand-in), supervisor, and the script itself",
    "minio": "MinIO: the PUT, its webhook, the GET and the output's PUT",
    "openfaas-gateway": "OpenFaaS CE gateway: /async-function and /function",
    "queue-workers": "OpenFaaS CE queue-workers",
    "nats-streaming-server": "NATS Streaming",
}


def _cpu_rows(t: Throughput) -> list[str]:
    rows = [
        f"| platform: {name} | {CPU_OWNERS.get(name, '')} | {ms:.2f} |"
        for name, ms in sorted(t.cpu_ms.items(), key=lambda item: -item[1])
    ]
    rows.append(f"| **platform, all** | | **{sum(t.cpu_ms.values()):.2f}** |")
    rows += [f"| plain loop: {name} | | {ms:.2f} |" for name, ms in t.plain_cpu_ms.items()]
    rows.append(f"| **plain loop, all** | | **{sum(t.plain_cpu_ms.values()):.2f}** |")
    return rows


def _sync(sync: Sync) -> str:
    direct = statistics.median(sync.seconds[SYNC_DIRECT])
    rows = []
    previous = direct
    for path, values in sync.seconds.items():
        p50 = statistics.median(values)
        rows.append(
            f"| {path} | {_ms(p50)} | {_ms(percentile(values, 0.95))} | "
            f"{_ms(statistics.fmean(values))} | +{_ms(p50 - direct)} | +{_ms(p50 - previous)} |"
        )
        previous = p50
    overhead = statistics.median(sync.seconds[SYNC_RUN]) - direct
    return f"""### Synchronous calls

{sync.calls} calls per path of a function that answers its input's size (1 KiB in), after 20 \
warm-up calls each, one at a time on a keep-alive session and interleaved call by call (each \
round calls every path once, in a rotating order). Each \
path adds one hop to the one above it: the replica's watchdog (its URL from the provider's \
`instances[].url`), our provider's proxy, the OpenFaaS gateway, and our gateway's `/run`.

| path | p50 ms | p95 ms | mean ms | p50 over direct | p50 this hop |
|---|---:|---:|---:|---:|---:|
{chr(10).join(rows)}

Target, `/run` at most {_ms(SYNC_OVERHEAD)} ms over the watchdog at p50: {
        _verdict(overhead <= SYNC_OVERHEAD)
    } (+{_ms(overhead)} ms).
"""


def _big(big: Big) -> str:
    raw = big.raw_get_seconds + big.raw_put_seconds
    rows = [
        f"| {label} | {_mib(big.idle[label])} | {_mib(peak)} | {_mib(big.sync_peaks[label])} | "
        f"{_verdict(max(peak, big.sync_peaks[label]) < RSS_LIMIT)} |"
        for label, peak in big.peaks.items()
    ]
    return f"""### One big file

One object of {big.size // MIB} MiB (uploaded in 64 MiB parts in {big.upload_seconds:.1f} s, \
so its event is a CompleteMultipartUpload), through the copy script of the upload test.

| | seconds |
|---|---:|
| platform: event at the gateway → output present in MinIO | {big.platform_seconds:.2f} |
| … event → the script's first line (dispatch, then the download into the workspace) | \
{big.before_script_seconds:.2f} |
| … the script's own `cp` | {big.script_seconds:.2f} |
| … the script's last line → the callback (the output's upload) | \
{big.after_script_seconds:.2f} |
| raw minio-py: `get_object` to a file, then `fput_object` | {raw:.2f} \
({big.raw_get_seconds:.2f} + {big.raw_put_seconds:.2f}) |
| synchronous: `POST /run` with the file, the copy streamed back | {big.sync_seconds:.2f} |

Platform / raw: {big.platform_seconds / raw:.2f}x, or {
        (big.platform_seconds - big.script_seconds) / raw:.2f}x without the script's copy.

Peak RSS, sampled every 20 ms ({big.samples} samples during the job):

| process | idle | peak, event job | peak, `/run` | under {RSS_LIMIT // 10**6} MB |
|---|---:|---:|---:|---|
{chr(10).join(rows)}
"""


def _cold(cold: list[float]) -> str:
    median = statistics.median(cold)
    each = ", ".join(f"{c:.2f} s" for c in cold)
    return f"""### Cold start

`faas-cli deploy` of an image built before, to the first 200 from the gateway's `/run`: \
{each}; median {median:.2f} s (target under {COLD_START:g} s: {_verdict(median < COLD_START)}).
"""


NOTES = """### What is ours and what is not, and what was fixed

The step, hop and CPU tables above name whose code each part of the time is spent in. Profiled \
with py-spy, perf, strace and per-process CPU accounting on 2026-11-25 (the machine is shared \
with other work, so runs differ by a few files/s and by a millisecond or so at p50):

- **Sync overhead (fixed: +3.4 to +6.5 ms before, +1.9 to +2.7 ms after, over runs).** Three \
causes, two of them ours. (1) The provider's proxy and the gateway's `/run` called upstream \
through `requests` (and the proxy through Flask): about 1.1 ms of CPU a hop. The proxy is now \
plain WSGI in front of the Flask app and both use urllib3's pools (about 0.45 ms a hop; an \
aiohttp relay measured 0.32 ms, not worth a second server stack). (2) The OpenFaaS CE \
gateway's scale-from-zero handler asks the provider for the function's replica count on \
*every* call (it caches only counts of zero) over a new connection (keep-alive disabled): its \
hop cost 1.1-1.9 ms against 0.3 ms for a plain forwarded route. Not our code, but our choice: \
the local engine now runs the gateway with `scale_from_zero=false` and the provider wakes a \
function at zero replicas on its first call (tested), so the OpenFaaS hop is about 0.3 ms. (3) \
The gateway's `/run` went through Flask and a write transaction per call for the service's \
token: it is now plain WSGI in front of Flask (`gateway/sync_relay.py`) and tokens, which \
never change once issued, come from memory. What remains of ours is the HTTP server, the auth \
check and the relay: about 0.8 ms in the provider and 1.0-1.2 ms in the gateway at p50 (the \
provider's is about 0.35 ms of CPU per call, py-spy; the rest is threads waking up on a shared \
2-CPU VM).
- **Throughput (partly ours; missed).** Fixed this round: the two hops above and the per-call \
replica query took the platform's CPU per 1 KiB file from 25.5 ms to 17.6-21.6 ms over four \
runs (the provider's share from 4.3 to 1.3-1.6 ms) and throughput from 60 to 67-78 files/s. \
The rest is a CPU budget on 2 cores: the platform spends 17.6-21.6 ms of CPU per file across \
eleven processes, the plain loop 5.2-5.9 ms, so the ceiling is 2 / 17.6 ms = 114 files/s at \
best however the work is spread; 6 queue-workers and `oscar.concurrency: "6"` gave 80 files/s, \
the same as 3. Not ours: MinIO (the input's PUT and its webhook besides the GET and PUT the \
loop also does, about 3.3 ms), the queue-workers, OpenFaaS gateway and NATS Streaming (about 3 \
ms together; each CE queue-worker opens two new connections per job, to OpenFaaS and to our \
callback, since it disables keep-alive). Ours: the replica (about 6 ms: the script's fork and \
exec, which the loop pays too, the supervisor's HTTP handling, workspace and MinIO client), \
the gateway (about 3.8 ms: an event, an async call and a callback, each an HTTP exchange, and \
the ledger) and the provider (about 1.3 ms). Reaching 80% of the loop for 1 KiB files would \
need the whole platform under about 10-12 ms of CPU a file, and the parts that are not ours \
(about 6.5 ms) with the work the loop itself does (about 3.5 ms) already take that; the fixed \
cost fades as the script's own work grows.
- **The big file.** Beside the script's own copy, the platform's extra time is split between \
the download into the workspace and the output's upload (see the rows above against the raw \
GET and PUT). Both pass through the provider's port forwarder into the replica's network \
namespace, which now splices them in the kernel (1 GiB through it in 0.53 s with 0.46 s of \
CPU, against 0.85 s and 0.90 s for the Python copy it replaced). Most of the gap to the raw \
GET is the disk: the same `get_object` into a file took 1.25 to 2.97 s run after run on this \
host, inside a replica's namespace 3.16 s. The supervisor and the gateway stay below 100 MB: \
the supervisor streams in 1 MiB chunks, and the gateway never sees the bytes on the event \
path. The synchronous 1 GiB is streamed at each of our three hops (cheroot since issue 10; \
waitress read whole bodies and spooled them to temporary files): see the sync-streaming \
section for its own side-by-side measurement.
- **Latency and cold start** meet their targets.
"""
