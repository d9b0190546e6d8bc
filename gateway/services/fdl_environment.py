"""An FDL service's `environment`: OSCAR's `{Variables: {K: V}}` or a plain mapping."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Discriminator, Tag
from pydantic.json_schema import WithJsonSchema

from contract.naming import SECRETS_MOUNT
from gateway.services.fdl_fields import kind, problem

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_RESERVED_ENV = {"INPUT_PATH": "input", "OUTPUT_PATH": "output", "SCRIPT_PATH": "script"}
# The tags of the environment's two shapes: in a ValidationError's location, not the user's.
OSCAR_SHAPE, PLAIN_SHAPE = "<Variables>", "<mapping>"
_OSCAR_ENV_KEYS = {"Variables", "variables", "Secrets", "secrets"}


def _env_name(name: str) -> str:
    if not _ENV_NAME.match(name):
        raise problem(
            f"{name!r} is not a variable name (letters, digits and '_', not starting with a digit)"
        )
    if name in _RESERVED_ENV:
        raise problem(f"set by the gateway from `{_RESERVED_ENV[name]}`; remove it")
    return name


def _env_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise problem(f"expected a string, found {kind(value)}")


def _refused_secrets(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if value:
        raise problem(
            "not supported; create the secret with `faas-cli secret create` and list its name in "
            f"`secrets` (secrets are files under {SECRETS_MOUNT}, never environment values)"
        )
    return value


EnvName = Annotated[str, AfterValidator(_env_name)]
EnvValue = Annotated[
    str, BeforeValidator(_env_value), WithJsonSchema({"type": ["string", "number", "boolean"]})
]
RefusedSecrets = Annotated[dict[str, Any] | None, AfterValidator(_refused_secrets)]


class OscarEnvironment(BaseModel):
    """OSCAR's shape of `environment`: `{Variables: {K: V}}` (or `variables`)."""

    # Not empty: `{}` is the plain shape (and a schema's oneOf needs exactly one to match).
    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"minProperties": 1})

    Variables: dict[EnvName, EnvValue] | None = None
    variables: dict[EnvName, EnvValue] | None = None
    Secrets: RefusedSecrets = None
    secrets: RefusedSecrets = None


def _environment_shape(value: Any) -> str:
    oscar = (
        isinstance(value, dict)
        and value
        and set(value) <= _OSCAR_ENV_KEYS
        and all(v is None or isinstance(v, dict) for v in value.values())
    )
    return OSCAR_SHAPE if oscar else PLAIN_SHAPE


Environment = Annotated[
    Annotated[OscarEnvironment, Tag(OSCAR_SHAPE)]
    | Annotated[dict[EnvName, EnvValue], Tag(PLAIN_SHAPE)],
    Discriminator(_environment_shape),
]


def variables(environment: OscarEnvironment | dict[str, str] | None) -> dict[str, str]:
    if isinstance(environment, OscarEnvironment):
        found = environment.Variables
        return dict(environment.variables or {} if found is None else found)
    return dict(environment or {})
