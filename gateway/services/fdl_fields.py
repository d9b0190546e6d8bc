"""The FDL's field types: each one a pydantic type whose validator says what it expected.

A validator refuses a value by raising `problem(...)`: the text is the whole message after the
field's path, which `gateway.services.fdl_problems` adds. Lenient readings that OSCAR users rely
on (a number where a string is expected, one string where a list is) happen here too, so the
model's declared types stay the canonical form that the JSON schema describes.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator
from pydantic.json_schema import WithJsonSchema
from pydantic_core import PydanticCustomError

from gateway.services.spec import MAX_SCRIPT_BYTES

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_MEMORY = re.compile(r"^(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)(?:[KMGTPE]i|[kKMGTPE])?$")
_CPU = re.compile(r"^(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)m?$")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
GATEWAY_ANNOTATIONS = "oscar."


def problem(text: str) -> PydanticCustomError:
    """A refusal whose text is final (passed as context: FDL examples hold braces)."""
    return PydanticCustomError("fdl", "{problem}", {"problem": text})


def kind(value: object) -> str:
    """What a value is, in the user's words ('a mapping', not 'dict')."""
    names = {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean"}
    return names.get(type(value), "nothing" if value is None else type(value).__name__)


def present(data: Any, blank: set[str]) -> Any:
    """A mapping without the keys whose value says "not given" (null, or '' for `blank`)."""
    if not isinstance(data, dict):
        return data
    return {k: v for k, v in data.items() if v is not None and not (k in blank and v == "")}


def _strings(value: Any) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        raise problem(f"expected a list of strings, found {kind(value)}")
    odd = [i for i in items if not isinstance(i, str)]
    if odd:
        raise problem(f"expected a list of strings, found a list holding {kind(odd[0])}")
    return tuple(i.strip() for i in items if i.strip())


def _quantity(pattern: re.Pattern[str], example: str, *, memory: bool) -> Any:
    def read(value: Any) -> str:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise problem(f"expected a quantity {example}, found {kind(value)}")
        text = str(value).strip()
        if not pattern.match(text):
            # 'm' is milli in Kubernetes quantities: '256m' of memory is a quarter of a byte.
            hint = f"; did you mean '{text[:-1]}Mi'?" if memory and text.endswith("m") else ""
            raise problem(f"expected a quantity {example}, found {text!r}{hint}")
        if not any(c in "123456789" for c in text):
            raise problem(f"{text!r} must be more than zero")
        return text

    return read


def _positive(value: Any) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise problem(f"expected a positive integer, found {value!r}")
    return value


def _image(value: str) -> str:
    image = value.strip()
    if any(c.isspace() for c in image):
        raise problem(f"{image!r} contains white space; an image reference has none")
    return image


def _script(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        found = "an empty string" if isinstance(value, str) else kind(value)
        raise problem(f"expected the script's text (a non-empty string), found {found}")
    if len(value.encode()) > MAX_SCRIPT_BYTES:
        raise problem(f"larger than {MAX_SCRIPT_BYTES} bytes (a secret's limit); make it smaller")
    stripped = value.strip()
    if stripped.endswith(".sh") and not any(c.isspace() for c in stripped):
        raise problem(
            f"{stripped!r} looks like a file name; send the script's text "
            "(OSCAR's CLI reads the file for you)"
        )
    return value


def _log_level(value: Any) -> str:
    if not isinstance(value, str):
        raise problem(f"expected a string, found {kind(value)}")
    if value.strip().upper() not in LOG_LEVELS:
        raise problem(f"expected one of {', '.join(LOG_LEVELS)}, found {value!r}")
    return value.strip().upper()


def _secret_names(names: tuple[str, ...]) -> tuple[str, ...]:
    bad = [s for s in names if len(s) > 253 or not _DNS_SUBDOMAIN.match(s)]
    if bad:
        raise problem(
            f"{', '.join(map(repr, bad))} "
            f"{'is not a secret name' if len(bad) == 1 else 'are not secret names'} (lower-case "
            "letters, digits, '-' and '.'); list secret names, each its own item"
        )
    return tuple(dict.fromkeys(names))


def _annotation_name(name: str) -> str:
    if name.startswith(GATEWAY_ANNOTATIONS):
        raise problem(
            f"{GATEWAY_ANNOTATIONS}* annotations are set by the gateway from the service's "
            "fields; use those"
        )
    return name


def _any_case(words: tuple[str, ...]) -> str:
    """A JSON-schema pattern (which has no flags) for `words` in any case."""
    spelled = ("".join(f"[{c}{c.lower()}]" if c.isalpha() else c for c in w) for w in words)
    return f"^\\s*({'|'.join(spelled)})\\s*$"


STRINGS = BeforeValidator(_strings)
_QUANTITY_SCHEMA = {"type": "number", "exclusiveMinimum": 0}
_STRING_OR_LIST = {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}

Strings = Annotated[tuple[str, ...], STRINGS, WithJsonSchema(_STRING_OR_LIST)]
Memory = Annotated[
    str,
    BeforeValidator(_quantity(_MEMORY, "like '256Mi' or '1Gi'", memory=True)),
    WithJsonSchema({"anyOf": [{"type": "string", "pattern": _MEMORY.pattern}, _QUANTITY_SCHEMA]}),
]
Cpu = Annotated[
    str,
    BeforeValidator(_quantity(_CPU, "cores like '0.5' or millicores like '500m'", memory=False)),
    WithJsonSchema({"anyOf": [{"type": "string", "pattern": _CPU.pattern}, _QUANTITY_SCHEMA]}),
]
PositiveInt = Annotated[
    int,
    BeforeValidator(_positive),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": 1},
                {"type": "string", "pattern": r"^\s*0*[1-9][0-9]*\s*$"},
            ]
        }
    ),
]
Image = Annotated[str, AfterValidator(_image)]
Script = Annotated[
    str, BeforeValidator(_script), WithJsonSchema({"type": "string", "minLength": 1})
]
LogLevel = Annotated[
    str,
    BeforeValidator(_log_level),
    WithJsonSchema(
        {"type": "string", "pattern": _any_case(LOG_LEVELS), "examples": list(LOG_LEVELS)}
    ),
]
SecretNames = Annotated[
    tuple[str, ...], STRINGS, AfterValidator(_secret_names), WithJsonSchema(_STRING_OR_LIST)
]
AnnotationName = Annotated[str, AfterValidator(_annotation_name)]
