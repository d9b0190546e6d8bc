"""What each component of the local stack runs: command, environment, readiness check.

The environment variable names are the components' own, read from their pinned sources:
the gateway's `gateway/types/readconfig.go` and `main.go` (openfaas/faas), the queue-worker's
`readconfig.go` (openfaas/nats-queue-worker). Each child gets an environment built here as a
dict; nothing is inherited from the caller but PATH.
"""

from __future__ import annotations

import secrets
import signal
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from contract import environment as names
from localstack.config import (
    HOST,
    NATS_CLUSTER,
    OPENFAAS_PORT,
    PROJECT_ROOT,
    WEBHOOK_TARGET,
    StackConfig,
    StackSecrets,
    go_duration,
)
from localstack.minio_server import webhook_env


@dataclass(frozen=True)
class ComponentSpec:
    name: str
    command: tuple[str, ...]
    env: Mapping[str, str] = field(repr=False, compare=False)
    ready_url: str = ""  # ready when a GET answers 200 ...
    ready_log: str = ""  # ... or when this text appears in its log
    url: str = ""
    cwd: Path | None = None
    stop_signal: signal.Signals = signal.SIGTERM
    stop_grace: float = 10.0


def endpoints(config: StackConfig) -> dict[str, str]:
    return {
        "openfaas": f"http://{HOST}:{OPENFAAS_PORT}",
        "minio": f"http://{HOST}:{config.minio_port}",
        "minio_console": f"http://{HOST}:{config.minio_console_port}",
        "nats": f"nats://{HOST}:{config.nats_port}",
        "nats_monitor": f"http://{HOST}:{config.nats_monitor_port}",
        "provider": f"http://{HOST}:{config.provider_port}",
        **{name: f"http://{HOST}:{port}" for name, port in gateway_ports(config).items()},
    }


def gateway_ports(config: StackConfig) -> dict[str, int]:
    """Each gateway's name and port: `gateway` alone, or `gateway`, `gateway-2`... sharing one
    PostgreSQL ledger. The first is the one clients are given; MinIO notifies every one."""
    return {
        "gateway" if n == 0 else f"gateway-{n + 1}": config.gateway_port + n
        for n in range(config.gateways)
    }


def webhook_target(port: int, config: StackConfig) -> str:
    """The MinIO webhook target of the gateway on `port`: `OSCAR` for the first, `OSCAR2`... for
    the others. Each gateway keeps its own target's rules on the input buckets, so every event
    reaches every gateway and the ledger's identity keeps one job of it: a dead gateway costs
    no event (docs/RELIABILITY.md)."""
    number = port - config.gateway_port + 1
    return WEBHOOK_TARGET if number == 1 else f"{WEBHOOK_TARGET}{number}"


def plan(
    config: StackConfig, secrets_: StackSecrets, *, uts: tuple[str, ...] | None
) -> list[ComponentSpec]:
    """The components in start order; each is ready before the next one starts.

    `uts` runs a command with a hostname of its own (see `stack._uts_prefix`); without it only
    one queue-worker can connect to NATS Streaming.
    """
    urls = endpoints(config)
    base = {"PATH": config.path, "HOME": str(config.state_dir), "LANG": "C.UTF-8"}
    return [
        _minio(config, secrets_, base, urls["minio"]),
        _nats(config, base, urls),
        _provider(config, base, urls),
        _openfaas_gateway(config, base, urls),
        *_queue_workers(config, base, uts=uts),
        *(
            _gateway(config, secrets_, base, urls, name=name, port=port)
            for name, port in gateway_ports(config).items()
        ),
    ]


def _nats_env(config: StackConfig) -> dict[str, str]:
    return {
        "faas_nats_address": HOST,
        "faas_nats_port": str(config.nats_port),
        "faas_nats_cluster_name": NATS_CLUSTER,
    }


def _nats(config: StackConfig, base: Mapping[str, str], urls: Mapping[str, str]) -> ComponentSpec:
    return ComponentSpec(
        "nats-streaming-server",
        (
            str(config.tool("nats-streaming-server")),
            *("--cluster_id", NATS_CLUSTER, "--store", "file"),
            *("--dir", str(config.state_dir / "nats"), "--addr", HOST),
            *("--port", str(config.nats_port), "--http_port", str(config.nats_monitor_port)),
            # Find a crashed worker's client in ~15s rather than the default ~5min, so its
            # pending messages go to the other workers.
            *("--hb_interval", "5s", "--hb_timeout", "5s", "--hb_fail_count", "2"),
        ),
        base,
        ready_url=f"{urls['nats_monitor']}/streaming/serverz",
        url=urls["nats"],
    )


def _provider(
    config: StackConfig, base: Mapping[str, str], urls: Mapping[str, str]
) -> ComponentSpec:
    return ComponentSpec(
        "provider",
        (config.python, "-m", "provider"),
        {
            **base,
            "PYTHONPATH": str(PROJECT_ROOT),
            "PYTHONUNBUFFERED": "1",
            names.OSCAR_PROVIDER_LISTEN: f"{HOST}:{config.provider_port}",
            names.OSCAR_STATE_DIR: str(config.state_dir),
            names.OSCAR_TOOLS_BIN: str(config.tools_bin),
            names.OSCAR_ISOLATION: config.isolation,
            names.OSCAR_UNBUILT_IMAGES: config.unbuilt_images,
            names.OSCAR_INVOKE_TIMEOUT: f"{config.function_timeout:g}",
            # Functions call MinIO at 127.0.0.1:<its port>: the provider forwards that
            # port into each replica's network namespace (its default is only 9000).
            names.OSCAR_FORWARD_PORTS: ",".join(
                str(port) for port in (config.minio_port, *config.forward_ports)
            ),
        },
        ready_url=f"{urls['provider']}/healthz",
        url=urls["provider"],
        stop_grace=30.0,  # it stops its replicas first
    )


def _openfaas_gateway(
    config: StackConfig, base: Mapping[str, str], urls: Mapping[str, str]
) -> ComponentSpec:
    return ComponentSpec(
        "openfaas-gateway",
        (str(config.tool("openfaas-gateway")),),
        {
            **base,
            **_nats_env(config),
            "functions_provider_url": f"{urls['provider']}/",
            "direct_functions": "false",
            # Our provider wakes a function at zero replicas on its first call. The CE
            # gateway's own scaler would ask the provider for the replica count on every
            # call, over a new connection (it caches only counts of zero): +1 ms a call.
            "scale_from_zero": "false",
            "basic_auth": "true",
            "secret_mount_path": str(config.openfaas_dir / "secrets"),
            "upstream_timeout": go_duration(config.function_timeout),
            "read_timeout": go_duration(config.function_timeout + 5),
            "write_timeout": go_duration(config.function_timeout + 5),
            # The gateway asks Prometheus for invocation counts when it lists functions,
            # and panics if the query fails (CE 2025-04, metrics/add_metrics.go mixIn):
            # the provider answers that query (`/api/v1/query`) from its own counts.
            "faas_prometheus_host": HOST,
            "faas_prometheus_port": str(config.provider_port),
        },
        # /healthz is forwarded to the provider, so this also proves the gateway reaches it.
        ready_url=f"{urls['openfaas']}/healthz",
        url=urls["openfaas"],
        cwd=config.openfaas_dir,
    )


def _queue_workers(
    config: StackConfig, base: Mapping[str, str], *, uts: tuple[str, ...] | None
) -> list[ComponentSpec]:
    worker_env = {
        **base,
        **_nats_env(config),
        "faas_gateway_address": HOST,
        "faas_gateway_port": str(OPENFAAS_PORT),
        "ack_wait": go_duration(config.ack_wait),
    }
    run = str(config.tool("nats-queue-worker"))
    tag = secrets.token_hex(3)  # a fresh NATS client id per start: a dead one's may linger
    workers = []
    for number in range(1, (config.workers if uts else 1) + 1):
        command: tuple[str, ...] = (run,)
        if uts:
            hostname = f"oscar-qw-{number}-{tag}"
            command = (*uts, "--", "/bin/sh", "-c", 'hostname "$0" && exec "$@"', hostname, run)
        workers.append(
            ComponentSpec(
                f"queue-worker-{number}",
                command,
                worker_env,
                ready_log="Listening on [",
                # SIGINT is its graceful stop: it closes its NATS client, keeping the durable
                # queue group; SIGTERM would leave a dead client behind in NATS Streaming.
                stop_signal=signal.SIGINT,
            )
        )
    return workers


def _gateway(
    config: StackConfig,
    secrets_: StackSecrets,
    base: Mapping[str, str],
    urls: Mapping[str, str],
    *,
    name: str,
    port: int,
) -> ComponentSpec:
    """One of this project's gateways: after OpenFaaS and MinIO, which it calls at start-up.
    Several share the state folder (their secrets) and the PostgreSQL ledger."""
    folder = config.state_dir / "gateway"
    secret = folder / "secrets"
    env = {
        **base,
        "PYTHONPATH": str(PROJECT_ROOT),
        "PYTHONUNBUFFERED": "1",
        names.GATEWAY_LISTEN: f"{HOST}:{port}",
        names.OSCAR_GATEWAY_NAME: name,  # stable: a restarted gateway requeues its own claims
        names.GATEWAY_PUBLIC_URL: urls[name],
        names.GATEWAY_STATE_DIR: str(folder),
        names.OPENFAAS_URL: urls["openfaas"],
        names.OPENFAAS_USER: secrets_.openfaas_user,
        names.OPENFAAS_PASSWORD_FILE: str(config.openfaas_dir / "secrets" / "basic-auth-password"),
        names.MINIO_ENDPOINT: urls["minio"],
        names.MINIO_ACCESS_KEY_FILE: str(secret / "minio-access-key"),
        names.MINIO_SECRET_KEY_FILE: str(secret / "minio-secret-key"),
        names.MINIO_TARGET_ARN: f"arn:minio:sqs::{webhook_target(port, config)}:webhook",
        names.WEBHOOK_TOKEN_FILE: str(secret / "webhook-token"),
        names.ADMIN_TOKEN_FILE: str(secret / "admin-token"),
        names.CALLBACK_KEY_FILE: str(secret / "callback-key"),
        names.SYNC_TIMEOUT_SECONDS: f"{config.function_timeout:g}",
        names.FAAS_CLI: str(config.tool("faas-cli")),  # deploys FDL services
    }
    if config.ledger:
        env[names.OSCAR_LEDGER_URL] = config.ledger
    command = (config.python, "-m", "gateway")
    return ComponentSpec(name, command, env, ready_url=f"{urls[name]}/health", url=urls[name])


def _minio(
    config: StackConfig, secrets_: StackSecrets, base: Mapping[str, str], url: str
) -> ComponentSpec:
    folder = config.state_dir / "minio"
    env = {
        **base,
        "HOME": str(folder),  # it keeps a `.minio` folder there
        "MINIO_ROOT_USER": secrets_.minio_access_key,
        "MINIO_ROOT_PASSWORD": secrets_.minio_secret_key,
        "MINIO_UPDATE": "off",
    }
    # One target per gateway. The project's gateway may not run yet: with the queue on, MinIO
    # keeps events in each target's queue folder and replays them when that gateway answers.
    for port in gateway_ports(config).values():
        target = webhook_target(port, config)
        queue = folder / ("events" if target == WEBHOOK_TARGET else f"events-{target.lower()}")
        env |= webhook_env(
            target,
            f"http://{HOST}:{port}/events",
            queue_dir=queue if config.minio_event_queue else None,
            token=secrets_.webhook_token,
        )
    command = (
        str(config.tool("minio")),
        *("server", "--quiet", "--address", f"{HOST}:{config.minio_port}"),
        *("--console-address", f"{HOST}:{config.minio_console_port}", str(folder / "data")),
    )
    return ComponentSpec("minio", command, env, ready_url=f"{url}/minio/health/ready", url=url)
