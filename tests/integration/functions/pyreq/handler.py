"""Describes the input's size in words, with a third-party package from requirements.txt."""

import os
from pathlib import Path

import humanize

source = Path(os.environ["INPUT_FILE_PATH"])
target = Path(os.environ["TMP_OUTPUT_DIR"]) / f"{source.stem}.size.txt"
target.write_text(humanize.naturalsize(source.stat().st_size, binary=True) + "\n")
print(f"described {source.name}")
