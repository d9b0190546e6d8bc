"""Pod-like sandboxes: real namespaces, cgroups and users on this host (needs root).

Without root (or cgroups) the sandbox tests skip, saying why, unless CI is set: there they fail,
so a CI runner that lost its privileges cannot pass silently.
"""

from __future__ import annotations

import errno
import functools
import os
import pwd
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from contract.naming import SECRETS_MOUNT
from provider.sandbox import (
    Limits,
    Sandbox,
    ensure_function_user,
    isolation_support,
    leftovers,
    prepare_writable_dir,
    remove_leftover,
    sandbox_name,
)
from provider.sandbox.limits import parse_cpu, parse_memory
from provider.sandbox.netns_forward import PortForwarder
from tests.support.waiting import wait_for

MakeSandbox = Callable[..., Sandbox]
Run = Callable[..., subprocess.Popen[bytes]]
IP = "/usr/sbin/ip"


@pytest.fixture(scope="session")
def isolation() -> None:
    reason = isolation_support()
    if reason is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI must be able to make sandboxes, but: {reason}")
    pytest.skip(f"sandboxes cannot be made here: {reason}")


@pytest.fixture(scope="session")
def state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("sandbox-state")


@pytest.fixture
def make_sandbox(isolation: None, state_dir: Path) -> Iterator[MakeSandbox]:
    """Sandboxes with unique names; destroyed afterwards, and checked to leave nothing."""
    made: list[Sandbox] = []

    def make(*, limits: Limits | None = None, secrets_dir: Path | None = None) -> Sandbox:
        sandbox = Sandbox.create(
            name=f"oscar-test-{uuid.uuid4().hex[:8]}",
            limits=limits or Limits(),
            secrets_dir=secrets_dir,
            state_dir=state_dir,
        )
        made.append(sandbox)
        return sandbox

    yield make
    for sandbox in made:
        sandbox.destroy()
    assert _leftovers_of(made) == []


@pytest.fixture
def run(tmp_path: Path) -> Iterator[Run]:
    """Start commands; whatever is still running at the end is killed and reaped.

    Output goes to files: a pipe would keep teardown waiting on any process left holding it.
    """
    started: list[subprocess.Popen[bytes]] = []

    def start(argv: list[str]) -> subprocess.Popen[bytes]:
        with (tmp_path / f"run-{len(started)}.log").open("wb") as log:
            process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        started.append(process)
        return process

    yield start
    for process in started:
        process.kill()
        process.wait()


def output_of(argv: list[str]) -> str:
    result = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 0, f"{argv} exited {result.returncode}: {result.stderr}"
    return result.stdout


def test_a_sandbox_sees_only_its_loopback_and_its_veth(make_sandbox: MakeSandbox) -> None:
    sandbox = make_sandbox()

    links = output_of(sandbox.wrap([IP, "-o", "link"], user=None))
    addresses = output_of(sandbox.wrap([IP, "-o", "-4", "addr"], user=None))

    names = {line.split(":")[1].strip().split("@")[0] for line in links.splitlines()}
    assert names == {"lo", "eth0"}
    assert f"inet {sandbox.address}/30" in addresses
    assert sandbox.host_url(9000) == f"http://{sandbox.host_address}:9000"


def test_two_sandboxes_serve_port_8080_and_the_host_reaches_each(
    make_sandbox: MakeSandbox, run: Run, tmp_path: Path
) -> None:
    sandboxes = [make_sandbox(), make_sandbox()]
    for index, sandbox in enumerate(sandboxes):
        site = tmp_path / f"site{index}"
        site.mkdir()
        (site / "who").write_text(f"sandbox {index}")
        server = [sys.executable, "-m", "http.server", "--bind", "0.0.0.0", "8080"]
        run(sandbox.wrap([*server, "--directory", str(site)], user=None))

    for index, sandbox in enumerate(sandboxes):
        response = wait_for(
            functools.partial(requests.get, f"http://{sandbox.address}:8080/who", timeout=1),
            timeout=20,
            what=f"the HTTP server in sandbox {index}",
        )
        assert response.text == f"sandbox {index}"
    assert sandboxes[0].address != sandboxes[1].address


_ECHO_CLIENT = """
import hashlib, socket, sys, threading
data = bytes(range(256)) * 4096 * 8  # 8 MiB
conn = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
def send():
    conn.sendall(data)
    conn.shutdown(socket.SHUT_WR)  # the end must reach the host's server through the forwarder
threading.Thread(target=send).start()
got = hashlib.sha256()
size = 0
while chunk := conn.recv(1 << 16):
    got.update(chunk)
    size += len(chunk)
print(size, got.hexdigest() == hashlib.sha256(data).hexdigest())
"""


def test_a_host_port_forwarded_into_a_sandbox_carries_bytes_and_ends_both_ways(
    make_sandbox: MakeSandbox,
) -> None:
    """What replicas reach MinIO through: 8 MiB out and back, then each side's end passed on."""
    sandbox = make_sandbox()
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    ended: list[bool] = []

    def echo_once() -> None:
        conn, _ = server.accept()
        with conn:
            while chunk := conn.recv(1 << 16):
                conn.sendall(chunk)
            ended.append(True)  # the client's SHUT_WR arrived as an end of stream
            conn.shutdown(socket.SHUT_WR)

    echo = threading.Thread(target=echo_once, daemon=True)
    echo.start()
    forwarder = PortForwarder(Path("/run/netns", sandbox.name), [port])
    try:
        answer = output_of(sandbox.wrap([sys.executable, "-c", _ECHO_CLIENT, str(port)], user=None))
    finally:
        forwarder.close()
        server.close()
    echo.join(timeout=10)
    assert answer.split() == [str(8 << 20), "True"]
    assert ended == [True]


def test_secrets_are_mounted_read_only_inside_and_absent_on_the_host(
    make_sandbox: MakeSandbox, tmp_path: Path
) -> None:
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "api-key").write_text("s3cr3t")
    sandbox = make_sandbox(secrets_dir=secrets)
    user = ensure_function_user()

    inside = output_of(sandbox.wrap(["cat", f"{SECRETS_MOUNT}/api-key"], user=user))
    write = subprocess.run(
        sandbox.wrap(["touch", f"{SECRETS_MOUNT}/new"], user=None),
        capture_output=True,
        text=True,
        check=False,
    )

    assert inside == "s3cr3t"
    assert write.returncode != 0
    assert "Read-only file system" in write.stderr
    assert not (Path(SECRETS_MOUNT) / "api-key").exists()
    assert not (secrets / "new").exists()


def test_the_command_runs_as_the_unprivileged_user_without_capabilities(
    make_sandbox: MakeSandbox,
) -> None:
    sandbox = make_sandbox()
    user = ensure_function_user()

    ids = output_of(sandbox.wrap(["id", "-u"], user=user)).strip()
    status = output_of(sandbox.wrap(["cat", "/proc/self/status"], user=user))

    assert ids == str(pwd.getpwnam(user).pw_uid) != "0"
    assert "CapEff:\t0000000000000000" in status
    assert "NoNewPrivs:\t1" in status


def test_a_prepared_dir_is_writable_by_the_user(make_sandbox: MakeSandbox) -> None:
    sandbox = make_sandbox()
    user = ensure_function_user()
    base = Path("/tmp") / f"oscar-test-{uuid.uuid4().hex[:8]}"
    base.mkdir(mode=0o711)
    try:
        prepare_writable_dir(base / "tmp", user)
        output_of(sandbox.wrap(["touch", str(base / "tmp" / "scratch")], user=user))
        assert (base / "tmp" / "scratch").stat().st_uid == pwd.getpwnam(user).pw_uid
    finally:
        subprocess.run(["rm", "-rf", str(base)], check=True)


def test_a_process_over_the_memory_limit_is_oom_killed_and_counted(
    make_sandbox: MakeSandbox,
) -> None:
    sandbox = make_sandbox(limits=Limits(memory_bytes=parse_memory("64Mi")))
    own_cgroups = Path("/proc/self/cgroup").read_text()
    greedy = "data = b'x' * (200 * 1024 * 1024); print(len(data))"

    result = subprocess.run(
        sandbox.wrap([sys.executable, "-c", greedy], user=None),
        capture_output=True,
        timeout=60,
        check=False,
    )

    assert result.returncode in {-9, 137}, result
    assert sandbox.oom_killed() >= 1
    peak = sandbox.memory_peak()
    assert peak is not None
    assert peak <= 64 * 1024 * 1024
    assert os.getpid() not in sandbox.pids()
    assert Path("/proc/self/cgroup").read_text() == own_cgroups


_FORK_BOMB = """
import os, time
made = 0
try:
    for _ in range(100):
        if os.fork() == 0:  # a child: let go of the output pipe, then hold its process slot
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            time.sleep(60)
            os._exit(0)
        made += 1
except OSError as e:
    print("refused", e.errno)
print("made", made)
"""


def test_a_fork_bomb_stops_at_the_process_limit_and_the_host_is_untouched(
    make_sandbox: MakeSandbox,
) -> None:
    sandbox = make_sandbox(limits=Limits(pids=40))

    answer = output_of(sandbox.wrap([sys.executable, "-c", _FORK_BOMB], user=None))

    pids_max = next(d / "pids.max" for d in sandbox.cgroup_dirs if (d / "pids.max").exists())
    assert pids_max.read_text().strip() == "40"
    assert f"refused {errno.EAGAIN}" in answer
    made = int(answer.split("made ")[1])
    assert 0 < made < 40
    assert 0 < len(sandbox.pids()) <= 40  # the children, still held until the sandbox goes
    assert os.getpid() not in sandbox.pids()


def test_a_cpu_limit_is_written_and_throttles(make_sandbox: MakeSandbox) -> None:
    sandbox = make_sandbox(limits=Limits(cpu_millis=parse_cpu("250m")))
    cpu_dir = sandbox.cgroup_dirs[min(1, len(sandbox.cgroup_dirs) - 1)]  # v1: memory, cpu, pids
    spin = "import time\nend = time.monotonic() + 0.5\nwhile time.monotonic() < end: pass"

    output_of(sandbox.wrap([sys.executable, "-c", spin], user=None))

    if sandbox.cgroup_version == 2:
        assert (cpu_dir / "cpu.max").read_text().split() == ["25000", "100000"]
    else:
        assert (cpu_dir / "cpu.cfs_quota_us").read_text().strip() == "25000"
        assert (cpu_dir / "cpu.cfs_period_us").read_text().strip() == "100000"
    stats = dict(line.split() for line in (cpu_dir / "cpu.stat").read_text().splitlines())
    assert int(stats["nr_throttled"]) > 0


def test_destroy_kills_even_a_child_in_its_own_session_and_leaves_nothing(
    make_sandbox: MakeSandbox, run: Run
) -> None:
    sandbox = make_sandbox()
    process = run(sandbox.wrap(["sh", "-c", "setsid sleep 600 & exec sleep 600"], user=None))

    def two_sessions() -> list[int] | None:
        pids = sandbox.pids()
        return pids if len({os.getsid(pid) for pid in pids}) == 2 else None

    pids = wait_for(two_sessions, timeout=10, what="a child in a session of its own")

    sandbox.destroy()

    assert process.wait(timeout=10) == -9
    assert [pid for pid in pids if _running(pid)] == []
    assert _leftovers_of([sandbox]) == []
    sandbox.destroy()  # again: nothing left to remove, and no error


def test_a_sandbox_left_by_a_crash_is_removed_by_name(make_sandbox: MakeSandbox, run: Run) -> None:
    sandbox = make_sandbox()
    process = run(sandbox.wrap(["sleep", "600"], user=None))
    wait_for(sandbox.pids, timeout=10, what="the sandboxed process")

    remove_leftover(sandbox.name)  # as an engine restarting after a crash: no handle, a name

    assert process.wait(timeout=10) == -9
    assert _leftovers_of([sandbox]) == []


def test_a_name_in_use_is_refused(make_sandbox: MakeSandbox, state_dir: Path) -> None:
    sandbox = make_sandbox()

    with pytest.raises(Exception, match="already exists"):
        Sandbox.create(name=sandbox.name, limits=Limits(), secrets_dir=None, state_dir=state_dir)

    assert output_of(sandbox.wrap(["true"], user=None)) == ""  # untouched by the refusal


def test_sandbox_names_fit_the_kernel_limits() -> None:
    assert sandbox_name("oscar-resize-0") == "oscar-resize-0"
    assert sandbox_name("resize-0") == "oscar-resize-0"
    long = sandbox_name("My Function/with a very long name that goes on and on-12")
    assert long.startswith("oscar-my-function-with-a-very")
    assert len(long) <= 48
    assert long != sandbox_name("My Function/with a very long name that goes on and on-13")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("128Mi", 128 * 1024**2),
        ("1Gi", 1024**3),
        ("100M", 100_000_000),
        ("512k", 512_000),
        ("1048576", 1_048_576),
        ("0.5Gi", 512 * 1024**2),
        (" 64Ki ", 65_536),
    ],
)
def test_memory_quantities_parse_to_bytes(text: str, expected: int) -> None:
    assert parse_memory(text) == expected


@pytest.mark.parametrize("text", ["", "Mi", "128mb", "-1Mi", "0", "12 Mi", "1e3"])
def test_bad_memory_quantities_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="memory limit"):
        parse_memory(text)


def test_a_docker_style_memory_limit_gets_a_hint() -> None:
    with pytest.raises(ValueError, match="did you mean Mi"):
        parse_memory("128m")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("500m", 500), ("1", 1000), ("0.25", 250), ("2.5", 2500), ("0.0001", 1)],
)
def test_cpu_quantities_parse_to_millicores(text: str, expected: int) -> None:
    assert parse_cpu(text) == expected


@pytest.mark.parametrize("text", ["", "m", "500M", "-1", "0", "half"])
def test_bad_cpu_quantities_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="cpu limit"):
        parse_cpu(text)


def test_openfaas_limits_become_sandbox_limits() -> None:
    assert Limits.from_openfaas({"memory": "128Mi", "cpu": "0.5"}) == Limits(
        memory_bytes=128 * 1024**2, cpu_millis=500
    )
    assert Limits.from_openfaas(None) == Limits()


def _leftovers_of(sandboxes: list[Sandbox]) -> list[str]:
    names = {n for s in sandboxes for n in (s.name, s.host_veth)}
    return [item for item in leftovers() if item.rsplit("/", 1)[-1].split()[-1] in names]


def _running(pid: int) -> bool:
    """Alive and not a zombie (a zombie has exited; only its parent's wait() is missing)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"
