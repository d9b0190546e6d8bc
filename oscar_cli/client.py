"""The stack's HTTP APIs as the CLI uses them: this project's gateway and OpenFaaS's logs.

Built from the status document (`oscar status --json`), so the commands see the same endpoints
and credentials a user sees. Every answer that is not a success becomes a `CliError` here,
worded for the user (which credential, which service, how to fix it).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote

import requests

from oscar_cli.endpoints import Endpoints
from oscar_cli.errors import (
    AuthRefused,
    BadInput,
    CliError,
    ScriptFailed,
    StackDown,
    from_status,
)

TIMEOUT = 30.0
# Synchronous calls and followed logs last as long as they last; only connecting is bounded.
UNBOUNDED = (10.0, None)


def unknown_service(name: str) -> str:
    return f"service {name} does not exist; `oscar services` lists them"


def reason(response: requests.Response) -> str:
    """The gateway's JSON `{error, detail}`, else the body's start, on one line."""
    text = response.text
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    if isinstance(body, dict) and body.get("error"):
        found = str(body["error"]) + (f": {body['detail']}" if body.get("detail") else "")
    else:
        found = text.strip() or response.reason or "no reason given"
    return " ".join(found.split())[:500]


class Gateway:
    def __init__(self, endpoints: Endpoints, *, http: requests.Session | None = None) -> None:
        self.endpoints = endpoints
        self._http = http or requests.Session()

    # -- services -------------------------------------------------------------------------
    def services(self) -> list[dict[str, Any]]:
        found = self._admin("GET", "/system/services", what="listing services").json()
        return list(found)

    def service(self, name: str) -> dict[str, Any]:
        path = f"/system/services/{quote(name, safe='')}"
        found = self._admin("GET", path, what=f"reading service {name}", name=name).json()
        return dict(found)

    def apply(self, body: Mapping[str, Any]) -> tuple[str, str]:
        """Create the service, or update it when it exists: ("created" or "updated", the
        gateway's notice about it, e.g. that its image runs on the base runtime)."""
        name = str(body.get("name"))
        what = f"creating service {name}"
        answer = self._send("POST", "/system/services", what=what, json=body)
        if answer.status_code in {404, 405}:
            answer.close()
            raise CliError(
                f"this gateway cannot create services (POST /system/services answered HTTP "
                f"{answer.status_code}); update the gateway, or deploy with `faas-cli deploy`"
            )
        if answer.status_code == 409:
            answer.close()
            what = f"updating service {name}"
            answer = self._send("PUT", "/system/services", what=what, json=body)
            self._check(answer, what=what, name=name)
            return "updated", _notice(answer)
        self._check(answer, what=what, name=name)
        return "created", _notice(answer)

    def delete(self, name: str) -> None:
        path = f"/system/services/{quote(name, safe='')}"
        self._admin("DELETE", path, what=f"deleting service {name}", name=name).close()

    def replay(self, name: str, *, dead: bool) -> dict[str, Any]:
        path = f"/system/services/{quote(name, safe='')}/replay"
        params = {"dead": "true"} if dead else {}
        answer = self._admin("POST", path, what=f"replaying {name}", name=name, params=params)
        return dict(answer.json())

    def cluster_config(self) -> dict[str, Any]:
        """OSCAR's `/system/config`: MinIO's endpoint and keys, for storage clients."""
        return dict(
            self._admin("GET", "/system/config", what="reading the cluster's config").json()
        )

    # -- jobs -----------------------------------------------------------------------------
    def jobs(
        self, name: str, *, status: str | None, limit: int, offset: int = 0
    ) -> tuple[list[dict[str, Any]], int]:
        """One page of a service's jobs, newest first, and how many match over all pages."""
        params: dict[str, str | int] = {"limit": limit, "offset": offset}
        if status:
            params["status"] = status
        path = f"/system/jobs/{quote(name, safe='')}"
        answer = self._admin("GET", path, what=f"listing jobs of {name}", name=name, params=params)
        page = answer.json()
        return list(page["jobs"]), int(page.get("total", len(page["jobs"])))

    def job(self, name: str, job_id: str) -> dict[str, Any] | None:
        """One job with its attempts, or None when the service has no such job."""
        path = f"/system/jobs/{quote(name, safe='')}/{quote(job_id, safe='')}"
        answer = self._send("GET", path, what=f"reading job {job_id}", admin=True)
        if answer.status_code == 404:
            answer.close()
            return None
        self._check(answer, what=f"reading job {job_id}", name=name)
        return dict(answer.json())

    # -- calls and logs -------------------------------------------------------------------
    def run(
        self, name: str, *, token: str, body: Any, headers: Mapping[str, str]
    ) -> requests.Response:
        """POST the body to /run/<name>; the open, streaming answer on success."""
        path = f"/run/{quote(name, safe='')}"
        answer = self._send(
            "POST",
            path,
            what=f"calling {name}",
            data=body,
            headers={**headers, "Authorization": f"Bearer {token}"},
            stream=True,
            timeout=UNBOUNDED,
        )
        if answer.ok:
            return answer
        with answer:
            if answer.status_code >= 500:
                failure = _json(answer)
                tail = str(failure.get("log_tail") or "").rstrip("\n")
                raise ScriptFailed(
                    f"{name} failed: {reason(answer)} (HTTP {answer.status_code})",
                    details=["--- log tail ---", *tail.splitlines()] if tail else (),
                )
            raise from_status(
                answer.status_code,
                reason(answer),
                what=f"{name} refused the input",
                not_found=unknown_service(name),
                refused=f"the gateway refused the token of service {name} it gave a moment "
                "ago; retry, and read the gateway's log (`oscar status`) if it persists",
            )

    def function_logs(self, name: str, *, tail: int | None, follow: bool) -> Iterator[str]:
        """The text of each line of the function's logs, from OpenFaaS's /system/logs."""
        e = self.endpoints
        if e.cluster and not e.openfaas:
            raise BadInput(
                f"a function's logs come from its OpenFaaS gateway, and cluster {e.cluster} names"
                f" none: add it with `oscar cluster add {e.cluster} ... --openfaas-url URL`;"
                " `oscar logs SERVICE JOB` reads a job's log through the gateway"
            )
        if not (e.openfaas_user and e.openfaas_password):
            raise AuthRefused(f"no OpenFaaS login: {e.credentials} is missing; run `oscar up`")
        params: dict[str, str | int] = {"name": name, "follow": str(follow).lower()}
        if tail is not None:
            params["tail"] = tail
        url = f"{e.openfaas}/system/logs"
        try:
            answer = self._http.get(
                url,
                params=params,
                auth=(e.openfaas_user, e.openfaas_password),
                verify=e.verify,
                stream=True,
                timeout=UNBOUNDED if follow else TIMEOUT,
            )
        except requests.ConnectionError as error:
            raise _down(e.openfaas, "the OpenFaaS gateway", e.down_fix) from error
        except requests.RequestException as error:
            raise CliError(f"reading the logs of {name}: {error}") from error
        with answer:
            if not answer.ok:
                raise from_status(
                    answer.status_code,
                    reason(answer),
                    what=f"reading the logs of {name}",
                    not_found=unknown_service(name),
                    refused=f"the OpenFaaS gateway refused user {e.openfaas_user} with the "
                    f"password in {e.credentials}; {e.refused_fix}",
                )
            for line in answer.iter_lines(decode_unicode=False):
                if line.strip():
                    yield _text(line)

    # -- plumbing -------------------------------------------------------------------------
    def admin(
        self, method: str, path: str, *, what: str, name: str | None = None, **options: Any
    ) -> requests.Response:
        """An admin call of any route; a failure is the `CliError` a user reads."""
        return self._admin(method, path, what=what, name=name, **options)

    def _admin(
        self, method: str, path: str, *, what: str, name: str | None = None, **options: Any
    ) -> requests.Response:
        answer = self._send(method, path, what=what, admin=True, **options)
        self._check(answer, what=what, name=name)
        return answer

    def _send(
        self, method: str, path: str, *, what: str, admin: bool = True, **options: Any
    ) -> requests.Response:
        e = self.endpoints
        if e.gateway_alive is False:
            raise StackDown(
                "the stack's gateway has stopped; see `oscar status`, then restart the stack: "
                "`oscar down && oscar up`"
            )
        headers = dict(options.pop("headers", {}))
        if admin and "Authorization" not in headers:
            headers.update(self._admin_header())
        options.setdefault("timeout", TIMEOUT)
        options.setdefault("verify", e.verify)
        try:
            return self._http.request(method, f"{e.gateway}{path}", headers=headers, **options)
        except requests.exceptions.SSLError as error:
            raise CliError(
                f"{what}: the TLS certificate of {e.gateway} is not trusted ({error}); fix the"
                " server's certificate, or add the cluster again with --insecure"
            ) from error
        except requests.ConnectionError as error:
            raise _down(e.gateway, "the gateway", e.down_fix) from error
        except requests.Timeout as error:
            raise CliError(
                f"{what}: the gateway did not answer in time; see `oscar status`"
            ) from error
        except requests.RequestException as error:
            raise CliError(f"{what}: {error}") from error

    def _admin_header(self) -> dict[str, str]:
        e = self.endpoints
        if e.cluster and not e.admin_token:
            if not (e.openfaas_user and e.openfaas_password):
                raise AuthRefused(f"cluster {e.cluster} has no user and password; {e.refused_fix}")
            login = f"{e.openfaas_user}:{e.openfaas_password}".encode()
            return {"Authorization": "Basic " + base64.b64encode(login).decode()}
        if not e.admin_token:
            raise AuthRefused(
                f"no admin token for the gateway: {e.credentials} is missing or incomplete; it "
                "is written by `oscar up`"
            )
        return {"Authorization": f"Bearer {e.admin_token}"}

    def _check(self, answer: requests.Response, *, what: str, name: str | None) -> None:
        if answer.ok:
            return
        e = self.endpoints
        login = "the login of" if e.cluster else "the admin token in"
        with answer:
            raise from_status(
                answer.status_code,
                reason(answer),
                what=what,
                not_found=unknown_service(name) if name else f"{what}: not found",
                refused=f"the gateway refused {login} {e.credentials}; {e.refused_fix}",
            )


def _down(url: str, component: str, fix: str) -> StackDown:
    return StackDown(f"nothing answers at {url} ({component}): {fix}")


def _json(answer: requests.Response) -> dict[str, Any]:
    try:
        body = json.loads(answer.text)
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _text(line: bytes) -> str:
    """The `text` of an NDJSON log message; a line that is not one, as it is."""
    try:
        message = json.loads(line)
    except ValueError:
        message = None
    if isinstance(message, dict) and "text" in message:
        return str(message["text"])
    return line.decode("utf-8", "replace")


def _notice(answer: requests.Response) -> str:
    body = _json(answer)
    return str(body.get("notice") or "")
