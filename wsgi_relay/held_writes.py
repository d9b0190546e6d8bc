"""An answer's head sent with the first piece of its body, in one write.

cheroot writes the status line and headers as soon as the app's first chunk comes, then the
chunk: two system calls and, on a small answer, two TCP segments, so the caller (the next hop
up, and every hop of a sync call does this) wakes twice for one answer. Held, the head waits
in the connection's write buffer for that first chunk, or for the answer's end when the body
is empty; nothing is held past the answer.
"""

from __future__ import annotations

from typing import Any

from cheroot.makefile import StreamWriter


class HeldWriter(StreamWriter):
    """cheroot's socket writer, which can hold what is written until `release`."""

    held = False

    def write(self, val: Any) -> int:
        if not self.held:
            return int(super().write(val))  # type: ignore[no-untyped-call]
        self._checkClosed()
        with self._write_lock:  # type: ignore[attr-defined]  # cheroot's BufferedWriter's
            self._write_buf.extend(val)  # type: ignore[attr-defined]
        self.bytes_written += len(val)
        return len(val)

    def release(self) -> None:
        """Send what was held (nothing, when nothing was)."""
        if self.held:
            self.held = False
            with self._write_lock:  # type: ignore[attr-defined]
                self._flush_unlocked()  # type: ignore[attr-defined]
