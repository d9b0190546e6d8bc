"""The services the gateway knows, refreshed from OpenFaaS, with buckets and rules kept in step.

A refresh reads every function, keeps those that are services, and when the set changed makes
sure each input and output bucket exists and that every input bucket's notification rules cover
exactly the inputs of the services on it. A service's input or output on another endpoint
(an FDL storage provider) gets its bucket and rules there, with the keys `Storages` holds.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Iterable

from gateway.clients.openfaas import OpenFaaS
from gateway.clients.storage import Storage
from gateway.errors import GatewayError, InvalidService, NotFound
from gateway.services.endpoints import Endpoint
from gateway.services.model import Service
from gateway.services.storages import EndpointKeys, Storages

log = logging.getLogger(__name__)


class ServiceRegistry:
    def __init__(
        self, *, openfaas: OpenFaaS, storage: Storage, keys: EndpointKeys | None = None
    ) -> None:
        self._openfaas = openfaas
        self._storages = Storages(storage, keys=keys)
        self._services: dict[str, Service] = {}
        self._problems: dict[str, str] = {}  # what was logged, so each is said once
        self._lock = threading.Lock()
        self._applied: dict[tuple[str, str], tuple[str, ...]] = {}  # (endpoint, bucket)

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

    def refresh(self) -> list[Service]:
        """Read the functions from OpenFaaS; apply buckets and rules for what changed."""
        found: dict[str, Service] = {}
        problems: dict[str, str] = {}
        for status in self._openfaas.functions():
            try:
                service = Service.from_function(status)
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
        self._apply(found.values())
        return list(found.values())

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
        for place, wanted in prefixes.items():
            key = tuple(sorted(wanted))
            if self._applied.get(place) == key:
                continue
            try:
                self.storage(place[0]).set_input_prefixes(place[1], wanted)
            except GatewayError as e:
                log.error("%s", e.message)
                continue
            if key:
                self._applied[place] = key
            else:
                self._applied.pop(place, None)
