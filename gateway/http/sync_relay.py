"""`POST /run/<service>`: a synchronous call relayed to OpenFaaS, streamed both ways.

Every byte of a sync call passes here, so `SyncRelay` answers it as plain WSGI in front of the
Flask app (`app.wsgi_app = SyncRelay(app.wsgi_app, ...)`): the same authorisation and JSON
errors as the routes, without Flask's request context (about 0.3 ms a call). Anything else,
and a `/run` that is not one POST to one service, goes on to Flask.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from flask import Request

from gateway.clients.openfaas import OpenFaaS
from gateway.http.auth import Authorizer
from gateway.http.errors_body import answered
from gateway.services.registry import ServiceRegistry
from wsgi_relay.answer import RelayedAnswer, relayed_headers
from wsgi_relay.messages import forwarded_request, status_line

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

PREFIX = "/run/"
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "transfer-encoding",
    "te",
    "trailers",
    "upgrade",
    "host",
    "authorization",
    "content-length",
    "proxy-authorization",
}


class SyncRelay:
    """WSGI middleware: `POST /run/<name>` to the function through OpenFaaS; the rest to `app`."""

    def __init__(
        self,
        app: WSGIApplication,
        *,
        authorizer: Authorizer,
        registry: ServiceRegistry,
        openfaas: OpenFaaS,
        timeout: float,
    ) -> None:
        self._app = app
        self._authorizer = authorizer
        self._registry = registry
        self._openfaas = openfaas
        self._timeout = timeout

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path: str = environ.get("PATH_INFO", "")
        name = path[len(PREFIX) :]
        if environ.get("REQUEST_METHOD") != "POST" or not path.startswith(PREFIX):
            return self._app(environ, start_response)
        if not name or "/" in name:
            return self._app(environ, start_response)
        return answered(
            start_response, f"POST {path}", lambda: self.relay(name, environ, start_response)
        )

    def relay(
        self, name: str, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        self._authorizer.check(Request(environ))
        self._registry.get(name)
        length, body, headers = forwarded_request(environ, dropped=HOP_BY_HOP)
        upstream = self._openfaas.invoke(
            name,
            body,
            headers=headers,
            query=environ.get("QUERY_STRING", ""),
            timeout=self._timeout,
            length=length,
        )
        start_response(status_line(upstream.status), relayed_headers(upstream, dropped=HOP_BY_HOP))
        return RelayedAnswer(upstream)
