"""The gateway's errors: each knows its HTTP status; one Flask handler turns them into JSON."""

from __future__ import annotations


class GatewayError(Exception):
    status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequest(GatewayError):
    status = 400


class Unauthorized(GatewayError):
    status = 401


class Forbidden(GatewayError):
    status = 403


class NotFound(GatewayError):
    status = 404


class InvalidService(GatewayError):
    """A service definition that cannot work (bad path, output overlapping its input)."""

    status = 422


class UpstreamError(GatewayError):
    """OpenFaaS, MinIO or faas-cli failed; `detail` is the upstream's answer, truncated."""

    status = 502

    def __init__(
        self, message: str, *, upstream_status: int | None = None, detail: str = ""
    ) -> None:
        super().__init__(message)
        self.upstream_status = upstream_status
        self.detail = detail[:500]


class Conflict(GatewayError):
    """What is to be created exists already."""

    status = 409


class UnsupportedMediaType(GatewayError):
    status = 415
