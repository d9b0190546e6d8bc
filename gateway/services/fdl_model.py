"""The FDL service document as pydantic models: the one definition of what a valid body is.

`FdlService.model_validate(document, context={"url_name": ...})` validates, collecting every
field's problem into one ValidationError (which `gateway.services.fdl_problems` words for the
user); `FdlService.spec()` is the validated service the gateway works with;
`FdlService.model_json_schema()` describes the request body of `POST /system/services`.

Rules that read two fields (the URL's name against the body's, an output inside its input, a
secret named as the script's, LOG_LEVEL set twice) are field validators of the later field, so
they are reported together with every other field's problem rather than after them.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from contract.batch import MAX_BATCH
from contract.naming import script_secret
from gateway.services.fdl_environment import Environment, variables
from gateway.services.fdl_fields import (
    DNS_LABEL,
    AnnotationName,
    Cpu,
    Image,
    LogLevel,
    Memory,
    PositiveInt,
    Script,
    SecretNames,
    kind,
    present,
    problem,
)
from gateway.services.fdl_providers import FdlStorageProviders
from gateway.services.fdl_storage import InputPath, OutputPath
from gateway.services.model import MAX_WINDOW
from gateway.services.spec import ServiceSpec

# OSCAR fields that mean nothing on OpenFaaS (cluster placement, ownership, OSCAR's own token).
IGNORED = frozenset({
    "cluster_id", "vo", "owner", "token", "alpine", "image_prefetch", "isolation_level",
    "bucket_list", "visibility", "allowed_users", "clusters", "replicas",
    "delegation", "rescheduler_threshold", "total_memory", "total_cpu", "synchronous",
    "interlink_node_name", "namespace", "volume_status",
})  # fmt: skip
# OSCAR fields whose effect this gateway cannot give: refused unless empty or false.
UNSUPPORTED = frozenset({
    "enable_gpu", "enable_sgx", "file_stage_in", "expose", "mount", "volume",
    "image_pull_secrets",
})  # fmt: skip
# Strings where an empty one means "not given", as in OSCAR's own FDL files.
_BLANK_IS_ABSENT = {"name", "image", "log_level", "memory", "cpu"}


def _describe_body(schema: dict[str, Any]) -> None:
    """OSCAR's own fields as the gateway takes them: ignored, or refused unless empty."""
    properties = schema["properties"]
    for name in sorted(IGNORED):
        properties[name] = {"description": "OSCAR's; ignored, it means nothing on OpenFaaS"}
    for name in sorted(UNSUPPORTED):
        properties[name] = {
            "description": "OSCAR's; not supported by this gateway, so refused unless empty",
            "anyOf": [
                {"enum": [False, None, "", 0]},
                {"type": "array", "maxItems": 0},
                {"type": "object", "maxProperties": 0},
            ],
        }


class FdlService(BaseModel):
    """One service of OSCAR's Function Definition Language, as `POST /system/services` takes."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=_describe_body)

    name: str = Field(
        description="the function's name, a DNS-1123 label",
        json_schema_extra={"pattern": DNS_LABEL.pattern, "maxLength": 63},
    )
    image: Image = Field(description="the image the OpenFaaS provider runs")
    script: Script | None = Field(None, description="the script's text, not its file name")
    memory: Memory | None = Field(None, description="a Kubernetes quantity, e.g. '256Mi'")
    cpu: Cpu | None = Field(None, description="cores ('0.5') or millicores ('500m')")
    # Before input and output, whose providers it defines (validators see earlier fields).
    storage_providers: FdlStorageProviders = Field(default_factory=FdlStorageProviders)
    input: list[InputPath] = Field(min_length=1, max_length=1)
    output: list[OutputPath] = Field([], max_length=1)
    environment: Environment = Field(default_factory=dict)
    secrets: SecretNames = Field((), description="existing OpenFaaS secrets to mount")
    annotations: dict[AnnotationName, str] = Field(default_factory=dict)
    labels: dict[str, str] = Field(default_factory=dict)
    log_level: LogLevel | None = None
    max_attempts: PositiveInt | None = None
    concurrency: PositiveInt | None = None
    timeout: PositiveInt | None = Field(None, description="seconds")
    job_mode: bool = Field(
        False,
        description="each file runs as a Kubernetes Job (OSCAR's Job mode): no timeout"
        " but `timeout` bounds it; needs the gateway on Kubernetes with Job mode on",
    )
    batch_size: int | None = Field(
        None, ge=1, le=MAX_BATCH, description="most jobs one invocation carries under a backlog"
    )
    batch_window: float | None = Field(
        None, ge=0, le=MAX_WINDOW, description="seconds a busy service's jobs wait to fill a batch"
    )

    @model_validator(mode="before")
    @classmethod
    def _oscar_document(cls, data: Any, info: ValidationInfo) -> Any:
        """Drops what OSCAR means as "not given" and its ignored fields; names it by its URL."""
        given = present(data, _BLANK_IS_ABSENT)
        if not isinstance(given, dict):
            return given
        given = {
            k: v for k, v in given.items() if k not in IGNORED and not (k in UNSUPPORTED and not v)
        }
        url_name = (info.context or {}).get("url_name")
        if url_name and "name" not in given:
            given["name"] = url_name
        for key in ("input", "output"):
            if given.get(key) == []:
                del given[key]
            elif isinstance(given.get(key), dict):
                given[key] = [given[key]]  # one entry without the list around it: a slip
        return given

    @field_validator("input", "output", mode="before")
    @classmethod
    def _one_entry(cls, value: Any, info: ValidationInfo) -> Any:
        key = info.field_name
        if not isinstance(value, list):
            raise problem(f"expected a list, found {kind(value)}")
        if len(value) > 1:
            raise problem(
                f"one {key} is supported, found {len(value)}; deploy one service per {key} path"
            )
        return value

    @field_validator("input", "output")
    @classmethod
    def _defined_providers(
        cls, value: list[InputPath] | list[OutputPath], info: ValidationInfo
    ) -> list[InputPath] | list[OutputPath]:
        providers: FdlStorageProviders = info.data.get("storage_providers") or FdlStorageProviders()
        for entry in value:
            name = entry.storage_provider
            try:
                providers.endpoint(name)
            except KeyError:
                raise problem(
                    f"storage_provider {name!r} is not defined; add it under storage_providers "
                    "(minio: {<id>: {endpoint, access_key, secret_key}} or s3: {<id>: "
                    "{access_key, secret_key, region}})"
                ) from None
            if info.field_name == "input" and name and name.startswith("s3."):
                raise problem(
                    f"an input on {name!r} cannot notify this gateway of new files (S3 sends "
                    "no webhooks); put the input on MinIO (minio.default or minio.<id>)"
                )
        return value

    @field_validator("name")
    @classmethod
    def _dns_label(cls, value: str, info: ValidationInfo) -> str:
        name = value.strip()
        url_name = (info.context or {}).get("url_name")
        if url_name and name != url_name:
            raise problem(f"the body says {name!r} but the URL says {url_name!r}; make them agree")
        if len(name) > 63 or not DNS_LABEL.match(name):
            raise problem(
                f"{name!r} is not a DNS-1123 label (at most 63 lower-case letters, "
                "digits and '-', starting and ending with a letter or digit)"
            )
        return name

    @field_validator("output")
    @classmethod
    def _outside_input(cls, value: list[OutputPath], info: ValidationInfo) -> list[OutputPath]:
        inputs: list[InputPath] = info.data.get("input") or []
        for output in value:
            for source in inputs:
                watched = source.watched
                # On two endpoints, the same bucket and prefix are two places: no loop.
                same_place = output.storage_provider == source.storage_provider
                if same_place and output.path.overlaps(watched):
                    raise problem(
                        f"{output.path} overlaps input {watched}; its outputs would trigger the "
                        "service again. Use a different bucket or prefix for the output"
                    )
        return value

    @field_validator("secrets")
    @classmethod
    def _not_the_script(cls, value: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        name = info.data.get("name")
        if name and script_secret(name) in value:
            raise problem(
                f"{script_secret(name)!r} is the secret the gateway makes from `script`; remove it"
            )
        return value

    @field_validator("log_level")
    @classmethod
    def _set_once(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and "LOG_LEVEL" in variables(info.data.get("environment")):
            raise problem("the environment sets LOG_LEVEL too; set only one of them")
        return value

    def spec(self) -> ServiceSpec:
        """The validated service, as the rest of the gateway takes it."""
        source = self.input[0]
        target = self.output[0] if self.output else None
        providers = self.storage_providers
        return ServiceSpec(
            name=self.name,
            image=self.image,
            input=source.path,
            watched=source.watched,
            output=self.output[0].path if self.output else None,
            suffixes=source.suffix,
            script=self.script,
            memory=self.memory,
            cpu=self.cpu,
            environment=variables(self.environment),
            secrets=self.secrets,
            annotations=dict(self.annotations),
            labels=dict(self.labels),
            log_level=self.log_level,
            max_attempts=self.max_attempts,
            concurrency=self.concurrency,
            timeout=self.timeout,
            job_mode=self.job_mode,
            input_endpoint=providers.endpoint(source.storage_provider),
            output_endpoint=providers.endpoint(target.storage_provider) if target else None,
            batch_size=self.batch_size,
            batch_window=self.batch_window,
        )
