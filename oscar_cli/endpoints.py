"""Where the stack is and which credentials it takes, read from its status document.

The document is what `oscar status --json` prints, so the commands use the endpoints and
credentials a user sees, and tests can hand them any document.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Endpoints:
    gateway: str
    admin_token: str | None
    openfaas: str
    openfaas_user: str | None
    openfaas_password: str | None
    minio: str
    minio_access_key: str | None
    minio_secret_key: str | None
    credentials: str  # the file the credentials come from, for messages
    gateway_alive: bool | None

    @classmethod
    def from_status(cls, document: Mapping[str, Any]) -> Endpoints:
        gateway, openfaas, minio = document["gateway"], document["openfaas"], document["minio"]
        component = (document.get("components") or {}).get("gateway") or {}
        return cls(
            gateway=str(gateway["url"]).rstrip("/"),
            admin_token=gateway.get("admin_token"),
            openfaas=str(openfaas["url"]).rstrip("/"),
            openfaas_user=openfaas.get("username"),
            openfaas_password=openfaas.get("password"),
            minio=str(minio["endpoint"]),
            minio_access_key=minio.get("access_key"),
            minio_secret_key=minio.get("secret_key"),
            credentials=f"{document.get('state_dir', '.')}/credentials.json",
            gateway_alive=component.get("alive"),
        )
