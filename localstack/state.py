"""What `stack.json` records: when the stack started, its endpoints, its processes."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from localstack.components import Running
from localstack.errors import StateDamaged


@dataclass(frozen=True)
class StackState:
    started_at: str
    endpoints: dict[str, str]
    components: tuple[Running, ...]

    def dead(self) -> list[str]:
        return [c.name for c in self.components if not c.alive()]


def read_state(path: Path) -> StackState | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        components = tuple(
            Running(**{**c, "command": tuple(c["command"])}) for c in data["components"]
        )
        return StackState(data["started_at"], data["endpoints"], components)
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError) as e:
        raise StateDamaged(path, str(e)) from e


def write_state(path: Path, state: StackState) -> None:
    staging = path.with_suffix(".tmp")
    staging.write_text(json.dumps(asdict(state), indent=2), encoding="utf-8")
    staging.replace(path)
