"""The gateway's HTTP API: `create_app(config, ...)` with every collaborator passed in."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, g, jsonify, request
from werkzeug.exceptions import HTTPException

from gateway.clients.faascli import FaasCli, Runner
from gateway.clients.openfaas import OpenFaaS
from gateway.config import GatewayConfig
from gateway.errors import BadRequest, GatewayError, NotFound
from gateway.http import service_api
from gateway.http.auth import authorize
from gateway.http.openapi import spec
from gateway.http.sync_relay import SyncRelay
from gateway.jobs.callbacks import read_callback
from gateway.jobs.dispatcher import Dispatcher
from gateway.jobs.events import Announced, parse_notification
from gateway.jobs.ledger import Ledger
from gateway.jobs.metrics import Metrics
from gateway.jobs.model import JobStatus, NewJob
from gateway.jobs.reconciler import Reconciler
from gateway.services.deploy_plan import Planner
from gateway.services.model import Service, route
from gateway.services.registry import ServiceRegistry
from gateway.tokens import CallbackSigner, new_token

log = logging.getLogger(__name__)


def create_app(
    config: GatewayConfig,
    *,
    ledger: Ledger,
    registry: ServiceRegistry,
    dispatcher: Dispatcher,
    reconciler: Reconciler,
    openfaas: OpenFaaS,
    signer: CallbackSigner,
    metrics: Metrics,
    clock: Callable[[], float] = time.time,
    faas_cli: Runner | None = None,
) -> Flask:
    app = Flask(__name__)

    def service_token(name: str) -> str:
        return ledger.service_token(name, new_token())

    def known_service_token(name: str) -> str | None:
        # Only a service that exists gets a token: a caller guessing names must not add rows.
        return service_token(name) if registry.find(name) is not None else None

    @app.before_request
    def _authorize() -> None:
        g.access = authorize(
            request, config=config, signer=signer, service_token=known_service_token
        )

    @app.errorhandler(GatewayError)
    def _gateway_error(error: GatewayError) -> tuple[Response, int]:
        body: dict[str, Any] = {"error": error.message}
        detail = getattr(error, "detail", "")
        if detail:
            body["detail"] = detail
        return jsonify(body), error.status

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> tuple[Response, int]:
        answer = jsonify(error=error.description)
        # The error's own headers, but for its HTML content type: a 405 must say `Allow`.
        for name, value in error.get_headers():
            if name.lower() != "content-type":
                answer.headers[name] = value
        return answer, error.code or 500

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> tuple[Response, int]:
        log.exception("unexpected error on %s %s", request.method, request.path)
        return jsonify(error=f"internal gateway error: {type(error).__name__}"), 500

    @app.get("/health")
    def _health() -> Response:
        return jsonify(status="ok")

    @app.get("/metrics")
    def _metrics() -> Response:
        return Response(metrics.render(), content_type="text/plain; version=0.0.4")

    @app.get("/openapi.json")
    def _openapi() -> Response:
        return jsonify(spec(config.public_url))

    def enqueue(
        announced: list[Announced], services: Callable[[Announced], list[Service]]
    ) -> dict[str, Any]:
        now = clock()
        new_jobs = [
            NewJob(s.name, a.bucket, a.key, a.identity, a.event_json(), s.max_attempts, now)
            for a in announced
            for s in services(a)
        ]
        unrouted = sum(1 for a in announced if not services(a))
        results = ledger.add(new_jobs)  # durable before MinIO hears 2xx
        created = [job for job, new in results if new]
        if created:
            dispatcher.wake()
        metrics.event("queued", len(created))
        metrics.event("duplicate", len(results) - len(created))
        metrics.event("unrouted", unrouted)
        return {
            "jobs": [{"id": j.id, "service": j.service, "key": j.key} for j in created],
            "duplicates": len(results) - len(created),
            "unrouted": unrouted,
        }

    @app.post("/events")
    def _events() -> Response:
        announced, ignored = parse_notification(request.get_data())
        services = registry.all()
        body = enqueue(announced, lambda a: route(services, a.bucket, a.key))
        metrics.event("ignored", ignored)
        return jsonify({**body, "ignored": ignored})

    @app.post("/job/<name>")
    def _job(name: str) -> tuple[Response, int]:
        service = registry.get(name)
        announced, ignored = parse_notification(request.get_data())
        body = enqueue(announced, lambda a: [service] if service.matches(a.bucket, a.key) else [])
        return jsonify({**body, "ignored": ignored}), 202

    @app.post("/callbacks/<job_id>")
    def _callback(job_id: str) -> Response:
        job = ledger.get(job_id)
        if job is None:
            raise NotFound(f"job {job_id} does not exist")
        outcome = read_callback(dict(request.headers), request.get_data())
        now = clock()
        if outcome.duration is not None:
            # The function's own timing, bounded by ours: it cannot have started before the
            # attempt was dispatched (a clock apart, or a duration that says too much).
            started = max(now - outcome.duration, job.dispatched_at or 0.0)
            ledger.mark_started(job.id, request.args.get("call", ""), started)
        finished = ledger.finish(
            job.id,
            request.args.get("call", ""),
            outcome,
            retry_at=dispatcher.retry_at(job, now) if outcome.retryable else None,
            now=now,
        )
        if finished is None:
            return jsonify(status="ignored", reason="not the job's current attempt")
        metrics.finished(finished)
        dispatcher.wake()
        return jsonify(status=str(finished.status))

    relay = SyncRelay(
        app.wsgi_app,
        config=config,
        registry=registry,
        openfaas=openfaas,
        signer=signer,
        service_token=known_service_token,
    )

    @app.post("/run/<name>")
    def _run(name: str) -> Any:
        # Reached only when the relay in front passed the call on (it never does for a POST
        # to one service); the route keeps /run in the app's table of routes and methods.
        return functools.partial(relay.relay, name)

    app.wsgi_app = relay  # type: ignore[method-assign]

    @app.get("/system/services")
    def _services() -> Response:
        return jsonify([_service_json(s, service_token(s.name)) for s in registry.refresh()])

    @app.get("/system/services/<name>")
    def _service(name: str) -> Response:
        service = registry.get(name)
        return jsonify(_service_json(service, service_token(name)))

    @app.post("/system/services/<name>/replay")
    def _replay(name: str) -> tuple[Response, int]:
        service = registry.get(name)
        queued = reconciler.replay(service)
        requeued = ledger.requeue_dead(name, clock()) if _flag("dead") else 0
        if requeued:
            dispatcher.wake()
        return jsonify(queued=queued, requeued_dead=requeued), 202

    @app.get("/system/jobs/<name>")
    def _jobs(name: str) -> Response:
        status = request.args.get("status") or None
        if status is not None and status not in {s.value for s in JobStatus}:
            raise BadRequest(f"status must be one of {[s.value for s in JobStatus]}")
        limit = _int_arg("limit", 50, 1, 1000)
        offset = _int_arg("offset", 0, 0, 10**9)
        total = ledger.total(name, status=status)
        if total == 0 and registry.find(name) is None and ledger.total(name, status=None) == 0:
            # A removed service keeps its history; a name never seen is a mistake to point out.
            raise NotFound(f"service {name!r} does not exist and has no jobs")
        jobs = ledger.page(name, status=status, limit=limit, offset=offset)
        return jsonify(jobs=[j.as_json() for j in jobs], limit=limit, offset=offset, total=total)

    @app.get("/system/jobs/<name>/<job_id>")
    def _job_detail(name: str, job_id: str) -> Response:
        job = ledger.get(job_id)
        if job is None or job.service != name:
            raise NotFound(f"job {job_id} of service {name!r} does not exist")
        return jsonify(job.as_json(attempts=ledger.attempts(job_id)))

    # FDL services: POST/PUT/DELETE /system/services, deployed through faas-cli.
    app.register_blueprint(
        service_api.blueprint(
            planner=Planner.from_config(config),
            runner=faas_cli or FaasCli.from_config(config),
            functions=openfaas,
            registry=registry,
            describe=lambda service: _service_json(service, service_token(service.name)),
        )
    )
    return app


def _service_json(service: Service, token: str) -> dict[str, Any]:
    return {
        "name": service.name,
        "input": {"path": str(service.input), "suffixes": list(service.suffixes)},
        "output": {"path": str(service.output)} if service.output else None,
        "max_attempts": service.max_attempts,
        "concurrency": service.concurrency,
        "timeout": service.timeout,
        "token": token,
    }


def _flag(name: str) -> bool:
    return request.args.get(name, "").lower() in {"1", "true", "yes"}


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    text = request.args.get(name)
    if text is None:
        return default
    if not text.isdigit() or not low <= int(text) <= high:
        raise BadRequest(f"{name} must be an integer from {low} to {high}")
    return int(text)
