"""A sandbox's addresses: a /30 of NETWORK per sandbox, found free under a lock, set with `ip`.

Addresses are allocated under a lock in the state folder by scanning the host's interfaces, so
every provider on a host must share one state folder.
"""

from __future__ import annotations

import contextlib
import fcntl
import ipaddress
import re
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path

from provider.errors import IsolationUnavailable

NETWORK = ipaddress.IPv4Network("10.213.0.0/16")
_SUBNETS = NETWORK.num_addresses // 4


def ip(tools: Mapping[str, str], *args: str) -> str:
    """Run `ip ARGS`; its output, or IsolationUnavailable with its error."""
    result = subprocess.run([tools["ip"], *args], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise IsolationUnavailable(f"`ip {' '.join(args)}` failed: {result.stderr.strip()}")
    return result.stdout


def free_subnet(tools: Mapping[str, str]) -> ipaddress.IPv4Network:
    """The first /30 of NETWORK that no interface on the host uses (caller holds the lock)."""
    used = set()
    for address in re.findall(r"\binet (\S+)", ip(tools, "-o", "-4", "addr", "show")):
        interface = ipaddress.IPv4Interface(address)
        if interface.ip in NETWORK:
            used.add((int(interface.ip) - int(NETWORK.network_address)) // 4)
    for index in range(_SUBNETS):
        if index not in used:
            return ipaddress.IPv4Network((int(NETWORK.network_address) + 4 * index, 30))
    raise IsolationUnavailable(f"all {_SUBNETS} sandbox subnets of {NETWORK} are in use")


@contextlib.contextmanager
def address_lock(path: Path) -> Iterator[None]:
    """Held from choosing a free subnet until its host address is set on the veth."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
