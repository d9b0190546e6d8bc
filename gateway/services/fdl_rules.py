"""The FDL's field rules: every field read, every problem collected into one 422."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Any

from contract.naming import SECRETS_MOUNT, script_secret
from contract.paths import StoragePath
from gateway.errors import InvalidService
from gateway.services.model import parse_path
from gateway.services.spec import MAX_SCRIPT_BYTES, ServiceSpec

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_MEMORY = re.compile(r"^(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)(?:[KMGTPE]i|[kKMGTPE])?$")
_CPU = re.compile(r"^(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)m?$")
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_PROVIDERS = {"minio", "minio.default"}
_RESERVED_ENV = {
    "INPUT_PATH": "input",
    "OUTPUT_PATH": "output",
    "SCRIPT_PATH": "script",
}

_FIELDS = {
    "name", "image", "script", "memory", "cpu", "input", "output", "environment", "secrets",
    "log_level", "annotations", "labels", "max_attempts", "concurrency", "timeout",
}  # fmt: skip
# OSCAR fields that mean nothing on OpenFaaS (cluster placement, ownership, OSCAR's own token).
IGNORED = {
    "cluster_id", "vo", "owner", "token", "alpine", "image_prefetch", "isolation_level",
    "bucket_list", "visibility", "allowed_users", "storage_providers", "clusters", "replicas",
    "delegation", "rescheduler_threshold", "total_memory", "total_cpu", "synchronous",
    "interlink_node_name", "namespace", "volume_status",
}  # fmt: skip
# OSCAR fields whose effect this gateway cannot give: refused unless empty or false.
_UNSUPPORTED = {
    "enable_gpu", "enable_sgx", "file_stage_in", "expose", "mount", "volume",
    "image_pull_secrets",
}  # fmt: skip
_IO_FIELDS = {"storage_provider", "path", "prefix", "suffix"}


class Validator:
    """Reads every field, collecting problems, so one answer names all of them."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.doc = document
        self.problems: list[str] = []

    def spec(self, url_name: str | None) -> ServiceSpec:
        self._check_fields()
        name = self._name(url_name)
        image = self._string("image", required=True)
        if image and any(c.isspace() for c in image):
            self.problems.append(f"image: {image!r} contains white space")
        script = self._script()
        memory = self._quantity("memory", _MEMORY, "like '256Mi' or '1Gi'")
        cpu = self._quantity("cpu", _CPU, "cores like '0.5' or millicores like '500m'")
        inputs = self._storage_list("input", required=True)
        outputs = self._storage_list("output", required=False)
        environment = self._environment()
        log_level = self._log_level()
        if log_level is not None and "LOG_LEVEL" in environment:
            self.problems.append("environment: LOG_LEVEL is set by log_level; set only one")
        spec = ServiceSpec(
            name=name,
            image=image,
            input=inputs[0][0] if inputs else StoragePath("", ""),
            watched=inputs[0][1] if inputs else StoragePath("", ""),
            output=outputs[0][0] if outputs else None,
            suffixes=inputs[0][2] if inputs else (),
            script=script,
            memory=memory,
            cpu=cpu,
            environment=environment,
            secrets=self._secrets(name),
            annotations=self._string_map("annotations", reserved_prefix="oscar."),
            labels=self._string_map("labels"),
            log_level=log_level,
            max_attempts=self._positive("max_attempts"),
            concurrency=self._positive("concurrency"),
            timeout=self._positive("timeout"),
        )
        if inputs and not self.problems:
            try:
                spec.service.check()
            except InvalidService as e:
                self.problems.append(e.message)
        if self.problems:
            count = "a problem" if len(self.problems) == 1 else f"{len(self.problems)} problems"
            raise InvalidService(f"the service definition has {count}: " + "; ".join(self.problems))
        return spec

    def _check_fields(self) -> None:
        known = _FIELDS | IGNORED | _UNSUPPORTED
        for key in self.doc:
            if key not in known:
                close = difflib.get_close_matches(str(key), sorted(_FIELDS), n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                self.problems.append(f"{key}: unknown field{hint}")
            elif key in _UNSUPPORTED and self.doc[key]:
                self.problems.append(f"{key}: not supported by this gateway; remove it")

    def _name(self, url_name: str | None) -> str:
        given = self._string("name", required=url_name is None)
        name = given or url_name or ""
        if given and url_name and given != url_name:
            self.problems.append(f"name: the body says {given!r} but the URL says {url_name!r}")
        elif name and (len(name) > 63 or not _DNS_LABEL.match(name)):
            self.problems.append(
                f"name: {name!r} is not a DNS-1123 label (at most 63 lower-case letters, "
                "digits and '-', starting and ending with a letter or digit)"
            )
        return name

    def _string(self, key: str, *, required: bool = False) -> str:
        value = self.doc.get(key)
        if value is None or value == "":
            if required:
                self.problems.append(f"{key}: required")
            return ""
        if not isinstance(value, str):
            self.problems.append(f"{key}: expected a string, found {_kind(value)}")
            return ""
        return value.strip()

    def _script(self) -> str | None:
        value = self.doc.get("script")
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            self.problems.append("script: expected the script's text (a non-empty string)")
            return None
        if len(value.encode()) > MAX_SCRIPT_BYTES:
            self.problems.append(f"script: larger than {MAX_SCRIPT_BYTES} bytes")
        stripped = value.strip()
        if stripped.endswith(".sh") and not any(c.isspace() for c in stripped):
            self.problems.append(
                f"script: {stripped!r} looks like a file name; send the script's text "
                "(OSCAR's CLI reads the file for you)"
            )
        return value

    def _quantity(self, key: str, pattern: re.Pattern[str], example: str) -> str | None:
        value = self.doc.get(key)
        if value is None or value == "":
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.problems.append(f"{key}: expected a quantity {example}, found {_kind(value)}")
            return None
        text = str(value).strip()
        if not pattern.match(text):
            # 'm' is milli in Kubernetes quantities: '256m' of memory is a quarter of a byte.
            milli = key == "memory" and text.endswith("m")
            hint = f"; did you mean '{text[:-1]}Mi'?" if milli else ""
            self.problems.append(f"{key}: expected a quantity {example}, found {text!r}{hint}")
            return None
        if not any(c in "123456789" for c in text):
            self.problems.append(f"{key}: {text!r} must be more than zero")
            return None
        return text

    def _storage_list(
        self, key: str, *, required: bool
    ) -> list[tuple[StoragePath, StoragePath, tuple[str, ...]]]:
        value = self.doc.get(key)
        if value is None or value == []:
            if required:
                self.problems.append(
                    f"{key}: required; name the bucket/prefix whose new files become jobs, "
                    f"e.g. [{{storage_provider: minio, path: {self._example()}/in}}]"
                )
            return []
        if isinstance(value, dict):
            value = [value]  # one entry without the list around it: a common slip
        if not isinstance(value, list):
            self.problems.append(f"{key}: expected a list, found {_kind(value)}")
            return []
        if len(value) > 1:
            self.problems.append(
                f"{key}: one {key} is supported, found {len(value)}; deploy one service per "
                f"{key} path"
            )
            return []
        return [entry for entry in [self._storage(key, value[0])] if entry is not None]

    def _storage(
        self, key: str, entry: object
    ) -> tuple[StoragePath, StoragePath, tuple[str, ...]] | None:
        where = f"{key}[0]"
        if not isinstance(entry, dict):
            self.problems.append(f"{where}: expected a mapping with path, found {_kind(entry)}")
            return None
        for extra in sorted(set(entry) - _IO_FIELDS):
            self.problems.append(f"{where}.{extra}: unknown field")
        provider = entry.get("storage_provider")
        if provider not in (None, "", *_PROVIDERS):
            self.problems.append(
                f"{where}.storage_provider: only the gateway's MinIO is available "
                f"('minio' or 'minio.default'), found {provider!r}"
            )
        path_text = entry.get("path")
        if not isinstance(path_text, str) or not path_text.strip("/ "):
            self.problems.append(f"{where}.path: expected 'bucket/prefix', found {path_text!r}")
            return None
        try:
            path = parse_path(path_text, field=f"{where}.path")
        except InvalidService as e:
            self.problems.append(e.message)
            return None
        if not _BUCKET.match(path.bucket):
            self.problems.append(
                f"{where}.path: {path.bucket!r} is not a bucket name (3-63 lower-case letters, "
                "digits, '.' and '-')"
            )
        prefixes = self._string_list(entry.get("prefix"), f"{where}.prefix")
        suffixes = self._string_list(entry.get("suffix"), f"{where}.suffix")
        if key == "output":
            for name, found in (("prefix", prefixes), ("suffix", suffixes)):
                if found:
                    self.problems.append(
                        f"{where}.{name}: not supported; every file the script writes to "
                        "$TMP_OUTPUT_DIR is uploaded"
                    )
            return path, path, ()
        if len(prefixes) > 1:
            self.problems.append(
                f"{where}.prefix: one folder below path is supported, found {len(prefixes)}"
            )
            return None
        watched = path
        if prefixes:
            folder = "/".join(p for p in (path.prefix, prefixes[0].strip("/")) if p)
            watched = StoragePath(path.bucket, folder)
        return path, watched, tuple(suffixes)

    def _string_list(self, value: object, where: str) -> list[str]:
        if value is None:
            return []
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            self.problems.append(f"{where}: expected a list of strings, found {_kind(value)}")
            return []
        return [i.strip() for i in items if i.strip()]

    def _environment(self) -> dict[str, str]:
        value = self.doc.get("environment")
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.problems.append(f"environment: expected a mapping, found {_kind(value)}")
            return {}
        where = "environment"
        oscar_keys = {"Variables", "variables", "Secrets", "secrets"}
        if (
            value
            and set(value) <= oscar_keys
            and all(v is None or isinstance(v, dict) for v in value.values())
        ):
            for key in ("Secrets", "secrets"):
                if value.get(key):
                    self.problems.append(
                        f"environment.{key}: not supported; create the secret with "
                        "`faas-cli secret create` and list its name in `secrets` (secrets are "
                        f"files under {SECRETS_MOUNT}, never environment values)"
                    )
            key = "Variables" if "Variables" in value else "variables"
            where, value = f"environment.{key}", value.get(key) or {}
        environment: dict[str, str] = {}
        for name, raw in value.items():
            if not isinstance(name, str) or not _ENV_NAME.match(name):
                self.problems.append(f"{where}: {name!r} is not a variable name")
            elif name in _RESERVED_ENV:
                self.problems.append(
                    f"{where}.{name}: set by the gateway from `{_RESERVED_ENV[name]}`; remove it"
                )
            elif isinstance(raw, bool):
                environment[name] = "true" if raw else "false"
            elif isinstance(raw, str | int | float):
                environment[name] = str(raw)
            else:
                self.problems.append(f"{where}.{name}: expected a string, found {_kind(raw)}")
        return environment

    def _secrets(self, name: str) -> tuple[str, ...]:
        found = self._string_list(self.doc.get("secrets"), "secrets")
        for secret in found:
            if len(secret) > 253 or not _DNS_SUBDOMAIN.match(secret):
                self.problems.append(
                    f"secrets: {secret!r} is not a secret name (lower-case letters, digits, "
                    "'-' and '.')"
                )
            elif secret == script_secret(name):
                self.problems.append(
                    f"secrets: {secret!r} is the secret the gateway makes from `script`; remove it"
                )
        return tuple(dict.fromkeys(found))

    def _string_map(self, key: str, *, reserved_prefix: str = "") -> dict[str, str]:
        value = self.doc.get(key)
        if value is None:
            return {}
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            self.problems.append(f"{key}: expected a mapping of strings to strings")
            return {}
        for name in value:
            if reserved_prefix and name.startswith(reserved_prefix):
                self.problems.append(
                    f"{key}.{name}: {reserved_prefix}* {key} are set by the gateway from the "
                    "service's fields; use those"
                )
        return dict(value)

    def _log_level(self) -> str | None:
        value = self._string("log_level")
        if not value:
            return None
        if value.upper() not in _LOG_LEVELS:
            self.problems.append(f"log_level: expected one of {', '.join(_LOG_LEVELS)}")
            return None
        return value.upper()

    def _positive(self, key: str) -> int | None:
        value = self.doc.get(key)
        if value is None:
            return None
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            self.problems.append(f"{key}: expected a positive integer, found {value!r}")
            return None
        return value

    def _example(self) -> str:
        name = self.doc.get("name")
        return name if isinstance(name, str) and _DNS_LABEL.match(name) else "bucket"


def _kind(value: object) -> str:
    names = {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean"}
    return names.get(type(value), "nothing" if value is None else type(value).__name__)
