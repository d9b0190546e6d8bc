"""Requests no route takes: JSON errors that say what would have worked."""

from __future__ import annotations

from collections import defaultdict

from tests.fuzz.gateway_stack import ADMIN, Gateway
from tests.fuzz.openfaas_server import FakeOpenFaaS

METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


def test_a_method_a_route_does_not_take_is_a_json_405_naming_those_it_does(gw: Gateway) -> None:
    allowed: dict[str, set[str]] = defaultdict(set)
    for rule in gw.app.url_map.iter_rules():
        allowed[rule.rule.replace("<name>", "grayify").replace("<job_id>", "j")] |= set(
            rule.methods or ()
        )
    checked = 0
    for path, methods in allowed.items():
        if path.startswith(("/events", "/callbacks", "/run", "/job", "/static")):
            continue  # their credentials are not the admin's; tests/fuzz/test_auth_bypass.py
        for method in sorted(METHODS - methods):
            answer = gw.client.open(path, method=method, headers=ADMIN)

            assert answer.status_code == 405, (method, path)
            assert answer.mimetype == "application/json"
            assert set(answer.headers["Allow"].split(", ")) == methods, (method, path)
            checked += 1

    assert checked >= 20


def test_a_path_no_route_takes_is_a_json_404(gw: Gateway) -> None:
    for path in ("/nothing", "/system/services/grayify/nothing", "/system/jobs"):
        answer = gw.client.get(path, headers=ADMIN)

        assert answer.status_code == 404, path
        assert answer.get_json()["error"]


def test_a_sync_answer_that_breaks_off_ends_short_instead_of_failing_the_server(
    gw: Gateway, openfaas: FakeOpenFaaS
) -> None:
    openfaas.cut_answers = True

    answer = gw.client.post("/run/grayify", data=b"photo", headers=ADMIN)

    assert answer.status_code == 200  # already sent when the function's side broke off
    assert answer.get_data() == b"processed by the function"  # what arrived, no more
