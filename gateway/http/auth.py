"""Who may call what: one decision per request, before any route runs.

| route | credential |
|---|---|
| `/health`, `/metrics`, `/openapi.json` | none |
| `/events` | `Authorization: Bearer <MinIO webhook token>` |
| `/callbacks/<job>` | the attempt's signature in the URL the gateway issued |
| `/run/<svc>`, `/job/<svc>` | `Bearer <the service's token>` (or the admin token) |
| `/system/...`, anything else | OpenFaaS admin basic auth, or `Bearer <admin token>` |

A missing credential is a 401, a wrong one a 403; both JSON.
"""

from __future__ import annotations

import base64
import enum
from collections.abc import Callable

from flask import Request

from gateway.config import GatewayConfig
from gateway.errors import Forbidden, Unauthorized
from gateway.tokens import CallbackSigner, same

OPEN = {"/health", "/metrics", "/openapi.json"}


class Access(enum.Enum):
    OPEN = "open"
    MINIO = "minio"
    CALLBACK = "callback"
    SERVICE = "service"
    ADMIN = "admin"


def authorize(
    request: Request,
    *,
    config: GatewayConfig,
    signer: CallbackSigner,
    service_token: Callable[[str], str | None],
) -> Access:
    path = request.path
    if path in OPEN:
        return Access.OPEN
    parts = path.strip("/").split("/")
    if path == "/events":
        _bearer(request, config.webhook_token, "the MinIO webhook token")
        return Access.MINIO
    if parts[0] == "callbacks" and len(parts) == 2:
        call = request.args.get("call", "")
        if not signer.valid(parts[1], call, request.args.get("sig")):
            raise Forbidden("this callback URL was not issued by the gateway for this attempt")
        return Access.CALLBACK
    if parts[0] in {"run", "job"} and len(parts) >= 2:
        token = _bearer_token(request)
        if token is None:
            raise Unauthorized(f"{path}: send `Authorization: Bearer <token of {parts[1]}>`")
        expected = service_token(parts[1])
        if same(token, config.admin_token) or (expected is not None and same(token, expected)):
            return Access.SERVICE
        raise Forbidden(f"the token is not valid for service {parts[1]!r}")
    _admin(request, config)
    return Access.ADMIN


def _admin(request: Request, config: GatewayConfig) -> None:
    header = request.headers.get("Authorization", "")
    if header.startswith("Basic "):
        try:
            # validate: without it, b64decode skips what is not base64 and stops at padding,
            # so `Basic <right>, Bearer x` (two Authorization headers, joined) would pass.
            user, _, password = base64.b64decode(header[6:], validate=True).decode().partition(":")
        except ValueError as e:
            raise Unauthorized("malformed basic auth header") from e
        if same(user, config.openfaas_user) and same(password, config.openfaas_password):
            return
        raise Forbidden("wrong user or password")
    _bearer(request, config.admin_token, "the admin token (or basic auth)")


def _bearer(request: Request, expected: str, what: str) -> None:
    token = _bearer_token(request)
    if token is None:
        raise Unauthorized(f"{request.path} needs `Authorization: Bearer <{what}>`")
    if not same(token, expected):
        raise Forbidden(f"{request.path}: the bearer token is not {what}")


def _bearer_token(request: Request) -> str | None:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header.startswith("Bearer ") else None
