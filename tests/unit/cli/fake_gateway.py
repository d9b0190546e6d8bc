"""A small real HTTP server that answers like the gateway (and OpenFaaS's /system/logs).

It holds services, jobs and function logs in memory, records every request, and answers
`/run/<svc>` with whatever a test queued for that service.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tests.support.local_server import LocalServer

ADMIN_TOKEN = "admin-token-right"
OPENFAAS = ("admin", "openfaas-password-right")


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes


@dataclass
class Answer:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def service(name: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "input": [
            {
                "storage_provider": "minio.default",
                "path": f"{name}/in",
                "suffix": [".png"],
                "prefix": [],
            }
        ],
        "output": [
            {"storage_provider": "minio.default", "path": f"{name}/out", "suffix": [], "prefix": []}
        ],
        "max_attempts": 3,
        "concurrency": 4,
        "timeout": 330.0,
        "token": f"token-of-{name}",
        **extra,
    }


def job(job_id: str, service_name: str, key: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": job_id,
        "service": service_name,
        "bucket": service_name,
        "key": key,
        "etag": "e",
        "status": "succeeded",
        "attempts": 1,
        "max_attempts": 3,
        "received_at": 1_700_000_000.0,
        "dispatched_at": 1_700_000_000.5,
        "started_at": 1_700_000_000.6,
        "finished_at": 1_700_000_001.8,
        "next_attempt_at": None,
        "duration_seconds": 1.25,
        "outputs": [f"{service_name}/out/a.png"],
        "log_tail": "",
        "error": "",
        **extra,
    }


class FakeGateway(LocalServer):
    def __init__(self) -> None:
        self.services: dict[str, dict[str, Any]] = {}
        self.jobs: dict[str, list[dict[str, Any]]] = {}
        self.function_logs: dict[str, list[str]] = {}
        self.run_answers: dict[str, Answer] = {}
        self.apply_answer: Answer | None = None  # forces an answer to POST/PUT of services
        self.requests: list[Recorded] = []
        super().__init__(_handler(self))

    def last(self, method: str, path: str) -> Recorded:
        return next(r for r in reversed(self.requests) if (r.method, r.path) == (method, path))

    # -- routes ---------------------------------------------------------------------------
    def handle(self, r: Recorded) -> Answer:
        parts = [unquote(p) for p in r.path.strip("/").split("/")]
        if r.path == "/system/logs":
            return self._logs(r)
        if parts[0] == "run" and len(parts) == 2:
            return self._run(r, parts[1])
        refused = self._admin(r)
        if refused is not None:
            return refused
        if parts[:2] == ["system", "services"]:
            return self._services(r, parts[2:])
        if parts[:2] == ["system", "jobs"] and len(parts) in {3, 4}:
            return self._jobs(r, parts[2], parts[3] if len(parts) == 4 else None)
        if r.path == "/system/webhook-token/rotate" and r.method == "POST":
            return _json(200, _rotated("webhook", r))
        return _json(404, {"error": f"no route {r.path}"})

    def _admin(self, r: Recorded) -> Answer | None:
        header = r.headers.get("authorization", "")
        if not header:
            return _json(401, {"error": f"{r.path} needs `Authorization: Bearer <admin token>`"})
        basic = "Basic " + base64.b64encode(":".join(OPENFAAS).encode()).decode()
        if header not in {f"Bearer {ADMIN_TOKEN}", basic}:  # as the gateway: either
            return _json(403, {"error": f"{r.path}: the bearer token is not the admin token"})
        return None

    def _services(self, r: Recorded, rest: list[str]) -> Answer:
        if not rest and r.method == "GET":
            return _json(200, list(self.services.values()))
        if not rest and r.method in {"POST", "PUT"}:
            if self.apply_answer is not None:
                return self.apply_answer
            body = json.loads(r.body)
            exists = body["name"] in self.services
            if r.method == "POST" and exists:
                return _json(409, {"error": f"service {body['name']!r} exists"})
            if r.method == "PUT" and not exists:
                return _json(404, {"error": f"service {body['name']!r} does not exist"})
            self.services[body["name"]] = service(body["name"])
            return _json(201 if r.method == "POST" else 200, self.services[body["name"]])
        name = rest[0]
        if name not in self.services:
            return _json(404, {"error": f"service {name!r} does not exist; deploy a function"})
        if len(rest) == 1 and r.method == "GET":
            return _json(200, self.services[name])
        if len(rest) == 1 and r.method == "DELETE":
            del self.services[name]
            return Answer(204, b"")
        if rest[1:] == ["token", "rotate"] and r.method == "POST":
            return _json(200, _rotated(f"service/{name}", r))
        if rest[1:] == ["replay"] and r.method == "POST":
            dead = 2 if r.query.get("dead") == "true" else 0
            return _json(202, {"queued": 1, "requeued_dead": dead})
        return _json(405, {"error": "method not allowed"})

    def _jobs(self, r: Recorded, name: str, job_id: str | None) -> Answer:
        jobs = self.jobs.get(name, [])
        if job_id is not None:
            found = next((j for j in jobs if j["id"] == job_id), None)
            if found is None:
                return _json(404, {"error": f"job {job_id} of service {name!r} does not exist"})
            return _json(200, found)
        status = r.query.get("status")
        if status and status not in {"queued", "running", "succeeded", "dead"}:
            return _json(400, {"error": "bad status"})
        if name not in self.services and not jobs:
            return _json(404, {"error": f"service {name!r} does not exist and has no jobs"})
        chosen = [j for j in jobs if not status or j["status"] == status]
        limit, offset = int(r.query.get("limit", "50")), int(r.query.get("offset", "0"))
        page = chosen[offset : offset + limit]
        return _json(200, {"jobs": page, "limit": limit, "offset": offset, "total": len(chosen)})

    def _run(self, r: Recorded, name: str) -> Answer:
        if name not in self.services:
            return _json(404, {"error": f"service {name!r} does not exist"})
        if r.headers.get("authorization") != f"Bearer {self.services[name]['token']}":
            return _json(403, {"error": f"the token is not valid for service {name!r}"})
        return self.run_answers.get(name) or Answer(200, r.body, {"Content-Type": "text/plain"})

    def _logs(self, r: Recorded) -> Answer:
        expected = base64.b64encode(":".join(OPENFAAS).encode()).decode()
        if r.headers.get("authorization") != f"Basic {expected}":
            return Answer(401, b"Unauthorized\n", {"Content-Type": "text/plain"})
        name = r.query.get("name", "")
        if name not in self.function_logs:
            return Answer(404, b"function not found\n", {"Content-Type": "text/plain"})
        lines = self.function_logs[name]
        if "tail" in r.query:
            lines = lines[len(lines) - int(r.query["tail"]) :]
        body = "".join(
            json.dumps({"name": name, "instance": "r1", "timestamp": "t", "text": line}) + "\n"
            for line in lines
        )
        return Answer(200, body.encode(), {"Content-Type": "application/x-ndjson"})


def _rotated(name: str, r: Recorded) -> dict[str, Any]:
    """A rotation's answer, as the gateway's: the grace asked for, on a fixed clock."""
    grace = float(r.query.get("grace_seconds", 3600))
    return {"name": name, "token": f"new-{name}", "previous_valid_until": 1_700_000_000 + grace}


def _json(status: int, body: Any) -> Answer:
    return Answer(status, json.dumps(body).encode(), {"Content-Type": "application/json"})


def _handler(fake: FakeGateway) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            del format, args  # quiet: the tests read `fake.requests` instead

        def _serve(self) -> None:
            url = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(url.query).items()}
            headers = {k.lower(): v for k, v in self.headers.items()}
            recorded = Recorded(self.command, url.path, query, headers, self._body(headers))
            fake.requests.append(recorded)
            answer = fake.handle(recorded)
            self.send_response(answer.status)
            for key, value in answer.headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

        def _body(self, headers: dict[str, str]) -> bytes:
            if headers.get("transfer-encoding", "").lower() == "chunked":
                return b"".join(self._chunks())
            return self.rfile.read(int(headers.get("content-length") or 0))

        def _chunks(self) -> Iterator[bytes]:
            while size := int(self.rfile.readline().strip().split(b";")[0], 16):
                yield self.rfile.read(size)
                self.rfile.readline()
            self.rfile.readline()

        do_GET = do_POST = do_PUT = do_DELETE = _serve

    return Handler
