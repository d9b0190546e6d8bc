from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from minio import Minio

from provider.sandbox.replica import Replica
from tests.support.function import shrinkwrap, start_function
from tests.support.minio_server import ACCESS_KEY, SECRET_KEY, MinioInstance, start_minio
from tests.support.stack import RunningStack, running_stack

FUNCTIONS = Path(__file__).parent / "functions"
# These start stacks of their own, and only one stack can run per machine (the OpenFaaS gateway
# hard-codes its ports): they run before any test starts the shared one.
OWN_STACKS = ("test_stack.py",)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: Path(str(item.fspath)).name not in OWN_STACKS)


@pytest.fixture(scope="session")
def stack() -> Iterator[RunningStack]:
    """One `oscar up` for every engine and gateway test: started by the first test that asks,
    stopped and purged (`oscar down --purge`) at the end of the session, whatever happened."""
    with running_stack() as running:
        yield running


@pytest.fixture(scope="session")
def minio_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MinioInstance]:
    instance = start_minio(tmp_path_factory.mktemp("minio"))
    yield instance
    instance.stop()


@pytest.fixture
def s3(minio_server: MinioInstance) -> Minio:
    return minio_server.client()


@pytest.fixture
def buckets(s3: Minio) -> tuple[str, str]:
    """A fresh input and output bucket for one test."""
    suffix = uuid.uuid4().hex[:8]
    names = (f"in-{suffix}", f"out-{suffix}")
    for name in names:
        s3.make_bucket(name)
    return names


@pytest.fixture(scope="session")
def contexts(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """Shrinkwrapped build contexts of the test functions, built once per session."""
    built: dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in built:
            built[name] = shrinkwrap(FUNCTIONS / name, tmp_path_factory.mktemp(f"ctx-{name}"))
        return built[name]

    return get


@pytest.fixture
def secrets_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "secrets"
    folder.mkdir()
    (folder / "s3-access-key").write_text(ACCESS_KEY)
    (folder / "s3-secret-key").write_text(SECRET_KEY)
    return folder


@pytest.fixture
def run_function(
    tmp_path: Path,
    contexts: Callable[[str], Path],
    minio_server: MinioInstance,
    secrets_dir: Path,
    buckets: tuple[str, str],
) -> Iterator[Callable[..., Replica]]:
    """Start a test function wired to MinIO: input `<in>/in`, output `<out>/out`."""
    started: list[Replica] = []

    def start(name: str, **env: str) -> Replica:
        defaults = {
            "S3_ENDPOINT": minio_server.endpoint,
            "SECRETS_DIR": str(secrets_dir),
            "INPUT_PATH": f"{buckets[0]}/in",
            "OUTPUT_PATH": f"{buckets[1]}/out",
        }
        workdir = tmp_path / f"fn-{len(started)}"
        workdir.mkdir()
        function = start_function(contexts(name), workdir, env={**defaults, **env})
        started.append(function)
        return function

    yield start
    for function in started:
        function.stop()
