"""Where the pinned tools live; a missing tool fails the test with the command that fixes it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOLS_BIN = Path(os.environ.get("OSCAR_TOOLS_DIR", ROOT / ".tools")) / "bin"


def tool(name: str) -> Path:
    path = TOOLS_BIN / name
    if not path.exists():
        pytest.fail(
            f"{name} is not installed in {TOOLS_BIN}; run `python3 tools/install.py` first",
            pytrace=False,
        )
    return path


def watchdog_is_standin() -> bool:
    """True when `of-watchdog` is our stand-in (the real one is not served here)."""
    return tool("of-watchdog").resolve().name == "watchdog-standin"
