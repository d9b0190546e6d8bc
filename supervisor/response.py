"""The answer to a synchronous call: one output's bytes, a zip of several, or the stdout."""

from __future__ import annotations

import base64
import mimetypes
import zipfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

from flask import Response

from supervisor.job import SyncResult

CHUNK = 3 * (1 << 18)  # a multiple of 3, so base64 chunks concatenate without padding inside


def sync_response(result: SyncResult, *, encode_base64: bool) -> Response:
    """Stream the result; the workspace is removed once the response is closed."""
    headers = {"X-Duration-Seconds": f"{result.duration_seconds:.6f}"}
    if len(result.outputs) == 1:
        relative, path = result.outputs[0]
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(path.name)}"
        headers["X-Output-Name"] = quote(relative.as_posix())
    elif result.outputs:
        path = result.workspace.root / "outputs.zip"
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as z:
            for relative, output in result.outputs:
                z.write(output, arcname=relative.as_posix())
        content_type = "application/zip"
        headers["Content-Disposition"] = "attachment; filename=outputs.zip"
    else:
        path = result.stdout
        content_type = "text/plain; charset=utf-8"
    if encode_base64:
        content_type = "text/plain; charset=us-ascii"
        headers["X-Content-Encoding-Base64"] = "true"
    else:
        headers["Content-Length"] = str(path.stat().st_size)
    response = Response(
        _stream(path, encode_base64=encode_base64), content_type=content_type, headers=headers
    )
    response.call_on_close(result.workspace.remove)
    return response


def _stream(path: Path, *, encode_base64: bool) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            yield base64.b64encode(chunk) if encode_base64 else chunk
