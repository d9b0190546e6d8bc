"""The HTTP face of the supervisor, the upstream that of-watchdog (http mode) proxies to."""

from __future__ import annotations

import io
import logging
import mimetypes
import time
from typing import IO, cast

from flask import Flask, Request, Response, jsonify, request
from werkzeug.exceptions import HTTPException
from werkzeug.http import parse_options_header

from contract import environment as names
from supervisor import event as events
from supervisor.batch import run_batch
from supervisor.config import SupervisorConfig
from supervisor.errors import BadRequest, BodyTooLarge, SupervisorError
from supervisor.job import Runner
from supervisor.response import sync_response

log = logging.getLogger(__name__)
# Forces how a body is read: `event` (a storage notification) or `raw` (a file to process).
INPUT_HEADER = "X-Oscar-Input"
BASE64_HEADER = "X-Oscar-Base64"


def create_app(config: SupervisorConfig, *, runner: Runner) -> Flask:
    app = Flask(__name__)

    @app.errorhandler(SupervisorError)
    def _supervisor_error(error: SupervisorError) -> tuple[Response, int]:
        log.warning("request failed (%d): %s", error.status, error.message)
        return jsonify(error.payload()), error.status

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> tuple[Response, int]:
        return jsonify(error=error.description), error.code or 500

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> tuple[Response, int]:
        # A bug of ours, not the caller's: log the traceback, answer in JSON like every error.
        log.exception("unexpected error while handling %s %s", request.method, request.path)
        return jsonify(error=f"internal error in the supervisor: {type(error).__name__}"), 500

    @app.get("/ready")
    def _ready() -> Response:
        return jsonify(status="ready")

    @app.route("/", defaults={"path": ""}, methods=["POST", "PUT"])
    @app.route("/<path:path>", methods=["POST", "PUT"])
    def _invoke(path: str) -> Response:
        started = time.monotonic()
        mode = _input_mode(request)
        stream = _limited(request, config.max_body_bytes)
        head = b""
        if mode == "event" or (mode == "auto" and request.mimetype.endswith("json")):
            # Read at most one byte past the event limit: a large JSON *file* sent for
            # synchronous processing must still stream to disk, not into memory.
            head = stream.read(events.MAX_EVENT_BYTES + 1)
            if mode == "event" or events.sniff(head) is not None:
                if len(head) > events.MAX_EVENT_BYTES:
                    raise BadRequest(
                        f"a storage event must be under {events.MAX_EVENT_BYTES} bytes"
                    )
                parsed = events.parse(head)
                if parsed.batched:
                    return _batch_answer(parsed, runner, config.batch_parallel, started)
                results = runner.run_event(parsed)
                return jsonify(
                    status="succeeded",
                    results=[r.as_json() for r in results],
                    skipped=[
                        {"key": s.key, "event": s.event_name, "reason": s.reason}
                        for s in parsed.skipped
                    ],
                    duration_seconds=round(time.monotonic() - started, 6),
                )
        encoded = _flag(request, BASE64_HEADER, default=config.sync_base64)
        body = _Prefixed(head, stream)
        result = runner.run_sync(body, filename=_filename(request), decode_base64=encoded)
        return sync_response(result, encode_base64=encoded)

    @app.route("/", defaults={"path": ""}, methods=["GET"])
    @app.route("/<path:path>", methods=["GET"])
    def _usage(path: str) -> tuple[Response, int]:
        return jsonify(error="POST a file (or a storage event) to run the script on it"), 405

    return app


def _limited(req: Request, limit: int) -> IO[bytes]:
    """The body, refused with a 413 when it is declared over `limit` or grows past it."""
    if not limit:
        return req.stream
    if req.content_length is not None and req.content_length > limit:
        raise _too_large(limit, f"{req.content_length} bytes")
    return cast(IO[bytes], _Counted(req.stream, limit))


def _too_large(limit: int, found: str) -> BodyTooLarge:
    setting = names.SUPERVISOR_MAX_BODY_BYTES
    return BodyTooLarge(
        f"the request body is over this function's limit of {limit} bytes ({setting}): "
        f"found {found}; send a smaller file, or raise {setting} in its environment"
    )


def _batch_answer(
    parsed: events.StorageEvent, runner: Runner, parallel: int, started: float
) -> Response:
    """200 with a result per job, failed ones included: the gateway settles each on its own."""
    with runner.batch(parsed.jobs):
        results = run_batch(runner.run_job, parsed.jobs, parallel=parallel)
    failed = sum(1 for r in results if r["status"] != "succeeded")
    return jsonify(
        status="partial" if failed else "succeeded",
        results=results,
        skipped=[],
        duration_seconds=round(time.monotonic() - started, 6),
    )


def _input_mode(req: Request) -> str:
    value = req.headers.get(INPUT_HEADER, "auto").strip().lower()
    if value not in {"auto", "event", "raw"}:
        raise BadRequest(f"{INPUT_HEADER}: expected auto, event or raw, found {value!r}")
    return value


def _flag(req: Request, name: str, *, default: bool) -> bool:
    value = req.headers.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _filename(req: Request) -> str:
    """The input's name: X-Filename, ?filename=, Content-Disposition, or `input.<ext>`."""
    name = req.headers.get("X-Filename") or req.args.get("filename")
    if not name and req.content_type:
        name = req.mimetype_params.get("filename")
    if not name:
        _, params = parse_options_header(req.headers.get("Content-Disposition", ""))
        name = params.get("filename")
    if name:
        return name
    extension = mimetypes.guess_extension(req.mimetype or "") or ""
    return f"input{extension}"


class _Prefixed(io.RawIOBase):
    """A body stream whose first bytes were already read while sniffing for an event."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        super().__init__()
        self._head = head
        self._rest = rest

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self._head:
            if size < 0 or size >= len(self._head):
                data, self._head = self._head, b""
            else:
                data, self._head = self._head[:size], self._head[size:]
            return data
        return self._rest.read(size)


class _Counted(io.RawIOBase):
    """A body stream that raises BodyTooLarge once more than `limit` bytes came through it."""

    def __init__(self, stream: IO[bytes], limit: int) -> None:
        super().__init__()
        self._stream = stream
        self._limit = limit
        self._left = limit

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        self._left -= len(data)
        if self._left < 0:
            raise _too_large(self._limit, "a longer body")
        return data
