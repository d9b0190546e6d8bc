"""How a service is deployed with faas-cli: plans of invocations, made without running anything.

A plan is a list of `Step`s made from a ServiceSpec (so it can be logged, tested and shown with
`?dry_run=true`); `gateway.clients.faascli.FaasCli` executes one. Every plan logs in first, with
the password on stdin: nothing secret is on a command line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from contract.naming import script_secret, storage_secrets
from gateway.clients.faascli import FUNCTION_MISSING, SECRET_MISSING, STACK_FILE, Plan, Step
from gateway.config import GatewayConfig
from gateway.services.endpoints import INPUT, OUTPUT
from gateway.services.spec import SCRIPT_SECRET, ServiceSpec


@dataclass(frozen=True)
class Planner:
    """Makes plans; runs nothing."""

    gateway: str
    username: str
    password: str = field(repr=False)
    s3_endpoint: str

    @classmethod
    def from_config(cls, config: GatewayConfig) -> Planner:
        return cls(
            gateway=config.openfaas_url,
            username=config.openfaas_user,
            password=config.openfaas_password,
            s3_endpoint=config.function_s3_endpoint,
        )

    def deploy(self, spec: ServiceSpec, *, previous: Mapping[str, Any] | None = None) -> Plan:
        """Create (`previous` is None) or update a service: its script secret, then the function.

        An update that drops the script removes the secret the previous version used, after the
        function stops naming it.
        """
        plan = [self.login()]
        if spec.script is not None:
            plan.append(self.put_secret(script_secret(spec.name), spec.script))
        keys = spec.storage_keys()
        plan += [self.put_secret(name, value) for name, value in keys.items()]
        plan.append(self.deploy_stack(spec))
        if spec.script is None and previous is not None and uses_script_secret(previous):
            plan.append(self.remove_secret(script_secret(spec.name)))
        if previous is not None:
            stale = [name for name in storage_secrets_of(previous) if name not in keys]
            plan += [self.remove_secret(name) for name in stale]
        return plan

    def delete(self, name: str, *, previous: Mapping[str, Any]) -> Plan:
        plan = [
            self.login(),
            Step(("remove", name, *self._gateway()), tolerate=FUNCTION_MISSING),
        ]
        if uses_script_secret(previous):
            plan.append(self.remove_secret(script_secret(name)))
        plan += [self.remove_secret(secret) for secret in storage_secrets_of(previous)]
        return plan

    def login(self) -> Step:
        return Step(
            ("login", *self._gateway(), "--username", self.username, "--password-stdin"),
            stdin=self.password,
        )

    def put_secret(self, name: str, value: str) -> Step:
        # --trim=false: a script is kept byte for byte.
        update = Step(
            ("secret", "update", name, *self._gateway(), "--trim=false"),
            stdin=value,
            expect="Updated",
        )
        return Step(
            ("secret", "create", name, *self._gateway(), "--trim=false"),
            stdin=value,
            expect="Created",
            fallback=update,
            fallback_on="already exists",
        )

    def remove_secret(self, name: str) -> Step:
        return Step(("secret", "remove", name, *self._gateway()), tolerate=SECRET_MISSING)

    def deploy_stack(self, spec: ServiceSpec) -> Step:
        stack = {
            "version": "1.0",
            "provider": {"name": "openfaas", "gateway": self.gateway},
            "functions": {spec.name: spec.function(s3_endpoint=self.s3_endpoint)},
        }
        args = ("deploy", "-f", STACK_FILE, *self._gateway())
        return Step(
            (*args, "--envsubst=false", "--read-template=false"),
            files=((STACK_FILE, yaml.safe_dump(stack, sort_keys=True)),),
        )

    def _gateway(self) -> tuple[str, str]:
        return ("--gateway", self.gateway)


def uses_script_secret(status: Mapping[str, Any]) -> bool:
    """Whether a deployed function (its OpenFaaS FunctionStatus) runs a script from a secret."""
    name = str(status.get("name", ""))
    secret = script_secret(name)
    annotations = status.get("annotations") or {}
    return secret in (status.get("secrets") or []) or annotations.get(SCRIPT_SECRET) == secret


def storage_secrets_of(status: Mapping[str, Any]) -> list[str]:
    """The storage providers' key secrets a deployed function names (its FunctionStatus)."""
    name = str(status.get("name", ""))
    named = set(status.get("secrets") or [])
    return [s for side in (INPUT, OUTPUT) for s in storage_secrets(name, side) if s in named]
