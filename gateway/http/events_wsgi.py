"""`POST /events`, MinIO's webhook, answered as plain WSGI in front of the Flask app.

Every uploaded file is one of these calls, so its cost is paid per file: through Flask (its
request context, URL matching, before-request hook, `jsonify`) an event took 0.86 ms of CPU
in-process, here 0.53 ms, most of it the ledger's insert (`python -m bench.gateway_events`,
2026-12-02). The same authorisation, parsing, intake and JSON answer, and the same JSON errors
as the app's handlers, without the framework around them. Anything else (and `/events` by
another method) goes on to Flask, whose `/events` route stays for the app's table of routes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from flask import Request

from gateway.http.auth import Authorizer
from gateway.http.errors_body import answered
from gateway.http.events_api import queued
from gateway.jobs.events import parse_notification
from gateway.jobs.intake import Intake
from wsgi_relay.messages import json_answer

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

PATH = "/events"


class EventsRoute:
    """WSGI middleware: `POST /events` into the intake; every other request to `app`."""

    def __init__(self, app: WSGIApplication, *, authorizer: Authorizer, intake: Intake) -> None:
        self._app = app
        self._authorizer = authorizer
        self._intake = intake

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != PATH or environ.get("REQUEST_METHOD") != "POST":
            return self._app(environ, start_response)
        request = Request(environ)
        return answered(
            start_response,
            f"POST {PATH}",
            lambda: json_answer(start_response, 200, self._events(request)),
        )

    def _events(self, request: Request) -> dict[str, object]:
        self._authorizer.check(request)
        announced, ignored = parse_notification(request.get_data())
        storage = request.args.get("storage", "")
        enqueued = self._intake.notified(announced, ignored=ignored, storage=storage)
        return queued(enqueued).body()
