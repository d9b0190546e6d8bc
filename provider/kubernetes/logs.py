"""`/system/logs` from the pods of a function: each line with the time the kubelet recorded.

Followed logs read every pod at once (a thread per pod feeding one queue), as `faas-cli logs -f`
shows the lines of all replicas as they come.
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

from provider.kubernetes.functions import KubeFunctions

WAKE = 0.5  # how often a followed stream checks whether the provider is stopping


def split_stamp(line: str) -> tuple[datetime | None, str]:
    """`2026-12-01T21:00:00.123456789Z text` into its time and text."""
    stamp, _, text = line.partition(" ")
    try:
        # Python reads at most microseconds: drop the nanoseconds' last digits.
        head, _, fraction = stamp.rstrip("Z").partition(".")
        parsed = datetime.fromisoformat(f"{head}.{fraction[:6] or '0'}+00:00")
    except ValueError:
        return None, line
    return parsed, text


def message(name: str, namespace: str, pod: str, stamp: datetime | None, text: str) -> str:
    when = (stamp or datetime.now(UTC)).isoformat().replace("+00:00", "Z")
    entry = {"name": name, "namespace": namespace, "instance": pod, "timestamp": when,
             "text": text}  # fmt: skip
    return json.dumps(entry) + "\n"


class PodLogs:
    def __init__(self, functions: KubeFunctions) -> None:
        self._functions = functions

    def __call__(
        self,
        name: str,
        namespace: str,
        *,
        tail: int,
        follow: bool,
        since: datetime | None,
        should_stop: Callable[[], bool],
    ) -> Iterator[str]:
        self._functions.status(name)  # FunctionNotFound (404) before the stream starts
        pods = [p["metadata"]["name"] for p in self._functions.pods(name)]
        since_seconds = None
        if since is not None:
            since_seconds = int((datetime.now(UTC) - since).total_seconds()) + 1
        api = self._functions.api

        def lines(pod: str) -> Iterator[str]:
            for line in api.pod_log(pod, tail=tail, since_seconds=since_seconds, follow=follow):
                stamp, text = split_stamp(line)
                if since is None or stamp is None or stamp >= since:
                    yield message(name, namespace, pod, stamp, text)

        if not follow:
            for pod in pods:
                yield from lines(pod)
            return
        merged: queue.Queue[str | None] = queue.Queue()

        def pump(pod: str) -> None:
            try:
                for entry in lines(pod):
                    merged.put(entry)
            finally:
                merged.put(None)

        for pod in pods:
            threading.Thread(target=pump, args=(pod,), daemon=True, name=f"log-{pod}").start()
        open_streams = len(pods)
        while open_streams and not should_stop():
            try:
                entry = merged.get(timeout=WAKE)
            except queue.Empty:
                continue
            if entry is None:
                open_streams -= 1
            else:
                yield entry
