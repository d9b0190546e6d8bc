"""An FDL service's storage paths: `input` (what becomes jobs) and `output` (where results go)."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    model_validator,
)
from pydantic.json_schema import WithJsonSchema

from contract.paths import StoragePath
from gateway.errors import InvalidService
from gateway.services.fdl_fields import STRINGS, Strings, kind, present, problem
from gateway.services.model import parse_path

_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


def _one_folder(folders: tuple[str, ...]) -> tuple[str, ...]:
    if len(folders) > 1:
        raise problem(
            f"one folder below path is supported, found {len(folders)}; deploy one service "
            "per folder"
        )
    return folders


def _no_output_filter(filters: tuple[str, ...]) -> tuple[str, ...]:
    if filters:
        raise problem("not supported; every file the script writes to $TMP_OUTPUT_DIR is uploaded")
    return filters


def _storage_path(value: Any) -> StoragePath:
    if isinstance(value, StoragePath):
        return value
    if not isinstance(value, str) or not value.strip("/ "):
        raise problem(f"expected 'bucket/prefix', found {value!r}")
    try:
        path = parse_path(value, field="path")
    except InvalidService as e:  # unreachable after the check above, kept as the parser's word
        raise problem(e.message) from e
    if not _BUCKET.match(path.bucket):
        raise problem(
            f"{path.bucket!r} is not a bucket name (3-63 lower-case letters, digits, '.' and "
            "'-'); rename the bucket in path"
        )
    return path


_PROVIDER = re.compile(r"^(minio|s3)(\.[A-Za-z0-9_-]+)?$")


def _provider(value: Any) -> Any:
    """`minio`/`minio.default` (the gateway's MinIO, read as None), or `minio.<id>`/`s3.<id>`
    naming one of the service's storage_providers (checked against them by the service)."""
    if value in (None, "", "minio", "minio.default"):
        return None
    if isinstance(value, str) and _PROVIDER.match(value.strip()) and "." in value:
        return value.strip()
    raise problem(
        f"expected 'minio.default' (the gateway's MinIO), 'minio.<id>' or 's3.<id>' (one of the "
        f"service's storage_providers), found {value!r}"
    )


BucketPath = Annotated[
    StoragePath,
    PlainValidator(_storage_path),
    PlainSerializer(str),
    WithJsonSchema({"type": "string", "description": "bucket/prefix", "examples": ["bucket/in"]}),
]
Provider = Annotated[
    str | None,
    BeforeValidator(_provider),
    WithJsonSchema({"type": "string", "examples": ["minio.default", "minio.other", "s3.aws"]}),
]
Folder = Annotated[
    tuple[str, ...],
    STRINGS,
    AfterValidator(_one_folder),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string"},
                {"type": "array", "items": {"type": "string"}, "maxItems": 1},
            ]
        }
    ),
]
NoFilter = Annotated[
    tuple[str, ...],
    STRINGS,
    AfterValidator(_no_output_filter),
    WithJsonSchema({"type": "array", "maxItems": 0}),
]


class _Storage(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    storage_provider: Provider = Field(
        None, description="absent or 'minio.default', else 'minio.<id>' or 's3.<id>'"
    )
    path: BucketPath

    @model_validator(mode="before")
    @classmethod
    def _a_mapping(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            raise problem(f"expected a mapping with path, found {kind(data)}")
        return present(data, set())


class InputPath(_Storage):
    """Where new files become jobs: `path`, narrowed to one `prefix` folder and `suffix`es."""

    prefix: Folder = Field((), description="one folder below path to watch")
    suffix: Strings = Field((), description="only keys ending so become jobs, e.g. ['.jpg']")

    @property
    def watched(self) -> StoragePath:
        if not self.prefix:
            return self.path
        folder = "/".join(p for p in (self.path.prefix, self.prefix[0].strip("/")) if p)
        return StoragePath(self.path.bucket, folder)


class OutputPath(_Storage):
    """Where outputs go: every file the script writes, under `path`."""

    prefix: NoFilter = ()
    suffix: NoFilter = ()
