"""OpenFaaS's classic watchdog, for functions deployed with an `fprocess` on an image the local
engine never built (`faas-cli deploy --image functions/alpine:latest --fprocess "sha512sum"`).

Each request forks the process: the body on its stdin, its stdout the answer (200), its stderr
logged; a non-zero exit or a timeout is a 500 with the stderr's tail. The request's method,
path, query and headers are in its environment as the classic watchdog names them:
`Http_Method`, `Http_Path`, `Http_Query`, `Http_Content_Length`, and `Http_<Header_Name>` for
each header (`X-Custom-Header` -> `Http_X_Custom_Header`). Every HTTP verb is passed on.

Each call logs the classic watchdog's two lines, `Forking fprocess.` and `Wrote <n> Bytes -
Duration: <s> seconds`, which OpenFaaS's certifier reads back from `faas-cli logs`; the entry
point writes this module's log in the classic watchdog's plain format (`WATCHDOG_FORMAT`).
"""

from __future__ import annotations

import logging
import subprocess
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)
TAIL = 4096
# The classic watchdog's log lines: Go's `log` package, `2006/01/02 15:04:05 message`.
WATCHDOG_FORMAT = ("%(asctime)s %(message)s", "%Y/%m/%d %H:%M:%S")
StartResponse = Callable[[str, list[tuple[str, str]]], Any]


def cgi_variables(environ: Mapping[str, Any]) -> dict[str, str]:
    """The classic watchdog's `Http_*` variables for one WSGI request."""
    found = {
        "Http_Method": str(environ.get("REQUEST_METHOD", "")),
        "Http_Path": str(environ.get("PATH_INFO", "") or "/"),
        "Http_Query": str(environ.get("QUERY_STRING", "")),
    }
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            name = "_".join(part.capitalize() for part in key[5:].split("_"))
            found[f"Http_{name}"] = str(value)
    for key, name in (("CONTENT_TYPE", "Content_Type"), ("CONTENT_LENGTH", "Content_Length")):
        if environ.get(key):
            found[f"Http_{name}"] = str(environ[key])
    return found


class ClassicApp:
    """The WSGI app: one process per request."""

    def __init__(
        self,
        command: tuple[str, ...],
        *,
        env: Mapping[str, str],
        timeout: float,
        cwd: Path | None = None,
    ) -> None:
        self._command = command
        self._env = dict(env)
        self._timeout = timeout
        self._cwd = cwd  # a `lang: dockerfile` image's files, where its fprocess expects them

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/ready" and environ.get("REQUEST_METHOD") == "GET":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ready"]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else environ["wsgi.input"].read()
        log.info("Forking fprocess.")
        started = time.monotonic()
        try:
            done = subprocess.run(
                self._command,
                input=body,
                capture_output=True,
                env={**self._env, **cgi_variables(environ)},
                cwd=self._cwd,
                timeout=self._timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return _answer(start_response, "500 Internal Server Error", b"timed out\n")
        except OSError as e:
            text = f"cannot start fprocess {' '.join(self._command)!r}: {e}\n"
            return _answer(start_response, "500 Internal Server Error", text.encode())
        if done.stderr:
            log.info("%s", done.stderr[-TAIL:].decode("utf-8", "replace").rstrip())
        if done.returncode != 0:
            tail = done.stderr[-TAIL:] or f"exit status {done.returncode}\n".encode()
            return _answer(start_response, "500 Internal Server Error", tail)
        log.info(
            "Wrote %d Bytes - Duration: %f seconds", len(done.stdout), time.monotonic() - started
        )
        kind = self._env.get("content_type") or "text/plain; charset=utf-8"
        return _answer(start_response, "200 OK", done.stdout, kind)


def _answer(
    start_response: StartResponse, status: str, body: bytes, kind: str = "text/plain"
) -> list[bytes]:
    start_response(status, [("Content-Type", kind), ("Content-Length", str(len(body)))])
    return [body]
