"""The words the API description is written in: operations, their parameters and replies.

`gateway.http.openapi_paths` lists the gateway's operations in them; `gateway.http.openapi`
turns that list into the OpenAPI document.
"""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass
from typing import Any

from pydantic import BaseModel

from gateway.http import schemas

REF = "#/components/schemas/{model}"
Schema = dict[str, Any]


def ref(model: type[BaseModel] | str) -> Schema:
    name = model if isinstance(model, str) else model.__name__
    return {"$ref": REF.format(model=name)}


@dataclass(frozen=True)
class Reply:
    """One status of an operation: a JSON body (`schema`, or `ref(model)`), or `content` as
    OpenAPI writes it (other media types), or no body."""

    description: str
    schema: Schema | None = None
    _: KW_ONLY
    content: dict[str, Any] | None = None

    def described(self) -> Schema:
        if self.schema is not None:
            return {"description": self.description, "content": _json(self.schema)}
        if self.content is not None:
            return {"description": self.description, "content": self.content}
        return {"description": self.description}


@dataclass(frozen=True)
class Param:
    name: str
    where: str  # path or query
    schema: Schema
    _: KW_ONLY
    description: str = ""

    def described(self) -> Schema:
        param: Schema = {"name": self.name, "in": self.where, "schema": self.schema}
        if self.where == "path":
            param["required"] = True
        if self.description:
            param["description"] = self.description
        return param


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    summary: str
    _: KW_ONLY
    auth: tuple[str, ...]
    responses: dict[str, Reply]
    parameters: tuple[Param, ...] = ()
    body: Schema | None = None  # the requestBody, as OpenAPI writes it

    def described(self) -> Schema:
        operation: Schema = {
            "summary": self.summary,
            "security": [{name: []} for name in self.auth],
            "parameters": [p.described() for p in self.parameters],
            "responses": {status: r.described() for status, r in self.responses.items()},
        }
        if self.body is not None:
            operation["requestBody"] = self.body
        return operation


def _json(schema: Schema) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


REASONS = {
    400: "The request is malformed (the reason says how)",
    401: "No credential",
    403: "A wrong credential",
    404: "No such service or job",
    409: "The service exists already",
    415: "The body is neither JSON nor YAML",
    422: "The service definition has problems (all of them named)",
    502: "OpenFaaS, MinIO or faas-cli failed (`detail` holds their answer, truncated)",
}


def errors(*codes: int) -> dict[str, Reply]:
    return {str(code): Reply(REASONS[code], ref(schemas.Error)) for code in codes}


ADMIN = ("basicAuth", "adminToken")
"""The admin's credentials: HTTP basic auth (OSCAR's clients) or the admin token."""


def path_param(name: str) -> Param:
    return Param(name, "path", {"type": "string"})


def admin(
    method: str,
    path: str,
    summary: str,
    answer: Reply,
    *codes: int,
    status: str = "200",
    parameters: tuple[Param, ...] = (),
    body: Schema | None = None,
) -> Operation:
    """An operation for the admin: `answer` on success (as `status`), 401 and 403 for a
    missing or wrong credential, and the other error `codes`."""
    return Operation(
        method,
        path,
        summary,
        auth=ADMIN,
        parameters=parameters,
        body=body,
        responses={status: answer, **errors(*sorted({401, 403, *codes}))},
    )
