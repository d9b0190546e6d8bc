"""The demo: grayify on the local engine, end to end, with nothing but this repository.

    python examples/demo.py [--down]

1. `oscar up`: MinIO, NATS Streaming, our faas-provider, the real OpenFaaS gateway, the
   queue-workers and this project's gateway, on this machine (no Docker, no Kubernetes);
2. `oscar build`: `faas-cli build --shrinkwrap` of stack.yml, materialised as local images;
3. `faas-cli deploy -f stack.yml`: the plain OpenFaaS way;
4. the sample images go into `grayify/in/`; the gateway turns each upload into a job; the grey
   images appear under `grayify/out/` and are checked with ImageMagick;
5. one synchronous call through the gateway's `/run/grayify`.
The stack keeps running afterwards (explore it with `oscar status`), unless `--down`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests
from minio import Minio

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".tools" / "bin"
OUTPUTS = ROOT / ".demo"


def say(text: str) -> None:
    print(f"==> {text}", flush=True)


def run(*command: str, stdin: str | None = None) -> str:
    result = subprocess.run(
        command,
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"},
    )
    if result.returncode != 0:
        sys.exit(f"`{' '.join(command)}` failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def oscar(*args: str) -> str:
    return run(sys.executable, "-m", "oscar_cli", *args)


def colorspace(path: Path) -> str:
    return run("/usr/bin/identify", "-format", "%[colorspace]", str(path)).strip()


def wait_for(what: str, probe: Any, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.05)
    sys.exit(f"timed out after {timeout:g}s waiting for {what}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--down", action="store_true", help="stop the stack at the end")
    args = parser.parse_args()

    say("oscar up")
    print(oscar("up"), end="")
    status = json.loads(oscar("status", "--json"))
    openfaas, minio, gateway = status["openfaas"], status["minio"], status["gateway"]
    say("oscar build -f stack.yml --filter grayify")
    oscar("build", "-f", "stack.yml", "--filter", "grayify")
    say("faas-cli deploy -f stack.yml --filter grayify")
    run(
        str(BIN / "faas-cli"),
        "login",
        "--gateway",
        openfaas["url"],
        "--username",
        openfaas["username"],
        "--password-stdin",
        stdin=openfaas["password"],
    )
    run(
        str(BIN / "faas-cli"),
        "deploy",
        "-f",
        "stack.yml",
        "--filter",
        "grayify",
        "--gateway",
        openfaas["url"],
    )
    admin = {"Authorization": f"Bearer {gateway['admin_token']}"}

    def service() -> dict[str, Any] | None:
        answer = requests.get(f"{gateway['url']}/system/services/grayify", headers=admin, timeout=5)
        return answer.json() if answer.status_code == 200 else None

    token = wait_for("the gateway to see grayify as a service", service)["token"]
    wait_for(
        "grayify to be ready",
        lambda: (
            requests.get(
                f"{openfaas['url']}/system/function/grayify",
                auth=(openfaas["username"], openfaas["password"]),
                timeout=5,
            )
            .json()
            .get("availableReplicas", 0)
            >= 1
        ),
    )

    s3 = Minio(
        minio["endpoint"].split("://", 1)[1], minio["access_key"], minio["secret_key"], secure=False
    )
    samples = sorted((ROOT / "examples" / "grayify" / "samples").iterdir())
    # A folder per run: the same bytes under the same key are the same object version, which
    # the gateway never processes twice. Outputs mirror the folder.
    run_id = time.strftime("run-%Y%m%d-%H%M%S")
    started = time.monotonic()
    for sample in samples:
        s3.fput_object("grayify", f"in/{run_id}/{sample.name}", str(sample))
        say(f"uploaded grayify/in/{run_id}/{sample.name}")
    expected = {f"out/{run_id}/{s.name}" for s in samples}
    wait_for(
        "the grey outputs",
        lambda: (
            expected
            <= {
                str(o.object_name)
                for o in s3.list_objects("grayify", prefix="out/", recursive=True)
            }
        ),
    )
    say(f"{len(expected)} outputs in {time.monotonic() - started:.2f}s:")
    jobs = requests.get(
        f"{gateway['url']}/system/jobs/grayify?status=succeeded", headers=admin, timeout=5
    ).json()["jobs"]
    for key in sorted(expected):
        local = OUTPUTS / key
        s3.fget_object("grayify", key, str(local))
        space = colorspace(local)
        job = next((j for j in jobs if j["outputs"] == [key]), None)  # newest first
        took = f", job {job['id'][:8]} ran {job['duration_seconds']:.3f}s" if job else ""
        print(f"    grayify/{key}: {local.stat().st_size} bytes, colorspace {space}{took}")
        if space != "Gray":
            sys.exit(f"grayify/{key} is not grey")

    say("synchronous call: POST sunset.png to /run/grayify")
    sample = samples[-1]
    answer = requests.post(
        f"{gateway['url']}/run/grayify",
        data=sample.read_bytes(),
        headers={"Authorization": f"Bearer {token}", "X-Filename": sample.name},
        timeout=60,
    )
    answer.raise_for_status()
    out = OUTPUTS / f"sync-{sample.name}"
    out.write_bytes(answer.content)
    print(
        f"    {answer.headers['Content-Type']}, {len(answer.content)} bytes, "
        f"colorspace {colorspace(out)}"
    )
    say("demo finished: outputs are in .demo/")
    if args.down:
        oscar("down")
        say("stack stopped")
    else:
        say("the stack is still up: `oscar status`, `faas-cli list`, `oscar down` to stop")
    return 0


if __name__ == "__main__":
    sys.exit(main())
