"""OSCAR's Function Definition Language, one service at a time: a request body to a ServiceSpec.

The body is what OSCAR's `POST /system/services` takes (JSON, or YAML as in FDL files): one
service, with `script` holding the script's text. Field names are OSCAR's where they mean
something here; the rest of OSCAR's fields either mean nothing on OpenFaaS and are ignored
(`vo`, `cluster_id`, ...), or would change what the user gets and are refused unless empty
(`mount`, `expose`, `enable_gpu`, ...).

| field | meaning here |
|---|---|
| `name` | the function's name (DNS-1123 label) |
| `image` | an image the OpenFaaS provider runs (local engine: one built by `oscar build`) |
| `script` | the script's text, shipped as the secret `<name>-script.sh` (SCRIPT_PATH names it) |
| `memory`, `cpu` | limits, Kubernetes quantities (`256Mi`, `0.5` or `500m`) |
| `input` | one `{storage_provider, path: bucket/prefix, suffix: [...], prefix: [folder]}` |
| `output` | at most one `{storage_provider, path: bucket/prefix}` |
| `storage_providers` | `{minio: {<id>: {endpoint, access_key, secret_key}}, s3: {<id>: {...}}}` |
| `environment` | `{Variables: {K: V}}` (OSCAR's shape) or a plain mapping |
| `secrets` | names of existing OpenFaaS secrets, mounted under /var/openfaas/secrets |
| `log_level` | the supervisor's LOG_LEVEL |
| `annotations`, `labels` | passed to OpenFaaS (`oscar.*` annotations are the gateway's own) |
| `max_attempts`, `concurrency`, `timeout` | our extensions: the `oscar.*` annotations |
| `batch_size`, `batch_window` | ours: jobs per invocation under a backlog; seconds to fill one |

`storage_provider` absent, `minio` or `minio.default` is the gateway's MinIO; `minio.<id>` or
`s3.<id>` names an entry of `storage_providers` (gateway.services.fdl_providers): another MinIO
(inputs and outputs) or S3 (outputs only: S3 sends no webhooks). An input `prefix` names one
folder below `path` to watch; outputs still mirror the input's folders relative to `path`.

Problems with the document itself (not JSON/YAML, not a mapping) are 400s; problems with its
fields are one 422 that names every field at fault. The fields' rules are the pydantic model
`gateway.services.fdl_model.FdlService` (whose `model_json_schema()` describes the body);
`gateway.services.fdl_problems` words its errors.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import yaml
from pydantic import ValidationError

from gateway.errors import BadRequest, UnsupportedMediaType
from gateway.services.fdl_model import IGNORED, FdlService
from gateway.services.fdl_problems import invalid_service
from gateway.services.spec import ServiceSpec

__all__ = ["FdlService", "ServiceSpec", "ignored_fields", "parse", "read_document", "validate"]

_JSON_TYPES = {"application/json"}
_YAML_TYPES = {"application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"}
_SNIFFED_TYPES = {"", "text/plain", "application/octet-stream"}


def read_document(body: bytes, content_type: str) -> Mapping[str, Any]:
    """The request body as a mapping: JSON or YAML by Content-Type (sniffed when it says none)."""
    kind = content_type.split(";")[0].strip().lower()
    if kind not in _JSON_TYPES | _YAML_TYPES | _SNIFFED_TYPES:
        raise UnsupportedMediaType(
            f"Content-Type {kind!r} is not an FDL service; send application/json or "
            "application/yaml"
        )
    if not body.strip():
        raise BadRequest("empty body: send one FDL service as JSON or YAML")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as e:
        raise BadRequest(f"the body is not UTF-8 text: {e}") from e
    try:
        document = json.loads(text) if kind in _JSON_TYPES else yaml.safe_load(text)
    except json.JSONDecodeError as e:
        raise BadRequest(f"the body is not valid JSON: {e}") from e
    except yaml.YAMLError as e:
        raise BadRequest(f"the body is not valid YAML: {str(e)[:300]}") from e
    if not isinstance(document, dict):
        raise BadRequest(
            f"expected one FDL service (a mapping with name, image, input...), "
            f"found {type(document).__name__}"
        )
    if "functions" in document and "name" not in document:
        raise BadRequest(
            "this is a whole FDL file; send one service (the mapping under "
            "functions.oscar[].<cluster>) with `script` holding the script's text"
        )
    return document


def parse(body: bytes, content_type: str, *, name: str | None = None) -> ServiceSpec:
    """Read and validate one service; `name` is the one the URL names, if it names one."""
    return validate(read_document(body, content_type), name=name)


def validate(document: Mapping[str, Any], *, name: str | None = None) -> ServiceSpec:
    """The service `document` defines, or one InvalidService naming every field at fault."""
    try:
        service = FdlService.model_validate(document, context={"url_name": name})
    except ValidationError as e:
        raise invalid_service(e, document) from e
    return service.spec()


def ignored_fields(document: Mapping[str, Any]) -> list[str]:
    return sorted(k for k in document if k in IGNORED)
