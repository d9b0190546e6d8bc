"""The bucket routes the dashboard's files page calls, through the whole app over the
in-memory MinIO: one level at a time, upload, download as an attachment that never runs as a
page, presigned links, delete; keys that name no object are 400s, hostile ones are just keys."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.gateway_stack import ADMIN, Gateway
from tests.fuzz.hostile import FUZZ

OBJECT = "/system/files/photos/object"


def test_an_upload_is_listed_one_folder_at_a_time_and_downloads_as_an_attachment(
    gw: Gateway,
) -> None:
    gw.storage.buckets.add("photos")
    put = gw.client.put(OBJECT, query_string={"key": "in/a/b.png"}, data=b"png", headers=ADMIN)

    top = gw.client.get("/system/files/photos", headers=ADMIN).get_json()
    inside = gw.client.get(
        "/system/files/photos", query_string={"prefix": "in/a"}, headers=ADMIN
    ).get_json()
    got = gw.client.get(OBJECT, query_string={"key": "in/a/b.png"}, headers=ADMIN)

    assert put.status_code == 201 and put.get_json()["key"] == "in/a/b.png"
    assert [(e["key"], e["folder"]) for e in top["entries"]] == [("in/", True)]
    assert inside["prefix"] == "in/a/"
    assert [(e["key"], e["size"]) for e in inside["entries"]] == [("in/a/b.png", 3)]
    assert got.data == b"png"
    assert got.headers["Content-Disposition"].startswith("attachment")
    assert "sandbox" in got.headers["Content-Security-Policy"]
    assert got.headers["X-Content-Type-Options"] == "nosniff"


def test_a_presigned_link_and_a_delete_name_the_object(gw: Gateway) -> None:
    gw.storage.buckets.add("photos")
    gw.client.put(OBJECT, query_string={"key": "k.txt"}, data=b"x", headers=ADMIN)

    link = gw.client.get(
        "/system/files/photos/presign", query_string={"key": "k.txt", "expires": 60},
        headers=ADMIN,
    ).get_json()  # fmt: skip
    deleted = gw.client.delete(OBJECT, query_string={"key": "k.txt"}, headers=ADMIN)
    gone = gw.client.get(OBJECT, query_string={"key": "k.txt"}, headers=ADMIN)

    assert link["expires_in"] == 60 and "/photos/k.txt" in link["url"]
    assert deleted.status_code == 204
    assert gone.status_code == 404 and "photos/k.txt" in gone.get_json()["error"]


def test_a_key_that_names_no_object_is_a_400_saying_what_a_key_is(gw: Gateway) -> None:
    for key in ("", "/abs.txt", "folder/", "x" * 1025):
        answer = gw.client.put(OBJECT, query_string={"key": key}, data=b"x", headers=ADMIN)
        assert answer.status_code == 400, key
        assert "key must name an object" in answer.get_json()["error"]


@FUZZ
@given(key=st.text(min_size=1, max_size=200).filter(lambda k: k[0] != "/" and k[-1] != "/"))
def test_any_other_key_round_trips_as_it_was_written(shared_gw: Gateway, key: str) -> None:
    shared_gw.storage.buckets.add("photos")
    stored = shared_gw.client.put(OBJECT, query_string={"key": key}, data=b"x", headers=ADMIN)

    got = shared_gw.client.get(OBJECT, query_string={"key": key}, headers=ADMIN)

    assert stored.status_code == 201 and stored.get_json()["key"] == key
    assert got.status_code == 200 and got.data == b"x"
