"""Build the pinned tools from the Go module proxy into `.tools/bin` (idempotent).

    python3 tools/install.py [--group k8s] [--only NAME ...] [--force]

Each tool is built in a throwaway module under `.tools/build/<name>` (`go get` the pin, then
`go build` the package), because `go install MODULE@VERSION` asks the proxy for the module's
version list, which the proxy reachable here refuses. A stamp file next to each binary records the
pin it was built from, so a second run with nothing changed finishes in well under a second.

Tools in a group (`group = "k8s"` in versions.toml: the one-node Kubernetes, its registry and the
image builder) are built only when the group is asked for, because a cold build of Kubernetes
takes minutes: `scripts/test` asks for every group. Kubernetes itself is built by
`tools/kubernetes.py`, and Debian packages are unpacked (never installed) by `tools/debian.py`.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

if __package__ in (None, ""):  # run as `python tools/install.py`: make `tools` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tools import debian, kubernetes

ROOT = Path(__file__).resolve().parent.parent
VERSIONS = ROOT / "tools" / "versions.toml"
TOOLS_DIR = Path(os.environ.get("OSCAR_TOOLS_DIR", ROOT / ".tools"))
MIN_GO = (1, 24)


class InstallError(Exception):
    """A tool could not be built; the message says what to do about it."""


@dataclass(frozen=True)
class Tool:
    name: str
    module: str = ""
    version: str = ""
    package: str = ""
    binary: str = ""
    pins: tuple[str, ...] = ()
    sum: str = ""
    local: str = ""
    fallback: str = ""
    group: str = ""
    # Several commands built from one module at once (only k8s.io/kubernetes does this).
    binaries: tuple[str, ...] = ()
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def pin(self) -> str:
        if self.local:
            return f"local:{self.local}:{_tree_digest(ROOT / self.local)}"
        return f"{self.module}@{self.version}" + "".join(f" {b}" for b in self.binaries)


def load_tools(path: Path = VERSIONS) -> dict[str, Tool]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    tools: dict[str, Tool] = {}
    for name, spec in data["tools"].items():
        tools[name] = Tool(
            name=name,
            module=spec.get("module", ""),
            version=spec.get("version", ""),
            package=spec.get("package", spec.get("module", "")),
            binary=spec.get("binary", name),
            pins=tuple(spec.get("pins", ())),
            sum=spec.get("sum", ""),
            local=spec.get("local", ""),
            fallback=spec.get("fallback", ""),
            group=spec.get("group", ""),
            binaries=tuple(spec.get("binaries", ())),
        )
    return tools


def load_debs(path: Path = VERSIONS) -> dict[str, debian.Deb]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return {name: debian.from_spec(name, spec) for name, spec in data.get("debs", {}).items()}


def check_go() -> str:
    go = shutil.which("go")
    if go is None:
        raise InstallError(
            "Go is not installed, and the tools are built from source with it: install Go "
            f"{MIN_GO[0]}.{MIN_GO[1]} or newer (apt-get install golang, or go.dev/dl) and rerun"
        )
    text = subprocess.run([go, "version"], capture_output=True, text=True, check=True).stdout
    match = re.search(r"go(\d+)\.(\d+)", text)
    if not match or (int(match[1]), int(match[2])) < MIN_GO:
        raise InstallError(
            f"Go {MIN_GO[0]}.{MIN_GO[1]} or newer is needed to build the pinned tools; found "
            f"{text.strip()!r}. Install a newer Go and rerun"
        )
    return go


def install(tool: Tool, *, go: str, force: bool) -> str:
    """Build one tool unless its binary is already there from the same pin; return a status."""
    bin_dir = TOOLS_DIR / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    target = bin_dir / tool.binary
    stamp = bin_dir / f".{tool.binary}.pin"
    present = all((bin_dir / name).exists() for name in tool.binaries) and target.exists()
    if not force and present and stamp.exists() and stamp.read_text() == tool.pin:
        return "present"
    if tool.binaries:
        kubernetes.build(
            go=go,
            version=tool.version,
            binaries=tool.binaries,
            work=TOOLS_DIR / "build" / tool.name,
            bin_dir=bin_dir,
            run=_runner,
        )
    elif tool.local:
        _run([go, "build", "-trimpath", "-o", str(target), "."], cwd=ROOT / tool.local, env={})
    else:
        _build_module(tool, go=go, target=target)
    stamp.write_text(tool.pin)
    return "built"


def _build_module(tool: Tool, *, go: str, target: Path) -> None:
    work = TOOLS_DIR / "build" / tool.name
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    env = {"GOFLAGS": "-mod=mod", "GONOSUMDB": tool.module if tool.sum else ""}
    _run([go, "mod", "init", f"oscar-tools/{tool.name}"], cwd=work, env=env)
    _run([go, "get", f"{tool.module}@{tool.version}", *tool.pins], cwd=work, env=env)
    if tool.sum:
        expected = f"{tool.module} {tool.version} {tool.sum}"
        if expected not in (work / "go.sum").read_text():
            raise InstallError(
                f"{tool.name}: the downloaded module's hash differs from the one pinned in "
                f"{VERSIONS.name} ({tool.sum}); refusing to build it"
            )
    _run(
        [go, "build", "-trimpath", "-ldflags", "-s -w", "-o", str(target), tool.package],
        cwd=work,
        env=env,
    )


def _runner(command: list[str], cwd: Path, env: dict[str, str]) -> None:
    _run(command, cwd=cwd, env=env)


def _run(command: list[str], *, cwd: Path, env: dict[str, str]) -> None:
    full_env = {**os.environ, **{k: v for k, v in env.items() if v}}
    result = subprocess.run(command, cwd=cwd, env=full_env, capture_output=True, text=True)
    if result.returncode != 0:
        tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-8:])
        raise InstallError(f"`{' '.join(command)}` failed in {cwd}:\n{tail}")


def _tree_digest(folder: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.suffix in {".go", ".mod", ".sum"}:
            digest.update(path.relative_to(folder).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="build only these tools (or Debian packages)")
    parser.add_argument(
        "--group", action="append", default=[], help="also build this group's tools (k8s)"
    )
    parser.add_argument("--force", action="store_true", help="rebuild even if present")
    args = parser.parse_args(argv)
    tools = load_tools()
    debs = load_debs()
    groups = {"", *args.group}
    names = args.only or [
        name for name, tool in tools.items() if name != "watchdog-standin" and tool.group in groups
    ]
    deb_names = args.only or [name for name, deb in debs.items() if deb.group in groups]
    deb_names = [name for name in deb_names if name in debs]
    names = [name for name in names if name not in debs]
    unknown = sorted(set(names) - set(tools))
    known_groups = {tool.group for tool in tools.values()} | {deb.group for deb in debs.values()}
    unknown_groups = sorted(groups - known_groups - {""})
    if unknown or unknown_groups:
        problems = [f"unknown tool {name!r}" for name in unknown]
        problems += [f"unknown group {name!r}" for name in unknown_groups]
        print(
            f"{'; '.join(problems)}. Tools: {', '.join(sorted([*tools, *debs]))}; "
            f"groups: {', '.join(sorted(known_groups - {''}))} (see tools/versions.toml)",
            file=sys.stderr,
        )
        return 2
    try:
        for name in deb_names:
            try:
                status = debian.install(
                    debs[name], tools_dir=TOOLS_DIR, force=args.force, run=_runner
                )
            except OSError as e:
                raise InstallError(f"Debian package {name}: {e}") from e
            print(f"{name}: {status} (deb {debs[name].version})")
        go = check_go() if names else ""
        for name in names:
            tool = tools[name]
            try:
                status = install(tool, go=go, force=args.force)
            except InstallError as e:
                if not tool.fallback:
                    raise
                fallback = tools[tool.fallback]
                status = install(fallback, go=go, force=args.force)
                _link_fallback(tool, fallback)
                print(
                    f"WARNING: {name} {tool.version} could not be built ({_first_line(e)}); "
                    f"using {fallback.name} in its place ({status})",
                    file=sys.stderr,
                )
                continue
            print(f"{name}: {status} ({tool.pin})")
    except InstallError as e:
        print(f"install failed: {e}", file=sys.stderr)
        return 1
    return 0


def _link_fallback(tool: Tool, fallback: Tool) -> None:
    bin_dir = TOOLS_DIR / "bin"
    link = bin_dir / tool.binary
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(fallback.binary)
    (bin_dir / f".{tool.binary}.pin").unlink(missing_ok=True)


def _first_line(error: Exception) -> str:
    lines = [line for line in str(error).splitlines() if "refused" in line or "403" in line]
    return (lines or str(error).splitlines() or ["unknown error"])[-1].strip()[:200]


if __name__ == "__main__":
    sys.exit(main())
