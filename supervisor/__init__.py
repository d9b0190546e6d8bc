"""The function runtime: runs a user's script on one file behind of-watchdog (http mode)."""

from supervisor.app import create_app
from supervisor.config import SupervisorConfig

__all__ = ["SupervisorConfig", "create_app"]
