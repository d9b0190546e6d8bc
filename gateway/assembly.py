"""The gateway's parts, each given the ones it needs: the one wiring the process (`python -m
gateway`) and the tests share. OpenFaaS and MinIO come in from outside, so a test can pass fakes."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

from flask import Flask

from gateway.clients.faascli import Runner
from gateway.clients.openfaas import OpenFaaS
from gateway.clients.storage import Storage
from gateway.config import GatewayConfig
from gateway.credentials import Sealer
from gateway.http.app import create_app
from gateway.jobs.dispatcher import Dispatcher
from gateway.jobs.job_mode import JobWatcher
from gateway.jobs.leadership import Elector, LedgerLock
from gateway.jobs.ledger import Ledger
from gateway.jobs.metrics import Metrics
from gateway.jobs.parts import JobParts
from gateway.jobs.postgres_ledger import PostgresLedger
from gateway.jobs.reconciler import Reconciler
from gateway.jobs.settler import Settler
from gateway.jobs.sqlite_ledger import SqliteLedger
from gateway.services.registry import ServiceRegistry
from gateway.services.storages import SealedKeys
from gateway.tokens import CallbackSigner

if TYPE_CHECKING:  # the Kubernetes client is imported only where it is used (55 MiB)
    from gateway.clients.kube_jobs import KubeJobs


@dataclass(frozen=True, kw_only=True)
class Parts(JobParts):
    """The parts, the app that serves them, and who leads the once-only loops."""

    app: Flask
    leadership: Elector
    job_watcher: JobWatcher | None = None  # with Job mode (OSCAR_JOB_NAMESPACE)
    settler: Settler


def open_ledger(config: GatewayConfig, sealer: Sealer) -> Ledger:
    """PostgreSQL when `OSCAR_LEDGER_URL` names one (several gateways may share it), else SQLite
    in the state folder. Migrates it; raises `LedgerError` or `LedgerUnavailable` if it can't."""
    if config.ledger_url:
        return PostgresLedger(
            config.ledger_url, lease=config.ledger_lease, sealer=sealer, replica=config.name
        )
    return SqliteLedger(
        config.state_dir / "ledger.db",
        synchronous=config.ledger_synchronous,
        lease=config.ledger_lease,
        sealer=sealer,
        replica=config.name,
    )


def elect(config: GatewayConfig, ledger: Ledger) -> Elector:
    """A coordination.k8s.io Lease when `OSCAR_LEASE_NAME` names one, else the ledger's lock."""
    if config.lease is None:
        return LedgerLock(ledger)
    from gateway.clients.kube_lease import LeaseElector, connect

    why = f"the Lease {config.lease.namespace}/{config.lease.name}"
    return LeaseElector(connect(config.lease.kubeconfig, why=why), config.lease)


def job_mode(config: GatewayConfig) -> KubeJobs | None:
    """Kubernetes Jobs for job-mode services when `OSCAR_JOB_NAMESPACE` names their namespace."""
    if not config.job_namespace:
        return None
    from gateway.clients.kube_jobs import KubeJobs
    from gateway.clients.kube_lease import connect

    api = connect(config.kubeconfig, why=f"Job mode in {config.job_namespace}")
    return KubeJobs(api, namespace=config.job_namespace, ttl=config.job_ttl)


def assemble(
    config: GatewayConfig,
    *,
    openfaas: OpenFaaS,
    storage: Storage,
    faas_cli: Runner | None = None,
    clock: Callable[[], float] = time.time,
) -> Parts:
    """Every part built and wired; nothing started (the caller starts the settler, the
    dispatcher and the reconciler, and closes the ledger)."""
    sealer = Sealer(config.callback_key)
    ledger = open_ledger(config, sealer)
    leadership = elect(config, ledger)
    kube_jobs = job_mode(config)
    metrics = Metrics(ledger.counts)
    registry = ServiceRegistry(
        openfaas=openfaas,
        storage=storage,
        keys=SealedKeys(ledger, sealer),
        system_buckets=[config.results_bucket],
    )
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
        leadership=leadership,
        launcher=kube_jobs,
        results_bucket=config.results_bucket,
    )
    reconciler = Reconciler(
        ledger=ledger,
        storage=storage,
        registry=registry,
        on_new=dispatcher.wake,
        interval=config.reconcile_interval,
        retention=config.ledger_retention_days * 86400,
        leadership=leadership,
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
        sealer=sealer,
    )
    settler = Settler(
        ledger=ledger,
        records=storage,
        dispatcher=dispatcher,
        metrics=metrics,
        bucket=config.results_bucket,
        interval=config.settle_interval,
        leadership=leadership,
    )
    app = create_app(config, jobs, storage=storage, faas_cli=faas_cli, clock=clock)
    shared = {f.name: getattr(jobs, f.name) for f in fields(jobs)}
    watcher = None
    if kube_jobs is not None:
        watcher = JobWatcher(jobs=kube_jobs, ledger=ledger, dispatcher=dispatcher,
                             metrics=metrics, leadership=leadership)  # fmt: skip
    return Parts(
        **shared, app=app, leadership=leadership, job_watcher=watcher, settler=settler
    )  # the caller closes the ledger
