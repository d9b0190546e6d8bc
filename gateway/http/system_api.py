"""The gateway about itself, open to anyone: `/health`, `/metrics` (Prometheus) and
`/openapi.json` (this API's description)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from gateway.http.openapi import spec
from gateway.http.schemas import Health, reply
from gateway.jobs.metrics import Metrics


def blueprint(*, metrics: Metrics, public_url: str) -> Blueprint:
    routes = Blueprint("system_api", __name__)
    document = spec(public_url)

    @routes.get("/health")
    def _health() -> tuple[Response, int]:
        return reply(Health(status="ok"))

    @routes.get("/metrics")
    def _metrics() -> Response:
        return Response(metrics.render(), content_type="text/plain; version=0.0.4")

    @routes.get("/openapi.json")
    def _openapi() -> Response:
        return jsonify(document)

    return routes
