"""Credentials at rest, on both backends: the ledger keeps digests and sealed copies, never a
token; a rotated token passes until its grace ends and never after (an injected clock); every
replica sees a rotation; a ledger of plaintext tokens is converted by its migration."""

from __future__ import annotations

import pytest

from gateway.credentials import Sealer, digest
from gateway.errors import LedgerError
from gateway.jobs.bearer_tokens import BearerTokens
from gateway.jobs.counters import SQLITE
from gateway.jobs.migrations import statements as migration_steps
from tests.unit.ledger.conftest import Execute, Opener

SEALER = Sealer("the-callback-key")


class Clock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def tokens(opener: Opener, clock: Clock) -> BearerTokens:
    return BearerTokens(ledger=opener(sealer=SEALER), sealer=SEALER, clock=clock)


def test_a_shown_token_is_made_once_and_kept_across_restarts(open_ledger: Opener) -> None:
    clock = Clock()
    first = tokens(open_ledger, clock)
    issued = first.shown("service/grayify")
    other = first.shown("service/thumbnail")

    again = tokens(open_ledger, clock)

    assert again.shown("service/grayify") == issued != other
    assert again.accepts("service/grayify", issued)
    assert not again.accepts("service/grayify", other)


def test_the_ledger_keeps_no_token_only_its_digest_and_a_sealed_copy(
    open_ledger: Opener,
) -> None:
    ledger = open_ledger(sealer=SEALER)
    token = BearerTokens(ledger=ledger, sealer=SEALER).shown("service/grayify")

    stored = ledger.credential("service/grayify")

    assert stored is not None
    assert stored.digest == digest(token)
    assert token not in repr(stored)
    assert SEALER.open(stored.sealed, name="service/grayify") == token
    assert SEALER.open(stored.sealed, name="service/other") is None  # bound to its row
    assert Sealer("another-key").open(stored.sealed, name="service/grayify") is None


def test_a_rotated_token_passes_until_its_grace_ends_and_never_after(
    open_ledger: Opener,
) -> None:
    clock = Clock()
    keeper = tokens(open_ledger, clock)
    old = keeper.shown("service/grayify")

    rotation = keeper.rotate("service/grayify", grace=60, shown=True)

    assert rotation.token != old
    assert keeper.shown("service/grayify") == rotation.token
    assert keeper.accepts("service/grayify", old) and keeper.accepts(
        "service/grayify", rotation.token
    )
    clock.now += 59.9
    assert keeper.accepts("service/grayify", old)
    clock.now += 0.1
    assert not keeper.accepts("service/grayify", old)
    assert keeper.accepts("service/grayify", rotation.token)
    assert rotation.previous_until == 1060.0


def test_a_rotation_on_one_replica_is_seen_by_another_at_once(open_ledger: Opener) -> None:
    clock = Clock()
    here, there = tokens(open_ledger, clock), tokens(open_ledger, clock)
    old = here.shown("service/grayify")
    assert there.accepts("service/grayify", old)  # `there` now remembers the old credential

    rotation = here.rotate("service/grayify", grace=10, shown=True)

    assert there.accepts("service/grayify", rotation.token)
    assert there.accepts("service/grayify", old)
    clock.now += 10
    assert not there.accepts("service/grayify", old)


def test_a_second_rotation_ends_the_first_replaced_token_at_once(open_ledger: Opener) -> None:
    clock = Clock()
    keeper = tokens(open_ledger, clock)
    first = keeper.shown("service/grayify")
    second = keeper.rotate("service/grayify", grace=60, shown=True).token

    third = keeper.rotate("service/grayify", grace=60, shown=True).token

    assert not keeper.accepts("service/grayify", first)
    assert keeper.accepts("service/grayify", second) and keeper.accepts("service/grayify", third)


def test_a_seeded_token_is_checked_not_shown_and_a_rotation_outlives_the_seed(
    open_ledger: Opener,
) -> None:
    clock = Clock()
    keeper = tokens(open_ledger, clock)
    keeper.seed("webhook", "from-the-secret-file")
    rotation = keeper.rotate("webhook", grace=5, shown=False)
    clock.now += 5

    restarted = tokens(open_ledger, clock)
    restarted.seed("webhook", "from-the-secret-file")  # a restart reads the same file again

    assert not restarted.accepts("webhook", "from-the-secret-file")
    assert restarted.accepts("webhook", rotation.token)
    stored = restarted._ledger.credential("webhook")
    assert stored is not None and stored.sealed == ""


def _ledger_of_version_3(execute: Execute, rows: dict[str, str]) -> None:
    # Migrations 1-3 are the same SQL on both backends.
    statements = [
        s for number in (1, 2, 3) for s in migration_steps(number, SQLITE) if isinstance(s, str)
    ]
    execute(
        [
            *statements,
            "CREATE TABLE schema_version (version INTEGER NOT NULL)",
            "INSERT INTO schema_version (version) VALUES (3)",
            *(
                f"INSERT INTO service_tokens (service, token) VALUES ('{name}', '{token}')"
                for name, token in rows.items()
            ),
        ]
    )


def test_the_migration_seals_plaintext_tokens_which_keep_working(
    open_ledger: Opener, execute: Execute
) -> None:
    _ledger_of_version_3(execute, {"grayify": "plain-one", "thumbnail": "plain-two"})

    keeper = tokens(open_ledger, Clock())

    assert keeper.shown("service/grayify") == "plain-one"
    assert keeper.accepts("service/thumbnail", "plain-two")
    assert not keeper.accepts("service/thumbnail", "plain-one")
    stored = keeper._ledger.credential("service/grayify")
    assert stored is not None and "plain-one" not in stored.sealed


def test_a_ledger_of_plaintext_tokens_is_not_migrated_without_the_sealing_key(
    open_ledger: Opener, execute: Execute
) -> None:
    _ledger_of_version_3(execute, {"grayify": "plain-one"})

    with pytest.raises(LedgerError, match="plaintext service tokens"):
        open_ledger()

    keeper = tokens(open_ledger, Clock())  # nothing was half-done: the gateway migrates it
    assert keeper.accepts("service/grayify", "plain-one")
