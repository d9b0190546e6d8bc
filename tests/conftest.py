from __future__ import annotations

from pathlib import Path

import pytest

_TIERS = {"integration": pytest.mark.integration, "e2e": pytest.mark.e2e}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test with its tier from its folder, so `-m "not integration"` selects fast ones."""
    for item in items:
        tier = Path(str(item.fspath)).parent.name
        if tier in _TIERS:
            item.add_marker(_TIERS[tier])
