from __future__ import annotations

from pathlib import Path

import pytest

_TIERS = {
    "integration": pytest.mark.integration,
    "e2e": pytest.mark.e2e,
    "reliability": pytest.mark.reliability,
    "k8s": pytest.mark.k8s,
    "replicas": pytest.mark.reliability,  # several gateways on PostgreSQL, a stack of its own
}
_FIRST = {"reliability": 0, "replicas": 1}  # package-scoped stacks, stopped after their tier


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test with its tier from its folder, so `-m "not integration"` selects fast ones."""
    for item in items:
        tier = Path(str(item.fspath)).parent.name
        if tier in _TIERS:
            item.add_marker(_TIERS[tier])
    # One stack per machine: the integration tier's stack lives until the session ends (its first
    # test starts it), so the reliability tier, whose package-scoped stack is stopped after its
    # last test, runs first.
    items.sort(key=lambda item: _FIRST.get(Path(str(item.fspath)).parent.name, 2))
