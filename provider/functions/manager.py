"""The functions the provider runs: deployments, their replicas, scaling, updates, restarts.

One lock guards the registry; replicas are started and stopped outside it, so a slow start of
one function never blocks calls to another. A monitor thread restarts crashed replicas and
keeps each function at its desired count. Deployments and desired counts are saved to disk, so
a restarted provider brings its functions back.
"""

from __future__ import annotations

import itertools
import logging
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from provider.deployments import Deployment, function_status
from provider.errors import FunctionExists, FunctionNotFound, NoReadyReplica, ProviderError
from provider.functions.reconcile import plan_pass
from provider.functions.records import Function, Instance
from provider.functions.saved import load, save
from provider.functions.workdirs import next_index, prune
from provider.launcher import Launcher, ReplicaSpec
from provider.runtimes import NOTICE_ANNOTATION, Runtimes
from provider.secrets import SecretStore

log = logging.getLogger(__name__)
MONITOR_INTERVAL = 0.25


class FunctionManager:
    def __init__(
        self,
        *,
        state_dir: Path,
        images: Runtimes,
        secrets: SecretStore,
        launcher: Launcher,
        ready_timeout: float,
    ) -> None:
        self._state_dir = state_dir
        self._images = images
        self._secrets = secrets
        self._launcher = launcher
        self._ready_timeout = ready_timeout
        self._functions: dict[str, Function] = {}
        self._lock = threading.Condition()
        self._counter = itertools.count()
        self._stopping = threading.Event()
        self._monitor = threading.Thread(target=self._watch, name="replica-monitor", daemon=True)

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        # A provider that died without stopping its replicas left them running: end them first.
        for workdir in sorted((self._state_dir / "replicas").glob("*/*")):
            try:
                self._launcher.cleanup(workdir)
            except Exception:  # one bad record must not stop the provider from starting
                log.exception("could not clean up %s", workdir)
        for deployment, desired, created in load(self._state_dir / "functions.json"):
            self._functions[deployment.service] = Function(deployment, desired, created)
        # New replicas get names (and folders, logs) of their own, not a dead provider's.
        self._counter = itertools.count(next_index(self._state_dir / "replicas"))
        self._monitor.start()

    def shutdown(self) -> None:
        self._stopping.set()
        self._monitor.join(timeout=5)
        with self._lock:
            instances = [i for f in self._functions.values() for i in f.instances]
            for function in self._functions.values():
                function.instances = []
        for instance in instances:
            instance.handle.stop()

    # -- API -------------------------------------------------------------------------------
    def deploy(self, deployment: Deployment, *, update: bool) -> None:
        self._check_deployable(deployment)
        with self._lock:
            existing = self._functions.get(deployment.service)
            if update and existing is None:
                raise FunctionNotFound(f"function {deployment.service!r} is not deployed")
            if not update and existing is not None:
                raise FunctionExists(
                    f"function {deployment.service!r} is already deployed; update it with PUT"
                )
            if existing is None:
                created = datetime.now(UTC).isoformat()
                self._functions[deployment.service] = Function(
                    deployment, deployment.min_replicas, created
                )
            else:
                # A rolling update: new replicas of the next generation start first; the old
                # ones are retired by the monitor once enough new ones are ready.
                existing.deployment = deployment
                existing.generation += 1
            self._save()
            self._lock.notify_all()

    def delete(self, name: str) -> None:
        with self._lock:
            function = self._functions.pop(name, None)
            if function is None:
                raise FunctionNotFound(f"function {name!r} is not deployed")
            self._save()
        for instance in function.instances:
            instance.handle.stop()
        shutil.rmtree(self._state_dir / "replicas" / name, ignore_errors=True)

    def scale(self, name: str, replicas: int) -> None:
        if replicas < 0:
            raise ProviderError(f"replicas must be 0 or more, found {replicas}")
        with self._lock:
            self._get(name).desired = replicas
            self._save()
            self._lock.notify_all()

    def status(self, name: str) -> dict[str, Any]:
        with self._lock:
            return self._status(self._get(name))

    def statuses(self, namespace: str) -> list[dict[str, Any]]:
        with self._lock:
            return [
                self._status(f)
                for f in self._functions.values()
                if f.deployment.namespace == namespace
            ]

    def secret_folders(self, namespace: str, secret: str) -> list[Path]:
        """The secrets folders of the running replicas whose deployment lists `secret`."""
        with self._lock:
            return [
                self._state_dir / "replicas" / f.deployment.service / i.name / "secrets"
                for f in self._functions.values()
                if f.deployment.namespace == namespace and secret in f.deployment.secrets
                for i in f.instances
            ]

    def log_files(self, name: str) -> list[tuple[str, Path]]:
        with self._lock:
            self._get(name)
        folder = self._state_dir / "replicas" / name
        return sorted((p.name, p / "replica.log") for p in folder.glob("*") if p.is_dir())

    @contextmanager
    def replica(self, name: str) -> Iterator[Instance]:
        """A ready replica of `name` (least in-flight requests first), held for one call."""
        deadline = time.monotonic() + self._ready_timeout
        with self._lock:
            while True:
                function = self._functions.get(name)
                if function is None:
                    raise FunctionNotFound(f"function {name!r} is not deployed")
                ready = [i for i in function.instances if i.handle.alive()]
                if ready:
                    chosen = min(ready, key=lambda i: i.inflight)
                    chosen.inflight += 1
                    function.invocations += 1
                    break
                if function.desired == 0:
                    # Scale from zero here, not in the OpenFaaS gateway: its scaler (CE) asks
                    # for the replica count on every call, over a new connection each time.
                    function.desired = max(1, function.deployment.min_replicas)
                    log.info("%s: a call woke it from zero to %d", name, function.desired)
                    self._save()
                    self._lock.notify_all()
                if time.monotonic() >= deadline:
                    raise NoReadyReplica(
                        f"function {name!r} has no ready replica "
                        f"(desired {function.desired}); scale it up or check `faas-cli logs {name}`"
                    )
                self._lock.wait(timeout=max(0.0, deadline - time.monotonic()))
        try:
            yield chosen
        finally:
            with self._lock:
                chosen.inflight -= 1
                self._lock.notify_all()

    # -- internals -------------------------------------------------------------------------
    def _get(self, name: str) -> Function:
        function = self._functions.get(name)
        if function is None:
            raise FunctionNotFound(f"function {name!r} is not deployed")
        return function

    def _status(self, function: Function) -> dict[str, Any]:
        current = [i for i in function.instances if i.generation == function.generation]
        status = function_status(
            function.deployment,
            replicas=function.desired,
            available=sum(1 for i in current if i.handle.alive()),
            invocations=function.invocations,
            created_at=function.created_at,
        )
        notice = self._images.notice(function.deployment.image)
        if notice is not None:  # the gateway shows it with the service, `oscar apply` prints it
            status["annotations"] = {**status["annotations"], NOTICE_ANNOTATION: notice}
        # Ours, not in the OpenFaaS schema (clients ignore them): for operators and benchmarks.
        status["restarts"] = function.restarts
        status["instances"] = [
            {
                "name": i.name,
                "url": i.handle.url,
                "inflight": i.inflight,
                "generation": i.generation,
            }
            for i in function.instances
        ]
        return status

    def _check_deployable(self, deployment: Deployment) -> None:
        # An unbuilt image runs on the base runtime, or is refused naming `oscar build`.
        self._images.image_for(deployment.image)
        missing = self._secrets.missing(deployment.namespace, deployment.secrets)
        if missing:
            raise ProviderError(
                f"secrets {missing} do not exist in namespace {deployment.namespace!r}; "
                f"create them with `faas-cli secret create NAME`"
            )

    def _watch(self) -> None:
        while not self._stopping.is_set():
            try:
                self._reconcile_once()
            except Exception:  # the monitor must survive any one failure, and say so
                log.exception("replica monitor pass failed")
            self._stopping.wait(MONITOR_INTERVAL)

    def _reconcile_once(self) -> None:
        with self._lock:
            to_start, to_stop = plan_pass(self._functions.values())
        for instance in to_stop:
            threading.Thread(target=self._retire, args=(instance,), daemon=True).start()
        for function, generation in to_start:
            threading.Thread(
                target=self._start_replica, args=(function, generation), daemon=True
            ).start()

    def _start_replica(self, function: Function, generation: int) -> None:
        deployment = function.deployment
        name = f"{deployment.service}-{next(self._counter)}"
        workdir = self._state_dir / "replicas" / deployment.service / name
        try:
            image = self._images.image_for(deployment.image)
            secrets_dir = self._secrets.materialise(
                deployment.namespace, deployment.secrets, workdir / "secrets"
            )
            env = dict(deployment.env_vars)
            image, added = self._images.runnable(image, deployment.env_process)
            env.update(added)
            spec = ReplicaSpec(
                deployment.service, name, image, env, secrets_dir, workdir, deployment.limits
            )
            handle = self._launcher.start(spec)
        except Exception:
            log.exception("replica %s of %s failed to start", name, deployment.service)
            with self._lock:
                function.starting -= 1
                function.failed()
            return
        finally:
            prune(workdir.parent)
        with self._lock:
            function.starting -= 1
            gone = self._functions.get(deployment.service) is not function
            if not gone:
                function.instances.append(Instance(name, handle, generation))
                self._lock.notify_all()
        if gone:
            handle.stop()

    def _retire(self, instance: Instance) -> None:
        self._drain(instance)
        instance.handle.stop()

    def _drain(self, instance: Instance) -> None:
        """Stop a replica after its in-flight calls finish (or a deadline passes)."""
        deadline = time.monotonic() + 60
        with self._lock:
            while instance.inflight and time.monotonic() < deadline:
                self._lock.wait(timeout=1)

    def _save(self) -> None:
        save(self._state_dir / "functions.json", self._functions.values())
