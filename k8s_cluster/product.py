"""The image of this project's gateway and provider (deploy/image/Dockerfile), built with
buildah like the functions' images and pushed to the cluster's registry.

The build context is a copy of the project's packaging and the packages the image installs,
with the faas-cli the installer built beside them; nothing is imported from them here.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from .builder import build_dockerfile
from .config import ROOT, ClusterConfig
from .images import PYTHON_VERSION

DOCKERFILE = ROOT / "deploy" / "image" / "Dockerfile"
PACKAGES = ("contract", "gateway", "provider", "supervisor", "wsgi_relay")
FILES = ("pyproject.toml", "README.md")
REPOSITORY = "oscar/gateway"


def image_name(registry: str, tag: str = "latest") -> str:
    return f"{registry}/{REPOSITORY}:{tag}"


def stage(into: Path, faas_cli: Path) -> Path:
    """The build context: the Dockerfile, the packaging, the packages, faas-cli."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    into.mkdir(parents=True)
    shutil.copy2(DOCKERFILE, into / "Dockerfile")
    for name in FILES:
        shutil.copy2(ROOT / name, into / name)
    for package in PACKAGES:
        shutil.copytree(ROOT / package, into / package, ignore=ignore)
    shutil.copy2(faas_cli.resolve(), into / "faas-cli")
    return into


def build(config: ClusterConfig, *, registry: str = "", tag: str = "latest") -> str:
    """Build and push the image; its name as `registry` (the cluster's, by default) has it."""
    image = image_name(registry or config.registry_on_host, tag)
    with tempfile.TemporaryDirectory(prefix="oscar-product-") as tmp:
        ctx = stage(Path(tmp) / "context", Path(config.tool("faas-cli")))
        build_dockerfile(config, context=ctx, image=image, args={"PYTHON_VERSION": PYTHON_VERSION})
    return image
