"""The unprivileged user replicas run as, and the folders it may write."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
from pathlib import Path

from provider.errors import IsolationUnavailable
from provider.sandbox.hosttools import SYSTEM_PATH


def ensure_function_user(name: str = "oscar-fn") -> str:
    """The unprivileged user replicas run as: a system user, no login shell, no home."""
    with contextlib.suppress(KeyError):
        pwd.getpwnam(name)
        return name
    useradd = shutil.which("useradd", path=SYSTEM_PATH)
    if useradd is None:
        raise IsolationUnavailable(f"user {name!r} does not exist and `useradd` is not installed")
    result = subprocess.run(
        [useradd, "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
        capture_output=True,
        text=True,
        check=False,
    )
    with contextlib.suppress(KeyError):  # made by us, or by a concurrent caller
        pwd.getpwnam(name)
        return name
    raise IsolationUnavailable(f"could not create user {name!r}: {result.stderr.strip()}")


def prepare_writable_dir(path: Path, user: str) -> None:
    """Make `path` (created if needed) and what it holds owned by `user`, mode 0700.

    Its parents must let the user through (o+x): we check rather than loosen them.
    """
    entry = user_entry(user)
    path.mkdir(parents=True, exist_ok=True)
    for parent in path.resolve().parents:
        mode = parent.stat().st_mode
        if not mode & 0o001 and parent.stat().st_uid != entry.pw_uid:
            raise IsolationUnavailable(
                f"{parent} (mode {mode & 0o777:o}) blocks user {user!r} from reaching {path}; "
                f"`chmod o+x {parent}` or choose a folder under a traversable one"
            )
    for folder, dirs, files in os.walk(path):
        for item in [Path(folder), *(Path(folder, name) for name in dirs + files)]:
            os.lchown(item, entry.pw_uid, entry.pw_gid)
    path.chmod(0o700)


def user_entry(name: str) -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(name)
    except KeyError:
        raise IsolationUnavailable(
            f"user {name!r} does not exist; create it with ensure_function_user()"
        ) from None
