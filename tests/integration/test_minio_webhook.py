"""Real MinIO delivers its own webhook to the function: the event format is MinIO's, not ours."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

from minio.notificationconfig import NotificationConfig, PrefixFilterRule, QueueConfig

from localstack.minio_server import webhook_env
from tests.support.function import start_function
from tests.support.minio_server import ACCESS_KEY, SECRET_KEY, start_minio
from tests.support.waiting import free_port, wait_for


def test_upload_to_minio_triggers_the_function_through_a_webhook(
    tmp_path: Path, contexts: Callable[[str], Path]
) -> None:
    function_port = free_port()
    minio = start_minio(
        tmp_path / "minio",
        extra_env=webhook_env(
            "FN", f"http://127.0.0.1:{function_port}/", queue_dir=tmp_path / "queue"
        ),
    )
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "s3-access-key").write_text(ACCESS_KEY)
    (secrets / "s3-secret-key").write_text(SECRET_KEY)
    fn_dir = tmp_path / "fn"
    fn_dir.mkdir()
    function = start_function(
        contexts("ok"),
        fn_dir,
        env={
            "port": str(function_port),
            "S3_ENDPOINT": minio.endpoint,
            "SECRETS_DIR": str(secrets),
            "INPUT_PATH": "uploads/in",
            "OUTPUT_PATH": "results/out",
        },
    )
    try:
        s3 = minio.client()
        s3.make_bucket("uploads")
        s3.make_bucket("results")
        s3.set_bucket_notification(
            "uploads",
            NotificationConfig(
                queue_config_list=[
                    QueueConfig(
                        ["s3:ObjectCreated:*"],
                        queue="arn:minio:sqs::FN:webhook",
                        config_id="fn",
                        prefix_filter_rule=PrefixFilterRule("in/"),
                    )
                ]
            ),
        )
        key = "in/2026/a file+name.txt"
        s3.put_object("uploads", key, io.BytesIO(b"from a real webhook"), 19)
        s3.put_object("uploads", "elsewhere/ignored.txt", io.BytesIO(b"no"), 2)

        def output_written() -> bool:
            names = [o.object_name for o in s3.list_objects("results", recursive=True)]
            return names == ["out/2026/a file+name.txt"]

        wait_for(output_written, timeout=30, what="the webhook-triggered output")
        response = s3.get_object("results", "out/2026/a file+name.txt")
        assert response.read() == b"FROM A REAL WEBHOOK"
        response.close()
        response.release_conn()
    finally:
        function.stop()
        minio.stop()
