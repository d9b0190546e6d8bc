"""Make host services on 127.0.0.1 reachable at 127.0.0.1 inside a replica's network namespace.

A function's environment says `S3_ENDPOINT=http://127.0.0.1:9000`, as it would next to MinIO,
but inside its own network namespace 127.0.0.1 is the namespace's loopback. So for each published
port a listening socket is created *inside* the namespace (a thread enters it with setns(2),
opens the socket, and returns: a socket keeps the namespace it was made in), and each connection
accepted there is joined to a connection to the host's 127.0.0.1:<port>. No host service binds
anything but loopback, and no routing or firewall rule is needed.

Bytes move in the kernel: each direction splices socket -> pipe -> socket, so a 1 GiB input
never passes through Python (copying it through `recv`/`sendall` cost ~0.6 s of CPU per GiB).
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import logging
import os
import socket
import threading
from pathlib import Path

log = logging.getLogger(__name__)
CLONE_NEWNET = 0x40000000
BUFFER = 1 << 20  # bytes per splice; the pipe between the sockets is made this large
_libc = ctypes.CDLL(None, use_errno=True)


def _setns(fd: int) -> None:
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"setns failed: {os.strerror(err)}")


def listen_in_namespace(netns_path: Path, port: int) -> socket.socket:
    """A socket listening on 127.0.0.1:`port` inside the namespace at `netns_path`."""
    result: list[socket.socket | BaseException] = []

    def inside() -> None:
        own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        target = os.open(netns_path, os.O_RDONLY)
        try:
            _setns(target)
            try:
                listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                listener.bind(("127.0.0.1", port))
                listener.listen(128)
                result.append(listener)
            finally:
                _setns(own)
        except BaseException as e:  # noqa: BLE001 - handed back to the caller's thread
            result.append(e)
        finally:
            os.close(own)
            os.close(target)

    # A fresh thread, so the switch of namespace can never leak into a thread that serves
    # other work.
    worker = threading.Thread(target=inside, name=f"netns-listen-{port}")
    worker.start()
    worker.join()
    outcome = result[0]
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome


class PortForwarder:
    """Forwards connections made to 127.0.0.1:<port> in a namespace to the host's loopback."""

    def __init__(self, netns_path: Path, ports: list[int]) -> None:
        self._listeners = [listen_in_namespace(netns_path, port) for port in ports]
        self._closed = threading.Event()
        for listener in self._listeners:
            threading.Thread(
                target=self._accept,
                args=(listener,),
                daemon=True,
                name=f"forward-{listener.getsockname()[1]}",
            ).start()

    def close(self) -> None:
        self._closed.set()
        for listener in self._listeners:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()

    def _accept(self, listener: socket.socket) -> None:
        port = listener.getsockname()[1]
        while not self._closed.is_set():
            try:
                inner, _ = listener.accept()
            except OSError:
                return
            try:
                outer = socket.create_connection(("127.0.0.1", port), timeout=5)
            except OSError as e:
                log.warning("host port %d refused a forwarded connection: %s", port, e)
                inner.close()
                continue
            outer.settimeout(None)
            pair = _Pair(inner, outer)
            for source, target in ((inner, outer), (outer, inner)):
                threading.Thread(target=_pump, args=(source, target, pair), daemon=True).start()


class _Pair:
    """The two sockets of one forwarded connection, closed when both directions have ended."""

    def __init__(self, *sockets: socket.socket) -> None:
        self._sockets = sockets
        self._open = len(sockets)
        self._lock = threading.Lock()

    def ended(self) -> None:
        with self._lock:
            self._open -= 1
            last = self._open == 0
        if last:
            for sock in self._sockets:
                sock.close()


def _pump(source: socket.socket, target: socket.socket, pair: _Pair) -> None:
    """Move bytes from `source` to `target` until `source` ends, then pass the end on."""
    read_end, write_end = os.pipe()
    with contextlib.suppress(OSError):  # a smaller pipe only means more splices
        fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, BUFFER)
    try:
        while moved := os.splice(source.fileno(), write_end, BUFFER):
            while moved:
                moved -= os.splice(read_end, target.fileno(), moved)
    except OSError:
        pass
    finally:
        os.close(read_end)
        os.close(write_end)
        with contextlib.suppress(OSError):
            target.shutdown(socket.SHUT_WR)
        with contextlib.suppress(OSError):
            source.shutdown(socket.SHUT_RD)
        pair.ended()
