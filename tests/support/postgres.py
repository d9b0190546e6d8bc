"""A real PostgreSQL server for tests: Debian's binaries, a fresh cluster in a temporary folder,
a free port on 127.0.0.1, trust authentication; stopped (and its folder removed) afterwards.

PostgreSQL refuses to run as root, so as root the server runs as the `postgres` user the Debian
package creates (setpriv), owning the folder.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import uuid
from pathlib import Path

import psycopg

from tests.support.waiting import free_port, wait_for

BIN = Path("/usr/lib/postgresql/15/bin")
INITDB = ("-U", "oscar", "-A", "trust", "-E", "UTF8", "--no-sync")
SERVER = ("-c", "max_connections=300")
FAST = ("-c", "fsync=off")  # a test's data need not survive power loss


class PostgresServer:
    def __init__(self, *, durable: bool = False) -> None:
        """`durable`: PostgreSQL's own defaults (fsync on), for benchmarks; tests skip fsync."""
        if not (BIN / "postgres").exists():
            raise RuntimeError(f"no PostgreSQL 15 in {BIN}: run scripts/setup (apt postgresql)")
        self.root = Path(tempfile.mkdtemp(prefix="oscar-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self._as_owner: list[str] = []
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
            self._as_owner = ["setpriv", f"--reuid={owner.pw_uid}", f"--regid={owner.pw_gid}"]
            self._as_owner += ["--clear-groups", "--"]
        subprocess.run(
            [*self._as_owner, str(BIN / "initdb"), "-D", str(self.data), *INITDB],
            check=True,
            capture_output=True,
        )
        self._settings = SERVER if durable else (*SERVER, *FAST)
        self._proc: subprocess.Popen[bytes] | None = None
        self.start()

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://oscar@127.0.0.1:{self.port}/{database}"

    def _listen(self) -> list[str]:
        return ["-h", "127.0.0.1", "-p", str(self.port), "-k", str(self.root)]

    def start(self, *, timeout: float = 30.0) -> None:
        log = (self.root / "server.log").open("ab")
        self._proc = subprocess.Popen(
            [
                *self._as_owner,
                str(BIN / "postgres"),
                "-D",
                str(self.data),
                *self._listen(),
                *self._settings,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        wait_for(self._answers, timeout=timeout, what=f"PostgreSQL on port {self.port}")

    def _answers(self) -> bool:
        assert self._proc is not None
        if self._proc.poll() is not None:
            log = (self.root / "server.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"PostgreSQL exited {self._proc.returncode}:\n{log}")
        try:
            with psycopg.connect(self.url(), connect_timeout=2):
                return True
        except psycopg.OperationalError:
            return False

    def create_database(self) -> str:
        """A new empty database; returns its URL."""
        name = f"t_{uuid.uuid4().hex[:16]}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self, *, timeout: float = 30.0) -> None:
        """Fast shutdown (SIGINT): clients are disconnected; the data stays for `start`."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGINT)
            self._proc.wait(timeout=timeout)
        self._proc = None

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
