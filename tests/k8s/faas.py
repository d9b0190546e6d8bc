"""What the k8s tier's modules do alike: run faas-cli against the in-cluster OpenFaaS gateway,
build grayify's image, lay out a faas-cli project, and start a MinIO in the cluster's network
namespace that the test reaches through a forwarder."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import yaml
from minio import Minio

from k8s_cluster import ClusterConfig, processes
from k8s_cluster.builder import build
from k8s_cluster.waiting import wait_until
from tests.support.waiting import free_port

from .conftest import REPO

GRAYIFY = "oscar-examples/grayify:latest"


def faas_cli(config: ClusterConfig, home: Path, *args: str, stdin: str = "") -> str:
    """faas-cli in the project folder `home` (its HOME too, for the login); its output."""
    result = subprocess.run(
        [config.tool("faas-cli"), *args], input=stdin, capture_output=True, text=True,
        cwd=home, env={**config.child_env(), "HOME": str(home)}, timeout=180,
    )  # fmt: skip
    assert result.returncode == 0, f"faas-cli {' '.join(args)}: {result.stdout}{result.stderr}"
    return result.stdout


def faas_login(config: ClusterConfig, home: Path, url: str, password: str) -> None:
    faas_cli(config, home, "login", "--gateway", url, "-u", "admin", "--password-stdin",
             stdin=password)  # fmt: skip


def build_grayify(config: ClusterConfig) -> str:
    """grayify's image (ImageMagick added), pushed; its name as pods pull it."""
    build(config, handler=REPO / "examples" / "grayify",
          image=f"{config.registry_on_host}/{GRAYIFY}",
          args={"ADDITIONAL_PACKAGE": "imagemagick"})  # fmt: skip
    return f"{config.registry_inside}/{GRAYIFY}"


def faas_project(home: Path, handler: str, stack: str) -> None:
    """The project as faas-cli wants it: the template folder beside stack.yml, the handler's
    folder (empty: the image is built already)."""
    shutil.copytree(REPO / "templates", home / "template")
    (home / handler).mkdir()
    (home / "stack.yml").write_text(stack)


def forward(config: ClusterConfig, name: str, target: str) -> tuple[str, processes.Running]:
    """`target` in the cluster's namespace, on a free port of the host's loopback."""
    port = free_port()
    running = processes.spawn(
        name,
        [sys.executable, "-m", "k8s_cluster.forward", str(config.netns_path),
         f"127.0.0.1:{port}={target}"],
        env=config.child_env(), log=config.logs_dir / f"{name}.log", run_dir=config.run_dir,
    )  # fmt: skip
    return f"127.0.0.1:{port}", running


@contextmanager
def minio_in_cluster(
    config: ClusterConfig, name: str, *, port: int, keys: tuple[str, str],
    env: Mapping[str, str] | None = None,
) -> Iterator[Minio]:  # fmt: skip
    """A fresh MinIO at the node's address and `port` (its console at port + 1), with `env`
    added to its own; a client for it on the host's loopback."""
    access, secret = keys
    inside = f"{config.node_ip}:{port}"
    data = config.state_dir / name
    shutil.rmtree(data, ignore_errors=True)
    server = processes.spawn(
        name,
        ["nsenter", f"--net={config.netns_path}", "--", config.tool("minio"), "server",
         "--quiet", "--address", inside, "--console-address", f"{config.node_ip}:{port + 1}",
         str(data)],
        env={**config.child_env(), "MINIO_ROOT_USER": access, "MINIO_ROOT_PASSWORD": secret,
             **(env or {})},
        log=config.logs_dir / f"{name}.log", run_dir=config.run_dir,
    )  # fmt: skip
    host, forwarder = forward(config, f"{name}-forward", inside)
    client = Minio(host, access_key=access, secret_key=secret, secure=False)

    def ready() -> bool | str:
        try:
            client.list_buckets()
        except Exception as e:  # any failure here means "not yet"
            return f"{type(e).__name__}: {e}"
        return True

    ok, last = wait_until(ready, timeout=60, interval=0.3)
    assert ok, f"MinIO in the cluster's namespace did not start: {last}"
    try:
        yield client
    finally:
        for running in (forwarder, server):
            processes.stop(running, grace=5)
        shutil.rmtree(data, ignore_errors=True)


def stack_yml(
    name: str, image: str, *, s3: str, secrets: tuple[str, str],
    environment: Mapping[str, str] | None = None, annotations: Mapping[str, str] | None = None,
) -> str:  # fmt: skip
    """stack.yml of one python-watchdog function reading `<name>/in` and writing `<name>/out`
    on the MinIO at `s3`, its S3 keys from the OpenFaaS secrets `secrets` (access, secret)."""
    function: dict[str, object] = {
        "lang": "python-watchdog",
        "handler": f"./{name}",
        "image": image,
        "environment": {
            "S3_ENDPOINT": s3,
            "INPUT_PATH": f"{name}/in",
            "OUTPUT_PATH": f"{name}/out",
            "S3_ACCESS_KEY_SECRET": secrets[0],
            "S3_SECRET_KEY_SECRET": secrets[1],
            **(environment or {}),
        },
        "secrets": list(secrets),
    }
    if annotations:
        function["annotations"] = dict(annotations)
    document = {"version": 1.0, "provider": {"name": "openfaas"}, "functions": {name: function}}
    return yaml.safe_dump(document, sort_keys=False)
