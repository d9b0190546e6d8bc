"""The local engine's errors: a base class and the few kinds callers act on."""

from __future__ import annotations


class EngineError(Exception):
    """Base class; the message says what was expected, what was found, and how to fix it."""

    status = 500


class ImageNotFound(EngineError):
    """A deployment names an image that the local image store does not hold."""

    status = 400


class ImageBuildFailed(EngineError):
    """A build context could not be turned into a local image (bad context, pip failure)."""

    status = 400


class ReplicaFailed(EngineError):
    """A replica did not become healthy in time."""

    status = 503


class IsolationUnavailable(EngineError):
    """A sandbox cannot be made here (not root, a missing tool or cgroup controller), or a step
    of making one failed."""

    status = 503


class SandboxLeaked(EngineError):
    """Processes of a sandbox survived SIGKILL past the deadline, so its cgroup stays."""
