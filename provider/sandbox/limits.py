"""A replica's resource limits, parsed from OpenFaaS's `limits` (Kubernetes quantities)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal, InvalidOperation


@dataclass(frozen=True)
class Limits:
    memory_bytes: int | None = None
    cpu_millis: int | None = None
    pids: int | None = None  # processes and threads at once: a fork bomb stops here

    @classmethod
    def from_openfaas(cls, limits: Mapping[str, str] | None, *, pids: int | None = None) -> Limits:
        """From a deployment's `"limits": {"memory": "128Mi", "cpu": "500m"}`; OpenFaaS has no
        process limit, so `pids` is the provider's own, the same for every replica."""
        limits = limits or {}
        memory, cpu = limits.get("memory"), limits.get("cpu")
        return cls(
            memory_bytes=parse_memory(memory) if memory else None,
            cpu_millis=parse_cpu(cpu) if cpu else None,
            pids=pids,
        )


_QUANTITY = re.compile(r"(?P<number>[0-9]+(?:\.[0-9]+)?|\.[0-9]+)(?P<suffix>[A-Za-z]*)")
_MEMORY_SUFFIXES = {
    "": 1,
    **{s: 1000**i for i, s in enumerate("kMGTPE", start=1)},
    "K": 1000,
    **{f"{s}i": 1024**i for i, s in enumerate("KMGTPE", start=1)},
}


def parse_memory(text: str) -> int:
    """Bytes from a Kubernetes quantity: "128Mi", "1Gi", "100M", "512k", "1048576"."""
    match = _QUANTITY.fullmatch(text.strip())
    if match is None or match["suffix"] not in _MEMORY_SUFFIXES:
        hint = " ('m' means milli; did you mean Mi?)" if text.strip().endswith("m") else ""
        raise ValueError(
            f"memory limit {text!r}: expected a number with an optional suffix "
            f"(Ki, Mi, Gi, Ti, k, M, G, T), like '128Mi'{hint}"
        )
    value = _ceil(Decimal(match["number"]) * _MEMORY_SUFFIXES[match["suffix"]])
    if value <= 0:
        raise ValueError(f"memory limit {text!r}: expected more than zero bytes")
    return value


def parse_cpu(text: str) -> int:
    """Millicores from a Kubernetes quantity: "500m" -> 500, "1" -> 1000, "0.25" -> 250."""
    match = _QUANTITY.fullmatch(text.strip())
    if match is None or match["suffix"] not in {"", "m"}:
        raise ValueError(f"cpu limit {text!r}: expected cores ('0.5', '2') or millicores ('500m')")
    number = Decimal(match["number"])
    value = _ceil(number if match["suffix"] == "m" else number * 1000)
    if value <= 0:
        raise ValueError(f"cpu limit {text!r}: expected more than zero")
    return value


def _ceil(value: Decimal) -> int:
    try:
        return int(value.to_integral_value(rounding=ROUND_CEILING))
    except InvalidOperation as e:  # pragma: no cover - the regex admits only plain decimals
        raise ValueError(f"not a number: {value}") from e
