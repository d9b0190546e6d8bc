"""Pydantic's errors about an FDL document, worded as one 422 that names every field at fault.

Each problem reads `<field path as the user wrote it>: <what was expected, what was found, how
to fix it>`. The FDL's own validators (gateway.services.fdl_fields) word their refusals
already; pydantic's generic ones (a missing or unknown field, a wrong type) are worded here.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any, cast

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from gateway.errors import InvalidService
from gateway.services.fdl_environment import OSCAR_SHAPE, PLAIN_SHAPE
from gateway.services.fdl_fields import DNS_LABEL, kind
from gateway.services.fdl_model import UNSUPPORTED, FdlService
from gateway.services.fdl_storage import InputPath, OutputPath

# The fields a mapping may hold, by where the mapping is: for "did you mean ...?".
_FIELDS_AT = {
    (): sorted(FdlService.model_fields),
    ("input",): sorted(InputPath.model_fields),
    ("output",): sorted(OutputPath.model_fields),
}
_KEY = "[key]"  # pydantic's last location element when a mapping's key is at fault
_NOT_THE_USERS = (OSCAR_SHAPE, PLAIN_SHAPE, _KEY)


def invalid_service(error: ValidationError, document: Mapping[str, Any]) -> InvalidService:
    """The one InvalidService naming every problem pydantic found in `document`."""
    problems, located = [], []
    for detail in error.errors():
        loc = detail["loc"]
        path = _written_path(loc, document)
        where = tuple(p for p in loc if isinstance(p, str) and p not in _NOT_THE_USERS)
        kind_of = detail["type"]
        if kind_of == "fdl":
            text = str((detail.get("ctx") or {}).get("problem", detail["msg"]))
        elif kind_of == "missing":
            text = "required" + _required_hint(where, document)
        elif kind_of == "extra_forbidden" and len(where) == 1 and where[0] in UNSUPPORTED:
            text = "not supported by this gateway; remove it"
        elif kind_of == "extra_forbidden":
            close = difflib.get_close_matches(str(loc[-1]), _FIELDS_AT.get(where[:-1], []), n=1)
            text = "unknown field" + (f"; did you mean {close[0]!r}?" if close else "; remove it")
        else:
            text = f"expected {_expected(detail)}, found {kind(detail['input'])}"
        problems.append(f"{path}: {text}")
        located.append((path, text))
    count = "a problem" if len(problems) == 1 else f"{len(problems)} problems"
    return InvalidService(
        f"the service definition has {count}: " + "; ".join(problems), problems=located
    )


def _written_path(loc: tuple[int | str, ...], document: Mapping[str, Any]) -> str:
    """`input[0].path`, `environment.Variables.A`: the location in the user's own document.

    What the model added on its way is left out: the environment's shape tags, a mapping key's
    marker, and the `[0]` of a list the user did not write (`input: {path: ...}`, `secrets: a`).
    """
    path, node = "", cast(Any, document)
    for part in loc:
        if part in _NOT_THE_USERS:
            continue
        if isinstance(part, int):
            if isinstance(node, list):
                path, node = f"{path}[{part}]", node[part] if part < len(node) else None
            continue
        path = f"{path}.{part}" if path else part
        node = node.get(part) if isinstance(node, dict) else None
    return path or "the service"


def _required_hint(where: tuple[str, ...], document: Mapping[str, Any]) -> str:
    if where == ("input",):
        name = document.get("name")
        bucket = name if isinstance(name, str) and DNS_LABEL.match(name) else "bucket"
        return (
            "; name the bucket/prefix whose new files become jobs, "
            f"e.g. [{{storage_provider: minio, path: {bucket}/in}}]"
        )
    if where[-1:] == ("path",):
        return "; expected 'bucket/prefix'"
    return ""


def _expected(detail: ErrorDetails) -> str:
    expected = {
        "string_type": "a string",
        "dict_type": "a mapping",
        "model_type": "a mapping",
        "list_type": "a list",
        "tuple_type": "a list",
        "int_type": "an integer",
        "bool_type": "a boolean",
    }
    return expected.get(detail["type"], detail["msg"].removeprefix("Input should be "))
