"""The services the gateway knows, refreshed from OpenFaaS, with buckets and rules kept in step.

A refresh reads every function, keeps those that are services, and when the set changed makes
sure each input and output bucket exists and that every input bucket's notification rules cover
exactly the inputs of the services on it. A service's input or output on another endpoint
(an FDL storage provider) gets its bucket and rules there, with the keys `Storages` holds.

What it applied is looked at again every `VERIFY_SECONDS` even when nothing changed: with
several gateways, each keeps the rules of its own MinIO target on the same buckets, and two
gateways writing one bucket's configuration at once can drop each other's rules (MinIO's
configuration is read, changed and written whole). The next look puts a dropped rule back.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable

from gateway.clients.openfaas import OpenFaaS
from gateway.clients.storage import Storage
from gateway.errors import GatewayError, InvalidService, NotFound
from gateway.services.endpoints import Endpoint
from gateway.services.model import Service
from gateway.services.storages import EndpointKeys, Storages

log = logging.getLogger(__name__)
VERIFY_SECONDS = 10.0


class ServiceRegistry:
    def __init__(
        self,
        *,
        openfaas: OpenFaaS,
        storage: Storage,
        keys: EndpointKeys | None = None,
        system_buckets: Iterable[str] = (),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`keys`: other endpoints' keys (FDL storage providers); `system_buckets`: the
        gateway's own (the results bucket), which no service may use."""
        self._openfaas = openfaas
        self._storages = Storages(storage, keys=keys)
        self._system = frozenset(b for b in system_buckets if b)
        self._services: dict[str, Service] = {}
        self._problems: dict[str, str] = {}  # what was logged, so each is said once
        self._lock = threading.Lock()
        self._clock = clock
        # Per (endpoint, bucket): the prefixes applied and when they were last seen in place.
        self._applied: dict[tuple[str, str], tuple[tuple[str, ...], float]] = {}

    @property
    def target_arn(self) -> str:
        """The MinIO webhook target that this gateway's notification rules name."""
        return self.storage("").target_arn

    def storage(self, netloc: str) -> Storage:
        """The client of a service's endpoint (`Service.storage`; "" is the platform's)."""
        return self._storages.of(netloc)

    def remember(self, endpoint: Endpoint) -> None:
        self._storages.remember(endpoint)

    def all(self) -> list[Service]:
        with self._lock:
            return list(self._services.values())

    def get(self, name: str) -> Service:
        with self._lock:
            service = self._services.get(name)
        if service is None:
            self.refresh()
            with self._lock:
                service = self._services.get(name)
        if service is None:
            raise NotFound(
                f"service {name!r} does not exist; deploy a function with an input "
                "(INPUT_PATH or the oscar.input annotation)"
            )
        return service

    def find(self, name: str) -> Service | None:
        with self._lock:
            return self._services.get(name)

    def refresh(self, *, apply: bool = True) -> list[Service]:
        """Read the functions from OpenFaaS; apply buckets and rules for what changed (unless
        `apply` is false: among gateways that share a webhook target, the periodic refresh of all
        but the one that leads "registry:<target>" only reads, so that no two rewrite the same
        rules at once)."""
        found: dict[str, Service] = {}
        problems: dict[str, str] = {}
        for status in self._openfaas.functions():
            try:
                service = Service.from_function(status)
                self._check_buckets(service)
            except InvalidService as e:
                problems[str(status.get("name"))] = e.message
                continue
            if service is not None:
                found[service.name] = service
        for name, problem in problems.items():
            if self._problems.get(name) != problem:
                log.warning("function %s is not a usable service: %s", name, problem)
        with self._lock:
            self._services = found
            self._problems = problems
        if apply:
            self._apply(found.values())
        return list(found.values())

    def _check_buckets(self, service: Service | None) -> None:
        """A service in a system bucket would be triggered by the gateway's own objects: each
        result record written into its input would be a job, whose record is another."""
        if service is None:
            return
        for role, path in (("input", service.input), ("output", service.output)):
            if path is not None and path.bucket in self._system:
                raise InvalidService(
                    f"service {service.name!r}: {role} {path} is in {path.bucket!r}, the "
                    "system bucket where functions record results (OSCAR_RESULTS_BUCKET); "
                    "use another bucket"
                )

    def _apply(self, services: Iterable[Service]) -> None:
        prefixes: dict[tuple[str, str], list[str]] = defaultdict(list)
        buckets: set[tuple[str, str]] = set()
        for service in services:
            place = (service.storage, service.input.bucket)
            prefixes[place].append(service.input.prefix)
            buckets.add(place)
            if service.output is not None:
                buckets.add((service.output_storage, service.output.bucket))
        # Buckets that lost their last service get their rules removed too.
        for place in set(self._applied) - set(prefixes):
            prefixes[place] = []
        for netloc, bucket in sorted(buckets):
            try:
                self.storage(netloc).ensure_bucket(bucket)
            except GatewayError as e:
                log.error("%s", e.message)
        now = self._clock()
        for place, wanted in prefixes.items():
            key = tuple(sorted(wanted))
            applied, seen_at = self._applied.get(place, ((), float("-inf")))
            if applied == key and now - seen_at < VERIFY_SECONDS:
                continue
            try:
                wrote = self.storage(place[0]).set_input_prefixes(place[1], wanted)
            except GatewayError as e:
                log.error("%s", e.message)
                continue
            if wrote and applied == key:
                log.warning(
                    "notification rules on %s were dropped by another writer: set again", place[1]
                )
            if key:
                self._applied[place] = (key, now)
            else:
                self._applied.pop(place, None)
