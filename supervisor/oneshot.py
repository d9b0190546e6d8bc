"""One-shot mode: run the script once on the storage event in OSCAR_ONESHOT_EVENT, then exit.

How a Kubernetes Job runs one file (OSCAR's Job mode) with the function's own image: no watchdog
and no HTTP, so no OpenFaaS timeout bounds the script (only SCRIPT_TIMEOUT does). The result is
the JSON the HTTP mode would answer, written to OSCAR_RESULT_FILE (the pod's
/dev/termination-log, which Kubernetes reports as the container's termination message, so the
gateway reads it from the pod's status) and printed as the log's last line; the exit code is 0
when the script succeeded, else 1.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

from supervisor import event as events
from supervisor.errors import SupervisorError
from supervisor.job import Runner

log = logging.getLogger(__name__)
MAX_MESSAGE = 4000  # Kubernetes keeps at most 4096 bytes of a termination message


def run_once(runner: Runner, event_text: str, *, result_file: Path) -> int:
    started = time.monotonic()
    answer: dict[str, Any]
    try:
        parsed = events.parse(event_text.encode())
        results = runner.run_event(parsed)
        answer = {
            "status": "succeeded",
            "http_status": 200,
            "results": [r.as_json() for r in results],
        }
    except SupervisorError as e:
        log.warning("one-shot run failed (%d): %s", e.status, e.message)
        answer = {"status": "failed", "http_status": e.status, **e.payload()}
    answer["duration_seconds"] = round(time.monotonic() - started, 6)
    text = _bounded(answer)
    try:
        result_file.write_text(text, encoding="utf-8")
    except OSError as e:
        log.warning("could not write the result to %s: %s", result_file, e.strerror)
    print(text, flush=True)  # noqa: T201 - the pod's log carries the result too
    return 0 if answer["status"] == "succeeded" else 1


def _bounded(answer: dict[str, Any]) -> str:
    """The answer as JSON within a termination message's size: the log tail goes first."""
    text = json.dumps(answer)
    if len(text.encode()) <= MAX_MESSAGE:
        return text
    trimmed = {k: v for k, v in answer.items() if k not in {"log_tail", "results"}}
    trimmed["results"] = [
        {k: v for k, v in r.items() if k != "log_tail"} for r in answer.get("results", [])
    ]
    trimmed["log_tail"] = str(answer.get("log_tail", ""))[-1000:]
    return json.dumps(trimmed)[:MAX_MESSAGE]
