"""contract.settings and contract.paths: the readers both config loaders use."""

from __future__ import annotations

import pytest

from contract.errors import BadPath
from contract.paths import StoragePath
from contract.settings import Settings


def _read(**environ: str) -> tuple[Settings, list[str]]:
    problems: list[str] = []
    return Settings(environ, problems), problems


@pytest.mark.parametrize("text", ["", "LOUD"])
def test_a_log_level_logging_does_not_know_is_a_problem(text: str) -> None:
    settings, problems = _read(LOG_LEVEL=text)

    level = settings.log_level()

    assert level == "INFO"
    assert problems == (
        []
        if not text
        else [f"LOG_LEVEL: expected one of DEBUG, INFO, WARNING, ERROR, CRITICAL, found {text!r}"]
    )


def test_a_log_level_is_read_in_any_case() -> None:
    settings, problems = _read(LOG_LEVEL="debug")

    assert settings.log_level() == "DEBUG" and not problems


@pytest.mark.parametrize("text", ["localhost", ":80", "h:0", "h:70000", "h:http"])
def test_a_listen_address_needs_a_host_and_a_port(text: str) -> None:
    settings, problems = _read(LISTEN=text)

    settings.listen("LISTEN", "x:1")

    assert problems == [f"LISTEN: expected 'host:port', found {text!r}"]


def test_durations_are_read_only_where_asked() -> None:
    settings, problems = _read(A="30s", B="30s")

    assert settings.number("A", 1.0, durations=True) == 30.0
    assert settings.number("B", 1.0) == 1.0
    assert problems == ["B: expected a positive number, found '30s'"]


def test_a_path_without_a_bucket_is_refused() -> None:
    with pytest.raises(BadPath, match="expected 'bucket/prefix', found '/'"):
        StoragePath.parse("/")
    assert StoragePath.parse("/b/a/c/") == StoragePath("b", "a/c")
