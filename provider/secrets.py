"""OpenFaaS secrets on disk: one file per secret, per namespace, readable only by root.

A replica sees only the secrets its deployment lists: they are copied into a folder of its own
that is mounted at /var/openfaas/secrets (or named by SECRETS_DIR in process mode).
"""

from __future__ import annotations

import base64
import os
import re
import shutil
from pathlib import Path

from provider.errors import SecretError, SecretExists, SecretNotFound

NAME = re.compile(r"^[a-zA-Z0-9][-._a-zA-Z0-9]{0,252}$")


class SecretStore:
    def __init__(self, root: Path) -> None:
        self._root = root

    def _path(self, namespace: str, name: str) -> Path:
        if not NAME.match(name) or not NAME.match(namespace):
            raise SecretError(f"secret name {name!r} must be letters, digits, '-', '.', '_'")
        return self._root / namespace / name

    def names(self, namespace: str) -> list[str]:
        folder = self._root / namespace
        return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []

    def put(
        self, namespace: str, name: str, *, value: str | None, raw_value: str | None, create: bool
    ) -> None:
        path = self._path(namespace, name)
        if create and path.exists():
            raise SecretExists(
                f"secret {name!r} already exists; update it with PUT (faas-cli secret update)"
            )
        if not create and not path.exists():
            raise SecretNotFound(f"secret {name!r} does not exist; create it with POST")
        if raw_value:
            try:
                data = base64.b64decode(raw_value, validate=True)
            except ValueError as e:
                raise SecretError(f"rawValue of {name!r} is not base64: {e}") from e
        else:
            data = (value or "").encode()
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_name(f".{name}.tmp")
        tmp.write_bytes(data)
        tmp.chmod(0o600)
        tmp.replace(path)

    def delete(self, namespace: str, name: str) -> None:
        path = self._path(namespace, name)
        if not path.exists():
            raise SecretNotFound(f"secret {name!r} does not exist")
        path.unlink()

    def refresh(self, namespace: str, name: str, folder: Path) -> None:
        """Give a running replica's copy in `folder` the secret's current value, keeping the
        copy's owner and mode: the folder is bind-mounted into the replica, so it reads the
        new value at once (as a Kubernetes pod sees an updated secret volume, later)."""
        copy = folder / name
        try:
            held = copy.stat()
        except FileNotFoundError:
            return  # that replica is gone, or was started without it
        tmp = folder / f".{name}.tmp"
        shutil.copyfile(self._path(namespace, name), tmp)
        os.chown(tmp, held.st_uid, held.st_gid)
        tmp.chmod(held.st_mode & 0o777)
        tmp.replace(copy)

    def missing(self, namespace: str, names: tuple[str, ...]) -> list[str]:
        return [n for n in names if not self._path(namespace, n).exists()]

    def materialise(
        self,
        namespace: str,
        names: tuple[str, ...],
        target: Path,
        *,
        owner: tuple[int, int] | None = None,
    ) -> Path:
        """Copy the listed secrets into `target` (replaced whole), readable by `owner`."""
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True, mode=0o700)
        for name in names:
            shutil.copyfile(self._path(namespace, name), target / name)
            (target / name).chmod(0o400)
            if owner is not None:
                os.chown(target / name, *owner)
        if owner is not None:
            os.chown(target, *owner)
        return target
