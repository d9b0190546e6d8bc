"""The JSON body of every error the gateway answers, and the Flask handlers that send it.

One builder for the app's routes and for the sync relay (plain WSGI, in front of Flask):
`{"error": message, "detail"?: upstream answer}`, with the status the `GatewayError` carries.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from gateway.errors import GatewayError, InvalidService
from gateway.http.schemas import Error, Problem
from wsgi_relay.messages import json_answer

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse

log = logging.getLogger(__name__)


def error_body(error: GatewayError) -> dict[str, Any]:
    """A GatewayError as JSON: its message, its `detail` and its `problems` when it has them."""
    located = error.problems if isinstance(error, InvalidService) else []
    problems = [Problem(path=path, message=text) for path, text in located] or None
    return Error(
        error=error.message, detail=getattr(error, "detail", "") or None, problems=problems
    ).body()


def internal_error_body(error: Exception) -> dict[str, Any]:
    """What a caller learns of an unexpected failure: its kind only (the cause goes to the log)."""
    return Error(error=f"internal gateway error: {type(error).__name__}").body()


def answered(
    start_response: StartResponse, where: str, handle: Callable[[], Iterable[bytes]]
) -> Iterable[bytes]:
    """`handle()`'s answer, or its failure as the app's handlers answer it, for the plain WSGI
    routes in front of Flask (`where`: the request, for the log)."""
    try:
        return handle()
    except GatewayError as e:
        return json_answer(start_response, e.status, error_body(e))
    except HTTPException as e:  # a body over the limit (wsgi_relay.body_limit)
        return json_answer(start_response, e.code or 400, {"error": e.description})
    except Exception as e:  # as the app's own handler: JSON, and the cause in the log
        log.exception("unexpected error on %s", where)
        return json_answer(start_response, 500, internal_error_body(e))


def register_error_handlers(app: Flask) -> None:
    """Every failure of a route answers JSON: gateway errors, Werkzeug's (404, 405...) and the
    unexpected (a 500 naming only the exception's kind)."""

    @app.errorhandler(GatewayError)
    def _gateway_error(error: GatewayError) -> tuple[Response, int]:
        return jsonify(error_body(error)), error.status

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> tuple[Response, int]:
        answer = jsonify(Error(error=str(error.description or error.name)).body())
        # The error's own headers, but for its HTML content type: a 405 must say `Allow`.
        for name, value in error.get_headers():
            if name.lower() != "content-type":
                answer.headers[name] = value
        return answer, error.code or 500

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> tuple[Response, int]:
        log.exception("unexpected error on %s %s", request.method, request.path)
        return jsonify(internal_error_body(error)), 500
