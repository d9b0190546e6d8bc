"""The hops between a job's claim and its function's start, read from the local stack's
queue-worker logs: when the OpenFaaS gateway took the async call, and when NATS Streaming stored
it. The CE queue-worker logs each message it receives whole (`Received on [faas-request]:
'sequence:... data:"{...}" timestamp:...'`): the queued request's headers, among them the
`X-Start-Time` the OpenFaaS gateway stamps on every request it takes (nanoseconds, its call-id
middleware) and our `X-Oscar-Job`, and the message's own `timestamp`, which NATS Streaming sets
when it stores the message. Both clocks are this host's, as the gateway's records are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

RECEIVED = "Received on [faas-request]"
JOB = re.compile(r'X-Oscar-Job\\":\[\\"([0-9a-f]+)')
TAKEN = re.compile(r'X-Start-Time\\":\[\\"(\d+)')
STORED = re.compile(r"timestamp:(\d+)")


@dataclass(frozen=True)
class Hops:
    openfaas_took: float  # epoch seconds
    nats_stored: float


def queued_calls(logs: Path) -> dict[str, Hops]:
    """Each job's first queued call (by job id), from every queue-worker log in `logs`."""
    found: dict[str, Hops] = {}
    for log in sorted(logs.glob("queue-worker-*.log")):
        for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
            if RECEIVED not in line:
                continue
            job, taken, stored = JOB.search(line), TAKEN.search(line), STORED.search(line)
            if job and taken and stored and job.group(1) not in found:
                hops = Hops(int(taken.group(1)) / 1e9, int(stored.group(1)) / 1e9)
                found[job.group(1)] = hops
    return found
