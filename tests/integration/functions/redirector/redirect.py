"""Answer every request with a 302 to $destination, on the port of $upstream_url."""

import os
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import urlsplit


class Redirect(BaseHTTPRequestHandler):
    def _redirect(self) -> None:
        self.send_response(302)
        where = os.environ.get("destination", "http://example.com/")  # noqa: SIM112 - certifier's
        self.send_header("Location", where)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = do_PUT = do_DELETE = _redirect


address = urlsplit(os.environ["upstream_url"])  # noqa: SIM112 - of-watchdog's name
HTTPServer((address.hostname or "127.0.0.1", address.port or 8000), Redirect).serve_forever()
