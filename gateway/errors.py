"""The gateway's errors: each knows its HTTP status; one Flask handler turns them into JSON."""

from __future__ import annotations

from collections.abc import Sequence


class GatewayError(Exception):
    status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigError(GatewayError):
    """The gateway's settings are wrong: every problem, each naming its setting."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("gateway is misconfigured:\n  - " + "\n  - ".join(problems))
        self.problems = problems


class BadRequest(GatewayError):
    status = 400


class Unauthorized(GatewayError):
    status = 401


class Forbidden(GatewayError):
    status = 403


class NotFound(GatewayError):
    status = 404


class InvalidService(GatewayError):
    """A service definition that cannot work (bad path, output overlapping its input).

    `problems`: each field at fault as (its path in the user's document, what is wrong), so a
    caller can show each one beside the field (the dashboard's FDL editor does)."""

    status = 422

    def __init__(self, message: str, *, problems: Sequence[tuple[str, str]] = ()) -> None:
        super().__init__(message)
        self.problems = list(problems)


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


class FaasCliFailed(UpstreamError):
    """faas-cli exited non-zero, timed out (`returncode` None) or did not say it succeeded."""

    def __init__(self, args: Sequence[str], returncode: int | None, output: str) -> None:
        lines = [line for line in output.strip().splitlines() if line.strip()]
        outcome = "timed out" if returncode is None else f"failed (exit {returncode})"
        last = lines[-1][:200] if lines else "no output"
        super().__init__(
            f"faas-cli {' '.join(args[:2])} {outcome}: {last}",
            detail="\n".join(lines[-12:]),
        )
        self.returncode = returncode


class LedgerError(GatewayError):
    """The ledger cannot be used as found (a schema newer than this gateway knows)."""


class LedgerUnavailable(GatewayError):
    """The ledger's database does not answer: the request may be sent again later."""

    status = 503
