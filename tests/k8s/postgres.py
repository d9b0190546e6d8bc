"""PostgreSQL in the cluster's network namespace (Debian's binaries, as tests/support/postgres
runs them): pods reach it at the node's address, the test through a forwarder on loopback."""

from __future__ import annotations

import sys

from k8s_cluster import ClusterConfig, processes
from tests.support.postgres import PostgresServer
from tests.support.waiting import free_port

PORT = 5432


class PostgresInCluster(PostgresServer):
    def __init__(self, config: ClusterConfig) -> None:
        self.config = config
        self.host = f"127.0.0.1:{free_port()}"
        self.forward: processes.Running | None = None
        super().__init__()

    def _listen(self) -> list[str]:
        return ["-h", self.config.node_ip, "-p", str(PORT), "-k", str(self.root)]

    def start(self, *, timeout: float = 30.0) -> None:
        hba = self.data / "pg_hba.conf"
        pods = f"host all all {self.config.pod_subnet} trust\n"
        if pods not in hba.read_text():
            with hba.open("a") as rules:
                rules.write(pods)  # the node's address and the pods' (trust: a test cluster)
        if self.forward is None:
            target = f"{self.host}={self.config.node_ip}:{PORT}"
            self.forward = processes.spawn(
                "test-postgres-forward",
                [sys.executable, "-m", "k8s_cluster.forward", str(self.config.netns_path), target],
                env=self.config.child_env(),
                log=self.config.logs_dir / "test-postgres-forward.log",
                run_dir=self.config.run_dir,
            )
        owner = self._as_owner
        self._as_owner = ["nsenter", f"--net={self.config.netns_path}", "--", *owner]
        try:
            super().start(timeout=timeout)
        finally:
            self._as_owner = owner

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://oscar@{self.host}/{database}"

    def url_for_pods(self, database_url: str) -> str:
        """The same database as pods reach it."""
        database = database_url.rsplit("/", 1)[1]
        return f"postgresql://oscar@{self.config.node_ip}:{PORT}/{database}"

    def remove(self) -> None:
        super().remove()
        if self.forward is not None:
            processes.stop(self.forward, grace=5)
