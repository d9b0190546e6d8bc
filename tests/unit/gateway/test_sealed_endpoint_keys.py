"""Another S3 endpoint's secret key is sealed in the ledger, as service tokens are."""

from __future__ import annotations

from pathlib import Path

from gateway.credentials import Sealer
from gateway.jobs.sqlite_ledger import SqliteLedger
from gateway.services.endpoints import Endpoint
from gateway.services.storages import SealedKeys

OTHER = Endpoint("http://127.0.0.1:9100", "other-ak", "other-secret-key", "eu-west-1")


def test_the_secret_key_is_stored_sealed_and_read_back_whole(tmp_path: Path) -> None:
    ledger = SqliteLedger(tmp_path / "ledger.db")
    keys = SealedKeys(ledger, Sealer("callback-key"))

    keys.save_endpoint(OTHER)
    stored = ledger.endpoint(OTHER.netloc)

    assert stored is not None and "other-secret-key" not in stored.secret_key
    assert (stored.url, stored.access_key, stored.region) == (OTHER.url, "other-ak", "eu-west-1")
    assert keys.endpoint(OTHER.netloc) == OTHER
    assert keys.endpoint("127.0.0.1:9200") is None
    ledger.close()


def test_a_key_sealed_under_another_callback_key_reads_as_unknown(tmp_path: Path) -> None:
    ledger = SqliteLedger(tmp_path / "ledger.db")
    SealedKeys(ledger, Sealer("old-callback-key")).save_endpoint(OTHER)

    assert SealedKeys(ledger, Sealer("new-callback-key")).endpoint(OTHER.netloc) is None
    ledger.close()
