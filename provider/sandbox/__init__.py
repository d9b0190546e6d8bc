"""The local backend: replicas as processes on this host, in pod-like sandboxes where it can.

`sandbox_launcher` runs each replica in its own network and mount namespace with cgroup limits
as an unprivileged user; `process_launcher` is the degraded form, plain processes on loopback.
"""

from provider.sandbox.function_user import ensure_function_user, prepare_writable_dir
from provider.sandbox.hosttools import isolation_support
from provider.sandbox.leftovers import leftovers, remove_leftover
from provider.sandbox.limits import Limits
from provider.sandbox.names import PREFIX, sandbox_name
from provider.sandbox.sandbox import Sandbox

__all__ = [
    "PREFIX",
    "Limits",
    "Sandbox",
    "ensure_function_user",
    "isolation_support",
    "leftovers",
    "prepare_writable_dir",
    "remove_leftover",
    "sandbox_name",
]
