"""The request's query parameters, read as the routes expect them (a wrong one is a 400)."""

from __future__ import annotations

from flask import request

from gateway.errors import BadRequest


def flag(name: str) -> bool:
    """`?name=true` (or 1, yes): on; absent or anything else: off."""
    return request.args.get(name, "").lower() in {"1", "true", "yes"}


def bounded_int(name: str, *, default: int, low: int, high: int) -> int:
    text = request.args.get(name)
    if text is None:
        return default
    if not text.isdigit() or not low <= int(text) <= high:
        raise BadRequest(f"{name} must be an integer from {low} to {high}")
    return int(text)
