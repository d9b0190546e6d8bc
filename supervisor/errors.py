"""The supervisor's errors: one base class, a few kinds that carry what a caller needs.

Each kind knows its HTTP status, so the one Flask error handler in `app` can turn any of them into
a JSON answer; the gateway reads the status to decide between retrying (5xx) and giving up (4xx).
"""

from __future__ import annotations

from typing import Any


class SupervisorError(Exception):
    """Base class: a failure that is reported to the caller as JSON, never as a traceback."""

    status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def payload(self) -> dict[str, Any]:
        return {"error": self.message}


class ConfigError(SupervisorError):
    """The supervisor's settings are missing or wrong; start-up stops with every problem named."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("supervisor is misconfigured:\n  - " + "\n  - ".join(problems))
        self.problems = problems


class BadRequest(SupervisorError):
    """The request body cannot be understood (malformed event, bad base64, ...)."""

    status = 400


class InputNotFound(SupervisorError):
    """The bucket or object named by the event does not exist: retrying will not help."""

    status = 404


class StorageUnavailable(SupervisorError):
    """MinIO could not be reached or answered with a server error: worth a retry."""

    status = 503


class OutputRejected(SupervisorError):
    """MinIO refused an output (missing bucket, key too long, denied): fix the configuration."""

    status = 502


class StorageNotConfigured(SupervisorError):
    """A storage event arrived, but the function has no S3 endpoint configured."""

    status = 503


class WorkspaceFull(SupervisorError):
    """The workspace ran out of space while writing the input or the outputs."""

    status = 507


class ScriptError(SupervisorError):
    """The user's script did not succeed; nothing was uploaded."""

    def __init__(self, message: str, *, exit_code: int | None, log_tail: str) -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.log_tail = log_tail

    def payload(self) -> dict[str, Any]:
        return {"error": self.message, "exit_code": self.exit_code, "log_tail": self.log_tail}


class ScriptFailed(ScriptError):
    """The script exited with a non-zero code."""

    status = 500


class ScriptTimedOut(ScriptError):
    """The script ran past its timeout and was killed with its whole process group."""

    status = 504

    def __init__(self, *, timeout: float, log_tail: str) -> None:
        super().__init__(
            f"script ran longer than its timeout of {timeout:g}s and was killed; "
            "raise SCRIPT_TIMEOUT (and the watchdog's exec_timeout) if it needs more time",
            exit_code=None,
            log_tail=log_tail,
        )
        self.timeout = timeout

    def payload(self) -> dict[str, Any]:
        return {**super().payload(), "timed_out": True}


class BodyTooLarge(SupervisorError):
    """The request body is over SUPERVISOR_MAX_BODY_BYTES (declared, or counted as it came)."""

    status = 413
