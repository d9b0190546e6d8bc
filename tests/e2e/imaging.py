"""What an image really is, asked of ImageMagick: its size, its format, whether it is grey.

"Grey" is checked pixel by pixel, not from the file's colorspace tag: every pixel, decoded to
8-bit RGB, must have R == G == B.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

IDENTIFY = Path("/usr/bin/identify")
CONVERT = Path("/usr/bin/convert")


def _magick(tool: Path, *args: str) -> bytes:
    if not tool.exists():
        pytest.fail(f"{tool} is missing; install ImageMagick (apt-get install imagemagick)")
    result = subprocess.run([str(tool), *args], capture_output=True, timeout=30, check=False)
    assert result.returncode == 0, f"{tool.name} {' '.join(args)}: {result.stderr.decode()}"
    return result.stdout


def size(path: Path) -> tuple[int, int]:
    width, height = _magick(IDENTIFY, "-format", "%w %h", f"{path}[0]").split()
    return int(width), int(height)


def image_format(path: Path) -> str:
    """ImageMagick's name for the file's format, read from its bytes: PNG, JPEG..."""
    return _magick(IDENTIFY, "-format", "%m", f"{path}[0]").decode().strip()


def is_grey(path: Path) -> bool:
    pixels = _magick(CONVERT, f"{path}[0]", "-depth", "8", "rgb:-")
    width, height = size(path)
    assert len(pixels) == 3 * width * height, f"{path}: unexpected raw size {len(pixels)}"
    return pixels[0::3] == pixels[1::3] == pixels[2::3]
