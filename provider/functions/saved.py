"""`functions.json`: deployments and desired counts, so a restarted provider brings them back."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from provider.deployments import Deployment
from provider.functions.records import Function


def save(path: Path, functions: Iterable[Function]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    records = [
        {"deployment": f.deployment.to_json(), "desired": f.desired, "created": f.created_at}
        for f in functions
    ]
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(records, indent=2))
    tmp.replace(path)


def load(path: Path) -> list[tuple[Deployment, int, str]]:
    """(deployment, desired count, created at) of each saved function; none without a file."""
    if not path.exists():
        return []
    loaded = []
    for record in json.loads(path.read_text()):
        deployment = Deployment.from_json(record["deployment"], default_namespace="openfaas-fn")
        loaded.append((deployment, int(record["desired"]), str(record["created"])))
    return loaded
