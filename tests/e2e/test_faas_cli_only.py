"""A service made with nothing but a stack.yml, `faas-cli deploy` and an S3 client.

The local engine has no Docker, so `oscar build` makes the image (it is `faas-cli build
--shrinkwrap` plus the image store); everything after it is plain OpenFaaS and plain S3: no
`oscar` command and no call to this project's gateway API. The gateway notices the function on
its own, creates its bucket and sets the notification rule; the upload does the rest.
"""

from __future__ import annotations

import io
import uuid

import yaml

from tests.support.stack import S3_SECRETS, RunningStack, oscar
from tests.support.tools import ROOT
from tests.support.waiting import wait_for

SCRIPT = """#!/bin/sh
set -eu
name=$(basename "$INPUT_FILE_PATH")
echo "shouting $STORAGE_OBJECT_KEY"
tr 'a-z' 'A-Z' < "$INPUT_FILE_PATH" > "$TMP_OUTPUT_DIR/$name"
"""


def notified(stack: RunningStack, bucket: str, prefix: str) -> bool:
    """True once MinIO has a notification rule on `bucket` for keys under `prefix`."""
    if not stack.minio.bucket_exists(bucket):
        return False
    rules = stack.minio.get_bucket_notification(bucket).queue_config_list
    return any(r.prefix_filter_rule and r.prefix_filter_rule.value == prefix for r in rules)


def test_a_function_deployed_with_faas_cli_alone_processes_bucket_uploads(
    stack: RunningStack,
) -> None:
    name = f"shout-{uuid.uuid4().hex[:6]}"
    bucket = name
    project = stack.root / "projects" / name
    (project / "shout").mkdir(parents=True)
    (project / "shout" / "script.sh").write_text(SCRIPT, encoding="utf-8")
    (project / "shout" / "script.sh").chmod(0o755)
    (project / "template").symlink_to(ROOT / "templates")
    function = {
        "lang": "python-watchdog",
        "handler": "./shout",
        "image": f"e2e/{name}:latest",
        "environment": {
            "S3_ENDPOINT": stack.minio_url,
            "INPUT_PATH": f"{bucket}/in",
            "OUTPUT_PATH": f"{bucket}/out",
        },
        "secrets": S3_SECRETS,
    }
    document = {
        "version": 1.0,
        "provider": {"name": "openfaas", "gateway": stack.openfaas_url},
        "functions": {name: function},
    }
    (project / "stack.yml").write_text(yaml.safe_dump(document), encoding="utf-8")
    built = oscar(stack.env, "build", "-f", str(project / "stack.yml"))  # the image, no Docker
    assert built.returncode == 0, built.stdout + built.stderr

    stack.faas_cli.run("deploy", "-f", "stack.yml", cwd=project)
    stack.wait_available(name, 1, timeout=60)
    wait_for(
        lambda: notified(stack, bucket, "in/"),
        timeout=30,
        what=f"the gateway to create bucket {bucket} and its notification rule",
    )
    body = b"hello from a plain s3 client\n"
    stack.minio.put_object(bucket, "in/2024/note.txt", io.BytesIO(body), len(body))

    def output() -> bytes | None:
        keys = [o.object_name for o in stack.minio.list_objects(bucket, "out/", recursive=True)]
        if "out/2024/note.txt" not in keys:
            return None
        answer = stack.minio.get_object(bucket, "out/2024/note.txt")
        try:
            return answer.read()
        finally:
            answer.close()
            answer.release_conn()

    assert wait_for(output, timeout=60, what=f"{bucket}/out/2024/note.txt") == body.upper()
