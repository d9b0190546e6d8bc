"""The OpenFaaS gateway's HTTP API, as far as this gateway uses it (the only module that calls it).

The same calls work against the local engine, faasd and faas-netes.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from gateway.errors import NotFound, UpstreamError
from wsgi_relay.upstream import Answer, HopFailed, Timeouts, Upstreams


@dataclass(frozen=True)
class _Reply:
    """A whole answer to a /system/ or /async-function/ call, read and its connection released."""

    status: int
    data: bytes


class OpenFaaS:
    def __init__(self, url: str, *, username: str, password: str, timeout: float = 30.0) -> None:
        self._url = url.rstrip("/")
        # The admin's login goes with /system/ calls only. OpenFaaS does not check it on
        # /function/ and /async-function/, and forwards their headers to the function (the
        # queue-worker too), so a session-wide login would hand it to every user's code.
        login = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
        self._admin = {"Authorization": f"Basic {login}"}
        # Every call, sync or not, over http.client's kept-alive connections
        # (wsgi_relay.upstream): every job's async call comes through here, and urllib3 spent
        # about twice the CPU on one (`python -m bench.openfaas_async`). No retries: a replayed
        # POST could run a script twice; the dispatcher decides what to retry. No redirects.
        self._relay = Upstreams(timeouts=Timeouts(connect=5.0, read=timeout))
        parts = urlsplit(self._url)
        self._origin, self._prefix = f"{parts.scheme}://{parts.netloc}", parts.path

    @property
    def url(self) -> str:
        return self._url

    def close(self) -> None:
        """Closes the idle connections (a call after this opens new ones)."""
        self._relay.close()

    def functions(self) -> list[dict[str, Any]]:
        data = _json(self._call("GET", "/system/functions"))
        return data if isinstance(data, list) else []

    def function(self, name: str) -> dict[str, Any]:
        answer = self._call("GET", f"/system/function/{quote(name)}", missing_ok=True)
        if answer.status == 404:
            raise NotFound(f"function {name!r} is not deployed in OpenFaaS")
        data = _json(answer)
        return data if isinstance(data, dict) else {}

    def invoke_async(
        self,
        name: str,
        body: bytes,
        *,
        callback_url: str,
        call_id: str,
        headers: Mapping[str, str] | None = None,
    ) -> int:
        """Queue one call on NATS through /async-function; returns the HTTP status (202)."""
        answer = self._call(
            "POST",
            f"/async-function/{quote(name)}",
            body=body,
            headers={
                "Content-Type": "application/json",
                "X-Callback-Url": callback_url,
                "X-Call-Id": call_id,
                **(headers or {}),
            },
        )
        return answer.status

    def invoke(
        self,
        name: str,
        body: Any,
        *,
        headers: Mapping[str, str],
        query: str,
        timeout: float,
        length: int | None,
    ) -> Answer:
        """A synchronous call, streamed both ways: the caller reads and releases the answer.

        `body` is a stream of `length` bytes, or chunks sent chunked when `length` is None.
        """
        sent = dict(headers)
        if length is not None:
            sent["Content-Length"] = str(length)
        target = f"{self._prefix}/function/{quote(name)}"
        try:
            return self._relay.send(
                "POST",
                self._origin,
                f"{target}?{query}" if query else target,
                headers=sent,
                body=body if length != 0 else None,
                chunked=length is None and body is not None,
                read_timeout=timeout,
            )
        except HopFailed as e:
            raise UpstreamError(f"OpenFaaS at {self._url} failed to call {name}: {e}") from e

    def _call(
        self,
        method: str,
        path: str,
        *,
        missing_ok: bool = False,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> _Reply:
        sent = {**(self._admin if path.startswith("/system/") else {}), **(headers or {})}
        if body is not None:
            sent["Content-Length"] = str(len(body))
        url = f"{self._url}{path}"
        try:
            answer = self._relay.send(
                method, self._origin, f"{self._prefix}{path}", headers=sent, body=body
            )
            try:
                reply = _Reply(answer.status, answer.read())
            finally:
                answer.release()
        except HopFailed as e:
            cause = e.__cause__ or e
            raise UpstreamError(
                f"OpenFaaS did not answer {method} {url}: {cause!r} (is it running there?"
                " the gateway's OPENFAAS_URL names it)"
            ) from e
        if reply.status >= 400 and not (missing_ok and reply.status == 404):
            raise UpstreamError(
                f"OpenFaaS answered {reply.status} to {method} {url}",
                upstream_status=reply.status,
                detail=reply.data.decode("utf-8", "replace"),
            )
        return reply


def _json(answer: _Reply) -> Any:
    try:
        return json.loads(answer.data)
    except ValueError as e:
        raise UpstreamError(f"OpenFaaS answered something that is not JSON: {e}") from e
