"""Our faas-provider: the HTTP API the OpenFaaS gateway calls, over local images and replicas."""

from engine.provider.app import create_app
from engine.provider.config import ProviderConfig

__all__ = ["ProviderConfig", "create_app"]
