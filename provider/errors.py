"""The provider's errors: a base class and the few kinds callers act on.

`status` is the HTTP status the API answers with (see `provider.http.app`); the message says
what was expected, what was found, and how to fix it.
"""

from __future__ import annotations


class ProviderError(Exception):
    """Base class of every error the provider raises on purpose."""

    status = 500


class ConfigError(ProviderError):
    """The provider's settings are wrong; every problem found is listed, not just the first."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("provider is misconfigured:\n  - " + "\n  - ".join(problems))
        self.problems = problems


class InvalidDeployment(ProviderError):
    """A FunctionDeployment body the provider cannot run."""

    status = 400


class FunctionNotFound(ProviderError):
    status = 404


class FunctionExists(ProviderError):
    status = 409


class NoReadyReplica(ProviderError):
    """No replica of a function became ready before the call's deadline."""

    status = 503


class NamespaceNotFound(ProviderError):
    """A request names another namespace than the provider's one (faas-netes CE: a 400)."""

    status = 400


class SecretError(ProviderError):
    """A secret's name or value is not acceptable, or it exists already."""

    status = 400


class SecretNotFound(ProviderError):
    status = 404


class SecretExists(SecretError):
    """A create (POST) of a secret that exists already: a 409, as faas-netes answers."""

    status = 409


class UpstreamFailed(ProviderError):
    """The replica's watchdog could not be reached or broke off its answer."""

    status = 502


class ImageNotFound(ProviderError):
    """A deployment names an image that the local image store does not hold."""

    status = 400


class ImageBuildFailed(ProviderError):
    """A build context could not be turned into a local image (bad context, pip failure)."""

    status = 400


class ProcessFailed(ProviderError):
    """A process exited or did not become ready in time; `log_tail` is the end of its log."""

    status = 503

    def __init__(self, message: str, *, log_tail: str) -> None:
        super().__init__(f"{message}; its log ends:\n{log_tail}")
        self.log_tail = log_tail


class ReplicaFailed(ProcessFailed):
    """A replica did not become healthy in time."""


class IsolationUnavailable(ProviderError):
    """A sandbox cannot be made here (not root, a missing tool or cgroup controller), or a step
    of making one failed."""

    status = 503


class SandboxLeaked(ProviderError):
    """Processes of a sandbox survived SIGKILL past the deadline, so its cgroup stays."""


class ClusterUnavailable(ProviderError):
    """The Kubernetes API server cannot be reached, refuses our credentials, or fails."""

    status = 503
