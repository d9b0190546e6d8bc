"""The baseline of both platform benchmarks: the same per-file work with no platform around it.

Per file a user without the platform would: upload the input (`put_object`; the throughput
benchmark's loop does, the platform benchmark's older loop reads objects already there),
download it (`get_object` to a file, as the supervisor does), run the same copy script through
`subprocess.run`, and upload its output (`fput_object`). `bench.platform` and
`bench.throughput` both run this one loop, so their baselines cannot drift apart.
"""

from __future__ import annotations

import io
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from minio import Minio

from bench.platform_stack import FUNCTIONS, BenchService
from bench.raw_storage import download
from bench.report_file import BenchError

_Work = Callable[[str], object]


class PlainLoop:
    """The copy script's work on each file, on `threads` threads, outputs under `prefix`."""

    def __init__(self, s3: Minio, service: BenchService, *, scratch: Path) -> None:
        self._s3 = s3
        self._service = service
        self._scratch = scratch
        self._script = FUNCTIONS / "copy" / "script.sh"

    def run(self, keys: Sequence[str], *, threads: int, prefix: str) -> float:
        """Seconds to process the existing objects `keys` of the service's input bucket."""
        return self._threads(keys, threads, prefix, lambda key: self.process(
            self._service.input_bucket, key, prefix + key.rsplit("/", 1)[-1]))  # fmt: skip

    def run_uploading(self, data: bytes, *, files: int, threads: int, prefix: str) -> float:
        """Seconds to upload `files` copies of `data` and process each (in the output bucket,
        which no service watches: no event, no job)."""
        keys = [f"{prefix}in/{index:05d}.bin" for index in range(files)]
        return self._threads(keys, threads, f"{prefix}out/", lambda key: self.one(data, key))

    def one(self, data: bytes, key: str) -> float:
        """One file uploaded and processed: the seconds from the upload's acknowledgement to
        the output's."""
        bucket = self._service.output_bucket
        self._s3.put_object(bucket, key, io.BytesIO(data), len(data))
        acked = time.perf_counter()
        self.process(bucket, key, key.replace("/in/", "/out/", 1))
        return time.perf_counter() - acked

    def process(self, bucket: str, key: str, out_key: str) -> None:
        """Download, the script, the output's upload (to the output bucket, as `out_key`)."""
        folder = self._folder()
        inputs, outputs = folder / "in", folder / "out"
        input_file = inputs / key.rsplit("/", 1)[-1]
        download(self._s3, bucket, key, input_file)
        env = {
            "PATH": "/usr/bin:/bin",
            "INPUT_FILE_PATH": str(input_file),
            "TMP_INPUT_DIR": str(inputs),
            "TMP_OUTPUT_DIR": str(outputs),
            "STORAGE_OBJECT_KEY": key,
            "STORAGE_BUCKET": bucket,
        }
        subprocess.run(
            ["/bin/sh", str(self._script)], env=env, cwd=folder, capture_output=True, check=True
        )
        for output in outputs.iterdir():
            self._s3.fput_object(self._service.output_bucket, out_key, str(output))
            output.unlink()
        input_file.unlink()

    def _threads(self, keys: Sequence[str], threads: int, prefix: str, work: _Work) -> float:
        chunks = [keys[i::threads] for i in range(threads)]
        started = time.perf_counter()
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(lambda chunk: [work(key) for key in chunk], chunks))
        seconds = time.perf_counter() - started
        found = sum(1 for _ in self._s3.list_objects(self._service.output_bucket, prefix=prefix))
        if found != len(keys):
            raise BenchError(f"the loop wrote {found} outputs under {prefix}, not {len(keys)}")
        return seconds

    def _folder(self) -> Path:
        """This thread's workspace (one per thread, kept between files, as a loop would)."""
        name = f"loop-{threading.get_ident()}"
        folder = self._scratch / name
        if not folder.exists():
            (folder / "in").mkdir(parents=True)
            (folder / "out").mkdir()
        return folder
