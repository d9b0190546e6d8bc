"""The OpenFaaS gateway's HTTP API, as far as this gateway uses it (the only module that calls it).

The same calls work against the local engine, faasd and faas-netes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlsplit

import urllib3
from urllib3.exceptions import HTTPError

from gateway.errors import NotFound, UpstreamError
from wsgi_relay.messages import CHUNK
from wsgi_relay.upstream import Answer, HopFailed, Timeouts, Upstreams


class OpenFaaS:
    def __init__(self, url: str, *, username: str, password: str, timeout: float = 30.0) -> None:
        self._url = url.rstrip("/")
        self._timeout = timeout
        # The admin's login goes with /system/ calls only. OpenFaaS does not check it on
        # /function/ and /async-function/, and forwards their headers to the function (the
        # queue-worker too), so a session-wide login would hand it to every user's code.
        self._admin = {
            "Authorization": urllib3.make_headers(basic_auth=f"{username}:{password}")[
                "authorization"
            ]
        }
        # urllib3 rather than requests: every job and every /run call goes through here, and
        # requests' per-call work costs about 0.5 ms of CPU more (docs/BENCHMARKS.md). No retries: a
        # replayed POST could run a script twice; the dispatcher decides what to retry.
        self._pool = urllib3.PoolManager(num_pools=4, maxsize=64, retries=False, blocksize=CHUNK)
        # Sync calls stream through http.client (wsgi_relay.upstream: half urllib3's CPU).
        self._relay = Upstreams(timeouts=Timeouts(connect=5.0, read=timeout))
        parts = urlsplit(self._url)
        self._origin, self._prefix = f"{parts.scheme}://{parts.netloc}", parts.path

    @property
    def url(self) -> str:
        return self._url

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
    ) -> urllib3.BaseHTTPResponse:
        sent = {**(self._admin if path.startswith("/system/") else {}), **(headers or {})}
        try:
            answer = self._pool.request(
                method,
                f"{self._url}{path}",
                body=body,
                headers=sent,
                timeout=self._timeout,
                redirect=False,
            )
        except HTTPError as e:
            raise UpstreamError(f"OpenFaaS at {self._url} is unreachable: {e}") from e
        if answer.status >= 400 and not (missing_ok and answer.status == 404):
            raise UpstreamError(
                f"OpenFaaS answered {answer.status} to {method} {path}",
                upstream_status=answer.status,
                detail=answer.data.decode("utf-8", "replace"),
            )
        return answer


def _json(answer: urllib3.BaseHTTPResponse) -> Any:
    try:
        return json.loads(answer.data)
    except ValueError as e:
        raise UpstreamError(f"OpenFaaS answered something that is not JSON: {e}") from e
