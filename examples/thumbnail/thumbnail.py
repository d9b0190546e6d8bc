"""thumbnail: a PNG of each image it gets, at most 64x64, its aspect ratio kept (Pillow).

Reads $INPUT_FILE_PATH and writes `<stem>.thumb.png` into $TMP_OUTPUT_DIR. Pillow comes from
requirements.txt next to this file, installed into the function's image by `oscar build`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

BOX = (64, 64)
# Modes PNG stores as they are: 16-bit grey (I;16) stays 16-bit, since converting it to "L"
# clips every value above 255 to white.
PNG_MODES = {"L", "LA", "I;16", "RGB", "RGBA"}


def thumbnail(source: Path, output_dir: Path) -> Path:
    target = output_dir / f"{source.stem}.thumb.png"
    with Image.open(source) as opened:
        image = ImageOps.exif_transpose(opened)  # a copy, turned upright as the camera meant
    if image.mode not in PNG_MODES:
        image = image.convert("RGBA" if image.has_transparency_data else "RGB")
    before = image.size
    image.thumbnail(BOX)
    image.save(target, format="PNG", optimize=True)
    print(f"{source.name}: {before[0]}x{before[1]} -> {target.name} {image.width}x{image.height}")
    return target


def main() -> int:
    source = Path(os.environ["INPUT_FILE_PATH"])
    try:
        thumbnail(source, Path(os.environ["TMP_OUTPUT_DIR"]))
    except UnidentifiedImageError:
        print(f"{source.name} is not an image Pillow can read", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
