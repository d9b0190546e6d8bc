"""Container images without Docker: base images from Debian packages, then the template built.

- `python`: a minimal bookworm root filesystem with python3 and pip (debootstrap, cached by
  what went into it), one layer on an empty base, pushed with crane as
  `library/python:3.11-slim-bookworm` (Debian bookworm's Python is 3.11).
- `of-watchdog`: the watchdog binary the installer built, alone in a layer, at /fwatchdog.
- `pause`: the pod sandbox, the static binary the installer compiled from Kubernetes' pause.c.

The template's Dockerfile is then built for real by buildah (chroot isolation, as root). Its
watchdog stage comes from the `WATCHDOG_IMAGE` build argument; its final stage stays
`FROM python:${PYTHON_VERSION}-slim-bookworm` (the local engine reads that file), and buildah's
registries.conf (in the state folder) sends `docker.io/library/python` to the local registry.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .config import ClusterConfig
from .errors import StepFailed

SUITE = "bookworm"
MIRROR = "http://deb.debian.org/debian"
PACKAGES = ("python3", "python3-pip", "ca-certificates")
PYTHON_VERSION = "3.11"
PYTHON_REPO = "library/python"
PYTHON_TAG = f"{PYTHON_VERSION}-slim-{SUITE}"
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@dataclass(frozen=True)
class BaseImages:
    """Where the base images are, as the host's builders name them."""

    python: str
    watchdog: str
    pause: str


def base_images(config: ClusterConfig) -> BaseImages:
    registry = config.registry_on_host
    return BaseImages(
        python=f"{registry}/{PYTHON_REPO}:{PYTHON_TAG}",
        watchdog=f"{registry}/oscar-k8s/of-watchdog:standin",
        pause=f"{registry}/oscar-k8s/pause:latest",
    )


def rootfs_key() -> str:
    text = json.dumps([SUITE, MIRROR, PACKAGES, "no-externally-managed"])
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def rootfs_tarball(config: ClusterConfig) -> Path:
    """The cached root filesystem tarball, made by debootstrap the first time (about a minute)."""
    tarball = config.cache_dir / f"{SUITE}-python3-{rootfs_key()}.tar"
    if tarball.exists():
        return tarball
    config.cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="oscar-rootfs-", dir=config.cache_dir) as tmp:
        target = Path(tmp) / "rootfs"
        _run(
            [
                config.tool("debootstrap"),
                "--variant=minbase",
                f"--include={','.join(PACKAGES)}",
                SUITE,
                str(target),
                MIRROR,
            ],
            config,
        )
        # Like the python images on Docker Hub, pip installs into the system: the Dockerfile's
        # `pip install` would be refused by PEP 668's marker otherwise.
        for marker in target.glob("usr/lib/python3*/EXTERNALLY-MANAGED"):
            marker.unlink()
        shutil.rmtree(target / "var/cache/apt/archives", ignore_errors=True)
        (target / "var/cache/apt/archives/partial").mkdir(parents=True)
        partial = Path(tmp) / "rootfs.tar"
        _run(["tar", "--numeric-owner", "-C", str(target), "-cf", str(partial), "."], config)
        partial.replace(tarball)
    return tarball


def single_file_layer(path: Path, *, source: Path, name: str) -> Path:
    with tarfile.open(path, "w") as tar:
        info = tar.gettarinfo(str(source.resolve()), arcname=name)
        info.mode, info.uid, info.gid, info.uname, info.gname = 0o755, 0, 0, "root", "root"
        with source.open("rb") as handle:
            tar.addfile(info, handle)
    return path


def push_pause(config: ClusterConfig) -> str:
    """The pod sandbox image, which `up` pushes before the kubelet starts (it is tiny)."""
    image = base_images(config).pause
    with tempfile.TemporaryDirectory(prefix="oscar-layers-") as tmp:
        source = config.bin_dir / "pause"
        layer = single_file_layer(Path(tmp) / "pause.tar", source=source, name="pause")
        _push(config, image, layer, "--entrypoint", "/pause")
    return image


def push_base_images(config: ClusterConfig) -> BaseImages:
    """Push the python and watchdog base images (crane skips layers the registry has)."""
    images = base_images(config)
    with tempfile.TemporaryDirectory(prefix="oscar-layers-") as tmp:
        source = config.bin_dir / "of-watchdog"
        layer = single_file_layer(Path(tmp) / "watchdog.tar", source=source, name="fwatchdog")
        _push(config, images.watchdog, layer)
    _push(
        config,
        images.python,
        rootfs_tarball(config),
        "--env",
        f"PATH={PATH}",
        "--env",
        "LANG=C.UTF-8",
        "--cmd",
        "python3",
    )
    return images


OPENFAAS_BINARIES = ("openfaas-gateway", "nats-streaming-server", "nats-queue-worker")


def push_openfaas(config: ClusterConfig) -> str:
    """OpenFaaS CE's gateway, NATS Streaming and the queue-worker, the binaries the installer
    built, in one layer (/usr/local/bin) on the python base (they link to glibc).

    Pods pick the program with their `command`. Needs `push_base_images` first.
    """
    image = f"{config.registry_on_host}/oscar-k8s/openfaas:latest"
    with tempfile.TemporaryDirectory(prefix="oscar-layers-") as tmp:
        layer = Path(tmp) / "openfaas.tar"
        with tarfile.open(layer, "w") as tar:
            for name in OPENFAAS_BINARIES:
                source = config.bin_dir / name
                info = tar.gettarinfo(str(source.resolve()), arcname=f"usr/local/bin/{name}")
                info.mode, info.uid, info.gid, info.uname, info.gname = 0o755, 0, 0, "root", "root"
                with source.open("rb") as handle:
                    tar.addfile(info, handle)
        crane = config.tool("crane")
        base = base_images(config).python
        _run([crane, "append", "--insecure", "-b", base, "-f", str(layer), "-t", image], config)
        _run([crane, "mutate", "--insecure", image, "--set-platform", "linux/amd64", "-t", image],
             config)  # fmt: skip
    return image


def _push(config: ClusterConfig, image: str, layer: Path, *settings: str) -> None:
    """One layer on an empty base, then its config; the platform must be set, or containerd
    filters the image out."""
    crane = config.tool("crane")
    _run([crane, "append", "--insecure", "-f", str(layer), "-t", image], config)
    _run(
        [
            crane,
            "mutate",
            "--insecure",
            image,
            "--set-platform",
            "linux/amd64",
            *settings,
            "-t",
            image,
        ],
        config,
    )


def _run(command: list[str], config: ClusterConfig) -> str:
    result = subprocess.run(command, capture_output=True, text=True, env=config.child_env())
    if result.returncode != 0:
        raise StepFailed(command, result.returncode, result.stderr or result.stdout)
    return result.stdout
