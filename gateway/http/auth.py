"""Who may call what: one decision per request, before any route runs.

| route | credential |
|---|---|
| `/health`, `/metrics`, `/openapi.json` | none |
| `/events` | `Authorization: Bearer <MinIO webhook token>` |
| `/callbacks/<job>` | the attempt's signature in the URL the gateway issued |
| `/run/<svc>`, `/job/<svc>` | `Bearer <the service's token>` (or the admin token) |
| `/ui...` (the dashboard's pages) | none here: the page asks for a login (gateway.http.ui) |
| `/system/...`, anything else | admin basic auth, `Bearer <admin token>`, or a `/ui` session |

A `/ui` session is its cookie, with `X-CSRF-Token` on a change (gateway.http.sessions).

A missing credential is a 401, a wrong one a 403; both JSON.
"""

from __future__ import annotations

import base64
from collections.abc import Callable

from flask import Request

from gateway.config import GatewayConfig
from gateway.errors import Forbidden, Unauthorized
from gateway.http.sessions import COOKIE, CSRF_HEADER, SAFE_METHODS, Sessions
from gateway.tokens import CallbackSigner, callback_jobs, same

OPEN = {"/health", "/metrics", "/openapi.json"}
UI = "/ui"


class Authorizer:
    """The one decision, for the Flask app (before any route) and for the sync relay (before
    any byte goes to OpenFaaS): `check` passes, or raises Unauthorized or Forbidden."""

    def __init__(
        self,
        *,
        config: GatewayConfig,
        signer: CallbackSigner,
        service_accepts: Callable[[str, str], bool],
        webhook_accepts: Callable[[str], bool],
        sessions: Sessions | None = None,
    ) -> None:
        self._config = config
        self._sessions = sessions or Sessions()
        self._signer = signer
        self._service_accepts = service_accepts  # (service, token): False for no such service
        self._webhook_accepts = webhook_accepts

    def check(self, request: Request) -> None:
        path = request.path
        if path in OPEN or path == UI or path.startswith(UI + "/"):
            return
        parts = path.strip("/").split("/")
        if path == "/events":
            self._webhook(request)
        elif parts[0] == "callbacks" and len(parts) == 2:
            call = request.args.get("call", "")
            jobs = ",".join(callback_jobs(parts[1], request.args.get("batch")))
            if not self._signer.valid(jobs, call, request.args.get("sig")):
                raise Forbidden("this callback URL was not issued by the gateway for this attempt")
        elif parts[0] in {"run", "job"} and len(parts) >= 2:
            self._service(request, parts[1])
        elif "Authorization" not in request.headers and COOKIE in request.cookies:
            self._session(request)
        else:
            _admin(request, self._config)

    def _session(self, request: Request) -> None:
        session = self._sessions.find(request.cookies.get(COOKIE))
        if session is None:
            raise Unauthorized(
                "the dashboard's session has ended (idle or logged out): log in at /ui"
            )
        if request.method not in SAFE_METHODS and not self._sessions.allows_change(
            session, request.headers.get(CSRF_HEADER)
        ):
            raise Forbidden(
                f"{request.method} {request.path}: a change made with the dashboard's session "
                f"must send its CSRF token in {CSRF_HEADER} (reload /ui to get one)"
            )

    def _service(self, request: Request, name: str) -> None:
        token = _bearer_token(request)
        if token is None:
            raise Unauthorized(f"{request.path}: send `Authorization: Bearer <token of {name}>`")
        admin = same(token, self._config.admin_token)  # both checks run: no timing tells which
        if self._service_accepts(name, token) or admin:
            return
        raise Forbidden(
            f"the token is not valid for service {name!r} (a rotated token stops after its"
            " grace: `oscar services --show-tokens` shows the current one)"
        )

    def _webhook(self, request: Request) -> None:
        token = _bearer_token(request)
        if token is None:
            raise Unauthorized(
                f"{request.path} needs `Authorization: Bearer <the MinIO webhook token>`"
            )
        if not self._webhook_accepts(token):
            raise Forbidden(
                f"{request.path}: the bearer token is not the MinIO webhook token (after"
                " `oscar webhook-token rotate`, MinIO's target must send the new one)"
            )


def _admin(request: Request, config: GatewayConfig) -> None:
    header = request.headers.get("Authorization", "")
    if header.startswith("Basic "):
        try:
            # validate: without it, b64decode skips what is not base64 and stops at padding,
            # so `Basic <right>, Bearer x` (two Authorization headers, joined) would pass.
            user, _, password = base64.b64decode(header[6:], validate=True).decode().partition(":")
        except ValueError as e:
            raise Unauthorized("malformed basic auth header") from e
        # Both compared every time: a wrong user answers as fast as a wrong password.
        right = [same(user, config.openfaas_user), same(password, config.openfaas_password)]
        if all(right):
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
