"""A coordination.k8s.io Lease: which gateway replica runs the loops that must run once.

The same answer as the ledger's lock (`leads(role)`), for gateways on Kubernetes. One Lease
covers every role. A replica takes it when it is missing, released (no holder) or stale: not
renewed for its `leaseDurationSeconds`, timed on this replica's own clock from when it last saw
the Lease change (as client-go's leader election does, so clocks need not agree). Every write
carries the resourceVersion it read, so two replicas taking one stale Lease at once get one
success and one 409. The holder renews from its own thread every `seconds / 5` and counts itself
leader for `2/3` of `seconds` after its last renewal began: it stops leading before any other
replica may start. `close()` releases the Lease, so the next replica takes over at once.
"""

from __future__ import annotations

import datetime
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import urllib3
from kubernetes import client, config
from kubernetes.client import exceptions

from gateway.config import LeaseConfig
from gateway.errors import GatewayError

log = logging.getLogger(__name__)
RENEW_FRACTION = 2 / 3  # of the lease's seconds: how long a renewal counts
RETRY_FRACTION = 1 / 5  # of the lease's seconds: how often the holder renews and others look


class LeaseUnavailable(GatewayError):
    """The API server cannot be reached, or refuses this replica's account."""


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def connect(kubeconfig: str, *, why: str) -> Any:
    """An API client from `kubeconfig`, or ("") the pod's own service account."""
    try:
        if not kubeconfig:
            config.load_incluster_config()
            return client.ApiClient()
        return config.new_client_from_config(config_file=kubeconfig)
    except (config.ConfigException, OSError) as e:
        raise LeaseUnavailable(
            f"{why} needs the API server: {e}; set OSCAR_KUBECONFIG, or run in a pod with a"
            " service account token"
        ) from e


class LeaseElector:
    """Leads every role while it holds the Lease; `start()` runs its renewals."""

    def __init__(
        self, api: Any, lease: LeaseConfig, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._coordination: Any = client.CoordinationV1Api(api)
        self._lease = lease
        self._clock = clock
        self._lock = threading.Lock()
        self._held_until = 0.0  # on self._clock
        self._observed: tuple[object, ...] = ()
        self._observed_at = 0.0
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="lease", daemon=True)

    @property
    def holder(self) -> str:
        return self._lease.holder

    def leads(self, role: str) -> bool:
        with self._lock:
            return self._clock() < self._held_until

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        """Stop renewing and release the Lease, if held (the next replica need not wait)."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        with self._lock:
            held, self._held_until = self._clock() < self._held_until, 0.0
        if held:
            self._release()

    def _loop(self) -> None:
        every = max(0.2, self._lease.seconds * RETRY_FRACTION)
        while not self._stopping.is_set():
            self.try_once()
            self._stopping.wait(every)

    def try_once(self) -> bool:
        """One look at the Lease: create it, renew it, or take it over when stale. Whether this
        replica holds it afterwards."""
        began = self._clock()
        try:
            taken = self._acquire_or_renew(began)
        except (exceptions.ApiException, urllib3.exceptions.HTTPError) as e:
            status = getattr(e, "status", None)
            if status != 409:  # a 409 is another replica's write winning: nothing to say
                log.warning("lease %s: %s", self._lease.name, str(e).strip()[:200])
            taken = False
        with self._lock:
            was = self._clock() < self._held_until
            if taken:
                self._held_until = began + self._lease.seconds * RENEW_FRACTION
            now_held = self._clock() < self._held_until
        if now_held != was:
            log.info(
                "lease %s %s by %s",
                self._lease.name,
                "now held" if now_held else "no longer held",
                self.holder,
            )
        return taken

    def _acquire_or_renew(self, began: float) -> bool:
        lease = self._lease
        try:
            current: Any = self._coordination.read_namespaced_lease(lease.name, lease.namespace)
        except exceptions.ApiException as e:
            if e.status != 404:
                raise
            self._coordination.create_namespaced_lease(lease.namespace, self._body())
            return True
        spec = current.spec
        if spec.holder_identity == self.holder:
            spec.renew_time = _now()
            spec.lease_duration_seconds = self._duration()
            self._coordination.replace_namespaced_lease(lease.name, lease.namespace, current)
            return True
        seen = (spec.holder_identity, spec.renew_time, current.metadata.resource_version)
        if seen != self._observed:
            self._observed, self._observed_at = seen, began
        duration = spec.lease_duration_seconds or self._duration()
        if spec.holder_identity and began - self._observed_at < duration:
            return False  # held, and renewed within its duration as this replica saw it
        previous = spec.holder_identity
        spec.holder_identity = self.holder
        spec.acquire_time = spec.renew_time = _now()
        spec.lease_duration_seconds = self._duration()
        spec.lease_transitions = (spec.lease_transitions or 0) + 1
        self._coordination.replace_namespaced_lease(lease.name, lease.namespace, current)
        log.warning("lease %s taken over from %r by %s", lease.name, previous or "", self.holder)
        return True

    def _release(self) -> None:
        lease = self._lease
        try:
            current: Any = self._coordination.read_namespaced_lease(lease.name, lease.namespace)
            if current.spec.holder_identity != self.holder:
                return
            current.spec.holder_identity = None
            current.spec.renew_time = _now()
            self._coordination.replace_namespaced_lease(lease.name, lease.namespace, current)
            log.info("lease %s released by %s", lease.name, self.holder)
        except (exceptions.ApiException, urllib3.exceptions.HTTPError) as e:
            log.warning("lease %s not released: %s", lease.name, str(e).strip()[:200])

    def _duration(self) -> int:
        return max(1, round(self._lease.seconds))

    def _body(self) -> dict[str, Any]:
        now = _now().strftime("%Y-%m-%dT%H:%M:%S.%fZ")  # MicroTime: six digits
        return {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {"name": self._lease.name, "namespace": self._lease.namespace},
            "spec": {
                "holderIdentity": self.holder,
                "leaseDurationSeconds": self._duration(),
                "acquireTime": now,
                "renewTime": now,
                "leaseTransitions": 0,
            },
        }
