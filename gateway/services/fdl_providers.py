"""An FDL service's `storage_providers`: other MinIO servers and S3 accounts than the platform's
MinIO, named by `storage_provider: minio.<id>` or `s3.<id>` in its input and output.

OSCAR's shape: `{minio: {<id>: {endpoint, verify, access_key, secret_key, region}}, s3: {<id>:
{access_key, secret_key, region}}}`. `minio.default` is always the platform's own MinIO (OSCAR
fills it in with hidden keys when it shows a service, so a body read back may carry it).
Onedata, WebDAV and Rucio providers are refused unless empty.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from gateway.services.endpoints import Endpoint
from gateway.services.fdl_fields import kind, problem

DEFAULT = "default"
_UNSUPPORTED = ("onedata", "webdav", "rucio")


def _url(text: str) -> str:
    url = text.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc or parts.path:
        raise problem(f"expected http(s)://host:port, found {text!r}")
    return url


def _key(text: str) -> str:
    if not text.strip():
        raise problem("expected the key, found an empty string")
    return text.strip()


Url = Annotated[str, AfterValidator(_url)]
Key = Annotated[str, AfterValidator(_key)]


class _Keys(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)  # OSCAR's own extras (e.g. tokens)

    access_key: Key
    secret_key: Key = Field(repr=False)
    region: str = "us-east-1"


class FdlMinioProvider(_Keys):
    endpoint: Url
    verify: bool = True

    @model_validator(mode="after")
    def _verified(self) -> FdlMinioProvider:
        if self.endpoint.startswith("https://") and not self.verify:
            raise problem(
                "verify: false is not supported (the function checks the endpoint's TLS "
                "certificate); give the MinIO a certificate it can verify, or use http://"
            )
        return self

    def endpoint_of(self) -> Endpoint:
        return Endpoint(self.endpoint, self.access_key, self.secret_key, self.region or "us-east-1")


class FdlS3Provider(_Keys):
    endpoint: Url | None = Field(None, description="default: AWS S3 in `region`")

    def endpoint_of(self) -> Endpoint:
        region = self.region or "us-east-1"
        url = self.endpoint or f"https://s3.{region}.amazonaws.com"
        return Endpoint(url, self.access_key, self.secret_key, region)


class FdlStorageProviders(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    minio: dict[str, FdlMinioProvider] = Field(default_factory=dict)
    s3: dict[str, FdlS3Provider] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _supported(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            raise problem(f"expected a mapping of provider kinds (minio, s3), found {kind(data)}")
        given = {k: v for k, v in data.items() if v}  # OSCAR writes empty kinds out
        for name in _UNSUPPORTED:
            if name in given:
                raise problem(
                    f"{name} providers are not supported; keep inputs and outputs on MinIO or S3"
                )
        if isinstance(given.get("minio"), dict):
            # minio.default is the platform's MinIO whatever the body says about it.
            given["minio"] = {k: v for k, v in given["minio"].items() if k != DEFAULT}
        return given

    def endpoint(self, provider: str | None) -> Endpoint | None:
        """The endpoint `storage_provider` names: None for the platform's MinIO; KeyError when
        the provider is not defined here."""
        if provider in (None, "minio", f"minio.{DEFAULT}"):
            return None
        assert provider is not None
        kind_, _, name = provider.partition(".")
        found: FdlMinioProvider | FdlS3Provider | None = (
            self.minio.get(name) if kind_ == "minio" else self.s3.get(name)
        )
        if found is None:
            raise KeyError(provider)
        return found.endpoint_of()
