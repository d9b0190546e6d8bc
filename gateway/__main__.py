"""`python -m gateway`: the gateway process (Flask on cheroot, `wsgi_relay.server`)."""

from __future__ import annotations

import logging
import math
import os
import sys
import threading
import time

from pythonjsonlogger.json import JsonFormatter

from contract.naming import LOG_FIELD_NAMES, LOG_FORMAT
from gateway.assembly import Parts, assemble
from gateway.clients.openfaas import OpenFaaS
from gateway.clients.storage import Storage
from gateway.config import GatewayConfig
from gateway.errors import GatewayError, LedgerUnavailable
from gateway.jobs.leadership import Leadership
from gateway.services.registry import ServiceRegistry
from wsgi_relay.server import Limits, StreamingServer
from wsgi_relay.serving import serve_until_signalled

log = logging.getLogger("gateway")


def main() -> int:
    try:
        config = GatewayConfig.from_env(os.environ)
    except GatewayError as e:
        print(e.message, file=sys.stderr)  # noqa: T201 - the one place a person reads it
        return 2
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(LOG_FORMAT, style="{", rename_fields=LOG_FIELD_NAMES))
    logging.basicConfig(level=config.log_level, handlers=[handler])
    openfaas = OpenFaaS(
        config.openfaas_url, username=config.openfaas_user, password=config.openfaas_password
    )
    storage = Storage(
        config.minio_endpoint,
        access_key=config.minio_access_key,
        secret_key=config.minio_secret_key,
        secure=config.minio_secure,
        target_arn=config.minio_target_arn,
    )
    try:
        parts = assemble(config, openfaas=openfaas, storage=storage)
    except GatewayError as e:  # the ledger: unreachable, or of a schema this gateway does not know
        log.error("gateway cannot start: %s", e.message)
        print(f"gateway cannot start: {e.message}", file=sys.stderr)  # noqa: T201
        return 2
    serve(config, parts)
    return 0


def serve(config: GatewayConfig, parts: Parts) -> None:
    """Run the gateway's loops and its HTTP server until SIGTERM or SIGINT."""
    stopping = threading.Event()
    server = StreamingServer(
        parts.app,
        host=config.host,
        port=config.port,
        ident="oscar-gateway",
        limits=Limits(threads=32, io_seconds=config.sync_timeout + 30),
    )
    _refresh(parts.registry)  # before the reconciler's first pass, which needs the services
    refresher = threading.Thread(
        target=_refresh_forever,
        args=(parts.registry, parts.leadership, stopping, config.refresh_interval),
        name="refresh",
        daemon=True,
    )
    refresher.start()
    parts.leadership.start()
    _ensure_results_bucket(config, parts)
    parts.settler.start()  # first: in-flight attempts whose result a function recorded
    _release_own_claims(parts)  # then what this gateway claimed before a restart, never sent
    parts.dispatcher.start()  # resumes queued jobs and times out in-flight ones from the ledger
    parts.reconciler.start()
    if parts.job_watcher is not None:
        parts.job_watcher.start()
    log.info(
        "gateway on %s:%d, OpenFaaS %s, MinIO %s",
        config.host,
        config.port,
        config.openfaas_url,
        config.minio_endpoint,
    )
    try:
        serve_until_signalled(server, stopping=stopping)
    finally:
        if parts.job_watcher is not None:
            parts.job_watcher.stop()
        parts.reconciler.stop()
        parts.settler.stop()
        parts.dispatcher.stop()
        parts.leadership.close()  # a Lease is released: the next replica need not wait
        parts.ledger.close()


def _release_own_claims(parts: Parts) -> None:
    """Claims this gateway made under its name before it was killed and never sent would hold
    their service's slots until their lease ran out (30 s): queued again now instead."""
    try:
        released = parts.ledger.release_own(time.time())
    except LedgerUnavailable as e:  # they wait for their lease, as before
        log.warning("claims of an earlier run not looked at: %s", e.message)
        return
    if released:
        log.warning(
            "%d attempt(s) claimed before this gateway's restart, never sent: queued again",
            released,
        )


def _ensure_results_bucket(config: GatewayConfig, parts: Parts) -> None:
    """The system bucket where functions record results (they make it too, if they can), its
    records deleted by MinIO once the ledger's retention is over (whole days, at least one: a
    record must outlive any redelivery of its job); kept for ever when the ledger's jobs are."""
    if not config.results_bucket:
        return
    retention = config.ledger_retention_days
    days = max(1, math.ceil(retention)) if retention > 0 else None
    try:
        parts.storage.ensure_bucket(config.results_bucket)
        parts.storage.expire_objects(config.results_bucket, days=days)
    except GatewayError as e:
        log.warning("could not create the results bucket or set its expiry: %s", e.message)


def _refresh(registry: ServiceRegistry, leadership: Leadership | None = None) -> None:
    """Services found again; their buckets and rules applied by one gateway per MinIO webhook
    target: on Kubernetes the replicas share one target (the Service) and one applies it; in
    the local stack each gateway has a target of its own and keeps its own rules."""
    role = f"registry:{registry.target_arn}"
    try:
        registry.refresh(apply=leadership is None or leadership.leads(role))
    except GatewayError as e:
        log.warning("could not refresh services: %s", e.message)


def _refresh_forever(
    registry: ServiceRegistry, leadership: Leadership, stopping: threading.Event, every: float
) -> None:
    while not stopping.wait(every):
        _refresh(registry, leadership)


if __name__ == "__main__":
    sys.exit(main())
