"""Forward TCP from the host's loopback into the cluster's network namespace.

    python -m k8s_cluster.forward /run/netns/NAME 127.0.0.1:27443=10.250.0.1:6443 ...

The listening sockets are opened in the host's namespace first; then the process moves into the
cluster's namespace, where every connection it opens from then on is made. So one process bridges
the two without a veth pair, an address or a route on the host.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import sys
import threading
from pathlib import Path

from .netns import enter

log = logging.getLogger(__name__)


def parse(pair: str) -> tuple[tuple[str, int], tuple[str, int]]:
    listen, _, target = pair.partition("=")
    (lhost, _, lport), (thost, _, tport) = listen.rpartition(":"), target.rpartition(":")
    if not (lhost and lport.isdigit() and thost and tport.isdigit()):
        raise ValueError(f"expected HOST:PORT=HOST:PORT, found {pair!r}")
    return (lhost, int(lport)), (thost, int(tport))


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for sock, how in ((sink, socket.SHUT_WR), (source, socket.SHUT_RD)):
            with contextlib.suppress(OSError):
                sock.shutdown(how)


def _serve(listener: socket.socket, target: tuple[str, int]) -> None:
    while True:
        client, _ = listener.accept()
        try:
            upstream = socket.create_connection(target, timeout=5)
        except OSError as e:
            log.warning("cannot reach %s:%s: %s", *target, e)
            client.close()
            continue
        upstream.settimeout(None)
        for a, b in ((client, upstream), (upstream, client)):
            threading.Thread(target=_pump, args=(a, b), daemon=True).start()


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s forward %(message)s")
    netns, pairs = Path(argv[0]), [parse(pair) for pair in argv[1:]]
    listeners = []
    for listen, _ in pairs:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(listen)
        sock.listen(128)
        listeners.append(sock)
    enter(netns)
    threads = [
        threading.Thread(target=_serve, args=(sock, target), daemon=True)
        for sock, (_, target) in zip(listeners, pairs, strict=True)
    ]
    for thread in threads:
        thread.start()
    log.info("forwarding %s", " ".join(argv[1:]))
    for thread in threads:
        thread.join()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
