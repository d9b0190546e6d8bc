"""OSCAR FDL files (YAML or JSON) read into the service definitions `oscar apply` sends.

Three shapes are accepted:

- OSCAR's own: `functions: {oscar: [{<cluster>: {name: ..., ...}}, ...]}`;
- one service mapping (`name: ...`);
- a list of service mappings.

A YAML file may hold several documents. `script: script.sh` names a file next to the FDL file
and is sent as its content, as OSCAR's CLI does (the gateway cannot read the user's disk).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from oscar_cli.errors import BadInput

# What OpenFaaS (and Kubernetes, DNS-1123) accepts as a function name.
NAME = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
SHAPES = "`functions: {oscar: [{CLUSTER: SERVICE}]}`, one service mapping, or a list of them"


@dataclass(frozen=True)
class ServiceEntry:
    """One service as an FDL file holds it: checked only enough to send; the gateway validates."""

    name: str
    where: str  # where in the file it was, for messages: `functions.oscar[0].local`
    body: dict[str, Any]


def load(path: Path) -> list[ServiceEntry]:
    """Every service of the FDL file, checked enough to send; BadInput naming file and place."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise BadInput(f"{path}: not a text file ({e.reason}); give a YAML or JSON FDL") from e
    documents = [d for d in _parse(path, text) if d is not None]
    if not documents:
        raise BadInput(f"{path}: no services in it; expected {SHAPES}")
    entries = [entry for document in documents for entry in _services(path, document)]
    seen: dict[str, str] = {}
    for entry in entries:
        if entry.name in seen:
            raise BadInput(
                f"{path}: service {entry.name} is defined twice ({seen[entry.name]} and "
                f"{entry.where}); rename one"
            )
        seen[entry.name] = entry.where
    return entries


def _parse(path: Path, text: str) -> list[Any]:
    if path.suffix.lower() == ".json":
        try:
            return [json.loads(text)]
        except json.JSONDecodeError as e:
            raise BadInput(
                f"{path}: not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}"
            ) from e
    try:
        return list(yaml.safe_load_all(text))
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = e.problem or e.context or "malformed"
        raise BadInput(f"{path}: not valid YAML: {problem}{where}") from e
    except yaml.YAMLError as e:
        raise BadInput(f"{path}: not valid YAML: {e}") from e


def _services(path: Path, document: Any) -> Iterator[ServiceEntry]:
    if isinstance(document, list):
        for index, item in enumerate(document):
            yield _service(path, item, where=f"[{index}]")
    elif isinstance(document, dict) and "functions" in document:
        yield from _oscar_functions(path, document["functions"])
    elif isinstance(document, dict) and "name" in document:
        yield _service(path, document, where="the top level")
    else:
        found = (
            f"a mapping with keys {sorted(map(str, document))}"
            if isinstance(document, dict)
            else f"a {type(document).__name__}"
        )
        raise BadInput(f"{path}: expected {SHAPES}; found {found}")


def _oscar_functions(path: Path, functions: Any) -> Iterator[ServiceEntry]:
    clusters = functions.get("oscar") if isinstance(functions, dict) else None
    if not isinstance(clusters, list):
        raise BadInput(
            f"{path}: functions: expected `oscar:` with a list of `CLUSTER: SERVICE` entries"
        )
    for index, entry in enumerate(clusters):
        where = f"functions.oscar[{index}]"
        if not isinstance(entry, dict) or not entry:
            raise BadInput(f"{path}: {where}: expected `CLUSTER: SERVICE`, found {entry!r}")
        for cluster, service in entry.items():
            yield _service(path, service, where=f"{where}.{cluster}")


def _service(path: Path, service: Any, *, where: str) -> ServiceEntry:
    if not isinstance(service, dict):
        raise BadInput(f"{path}: {where}: expected a service mapping, found {service!r}")
    name = service.get("name")
    if not isinstance(name, str) or not name:
        raise BadInput(f"{path}: {where}: the service has no `name`")
    if not NAME.fullmatch(name) or len(name) > 63:
        raise BadInput(
            f"{path}: {where}: name {name!r} must be lowercase letters, digits and '-' "
            "(at most 63, starting and ending with a letter or digit)"
        )
    body = dict(service)
    script = body.get("script")
    if isinstance(script, str) and script and "\n" not in script:
        body["script"] = _script(path, script, where=f"{where}.script")
    return ServiceEntry(name, where, body)


def _script(path: Path, script: str, *, where: str) -> str:
    """The content of the script file named `script`; a one-line inline script as it is."""
    file = (path.parent / script).resolve()
    if not file.is_file():
        if any(c.isspace() for c in script):
            return script  # `echo hi > "$TMP_OUTPUT_DIR/out"`: a script, not a file name
        raise BadInput(
            f"{path}: {where}: {script} does not exist (looked for {file}; paths are relative "
            "to the FDL file)"
        )
    try:
        return file.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise BadInput(f"{path}: {where}: {script} is not a text file ({e.reason})") from e
