"""A steady producer of uploads that keeps retrying each one until MinIO acknowledges it.

It is what a careful client does while MinIO restarts: an upload that failed is sent again (same
key, same bytes) until a PUT returns. The keys MinIO acknowledged are the ones the platform owes
a result for; a PUT that failed but was stored anyway shows up as the same identity again, which
must not make a second job.
"""

from __future__ import annotations

import io
import threading
import time

import urllib3
from minio import Minio
from minio.error import MinioException

# Between two tries of one upload; minio-py itself already retries a refused connection.
RETRY_PAUSE = 0.05


class Uploader:
    def __init__(
        self, s3: Minio, bucket: str, *, count: int, rate: float, give_up_after: float = 60.0
    ) -> None:
        self.acknowledged: dict[str, bytes] = {}
        self.failed_tries = 0
        self.error: BaseException | None = None
        self._s3 = s3
        self._bucket = bucket
        self._count = count
        self._rate = rate
        self._give_up_after = give_up_after
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="uploader", daemon=True)

    @staticmethod
    def key(index: int) -> str:
        return f"in/{index:05d}.txt"

    @staticmethod
    def data(index: int) -> bytes:
        return f"file number {index} of the reliability run\n".encode()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=self._give_up_after + 30)

    @property
    def count(self) -> int:
        with self._lock:
            return len(self.acknowledged)

    def finished(self) -> bool:
        if self.error is not None:
            raise AssertionError(f"the uploader gave up: {self.error!r}") from self.error
        return not self._thread.is_alive()

    def _run(self) -> None:
        began = time.monotonic()
        try:
            for index in range(self._count):
                # A steady rate, as a producer would upload: each file at its own slot.
                if self._stop.wait(max(0.0, began + index / self._rate - time.monotonic())):
                    return
                self._upload(self.key(index), self.data(index))
        except BaseException as e:  # handed to the test's thread through `finished`
            self.error = e

    def _upload(self, key: str, data: bytes) -> None:
        deadline = time.monotonic() + self._give_up_after
        while True:
            try:
                self._s3.put_object(self._bucket, key, io.BytesIO(data), len(data))
            except (MinioException, urllib3.exceptions.HTTPError, OSError):
                if time.monotonic() > deadline or self._stop.is_set():
                    raise
                self.failed_tries += 1
                self._stop.wait(RETRY_PAUSE)
                continue
            with self._lock:
                self.acknowledged[key] = data
            return
