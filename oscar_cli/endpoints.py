"""Where the stack is and which credentials it takes: read from the local stack's status
document, or from a named cluster (`oscar cluster add`, `oscar_cli.profiles`).

The document is what `oscar status --json` prints, so the commands use the endpoints and
credentials a user sees, and tests can hand them any document. A cluster names only its
gateway and login; its MinIO comes from the gateway's `/system/config` (`with_storage`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from oscar_cli.profiles import Profile

LOCAL_REFUSED = (
    "use the --state-dir the stack was started with, or restart it: `oscar down && oscar up`"
)
LOCAL_DOWN = "the stack is not running; start it with `oscar up` (`oscar status` shows what runs)"


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
    cluster: str = ""  # a named cluster's; "": the local stack
    verify: bool = True  # check TLS certificates
    refused_fix: str = LOCAL_REFUSED  # what to do when a credential is refused
    down_fix: str = LOCAL_DOWN  # what to do when nothing answers

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

    @classmethod
    def from_profile(cls, profile: Profile, *, where: str) -> Endpoints:
        """A named cluster's gateway, with its login as basic auth (the OpenFaaS login, as
        OSCAR's clients send it); MinIO is unknown until `with_storage`."""
        again = (
            f"`oscar cluster add {profile.name} --url {profile.url} --user USER --password"
            " PASSWORD` (it replaces the cluster)"
        )
        return cls(
            gateway=profile.url,
            admin_token=None,
            openfaas=profile.openfaas_url,
            openfaas_user=profile.user,
            openfaas_password=profile.password,
            minio="",
            minio_access_key=None,
            minio_secret_key=None,
            credentials=f"cluster {profile.name} of {where}",
            gateway_alive=None,
            cluster=profile.name,
            verify=profile.verify,
            refused_fix=f"check the user and password of cluster {profile.name}: {again}",
            down_fix=(
                f"check the URL of cluster {profile.name} (`oscar cluster list`) and that its"
                f" gateway runs, or give the right one: {again}"
            ),
        )

    def with_storage(self, config: Mapping[str, Any]) -> Endpoints:
        """These endpoints with MinIO as the gateway's `/system/config` describes it."""
        minio = config.get("minio_provider") or {}
        return replace(
            self,
            minio=str(minio.get("endpoint") or ""),
            minio_access_key=minio.get("access_key") or None,
            minio_secret_key=minio.get("secret_key") or None,
            credentials=f"{self.credentials} (MinIO's keys from its gateway's /system/config)",
        )
