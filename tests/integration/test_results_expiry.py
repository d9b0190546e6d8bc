"""Result records are pruned by a MinIO lifecycle rule on the results bucket, set by the gateway
at start to the ledger's retention: checked on a real MinIO and on the stack's own bucket."""

from __future__ import annotations

import uuid

from minio import Minio
from minio.commonconfig import ENABLED, Filter
from minio.lifecycleconfig import Expiration, LifecycleConfig, Rule

from contract.results import RESULTS_BUCKET
from gateway.clients.storage import EXPIRY_RULE, Storage
from tests.support.minio_server import ACCESS_KEY, SECRET_KEY, MinioInstance
from tests.support.stack import RunningStack


def expiries(s3: Minio, bucket: str) -> dict[str, int | None]:
    found = s3.get_bucket_lifecycle(bucket)
    return {
        str(rule.rule_id): rule.expiration.days if rule.expiration else None
        for rule in (found.rules if found else [])
    }


def test_the_expiry_rule_is_set_changed_and_removed_beside_a_users_own_rule(
    s3: Minio, minio_server: MinioInstance
) -> None:
    bucket = f"results-{uuid.uuid4().hex[:8]}"
    s3.make_bucket(bucket)
    theirs = Rule(ENABLED, Filter(prefix="tmp/"), "theirs", expiration=Expiration(days=2))
    s3.set_bucket_lifecycle(bucket, LifecycleConfig([theirs]))
    storage = Storage(
        f"127.0.0.1:{minio_server.port}", access_key=ACCESS_KEY, secret_key=SECRET_KEY,
        secure=False, target_arn="arn:minio:sqs::OSCAR:webhook",
    )  # fmt: skip

    storage.expire_objects(bucket, days=30)
    assert expiries(s3, bucket) == {"theirs": 2, EXPIRY_RULE: 30}
    storage.expire_objects(bucket, days=7)  # the retention changed: ours follows it
    assert expiries(s3, bucket) == {"theirs": 2, EXPIRY_RULE: 7}
    storage.expire_objects(bucket, days=None)  # jobs kept for ever: records too
    assert expiries(s3, bucket) == {"theirs": 2}


def test_the_stacks_results_bucket_expires_its_records_after_the_ledgers_retention(
    stack: RunningStack,
) -> None:
    assert expiries(stack.minio, RESULTS_BUCKET)[EXPIRY_RULE] == 30  # days, the default
