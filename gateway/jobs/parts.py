"""The gateway's working parts below HTTP, built once by `gateway.assembly` and handed to the
app factory together, so that neither restates the other's list of collaborators."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.clients.openfaas import OpenFaaS
from gateway.clients.storage import Storage
from gateway.credentials import Sealer
from gateway.jobs.dispatcher import Dispatcher
from gateway.jobs.ledger import Ledger
from gateway.jobs.metrics import Metrics
from gateway.jobs.reconciler import Reconciler
from gateway.services.registry import ServiceRegistry
from gateway.tokens import CallbackSigner


@dataclass(frozen=True, kw_only=True)
class JobParts:
    ledger: Ledger
    registry: ServiceRegistry
    signer: CallbackSigner
    dispatcher: Dispatcher
    reconciler: Reconciler
    metrics: Metrics
    openfaas: OpenFaaS
    storage: Storage
    sealer: Sealer  # seals the tokens the ledger keeps (gateway.credentials)
