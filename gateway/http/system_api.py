"""The gateway about itself, open to anyone: `/health`, `/metrics` (Prometheus) and
`/openapi.json` (this API's description)."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Response, jsonify

from gateway.errors import LedgerUnavailable
from gateway.http.openapi import spec
from gateway.http.schemas import Health, reply
from gateway.jobs.metrics import Metrics


def blueprint(*, metrics: Metrics, public_url: str, ping: Callable[[], None]) -> Blueprint:
    """`ping` raises `LedgerUnavailable` when the ledger does not answer."""
    routes = Blueprint("system_api", __name__)
    document = spec(public_url)

    @routes.get("/health")
    def _health() -> tuple[Response, int]:
        try:
            ping()
        except LedgerUnavailable as e:
            return reply(Health(status="unavailable", reason=e.message), 503)
        return reply(Health(status="ok"))

    @routes.get("/metrics")
    def _metrics() -> Response:
        return Response(metrics.render(), content_type="text/plain; version=0.0.4")

    @routes.get("/openapi.json")
    def _openapi() -> Response:
        return jsonify(document)

    return routes
