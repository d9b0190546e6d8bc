"""`POST /callbacks/<job>`, the queue-worker's report of an attempt, answered as plain WSGI in
front of the Flask app.

Every job ends with one of these, so its cost is paid per job, as `/events`' is per file
(`gateway.http.events_wsgi`, for the same reason): here without Flask's request context, URL
matching, before-request hook and `jsonify` (`python -m bench.gateway_callbacks`). The same
signature check (`Authorizer`), the same settling and answer (`callbacks_api.Callbacks`) and the
same JSON errors as the app's handlers. Anything else (and `/callbacks/<job>` by another
method, which Flask answers 405) goes on to Flask, whose route stays for the app's table of
routes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from flask import Request

from gateway.http.auth import Authorizer
from gateway.http.callbacks_api import Callbacks
from gateway.http.errors_body import answered
from wsgi_relay.messages import json_answer

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

PREFIX = "/callbacks/"


class CallbacksRoute:
    """WSGI middleware: `POST /callbacks/<job>` settled here; every other request to `app`."""

    def __init__(
        self, app: WSGIApplication, *, authorizer: Authorizer, callbacks: Callbacks
    ) -> None:
        self._app = app
        self._authorizer = authorizer
        self._callbacks = callbacks

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path: str = environ.get("PATH_INFO", "")
        job_id = path[len(PREFIX) :] if path.startswith(PREFIX) else ""
        # Only what Flask's `/callbacks/<job_id>` matches: one segment, not empty.
        if not job_id or "/" in job_id or environ.get("REQUEST_METHOD") != "POST":
            return self._app(environ, start_response)
        request = Request(environ)
        return answered(
            start_response,
            f"POST {path}",
            lambda: json_answer(start_response, 200, self._answer(request, job_id)),
        )

    def _answer(self, request: Request, job_id: str) -> dict[str, object]:
        self._authorizer.check(request)
        return self._callbacks.answer(
            job_id,
            batch=request.args.get("batch"),
            call=request.args.get("call", ""),
            headers=dict(request.headers),
            body=request.get_data(),
        ).body()
