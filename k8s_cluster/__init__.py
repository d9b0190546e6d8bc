"""A real one-node Kubernetes for tests and development, started from the pinned tools."""

from .cluster import down, status, up
from .config import ClusterConfig
from .errors import ClusterError

__all__ = ["ClusterConfig", "ClusterError", "down", "status", "up"]
