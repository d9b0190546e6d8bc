"""Build Kubernetes' own binaries from k8s.io/kubernetes at one pinned version.

k8s.io/kubernetes is not meant to be a dependency: its go.mod requires its staging modules at
`v0.0.0` and replaces them with `./staging/...` folders, which a consumer cannot use. The
throwaway module written here maps each of those staging modules to the published
`v0.<minor>.<patch>` of the same release, and a `tools`-tagged file imports each command so that
`go mod tidy` pins the whole graph. The pause container's binary is compiled from the same
module's `build/pause/linux/pause.c` (a static C program), so the pods need no image from the
internet.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path

MODULE = "k8s.io/kubernetes"
# Served by nobody, needed by none of the commands we build.
UNSERVED_STAGING = frozenset({"k8s.io/sample-cli-plugin", "k8s.io/sample-controller"})
# The packages that stamp `--version` and the version clients report (else v0.0.0).
VERSION_PACKAGES = ("k8s.io/component-base/version", "k8s.io/client-go/pkg/version")

Runner = Callable[[list[str], Path, dict[str, str]], None]


def staging_modules(upstream_go_mod: str) -> list[str]:
    """The modules that upstream's go.mod replaces with a folder under ./staging/."""
    found = re.findall(r"^\s*(\S+)\s*=>\s*\./staging/\S+\s*$", upstream_go_mod, re.MULTILINE)
    return sorted(set(found) - UNSERVED_STAGING)


def staging_version(version: str) -> str:
    """k8s.io/kubernetes v1.34.4 publishes its staging modules as v0.34.4."""
    match = re.fullmatch(r"v1\.(\d+)\.(\d+)", version)
    if match is None:
        raise ValueError(f"expected a Kubernetes release like v1.34.4, found {version!r}")
    return f"v0.{match[1]}.{match[2]}"


def go_mod(*, upstream_go_mod: str, version: str, go_version: str = "1.24") -> str:
    """The throwaway module's go.mod: upstream at `version`, its staging modules published."""
    staged = staging_version(version)
    replaces = "".join(f"\t{m} => {m} {staged}\n" for m in staging_modules(upstream_go_mod))
    return (
        "module oscar-tools/kubernetes\n\n"
        f"go {go_version}\n\n"
        f"require {MODULE} {version}\n\n"
        f"replace (\n{replaces})\n"
    )


def tools_go(binaries: Sequence[str]) -> str:
    """A file that only `go mod tidy` sees (build tag `tools`), importing each command."""
    commands = [name for name in binaries if name not in {"kubectl", "pause"}]
    imports = "".join(f'\t_ "{MODULE}/cmd/{name}/app"\n' for name in commands)
    if "kubectl" in binaries:
        imports += '\t_ "k8s.io/kubectl/pkg/cmd"\n'
    return f"//go:build tools\n\npackage tools\n\nimport (\n{imports})\n"


def ldflags(version: str) -> str:
    match = re.fullmatch(r"v(\d+)\.(\d+)\.\d+", version)
    if match is None:
        raise ValueError(f"expected a Kubernetes release like v1.34.4, found {version!r}")
    flags = ["-s", "-w"]
    for package in VERSION_PACKAGES:
        flags += [
            f"-X {package}.gitVersion={version}",
            f"-X {package}.gitMajor={match[1]}",
            f"-X {package}.gitMinor={match[2]}",
            f"-X {package}.gitTreeState=clean",
        ]
    return " ".join(flags)


def build(
    *,
    go: str,
    version: str,
    binaries: Sequence[str],
    work: Path,
    bin_dir: Path,
    run: Runner,
) -> None:
    """Write the throwaway module in `work`, then build every binary (and pause) into bin_dir."""
    work.mkdir(parents=True, exist_ok=True)
    env = {"GOFLAGS": "-mod=mod"}
    upstream = _download(go=go, version=version, work=work, run=run)
    (work / "go.mod").write_text(go_mod(upstream_go_mod=upstream.read_text(), version=version))
    (work / "tools.go").write_text(tools_go(binaries))
    run([go, "mod", "tidy"], work, env)
    packages = [f"{MODULE}/cmd/{name}" for name in binaries if name != "pause"]
    out = work / "out"
    out.mkdir(exist_ok=True)
    run(
        [go, "build", "-trimpath", "-ldflags", ldflags(version), "-o", f"{out}/", *packages],
        work,
        env,
    )
    for name in binaries:
        if name != "pause":
            (out / name).replace(bin_dir / name)
    if "pause" in binaries:
        source = _module_dir(go=go, version=version, work=work) / "build/pause/linux/pause.c"
        run(
            [
                "gcc",
                "-Os",
                "-static",
                f"-DVERSION={version}",
                "-o",
                str(bin_dir / "pause"),
                str(source),
            ],
            work,
            {},
        )


def _download(*, go: str, version: str, work: Path, run: Runner) -> Path:
    run([go, "mod", "download", f"{MODULE}@{version}"], work, {})
    return _cache_path(go) / "cache/download" / MODULE / "@v" / f"{version}.mod"


def _module_dir(*, go: str, version: str, work: Path) -> Path:
    return _cache_path(go) / f"{MODULE}@{version}"


def _cache_path(go: str) -> Path:
    import subprocess

    text = subprocess.run([go, "env", "GOMODCACHE"], capture_output=True, text=True, check=True)
    return Path(text.stdout.strip())
