"""MinIO's webhook body, read into the objects it announces (one job per record and service).

The rules of the body are the contract's (`contract.records`), the same ones the supervisor
holds a job to: a record that one refuses, the other refuses too, so a key the function could
never process is a 400 here instead of a dead letter later. The gateway keeps bucket, the key
decoded once, the identity it deduplicates on and the record itself (passed on to the function
untouched, one record per job).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from contract import job as contract_job
from contract.errors import ContractError
from contract.records import Created
from contract.records import parse_notification as read_notification
from gateway.errors import BadRequest


@dataclass(frozen=True)
class Announced:
    bucket: str
    key: str
    identity: str  # version id when the bucket is versioned, else the etag
    event_name: str
    record: dict[str, Any]

    @classmethod
    def of(cls, created: Created) -> Announced:
        return cls(
            created.bucket, created.key, created.identity, created.event_name, dict(created.record)
        )

    def event_json(self) -> str:
        """The event the function receives: MinIO's shape, with this record only."""
        return contract_job.event_json(
            bucket=self.bucket, key=self.key, event_name=self.event_name, record=self.record
        )


def parse_notification(body: bytes) -> tuple[list[Announced], int]:
    """The created objects of a notification, and how many records were ignored (deletes...)."""
    try:
        notification = read_notification(body)
    except ContractError as e:
        raise BadRequest(e.reason) from e
    return [Announced.of(c) for c in notification.created], len(notification.ignored)
