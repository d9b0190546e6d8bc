"""The faas-provider HTTP API: the Flask app, the invocation proxy in front of it, the logs."""

from provider.http.app import create_app

__all__ = ["create_app"]
