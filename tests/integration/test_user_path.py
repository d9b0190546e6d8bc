"""The user's path with the `oscar` command only: an OSCAR FDL applied, files put, jobs and
outputs read back, a synchronous run, the service deleted (issues 4 and 5 on the real stack)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import yaml

from tests.support.stack import RunningStack, oscar
from tests.support.waiting import wait_for

SCRIPT = """#!/bin/sh
set -eu
name=$(basename "$INPUT_FILE_PATH")
echo "fdl script on $name"
{ tr 'a-z' 'A-Z' < "$INPUT_FILE_PATH"; printf ' via %s' "$GREETING"; } > "$TMP_OUTPUT_DIR/$name"
"""


def cli(stack: RunningStack, *args: str) -> str:
    result = oscar(stack.env, *args)
    assert result.returncode == 0, f"oscar {' '.join(args)}:\n{result.stdout}{result.stderr}"
    assert "Traceback" not in result.stderr
    return result.stdout


def test_an_fdl_service_applied_with_oscar_processes_uploads_and_answers_runs(
    stack: RunningStack, tmp_path: Path
) -> None:
    # An image to run the script in: any python-watchdog image the stack has built.
    base = stack.deploy("fdl-base", "ok")
    image = yaml.safe_load((base / "stack.yml").read_text())["functions"]["fdl-base"]["image"]
    name = f"fdl-{uuid.uuid4().hex[:6]}"
    bucket = f"{name}-data"
    (tmp_path / "upper.sh").write_text(SCRIPT)
    fdl = {
        "functions": {
            "oscar": [
                {
                    "local": {
                        "name": name,
                        "image": image,
                        "script": "upper.sh",
                        "memory": "256Mi",
                        "cpu": "0.5",
                        "input": [{"storage_provider": "minio.default", "path": f"{bucket}/in"}],
                        "output": [{"storage_provider": "minio.default", "path": f"{bucket}/out"}],
                        "environment": {"Variables": {"GREETING": "fdl"}},
                    }
                }
            ]
        }
    }
    (tmp_path / "service.yml").write_text(yaml.safe_dump(fdl))

    cli(stack, "apply", str(tmp_path / "service.yml"))
    services = json.loads(cli(stack, "services", "--json"))
    assert name in [s["name"] for s in services]
    wait_for(
        lambda: stack.describe(name).get("Status") == "Ready", timeout=60, what=f"{name} ready"
    )

    (tmp_path / "note.txt").write_text("hello")
    cli(stack, "put", str(tmp_path / "note.txt"), f"{bucket}/in")

    def succeeded() -> list[dict[str, object]] | None:
        found = json.loads(cli(stack, "jobs", name, "--status", "succeeded", "--json"))
        jobs = found["jobs"] if isinstance(found, dict) else found
        return jobs or None

    [job] = wait_for(succeeded, timeout=60, what="the uploaded file's job")
    assert job["outputs"] == ["out/note.txt"]
    cli(stack, "get", f"{bucket}/out/note.txt", "-o", str(tmp_path / "got.txt"))
    assert (tmp_path / "got.txt").read_text() == "HELLO via fdl"

    cli(stack, "run", name, str(tmp_path / "note.txt"), "-o", str(tmp_path / "ran.txt"))
    assert (tmp_path / "ran.txt").read_text() == "HELLO via fdl"

    cli(stack, "delete", name)
    services = json.loads(cli(stack, "services", "--json"))
    assert name not in [s["name"] for s in services]


def test_bad_input_at_the_cli_is_one_line_and_a_non_zero_exit(
    stack: RunningStack, tmp_path: Path
) -> None:
    (tmp_path / "broken.yml").write_text("functions: [oscar: {name: }\n")
    cases = [
        (("run", "no-such-service", str(tmp_path / "missing.txt")), "missing.txt"),
        (("jobs", "no-such-service"), "no-such-service"),
        (("apply", str(tmp_path / "broken.yml")), "broken.yml"),
    ]
    for args, mentioned in cases:
        result = oscar(stack.env, *args)
        assert result.returncode != 0, args
        assert "Traceback" not in result.stdout + result.stderr
        assert mentioned in result.stdout + result.stderr, (args, result.stderr)
