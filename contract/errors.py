"""The contract's errors: what a body, a path or a setting breaks of the contract.

Each deployable maps these to its own answer (the gateway and the supervisor to a 400, a config
loader to one line of its report); the contract itself knows nothing of HTTP.
"""

from __future__ import annotations


class ContractError(ValueError):
    """Base class: text that does not hold to the contract; `reason` says where and why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class BadEvent(ContractError):
    """A storage notification (or a job built from one) that cannot be processed, with the
    place that breaks the rule: `Records[2].s3.object.key: holds a NUL character, ...`."""


class BadJob(ContractError):
    """A job body whose own fields (beside the MinIO event) are missing or of the wrong kind."""


class BadPath(ContractError):
    """A `bucket/prefix` text without a bucket."""


class BadRecord(ContractError):
    """An attempt's result record (`contract.results`) that is malformed or of another version."""
