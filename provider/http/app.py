"""The faas-provider HTTP API, as the OpenFaaS gateway (CE) and faas-cli expect it."""

from __future__ import annotations

import logging
import platform
import threading
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from contract import environment as names
from provider.backend import Functions, LogSource, Secrets
from provider.config import ProviderConfig
from provider.deployments import Deployment
from provider.errors import NamespaceNotFound, ProviderError
from provider.http.logs import parse_since
from provider.http.proxy import FunctionProxy
from provider.version import release, source_sha
from wsgi_relay.body_limit import BodyLimit

log = logging.getLogger(__name__)


def create_app(
    config: ProviderConfig,
    *,
    functions: Functions,
    secrets: Secrets,
    logs: LogSource,
    isolation: str,
    stopping: threading.Event | None = None,
) -> Flask:
    """`isolation` names how replicas run (`local-<mode>` or `kubernetes`) in /system/info."""
    app = Flask(__name__)
    stop = stopping or threading.Event()

    namespace = _namespace_check(config)
    version = {"sha": source_sha(), "release": release()}

    @app.errorhandler(ProviderError)
    def _provider_error(error: ProviderError) -> tuple[Response, int]:
        return jsonify(error=str(error)), error.status

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> tuple[Response, int]:
        return jsonify(error=error.description), error.code or 500

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> tuple[Response, int]:
        log.exception("unexpected error on %s %s", request.method, request.path)
        return jsonify(error=f"internal provider error: {type(error).__name__}"), 500

    @app.get("/healthz")
    def _health() -> Response:
        return jsonify(status="ok")

    @app.get("/system/info")
    def _info() -> Response:
        # faas-provider's ProviderInfo: flat, `provider` is the name (the OpenFaaS gateway
        # unmarshals it into a string and drops the name and orchestration otherwise).
        return jsonify(
            provider="oscar-kubernetes" if isolation == "kubernetes" else "oscar-local",
            orchestration=isolation if isolation == "kubernetes" else f"local-{isolation}",
            version=version,
            arch=platform.machine(),
        )

    @app.get("/system/namespaces")
    def _namespaces() -> Response:
        return jsonify([config.namespace])

    _function_routes(app, functions=functions, config=config, namespace=namespace)
    _secret_routes(app, secrets=secrets, namespace=namespace)
    _log_and_metric_routes(
        app, functions=functions, logs=logs, config=config, namespace=namespace, stop=stop.is_set
    )

    # Function calls (`/function/<name>[/<path>]`, the queue-worker's with a trailing slash)
    # never reach Flask: the proxy answers them before routing, errors as JSON like ours.
    proxy = FunctionProxy(app.wsgi_app, functions=functions, timeout=config.invoke_timeout)
    app.wsgi_app = BodyLimit(  # type: ignore[method-assign]
        proxy, max_bytes=config.max_body_bytes, setting=names.OSCAR_PROVIDER_MAX_BODY_BYTES
    )
    return app


def _namespace_check(config: ProviderConfig) -> Callable[..., str]:
    """The namespace a request names (`given`, else its `?namespace=`): ours when it names none;
    NamespaceNotFound (a 400, as faas-netes CE answers) for another, naming ours."""

    def namespace(given: object = None) -> str:
        value = request.args.get("namespace") if given is None else given
        if value and value != config.namespace:
            raise NamespaceNotFound(
                f"namespace {value!r} is not this provider's: it has one namespace, "
                f"{config.namespace!r}; leave the namespace out or name {config.namespace!r}"
            )
        return config.namespace

    return namespace


def _function_routes(
    app: Flask,
    *,
    functions: Functions,
    config: ProviderConfig,
    namespace: Callable[..., str],
) -> None:
    """Deploy, update, list, describe, delete and scale functions."""

    @app.get("/system/functions")
    def _list() -> Response:
        return jsonify(functions.statuses(namespace()))

    @app.post("/system/functions")
    def _deploy() -> tuple[Response, int]:
        return _apply(update=False)

    @app.put("/system/functions")
    def _update() -> tuple[Response, int]:
        return _apply(update=True)

    def _apply(*, update: bool) -> tuple[Response, int]:
        body = request.get_json(force=True, silent=True)
        deployment = Deployment.from_json(body, default_namespace=config.namespace)
        namespace(deployment.namespace)
        functions.deploy(deployment, update=update)
        return jsonify(status="accepted", name=deployment.service), 202

    @app.delete("/system/functions")
    def _delete() -> tuple[Response, int]:
        body = request.get_json(force=True, silent=True) or {}
        name = body.get("functionName") if isinstance(body, dict) else None
        if not isinstance(name, str) or not name:
            return jsonify(error='expected {"functionName": "<name>"}'), 400
        functions.delete(name)
        return jsonify(status="deleted", name=name), 202

    @app.get("/system/function/<name>")
    def _describe(name: str) -> Response:
        namespace()
        return jsonify(functions.status(name))

    # Bodies are JSON whatever their Content-Type says: the OpenFaaS gateway's own scaler
    # (scale from zero) and plain `curl -d` send none, as faas-provider accepts.
    @app.post("/system/scale-function/<name>")
    def _scale(name: str) -> tuple[Response, int]:
        body: Any = request.get_json(force=True, silent=True) or {}
        replicas = body.get("replicas") if isinstance(body, dict) else None
        if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
            return jsonify(error='expected {"replicas": <0 or more>}'), 400
        functions.scale(name, replicas)
        return jsonify(status="accepted", name=name, replicas=replicas), 202


def _secret_routes(app: Flask, *, secrets: Secrets, namespace: Callable[..., str]) -> None:
    """OpenFaaS secrets: list, create, update, delete."""

    @app.get("/system/secrets")
    def _secrets() -> Response:
        ns = namespace()
        return jsonify([{"name": n, "namespace": ns} for n in secrets.names(ns)])

    @app.route("/system/secrets", methods=["POST", "PUT"])
    def _put_secret() -> tuple[Response, int]:
        body = request.get_json(force=True, silent=True)
        if not isinstance(body, dict) or not isinstance(body.get("name"), str):
            return jsonify(error='expected {"name": ..., "value": ... or "rawValue": base64}'), 400
        ns = namespace(body.get("namespace") or None)
        secrets.put(
            ns,
            body["name"],
            value=body.get("value"),
            raw_value=body.get("rawValue"),
            create=request.method == "POST",
        )
        return jsonify(status="ok", name=body["name"]), 201 if request.method == "POST" else 200

    @app.delete("/system/secrets")
    def _delete_secret() -> tuple[Response, int]:
        body = request.get_json(force=True, silent=True)
        if not isinstance(body, dict) or not isinstance(body.get("name"), str):
            return jsonify(error='expected {"name": ...}'), 400
        secrets.delete(namespace(body.get("namespace") or None), body["name"])
        return jsonify(status="deleted"), 200


def _log_and_metric_routes(
    app: Flask,
    *,
    functions: Functions,
    logs: LogSource,
    config: ProviderConfig,
    namespace: Callable[..., str],
    stop: Callable[[], bool],
) -> None:
    """`/system/logs` (NDJSON, followed on request) and the Prometheus query the gateway makes."""

    @app.get("/system/logs")
    def _logs() -> Response:
        name = request.args.get("name", "")
        ns = namespace()
        functions.status(name)  # 404 for an unknown function, before the stream starts
        tail = int(request.args.get("tail") or -1)
        follow = request.args.get("follow", "").lower() in {"1", "true"}
        stream = logs(
            name,
            ns,
            tail=tail,
            follow=follow,
            since=parse_since(request.args.get("since")),
            should_stop=stop,
        )
        return Response(stream, content_type="application/x-ndjson")

    @app.get("/api/v1/query")
    def _prometheus_query() -> Response:
        # The OpenFaaS gateway asks Prometheus for invocation counts when it lists functions and
        # fails the listing when that query fails; we answer it from our own counts.
        result = [
            {
                "metric": {"function_name": f"{s['name']}.{s['namespace']}", "code": "200"},
                "value": [time.time(), str(s["invocationCount"])],
            }
            for s in functions.statuses(config.namespace)
        ]
        return jsonify(status="success", data={"resultType": "vector", "result": result})
