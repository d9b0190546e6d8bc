"""Build a function's image from the template's Dockerfile with buildah, and push it.

The build context is the one `faas-cli build --shrinkwrap` makes: the template's files, with the
function's handler folder copied over the template's `function/`. buildah runs as root with
chroot isolation (no network namespace, no iptables) and keeps its layer cache outside the work
tree, so a second build of the same function takes seconds.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

from .config import ROOT, ClusterConfig
from .errors import StepFailed
from .images import PYTHON_REPO, PYTHON_VERSION, base_images
from .plan import private_mounts

TEMPLATE = ROOT / "templates" / "python-watchdog"
# The host's CA bundle: where the machine reaches PyPI and Debian through a proxy of its own,
# the RUN steps (pip, apt-get) need the machine's CAs. Mounted for the build only: the image
# keeps Debian's own bundle.
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")


def registries_conf(config: ClusterConfig) -> str:
    """Sends the Dockerfile's `python:` (Docker Hub) to the local registry, over plain HTTP."""
    registry = config.registry_on_host
    return (
        "unqualified-search-registries = []\n\n"
        "[aliases]\n"
        '"python" = "docker.io/library/python"\n\n'
        "[[registry]]\n"
        'prefix = "docker.io/library/python"\n'
        f'location = "{registry}/{PYTHON_REPO}"\n'
        "insecure = true\n\n"
        "[[registry]]\n"
        f'location = "{registry}"\n'
        "insecure = true\n"
    )


def build_args(config: ClusterConfig, extra: Mapping[str, str]) -> dict[str, str]:
    """The template's build arguments: local base images first, then the function's own."""
    return {
        "WATCHDOG_IMAGE": base_images(config).watchdog,
        "PYTHON_VERSION": PYTHON_VERSION,
        **extra,
    }


def context(handler: Path, into: Path) -> Path:
    """The shrinkwrapped build context: the template, the handler over its function/."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(TEMPLATE, into, symlinks=False, ignore=ignore)
    shutil.copytree(handler, into / "function", dirs_exist_ok=True, ignore=ignore)
    return into


def buildah(config: ClusterConfig) -> list[str]:
    """buildah in a private mount namespace of its own: its mounts and the files it writes to
    fixed paths (/var/lib/containers/cache, /run/containers) vanish when it exits."""
    storage = config.cache_dir / "buildah"
    prelude = "\n".join(private_mounts(config.state_dir))
    return [
        "unshare",
        "--mount",
        "--propagation",
        "private",
        "--",
        "sh",
        "-c",
        f'{prelude}\nexec "$@"',
        "buildah",
        config.tool("buildah"),
        f"--root={storage}/root",
        # On the namespace's own /run: every run starts with no stale mount records.
        "--runroot=/run/oscar-buildah",
        "--storage-driver=overlay",
    ]


def build(
    config: ClusterConfig,
    *,
    handler: Path,
    image: str,
    args: Mapping[str, str] | None = None,
    push: bool = True,
) -> str:
    """Build `handler` on the template as `image` (a host registry name); push it."""
    with tempfile.TemporaryDirectory(prefix="oscar-build-") as tmp:
        ctx = context(handler, Path(tmp) / "context")
        arguments = build_args(config, args or {})
        return build_dockerfile(config, context=ctx, image=image, args=arguments, push=push)


def build_dockerfile(
    config: ClusterConfig,
    *,
    context: Path,
    image: str,
    args: Mapping[str, str],
    push: bool = True,
) -> str:
    """Build `context`'s Dockerfile as `image` (a host registry name); push it."""
    conf = config.state_dir / "buildah" / "registries.conf"
    policy = config.state_dir / "buildah" / "policy.json"
    conf.parent.mkdir(parents=True, exist_ok=True)
    conf.write_text(registries_conf(config))
    policy.write_text(json.dumps({"default": [{"type": "insecureAcceptAnything"}]}))
    # buildah makes its network configuration folder (/etc/cni/net.d) even when it needs none.
    containers_conf = conf.with_name("containers.conf")
    containers_conf.write_text(f'[network]\nnetwork_config_dir = "{conf.parent / "net.d"}"\n')
    env = {
        **config.child_env(),
        "CONTAINERS_REGISTRIES_CONF": str(conf),
        "CONTAINERS_CONF": str(containers_conf),
    }
    flags = [f"--signature-policy={policy}", "--tls-verify=false"]
    mounts = [f"--volume={HOST_CA_BUNDLE}:{HOST_CA_BUNDLE}:ro"] if HOST_CA_BUNDLE.exists() else []
    try:
        _build(env=env, flags=[*flags, *mounts], ctx=context, image=image, args=args, config=config)
    finally:
        release(config, env)
    if push:
        _run([*buildah(config), "push", *flags, image, f"docker://{image}"], env)
        release(config, env)
    return image


def release(config: ClusterConfig, env: dict[str, str]) -> None:
    """Leave no working container behind (a multi-stage build keeps its stages')."""
    _run([*buildah(config), "rm", "--all"], env)


def _build(
    *,
    config: ClusterConfig,
    env: dict[str, str],
    flags: list[str],
    ctx: Path,
    image: str,
    args: Mapping[str, str],
) -> None:
    arguments = [f"--build-arg={k}={v}" for k, v in args.items()]
    _run(
        [
            *buildah(config),
            "build",
            "--isolation=chroot",
            "--layers",
            "--force-rm",
            *flags,
            *arguments,
            "-t",
            image,
            "-f",
            str(ctx / "Dockerfile"),
            str(ctx),
        ],
        env,
    )


def _run(command: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        raise StepFailed(command, result.returncode, result.stderr + result.stdout)
