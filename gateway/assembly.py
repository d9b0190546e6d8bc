"""The gateway's parts, each given the ones it needs: the one wiring the process (`python -m
gateway`) and the tests share. OpenFaaS and MinIO come in from outside, so a test can pass fakes."""

from __future__ import annotations

from dataclasses import dataclass, fields

from flask import Flask

from gateway.clients.faascli import Runner
from gateway.clients.openfaas import OpenFaaS
from gateway.clients.storage import Storage
from gateway.config import GatewayConfig
from gateway.http.app import create_app
from gateway.jobs.dispatcher import Dispatcher
from gateway.jobs.ledger import Ledger
from gateway.jobs.metrics import Metrics
from gateway.jobs.parts import JobParts
from gateway.jobs.postgres_ledger import PostgresLedger
from gateway.jobs.reconciler import Reconciler
from gateway.jobs.sqlite_ledger import SqliteLedger
from gateway.services.registry import ServiceRegistry
from gateway.tokens import CallbackSigner


@dataclass(frozen=True, kw_only=True)
class Parts(JobParts):
    """The parts, and the app that serves them."""

    app: Flask


def open_ledger(config: GatewayConfig) -> Ledger:
    """PostgreSQL when `OSCAR_LEDGER_URL` names one (several gateways may share it), else SQLite
    in the state folder. Migrates it; raises `LedgerError` or `LedgerUnavailable` if it can't."""
    if config.ledger_url:
        return PostgresLedger(config.ledger_url, lease=config.ledger_lease)
    return SqliteLedger(
        config.state_dir / "ledger.db",
        synchronous=config.ledger_synchronous,
        lease=config.ledger_lease,
    )


def assemble(
    config: GatewayConfig,
    *,
    openfaas: OpenFaaS,
    storage: Storage,
    faas_cli: Runner | None = None,
) -> Parts:
    """Every part built and wired; nothing started (the caller starts the dispatcher and the
    reconciler, and closes the ledger)."""
    ledger = open_ledger(config)
    metrics = Metrics(ledger.counts)
    registry = ServiceRegistry(openfaas=openfaas, storage=storage, keys=ledger)
    signer = CallbackSigner(config.callback_key)
    dispatcher = Dispatcher(
        ledger=ledger,
        openfaas=openfaas,
        registry=registry,
        signer=signer,
        public_url=config.public_url,
        metrics=metrics,
        retry_base=config.retry_base,
        retry_cap=config.retry_cap,
    )
    reconciler = Reconciler(
        ledger=ledger,
        storage=storage,
        registry=registry,
        on_new=dispatcher.wake,
        interval=config.reconcile_interval,
        retention=config.ledger_retention_days * 86400,
    )
    jobs = JobParts(
        ledger=ledger,
        registry=registry,
        signer=signer,
        dispatcher=dispatcher,
        reconciler=reconciler,
        metrics=metrics,
        openfaas=openfaas,
        storage=storage,
    )
    app = create_app(config, jobs, storage=storage, faas_cli=faas_cli)
    shared = {f.name: getattr(jobs, f.name) for f in fields(jobs)}
    return Parts(**shared, app=app)  # the caller closes the ledger
