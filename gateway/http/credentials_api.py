"""Token rotation, without downtime: `POST /system/services/<svc>/token/rotate` and
`POST /system/webhook-token/rotate` answer a new token; the replaced one still passes for
`?grace_seconds=` (default `OSCAR_TOKEN_GRACE_SECONDS`, 3600), then only the new one does."""

from __future__ import annotations

from flask import Blueprint, Response

from gateway.errors import NotFound
from gateway.http.query import bounded_int
from gateway.http.schemas import TokenRotated, reply
from gateway.jobs.bearer_tokens import Rotation
from gateway.jobs.service_tokens import ServiceTokens, WebhookToken
from gateway.services.registry import ServiceRegistry

MAX_GRACE = 30 * 86400


def blueprint(
    *,
    services: ServiceTokens,
    webhook: WebhookToken,
    registry: ServiceRegistry,
    default_grace: float,
) -> Blueprint:
    routes = Blueprint("credentials_api", __name__)

    def grace() -> float:
        return bounded_int("grace_seconds", default=int(default_grace), low=0, high=MAX_GRACE)

    @routes.post("/system/services/<name>/token/rotate")
    def _rotate_service(name: str) -> tuple[Response, int]:
        if registry.find(name) is None:
            raise NotFound(f"service {name!r} does not exist; GET /system/services lists them")
        return _answer(services.rotate(name, grace=grace()))

    @routes.post("/system/webhook-token/rotate")
    def _rotate_webhook() -> tuple[Response, int]:
        return _answer(webhook.rotate(grace=grace()))

    return routes


def _answer(rotation: Rotation) -> tuple[Response, int]:
    return reply(
        TokenRotated(
            name=rotation.name, token=rotation.token, previous_valid_until=rotation.previous_until
        )
    )
