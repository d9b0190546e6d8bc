"""`provider.secrets.SecretStore.refresh`: an updated secret reaches a running replica's copy,
which keeps its owner and mode (the sandbox made it the function user's, read-only)."""

from __future__ import annotations

from pathlib import Path

from provider.secrets import SecretStore


def test_an_update_rewrites_a_replicas_copy_with_its_mode(tmp_path: Path) -> None:
    store = SecretStore(tmp_path / "store")
    store.put("openfaas-fn", "token", value="first", raw_value=None, create=True)
    copy = store.materialise("openfaas-fn", ("token",), tmp_path / "replica" / "secrets")
    store.put("openfaas-fn", "token", value="second", raw_value=None, create=False)

    store.refresh("openfaas-fn", "token", copy)

    assert (copy / "token").read_text() == "second"
    assert (copy / "token").stat().st_mode & 0o777 == 0o400
    assert sorted(p.name for p in copy.iterdir()) == ["token"]


def test_a_replica_without_the_secret_is_left_alone(tmp_path: Path) -> None:
    store = SecretStore(tmp_path / "store")
    store.put("openfaas-fn", "token", value="v", raw_value=None, create=True)
    folder = tmp_path / "replica" / "secrets"
    folder.mkdir(parents=True)

    store.refresh("openfaas-fn", "token", folder)

    assert list(folder.iterdir()) == []
