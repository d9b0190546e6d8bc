"""The gateway's HTTP API: `create_app(config, ...)` wires the route families, each a blueprint,
to the collaborators passed in; the routes themselves live in the `*_api` modules.

| module | routes |
|---|---|
| `system_api` | `/health`, `/metrics`, `/openapi.json` |
| `events_api` | `/events`, `/job/<svc>` |
| `callbacks_api` | `/callbacks/<job>` |
| `jobs_api` | `/system/jobs/<svc>[/<job>]`, `/system/services/<svc>/replay` |
| `service_api` | `/system/services[/<svc>]` |
| `credentials_api` | `/system/services/<svc>/token/rotate`, `/system/webhook-token/rotate` |
| `files_api` | `/system/files[/<bucket>[/object, /presign]]` |
| `ui` | `/ui` (the dashboard: HTML, over the routes above) |
| `oscar_api` | OSCAR's `/system/info`, `config`, `status`, `logs/<svc>[/<job>]`, `buckets` |
| `sync_relay` | `/run/<svc>` (plain WSGI in front of the app) |
| `events_wsgi` | `POST /events` (plain WSGI in front of the app; `events_api` keeps the route) |
| `callbacks_wsgi` | `POST /callbacks/<job>` (plain WSGI in front; `callbacks_api` keeps it) |
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, request

from contract import environment as names
from gateway.clients.faascli import FaasCli, Runner
from gateway.clients.storage import Storage
from gateway.config import GatewayConfig
from gateway.http import (
    callbacks_api,
    credentials_api,
    events_api,
    files_api,
    jobs_api,
    oscar_api,
    service_api,
    system_api,
    ui,
)
from gateway.http.auth import Authorizer
from gateway.http.callbacks_wsgi import CallbacksRoute
from gateway.http.errors_body import register_error_handlers
from gateway.http.events_wsgi import EventsRoute
from gateway.http.sessions import Sessions
from gateway.http.sync_relay import SyncRelay
from gateway.jobs.bearer_tokens import BearerTokens
from gateway.jobs.intake import Intake
from gateway.jobs.parts import JobParts
from gateway.jobs.service_tokens import ServiceTokens, WebhookToken
from gateway.services.deploy_plan import Planner
from wsgi_relay.body_limit import BodyLimit


def create_app(
    config: GatewayConfig,
    parts: JobParts,
    *,
    storage: Storage,
    sessions: Sessions | None = None,
    clock: Callable[[], float] = time.time,
    faas_cli: Runner | None = None,
) -> Flask:
    ledger, registry, metrics = parts.ledger, parts.registry, parts.metrics
    dispatcher, openfaas = parts.dispatcher, parts.openfaas
    app = Flask(__name__)
    bearer = BearerTokens(ledger=ledger, sealer=parts.sealer, clock=clock)
    tokens = ServiceTokens(bearer, registry)
    webhook = WebhookToken(bearer, config.webhook_token)
    sessions = sessions or Sessions()
    authorizer = Authorizer(
        config=config,
        signer=parts.signer,
        service_accepts=tokens.accepts,
        webhook_accepts=webhook.accepts,
        sessions=sessions,
    )
    app.before_request(lambda: authorizer.check(request))
    register_error_handlers(app)
    intake = Intake(
        ledger=ledger,
        registry=registry,
        dispatcher=dispatcher,
        reconciler=parts.reconciler,
        metrics=metrics,
        clock=clock,
    )
    changes = service_api.Changes(
        planner=Planner.from_config(config),
        runner=faas_cli or FaasCli.from_config(config),
        functions=openfaas,
        registry=registry,
    )
    callbacks = callbacks_api.Callbacks(
        ledger=ledger,
        dispatcher=dispatcher,
        metrics=metrics,
        clock=clock,
        records=storage,
        bucket=config.results_bucket,
    )
    for routes in (
        system_api.blueprint(metrics=metrics, public_url=config.public_url, ping=ledger.ping),
        events_api.blueprint(intake=intake, registry=registry),
        callbacks_api.blueprint(callbacks=callbacks),
        jobs_api.blueprint(ledger=ledger, registry=registry, intake=intake, clock=clock),
        service_api.blueprint(changes=changes, registry=registry, token=tokens.issue),
        files_api.blueprint(storage=storage),
        ui.blueprint(config=config, sessions=sessions),
        oscar_api.blueprint(config=config, parts=parts, clock=clock),
        credentials_api.blueprint(
            services=tokens, webhook=webhook, registry=registry, default_grace=config.token_grace
        ),
    ):
        app.register_blueprint(routes)
    relay = SyncRelay(
        app.wsgi_app,
        authorizer=authorizer,
        registry=registry,
        openfaas=openfaas,
        timeout=config.sync_timeout,
    )

    @app.post("/run/<name>")
    def _run(name: str) -> Any:
        # Reached only when the relay in front passed the call on (it never does for a POST
        # to one service); the route keeps /run in the app's table of routes and methods.
        return functools.partial(relay.relay, name)

    # MinIO's webhook, once per file, and the queue-worker's callback, once per job: plain WSGI
    # too (gateway.http.events_wsgi, gateway.http.callbacks_wsgi).
    events = EventsRoute(relay, authorizer=authorizer, intake=intake)
    settled = CallbacksRoute(events, authorizer=authorizer, callbacks=callbacks)
    app.wsgi_app = BodyLimit(  # type: ignore[method-assign]
        settled, max_bytes=config.max_body_bytes, setting=names.GATEWAY_MAX_BODY_BYTES
    )
    return app
