"""cheroot's worker pool, grown when a connection is handed over and no worker is free, and
shrunk back to its floor once the extra workers have been idle a while.

A head is gathered in the selector (`heads.py`), so a worker is taken only by a request whose
head is complete: by its body, its app and its answer. A client trickling its body still
holds a worker until the body's pace cuts it off (`paced_body.py`, a 10 s grace); without
growth, more of them than workers delayed every other request for that long. Growth is capped
(`Limits.max_threads`) so a flood costs threads up to the cap, not without end.
"""

from __future__ import annotations

import time
from typing import Any

from cheroot.workers.threadpool import ThreadPool, WorkerThread

IDLE_SECONDS = 30.0  # how long extra workers stay after the pool last grew


class GrowingPool(ThreadPool):
    def __init__(self, server: Any, *, floor: int, cap: int) -> None:
        super().__init__(server, min=floor, max=max(cap, floor))
        self._grew_at = 0.0

    @property
    def _workers(self) -> list[WorkerThread]:
        workers: list[WorkerThread] = self.__dict__["_threads"]  # cheroot's, not in its stub
        return workers

    def put(self, obj: Any) -> None:
        idle, queued = self.idle, self.qsize
        if self._workers and idle <= queued:
            self._grow_one()
        elif (
            len(self._workers) > self.min
            and idle > queued + 1
            and time.monotonic() - self._grew_at > IDLE_SECONDS
        ):
            self.shrink(len(self._workers) - self.min)
        super().put(obj)

    def _grow_one(self) -> None:
        """One more worker, without waiting for it to be ready (cheroot's `grow` sleeps 0.1 s
        for that, in the selector thread that called it)."""
        if len(self._workers) >= self.max:
            return
        worker = WorkerThread(self.server)  # type: ignore[no-untyped-call]
        worker.name = f"CP Server {worker.name}"
        worker.start()
        self._workers.append(worker)
        self._grew_at = time.monotonic()

    @property
    def size(self) -> int:
        return len(self._workers)
