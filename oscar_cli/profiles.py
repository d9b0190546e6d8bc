"""Named gateways (`oscar cluster add NAME --url ... --user ... --password ...`), as oscar-cli
keeps its clusters: one YAML file under the user's config folder, readable by its owner only.

The file is `$OSCAR_CONFIG`, else `$XDG_CONFIG_HOME/oscar/clusters.yaml` (`~/.config/...`):

```yaml
default: prod
clusters:
  prod: {url: https://oscar.example.org, user: admin, password: ..., verify: true}
```

It holds passwords, so it is written 0600 in a 0700 folder (through a temporary file and a
rename, so a crash leaves the old file whole), and one that others can read is refused.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from oscar_cli.errors import BadInput

LOCAL = "local"  # `--cluster local`: the stack `oscar up` started on this machine
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")


@dataclass(frozen=True, kw_only=True)
class Profile:
    name: str
    url: str
    user: str
    password: str = field(repr=False)
    verify: bool = True  # check the gateway's TLS certificate
    openfaas_url: str = ""  # the OpenFaaS gateway, for `oscar logs SERVICE` (function logs)


def config_path(environ: Mapping[str, str]) -> Path:
    if environ.get("OSCAR_CONFIG"):
        return Path(environ["OSCAR_CONFIG"])
    base = environ.get("XDG_CONFIG_HOME") or str(Path(environ.get("HOME", "~")) / ".config")
    return Path(base).expanduser() / "oscar" / "clusters.yaml"


def check_name(name: str) -> str:
    if name == LOCAL or not NAME.fullmatch(name):
        raise BadInput(
            f"cluster name {name!r}: expected letters, digits, '.', '_' or '-' (up to 63), and"
            f" not {LOCAL!r} (which names the local stack)"
        )
    return name


def check_url(url: str, *, option: str = "--url") -> str:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise BadInput(f"{option}: expected http(s)://host[:port], found {url!r}")
    return url.rstrip("/")


class Profiles:
    """The file's clusters and default, read once; `save` writes them back."""

    def __init__(self, path: Path) -> None:
        self.path = path
        document = _read(path)
        clusters = document.get("clusters") or {}
        self.clusters: dict[str, Profile] = {
            str(name): _profile(path, str(name), entry) for name, entry in clusters.items()
        }
        self.default: str | None = document.get("default") or None

    def get(self, name: str) -> Profile:
        found = self.clusters.get(name)
        if found is None:
            known = ", ".join(sorted(self.clusters)) or "none yet"
            raise BadInput(
                f"no cluster named {name!r} in {self.path} (known: {known}); add it with"
                f" `oscar cluster add {name} --url URL --user USER --password PASSWORD`"
            )
        return found

    def save(self) -> None:
        clusters = {
            name: {k: v for k, v in asdict(p).items() if k != "name"}
            for name, p in sorted(self.clusters.items())
        }
        text = yaml.safe_dump({"default": self.default, "clusters": clusters}, sort_keys=False)
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        partial = self.path.with_name(self.path.name + ".partial")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            os.fchmod(out.fileno(), 0o600)  # an old partial file keeps its mode otherwise
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        partial.replace(self.path)


def _read(path: Path) -> dict[str, Any]:
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return {}
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise BadInput(
            f"{path} holds passwords and others may read it (mode {stat.filemode(mode)}):"
            f" make it yours alone with `chmod 600 {path}`"
        )
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as e:
        raise BadInput(f"{path} is not valid YAML ({e}); fix or remove it") from e
    if not isinstance(document, dict) or not isinstance(document.get("clusters") or {}, dict):
        raise BadInput(f"{path}: expected `clusters:` mapping names to settings; fix or remove it")
    return document


def _profile(path: Path, name: str, entry: Any) -> Profile:
    if not isinstance(entry, dict) or not entry.get("url"):
        raise BadInput(
            f"{path}: cluster {name!r} has no url; add it again with `oscar cluster add`"
        )
    return Profile(
        name=name,
        url=str(entry["url"]),
        user=str(entry.get("user") or ""),
        password=str(entry.get("password") or ""),
        verify=bool(entry.get("verify", True)),
        openfaas_url=str(entry.get("openfaas_url") or ""),
    )
