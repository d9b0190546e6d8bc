"""The invocation proxy: `/function/<name>/<path>` to one ready replica, streamed both ways.

Every call of every function passes here (the queue-worker's async calls too), so it is plain
WSGI in front of the Flask app (`app.wsgi_app = FunctionProxy(app.wsgi_app, ...)`) and speaks
to replicas through `wsgi_relay.upstream` (http.client with kept-alive connections): Flask's
request objects and `requests` cost about 0.6 ms of CPU more per call (the provider hop in
docs/BENCHMARKS.md), urllib3 about 0.3 ms more.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING
from urllib.parse import quote

from werkzeug.exceptions import HTTPException

from provider.backend import Functions
from provider.errors import ProviderError, UpstreamFailed
from wsgi_relay.answer import RelayedAnswer, relayed_headers
from wsgi_relay.messages import forwarded_request, json_answer, status_line
from wsgi_relay.upstream import HopFailed, Timeouts, Upstreams

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger(__name__)
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailers",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
}
PREFIX = "/function/"
# What a path keeps unescaped on its way to the replica (RFC 3986's pchar and "/"); the rest of
# PATH_INFO, which the server decoded, is escaped again from its bytes.
SAFE = "/:@!$&'()*+,;=~"


class FunctionProxy:
    """WSGI middleware: function calls go to a replica; every other path to `app`."""

    def __init__(self, app: WSGIApplication, *, functions: Functions, timeout: float):
        self._app = app
        self._functions = functions
        # Idle connections per replica address; replicas come and go, so old addresses fall
        # out of the LRU. No retries: a replayed POST could run a script twice.
        self._upstreams = Upstreams(timeouts=Timeouts(connect=5.0, read=timeout))

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path: str = environ.get("PATH_INFO", "")
        name, _, rest = path[len(PREFIX) :].partition("/")
        if not path.startswith(PREFIX) or not name:
            return self._app(environ, start_response)
        try:
            return self._forward(name.split(".", 1)[0], rest, environ, start_response)
        except ProviderError as e:
            return json_answer(start_response, e.status, {"error": str(e)})
        except HTTPException as e:  # a body over the limit (wsgi_relay.body_limit)
            return json_answer(start_response, e.code or 400, {"error": e.description})
        except Exception as e:  # as the app's own handler: JSON, and the cause in the log
            log.exception("unexpected error on %s %s", environ.get("REQUEST_METHOD"), path)
            problem = {"error": f"internal provider error: {type(e).__name__}"}
            return json_answer(start_response, 500, problem)

    def _forward(
        self, name: str, path: str, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        lease = self._functions.replica(name)
        instance = lease.__enter__()
        try:
            target = f"/{quote(path.encode('latin-1'), safe=SAFE)}"
            query = environ.get("QUERY_STRING", "")
            length, body, headers = forwarded_request(environ, dropped=HOP_BY_HOP)
            upstream = self._upstreams.send(
                environ["REQUEST_METHOD"],
                instance.url,
                f"{target}?{query}" if query else target,
                headers=headers,
                body=body,
                chunked=length is None and body is not None,
            )
        except BaseException as e:
            lease.__exit__(None, None, None)
            if isinstance(e, HopFailed):
                raise UpstreamFailed(f"function {name!r} did not answer: {e}") from e
            raise
        start_response(status_line(upstream.status), relayed_headers(upstream, dropped=HOP_BY_HOP))
        return RelayedAnswer(upstream, then=lambda: lease.__exit__(None, None, None))
