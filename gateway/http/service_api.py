"""OSCAR-style service management: create, update and delete services from FDL documents.

| route | what |
|---|---|
| `POST /system/services` | create: 201 with the service as GET shows it; 409 if it exists |
| `PUT /system/services[/<name>]` | update (the whole definition): 200; 404 if missing |
| `DELETE /system/services/<name>` | remove the function and its script secret: 204; 404 |

The body is one FDL service as JSON or YAML (gateway/fdl.py). Services are ordinary OpenFaaS
functions deployed through faas-cli (gateway/faascli.py), so the listing in app.py finds them
like any stack.yml function; after each change the registry is refreshed at once, so buckets
and notification rules are in place when the answer arrives. Buckets and objects are never
deleted. `?dry_run=true` answers with the faas-cli plan and runs nothing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, Protocol

from flask import Blueprint, Response, jsonify, request

from gateway.clients.faascli import Runner, Step
from gateway.errors import BadRequest, Conflict, GatewayError, InvalidService, NotFound
from gateway.services import fdl
from gateway.services.deploy_plan import Planner
from gateway.services.model import Service

log = logging.getLogger(__name__)
MAX_BODY = 2 << 20


class Functions(Protocol):
    """The OpenFaaS API as far as this module reads it (gateway.clients.openfaas.OpenFaaS)."""

    def function(self, name: str) -> dict[str, Any]: ...


class Registry(Protocol):
    def refresh(self) -> list[Service]: ...


def blueprint(
    *,
    planner: Planner,
    runner: Runner,
    functions: Functions,
    registry: Registry,
    describe: Callable[[Service], dict[str, Any]],
) -> Blueprint:
    routes = Blueprint("service_api", __name__)
    # One change at a time: "does it exist" and the deploy that follows must not interleave
    # with another request's, and faas-cli's login file is shared.
    changing = threading.Lock()

    def deployed(name: str) -> dict[str, Any] | None:
        try:
            return functions.function(name)
        except NotFound:
            return None

    def apply(url_name: str | None, *, creating: bool) -> tuple[Response, int]:
        spec = _read_spec(url_name)
        with changing:
            previous = deployed(spec.name)
            if creating and previous is not None:
                raise Conflict(
                    f"service {spec.name!r} exists already; update it with "
                    f"PUT /system/services/{spec.name}"
                )
            if not creating and previous is None:
                raise NotFound(
                    f"service {spec.name!r} does not exist; create it with POST /system/services"
                )
            plan = planner.deploy(spec, previous=previous)
            if _dry_run():
                return _plan_json(spec.name, plan), 200
            verb = "creating" if creating else "updating"
            log.info("%s service %s: %s", verb, spec.name, "; ".join(map(str, plan)))
            runner.execute(plan)
        service = _refreshed(registry, spec.name) or spec.service
        answer = jsonify(describe(service))
        if creating:
            answer.headers["Location"] = f"/system/services/{spec.name}"
        return answer, 201 if creating else 200

    @routes.post("/system/services")
    def _create() -> tuple[Response, int]:
        return apply(None, creating=True)

    @routes.put("/system/services")
    def _update_named_in_body() -> tuple[Response, int]:
        return apply(None, creating=False)

    @routes.put("/system/services/<name>")
    def _update(name: str) -> tuple[Response, int]:
        return apply(name, creating=False)

    @routes.delete("/system/services/<name>")
    def _delete(name: str) -> tuple[Response, int]:
        with changing:
            previous = deployed(name)
            if previous is None:
                raise NotFound(f"service {name!r} does not exist")
            if not _names_an_input(previous):
                raise NotFound(
                    f"function {name!r} is not a service (it names no input); remove it with "
                    f"`faas-cli remove {name}`"
                )
            plan = planner.delete(name, previous=previous)
            if _dry_run():
                return _plan_json(name, plan), 200
            log.info("deleting service %s: %s", name, "; ".join(map(str, plan)))
            runner.execute(plan)
        _refreshed(registry, name)  # drops its notification rules; buckets and objects stay
        return Response(status=204), 204

    return routes


def _read_spec(url_name: str | None) -> fdl.ServiceSpec:
    if (request.content_length or 0) > MAX_BODY:
        raise BadRequest(f"the service definition is larger than {MAX_BODY} bytes")
    document = fdl.read_document(request.get_data(), request.headers.get("Content-Type", ""))
    spec = fdl.validate(document, name=url_name)
    if ignored := fdl.ignored_fields(document):
        log.info("service %s: ignoring OSCAR fields with no meaning here: %s", spec.name, ignored)
    return spec


def _refreshed(registry: Registry, name: str) -> Service | None:
    """Refresh now; a failure is logged, since the periodic refresh will apply it anyway."""
    try:
        found = registry.refresh()
    except GatewayError as e:
        log.warning("service %s changed, but the registry could not refresh: %s", name, e.message)
        return None
    return next((s for s in found if s.name == name), None)


def _names_an_input(status: dict[str, Any]) -> bool:
    try:
        return Service.from_function(status) is not None
    except InvalidService:
        return True  # a service with a broken definition is still one to delete


def _dry_run() -> bool:
    return request.args.get("dry_run", "").lower() in {"1", "true", "yes"}


def _plan_json(name: str, plan: list[Step]) -> Response:
    steps = [
        {"command": str(step), **({"files": dict(step.files)} if step.files else {})}
        for step in plan
    ]
    return jsonify(name=name, dry_run=True, plan=steps)
