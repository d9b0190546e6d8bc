"""The reconciler: objects under a service's input with no job get one (a missed event).

MinIO keeps events in its queue folder while the gateway is down, but an event can still be
lost (a queue folder wiped, a notification rule added after the upload). Listing the input and
comparing with the ledger finds those objects. It runs periodically and on request.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import quote_plus

from gateway.clients.storage import Listed, Storage
from gateway.jobs.events import Announced
from gateway.jobs.leadership import Leadership
from gateway.jobs.ledger import Ledger
from gateway.jobs.model import NewJob
from gateway.services.model import Service
from gateway.services.registry import ServiceRegistry

log = logging.getLogger(__name__)


def replay_record(bucket: str, listed: Listed) -> Announced:
    """A MinIO-shaped record for an object found by listing.

    The job carries the decoded key itself (`contract.job`), so no function decodes this record's
    key to find its input. The key inside the record is still escaped as MinIO escapes it, for
    the script: `$EVENT` is MinIO's event, and a script that reads a key from it (as OSCAR's do,
    with `unquote_plus`) must get the same text from a replayed object as from a notified one.
    """
    found: dict[str, str] = {"key": quote_plus(listed.key), "eTag": listed.etag}
    if listed.version_id:
        found["versionId"] = listed.version_id  # so the function reads this very version
    record = {
        "eventVersion": "2.0",
        "eventSource": "oscar:reconciler",
        "eventTime": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "eventName": "s3:ObjectCreated:Put",
        "s3": {
            "s3SchemaVersion": "1.0",
            "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
            "object": found,
        },
    }
    return Announced(bucket, listed.key, listed.identity, "s3:ObjectCreated:Put", record)


class Reconciler:
    def __init__(
        self,
        *,
        ledger: Ledger,
        storage: Storage,
        registry: ServiceRegistry,
        on_new: Callable[[], None],
        interval: float,
        retention: float = 0.0,
        clock: Callable[[], float] = time.time,
        leadership: Leadership | None = None,
    ) -> None:
        """`retention`: seconds a succeeded job is kept whole (0: for ever); see `prune`.
        `leadership`: who runs the periodic pass; None: the ledger's lock."""
        self._ledger = ledger
        self._leadership: Leadership = leadership or ledger
        self._storage = storage
        self._registry = registry
        self._on_new = on_new
        self._interval = interval
        self._retention = retention
        self._clock = clock
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="reconciler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=5)

    def replay(self, service: Service) -> int:
        """Enqueue every object of the service's input that has no job; returns how many."""
        known = self._ledger.keys(service.name, service.input.bucket)
        prefix = f"{service.input.prefix}/" if service.input.prefix else ""
        missing = [
            replay_record(service.input.bucket, listed)
            for listed in self._registry.storage(service.storage).objects(
                service.input.bucket, prefix
            )
            if service.matches(service.input.bucket, listed.key, storage=service.storage)
            and (listed.key, listed.identity) not in known
        ]
        now = self._clock()
        created = self._ledger.add(
            NewJob(
                service.name, a.bucket, a.key, a.identity, a.event_json(), service.max_attempts, now
            )
            for a in missing
        )
        count = sum(1 for _, new in created if new)
        if count:
            log.info("reconciler queued %d missed object(s) for %s", count, service.name)
            self._on_new()
        return count

    def _loop(self) -> None:
        # First pass right away: objects uploaded while the gateway was down get their jobs.
        delay = 0.0
        while not self._stopping.wait(delay):
            delay = self._interval
            if not self._leadership.leads("reconciler"):
                continue  # another replica on this ledger reconciles
            for service in self._registry.all():
                try:
                    self.replay(service)
                except Exception:  # one service's failure must not stop the others
                    log.exception("reconciling %s failed", service.name)
            self._prune()

    def _prune(self) -> None:
        """Succeeded jobs past the retention, batch by batch (the event path goes between)."""
        if self._retention <= 0:
            return
        now = self._clock()
        try:
            while not self._stopping.is_set():
                if self._ledger.prune(now - self._retention, now=now) == 0:
                    return
        except Exception:  # the next pass tries again
            log.exception("pruning the ledger failed")
