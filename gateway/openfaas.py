"""The OpenFaaS gateway's HTTP API, as far as this gateway uses it (the only module that calls it).

The same calls work against the local engine, faasd and faas-netes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from gateway.errors import NotFound, UpstreamError


@dataclass(frozen=True)
class Invocation:
    status: int
    headers: Mapping[str, str]
    body: Iterator[bytes]
    close: Any


class OpenFaaS:
    def __init__(self, url: str, *, username: str, password: str, timeout: float = 30.0) -> None:
        self._url = url.rstrip("/")
        self._timeout = timeout
        # The admin's login goes with /system/ calls only. OpenFaaS does not check it on
        # /function/ and /async-function/, and forwards their headers to the function (the
        # queue-worker too), so a session-wide login would hand it to every user's code.
        self._auth = (username, password)
        self._session = requests.Session()
        adapter = HTTPAdapter(pool_connections=32, pool_maxsize=64)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)

    @property
    def url(self) -> str:
        return self._url

    def functions(self) -> list[dict[str, Any]]:
        answer = self._call("GET", "/system/functions")
        data = answer.json()
        return data if isinstance(data, list) else []

    def function(self, name: str) -> dict[str, Any]:
        answer = self._call("GET", f"/system/function/{name}", missing_ok=True)
        if answer.status_code == 404:
            raise NotFound(f"function {name!r} is not deployed in OpenFaaS")
        data: dict[str, Any] = answer.json()
        return data

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
            f"/async-function/{name}",
            data=body,
            headers={
                "Content-Type": "application/json",
                "X-Callback-Url": callback_url,
                "X-Call-Id": call_id,
                **(headers or {}),
            },
        )
        return answer.status_code

    def invoke(
        self,
        name: str,
        body: Any,
        *,
        headers: Mapping[str, str],
        query: str,
        timeout: float,
    ) -> requests.Response:
        """A synchronous call, streamed both ways: the caller reads and closes the response."""
        try:
            return self._session.post(
                f"{self._url}/function/{name}",
                data=body,
                headers=dict(headers),
                params=query or None,
                stream=True,
                timeout=(5, timeout),
            )
        except requests.RequestException as e:
            raise UpstreamError(f"OpenFaaS at {self._url} failed to call {name}: {e}") from e

    def _call(
        self, method: str, path: str, *, missing_ok: bool = False, **kwargs: Any
    ) -> requests.Response:
        auth = self._auth if path.startswith("/system/") else None
        try:
            answer = self._session.request(
                method, f"{self._url}{path}", timeout=self._timeout, auth=auth, **kwargs
            )
        except requests.RequestException as e:
            raise UpstreamError(f"OpenFaaS at {self._url} is unreachable: {e}") from e
        if answer.status_code >= 400 and not (missing_ok and answer.status_code == 404):
            raise UpstreamError(
                f"OpenFaaS answered {answer.status_code} to {method} {path}",
                upstream_status=answer.status_code,
                detail=answer.text,
            )
        return answer
