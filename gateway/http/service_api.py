"""OSCAR-style services: list and show them, and create, update and delete them from FDL.

| route | what |
|---|---|
| `GET /system/services[/<name>]` | every service (or one), with its token |
| `POST /system/services` | create: 201 with the service as GET shows it; 409 if it exists |
| `PUT /system/services[/<name>]` | update (the whole definition): 200; 404 if missing |
| `DELETE /system/services/<name>` | remove the function and its script secret: 204; 404 |

The body is one FDL service as JSON or YAML (gateway/services/fdl.py). Services are ordinary
OpenFaaS functions deployed through faas-cli (gateway/clients/faascli.py), so the registry finds
them like any stack.yml function; after each change the registry is refreshed at once, so
buckets and notification rules are in place when the answer arrives. Buckets and objects are
never deleted. `?dry_run=true` answers with the faas-cli plan and runs nothing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, Protocol

from flask import Blueprint, Response, request

from gateway.clients.faascli import Runner, Step
from gateway.errors import BadRequest, Conflict, GatewayError, InvalidService, NotFound
from gateway.http import oscar_schemas, schemas
from gateway.http.query import flag
from gateway.services import fdl
from gateway.services.deploy_plan import Planner
from gateway.services.endpoints import Endpoint
from gateway.services.model import Service

log = logging.getLogger(__name__)
MAX_BODY = 2 << 20


class Functions(Protocol):
    """The OpenFaaS API as far as this module reads it (gateway.clients.openfaas.OpenFaaS)."""

    def function(self, name: str) -> dict[str, Any]: ...
    def functions(self) -> list[dict[str, Any]]: ...


class Registry(Protocol):
    def get(self, name: str) -> Service: ...
    def refresh(self) -> list[Service]: ...
    def remember(self, endpoint: Endpoint) -> None: ...


class Changes:
    """Services deployed, replaced and removed through faas-cli, one change at a time."""

    def __init__(
        self, *, planner: Planner, runner: Runner, functions: Functions, registry: Registry
    ) -> None:
        self._planner = planner
        self._runner = runner
        self._functions = functions
        self._registry = registry
        # One change at a time: "does it exist" and the deploy that follows must not interleave
        # with another request's, and faas-cli's login file is shared.
        self._changing = threading.Lock()

    def apply(self, spec: fdl.ServiceSpec, *, creating: bool) -> Service | schemas.Plan:
        """The service as deployed (or, with ?dry_run, the plan that would deploy it)."""
        with self._changing:
            previous = self._deployed(spec.name)
            if creating and previous is not None:
                raise Conflict(
                    f"service {spec.name!r} exists already; update it with "
                    f"PUT /system/services/{spec.name}"
                )
            if not creating and previous is None:
                raise NotFound(
                    f"service {spec.name!r} does not exist; create it with POST /system/services"
                )
            plan = self._planner.deploy(spec, previous=previous)
            if flag("dry_run"):
                return _plan(spec.name, plan)
            verb = "creating" if creating else "updating"
            log.info("%s service %s: %s", verb, spec.name, "; ".join(map(str, plan)))
            for endpoint in spec.endpoints().values():
                self._registry.remember(endpoint)  # its buckets and rules follow the deploy
            self._runner.execute(plan)
        return self._refreshed(spec.name) or spec.service

    def delete(self, name: str) -> schemas.Plan | None:
        """Removes the service (None), or with ?dry_run answers the plan that would."""
        with self._changing:
            previous = self._deployed(name)
            if previous is None:
                raise NotFound(f"service {name!r} does not exist")
            if not _names_an_input(previous):
                raise NotFound(
                    f"function {name!r} is not a service (it names no input); remove it with "
                    f"`faas-cli remove {name}`"
                )
            plan = self._planner.delete(name, previous=previous)
            if flag("dry_run"):
                return _plan(name, plan)
            log.info("deleting service %s: %s", name, "; ".join(map(str, plan)))
            self._runner.execute(plan)
        self._refreshed(name)  # drops its notification rules; buckets and objects stay
        return None

    def states(self) -> dict[str, dict[str, Any]]:
        """Every function's status in OpenFaaS by name ({} when it cannot say: the listing
        still answers, without replicas)."""
        try:
            return {str(f.get("name")): f for f in self._functions.functions()}
        except GatewayError as e:
            log.warning("OpenFaaS did not list its functions' replicas: %s", e.message)
            return {}

    def state(self, name: str) -> dict[str, Any] | None:
        try:
            return self._deployed(name)
        except GatewayError:
            return None

    def _deployed(self, name: str) -> dict[str, Any] | None:
        try:
            return self._functions.function(name)
        except NotFound:
            return None

    def _refreshed(self, name: str) -> Service | None:
        """Refresh now; a failure is logged, since the periodic refresh will apply it anyway."""
        try:
            found = self._registry.refresh()
        except GatewayError as e:
            log.warning(
                "service %s changed, but the registry could not refresh: %s", name, e.message
            )
            return None
        return next((s for s in found if s.name == name), None)


def blueprint(*, changes: Changes, registry: Registry, token: Callable[[str], str]) -> Blueprint:
    routes = Blueprint("service_api", __name__)

    def shown(service: Service, function: dict[str, Any] | None = None) -> oscar_schemas.Service:
        state = function if function is not None else changes.state(service.name)
        return oscar_schemas.Service.from_row(service, token=token(service.name), function=state)

    def changed(url_name: str | None, *, creating: bool) -> tuple[Response, int]:
        result = changes.apply(_read_spec(url_name), creating=creating)
        if isinstance(result, schemas.Plan):
            return schemas.reply(result)
        answer, status = schemas.reply(shown(result), 201 if creating else 200)
        if creating:
            answer.headers["Location"] = f"/system/services/{result.name}"
        return answer, status

    @routes.get("/system/services")
    def _list() -> tuple[Response, int]:
        services = registry.refresh()
        states = changes.states()
        return schemas.reply([shown(s, states.get(s.name, {})) for s in services])

    @routes.get("/system/services/<name>")
    def _show(name: str) -> tuple[Response, int]:
        return schemas.reply(shown(registry.get(name)))

    @routes.post("/system/services")
    def _create() -> tuple[Response, int]:
        return changed(None, creating=True)

    @routes.put("/system/services")
    def _update_named_in_body() -> tuple[Response, int]:
        return changed(None, creating=False)

    @routes.put("/system/services/<name>")
    def _update(name: str) -> tuple[Response, int]:
        return changed(name, creating=False)

    @routes.delete("/system/services/<name>")
    def _delete(name: str) -> tuple[Response, int]:
        plan = changes.delete(name)
        return schemas.reply(plan) if plan is not None else (Response(status=204), 204)

    return routes


def _read_spec(url_name: str | None) -> fdl.ServiceSpec:
    if (request.content_length or 0) > MAX_BODY:
        raise BadRequest(f"the service definition is larger than {MAX_BODY} bytes")
    document = fdl.read_document(request.get_data(), request.headers.get("Content-Type", ""))
    spec = fdl.validate(document, name=url_name)
    if ignored := fdl.ignored_fields(document):
        log.info("service %s: ignoring OSCAR fields with no meaning here: %s", spec.name, ignored)
    return spec


def _names_an_input(status: dict[str, Any]) -> bool:
    try:
        return Service.from_function(status) is not None
    except InvalidService:
        return True  # a service with a broken definition is still one to delete


def _plan(name: str, plan: list[Step]) -> schemas.Plan:
    steps = [
        schemas.PlanStep(command=str(step), files=dict(step.files) if step.files else None)
        for step in plan
    ]
    return schemas.Plan(name=name, dry_run=True, plan=steps)
