"""The Kubernetes client (some 55 MiB of a gateway's memory) is imported only by a gateway that
uses it: with a Lease or Job mode."""

from __future__ import annotations

import subprocess
import sys


def test_a_gateway_without_lease_or_job_mode_never_imports_the_kubernetes_client() -> None:
    probe = "import sys, gateway.__main__, gateway.assembly; print('kubernetes' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "False", result.stdout + result.stderr
