"""The function-runtime demo: real MinIO, the grayify function from stack.yml, files in, grey out.

    python examples/demo.py [--keep]

Builds grayify with `faas-cli build --shrinkwrap`, materialises it into a local image, runs one
replica behind the watchdog, points a MinIO webhook at it, uploads the sample images, waits for
the grey outputs, checks them with ImageMagick, and makes one synchronous call.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

import requests
import yaml
from minio.notificationconfig import NotificationConfig, PrefixFilterRule, QueueConfig

from engine.images import ImageStore
from engine.minio_server import MinioCredentials, start_minio, webhook_env
from engine.replica import free_port, start_replica

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".tools" / "bin"
STATE = ROOT / ".demo"
CREDENTIALS = MinioCredentials("oscar-demo", "oscar-demo-secret")


def say(text: str) -> None:
    print(f"==> {text}", flush=True)


def colorspace(path: Path) -> str:
    return subprocess.run(
        ["/usr/bin/identify", "-format", "%[colorspace]", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="leave MinIO and the replica running")
    args = parser.parse_args()
    shutil.rmtree(STATE, ignore_errors=True)
    STATE.mkdir()
    spec = yaml.safe_load((ROOT / "stack.yml").read_text())["functions"]["grayify"]
    env = {k: str(v) for k, v in spec["environment"].items()}
    input_bucket, _, input_prefix = env["INPUT_PATH"].partition("/")
    output_bucket, _, output_prefix = env["OUTPUT_PATH"].partition("/")

    say("faas-cli build --shrinkwrap --filter grayify")
    subprocess.run(
        [str(BIN / "faas-cli"), "build", "--shrinkwrap", "-f", "stack.yml", "--filter", "grayify"],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    image = ImageStore(STATE / "images").materialise(spec["image"], ROOT / "build" / "grayify")
    say(f"local image {image.name} ({image.digest[:19]})")

    port = int(env["S3_ENDPOINT"].rsplit(":", 1)[1])
    fn_port = free_port()
    minio = start_minio(
        BIN / "minio",
        STATE / "minio",
        CREDENTIALS,
        port=port,
        extra_env=webhook_env(
            "GRAYIFY", f"http://127.0.0.1:{fn_port}/", queue_dir=STATE / "minio-queue"
        ),
    )
    say(f"MinIO on {minio.endpoint}")
    secrets = STATE / "secrets"
    secrets.mkdir()
    (secrets / "s3-access-key").write_text(CREDENTIALS.access_key)
    (secrets / "s3-secret-key").write_text(CREDENTIALS.secret_key)
    replica = start_replica(
        image,
        watchdog=BIN / "of-watchdog",
        workdir=STATE / "replica",
        env=env,
        secrets_dir=secrets,
        port=fn_port,
    )
    say(f"grayify replica healthy on {replica.url}")
    try:
        s3 = minio.client()
        for bucket in {input_bucket, output_bucket}:
            if not s3.bucket_exists(bucket):
                s3.make_bucket(bucket)
        s3.set_bucket_notification(
            input_bucket,
            NotificationConfig(
                queue_config_list=[
                    QueueConfig(
                        ["s3:ObjectCreated:*"],
                        queue="arn:minio:sqs::GRAYIFY:webhook",
                        config_id="grayify",
                        prefix_filter_rule=PrefixFilterRule(f"{input_prefix}/"),
                    )
                ]
            ),
        )
        samples = sorted((ROOT / "examples" / "grayify" / "samples").iterdir())
        started = time.monotonic()
        for sample in samples:
            s3.fput_object(input_bucket, f"{input_prefix}/{sample.name}", str(sample))
            say(f"uploaded {input_bucket}/{input_prefix}/{sample.name}")
        expected = {f"{output_prefix}/{s.name}" for s in samples}
        deadline = time.monotonic() + 60
        found: set[str] = set()
        while time.monotonic() < deadline and found != expected:
            found = {
                str(o.object_name)
                for o in s3.list_objects(output_bucket, prefix=f"{output_prefix}/", recursive=True)
            }
            time.sleep(0.05)
        if found != expected:
            print(
                f"outputs missing: {sorted(expected - found)}; replica log:\n"
                f"{replica.log_path.read_text()[-2000:]}",
                file=sys.stderr,
            )
            return 1
        say(f"{len(found)} outputs in {time.monotonic() - started:.2f}s:")
        for key in sorted(found):
            local = STATE / "outputs" / key
            s3.fget_object(output_bucket, key, str(local))
            space = colorspace(local)
            print(f"    {output_bucket}/{key}: {local.stat().st_size} bytes, colorspace {space}")
            if space != "Gray":
                print(f"    {key} is not grey", file=sys.stderr)
                return 1
        say("synchronous call: POST sunset.png to the function")
        answer = requests.post(
            replica.url,
            data=samples[-1].read_bytes(),
            headers={"X-Filename": samples[-1].name},
            timeout=60,
        )
        answer.raise_for_status()
        sync_out = STATE / "outputs" / f"sync-{samples[-1].name}"
        sync_out.write_bytes(answer.content)
        print(
            f"    {answer.headers['Content-Type']}, {len(answer.content)} bytes, "
            f"colorspace {colorspace(sync_out)}, {answer.headers['X-Duration-Seconds']}s"
        )
        say("demo finished: outputs are in .demo/outputs")
        if args.keep:
            say(
                f"still running: MinIO {minio.endpoint} (keys in .demo/secrets), "
                f"grayify {replica.url}; stop with Ctrl-C"
            )
            while True:
                time.sleep(3600)
        return 0
    except KeyboardInterrupt:
        return 0
    finally:
        replica.stop()
        minio.stop()


if __name__ == "__main__":
    sys.exit(main())
