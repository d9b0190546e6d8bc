"""The host's own tools that sandboxes are made with, and whether sandboxes can be made here."""

from __future__ import annotations

import os
import shutil
import subprocess

from provider.errors import IsolationUnavailable
from provider.sandbox.cgroups import Cgroups

# Not /usr/local/bin: on some hosts it holds stand-ins that shadow the real Debian tools.
SYSTEM_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"
TOOLS = ("ip", "unshare", "setpriv", "mount", "sh")


def find_tools() -> dict[str, str]:
    """Each of TOOLS by its full path in SYSTEM_PATH; IsolationUnavailable names the missing."""
    found = {tool: shutil.which(tool, path=SYSTEM_PATH) for tool in TOOLS}
    missing = sorted(tool for tool, path in found.items() if path is None)
    if missing:
        raise IsolationUnavailable(
            f"{', '.join(missing)} not found in {SYSTEM_PATH}; install iproute2 and util-linux"
        )
    return {tool: path for tool, path in found.items() if path is not None}


def isolation_support() -> str | None:
    """None when sandboxes can be made here; otherwise the reason, saying how to fix it."""
    try:
        if os.geteuid() != 0:
            return f"sandboxes need root (this process runs as uid {os.geteuid()})"
        tools = find_tools()
        Cgroups.detect()
        probe = subprocess.run(
            [tools["unshare"], "--net", "--mount", "true"],
            capture_output=True,
            text=True,
            check=False,
        )
        if probe.returncode != 0:
            return f"cannot create namespaces (unshare --net --mount): {probe.stderr.strip()}"
    except IsolationUnavailable as e:
        return str(e)
    return None
