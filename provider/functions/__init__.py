"""The functions the provider runs: their registry, the replica monitor, their saved state."""

from provider.functions.live_secrets import LiveSecrets
from provider.functions.manager import FunctionManager
from provider.functions.records import Function, Instance

__all__ = ["Function", "FunctionManager", "Instance", "LiveSecrets"]
