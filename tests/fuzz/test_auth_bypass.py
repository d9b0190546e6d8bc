"""Every route of the gateway (its url_map, not a list kept by hand) against credentials that are
wrong for it: missing, mangled, right elsewhere, repeated, or paths that try to slip past the
check. A route that needs a credential answers 401 or 403 in JSON (404/405 where the path leads
nowhere), never 2xx, never 5xx."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.routing import Rule

from gateway.tokens import CallbackSigner
from tests.fuzz.gateway_stack import ADMIN, OPENFAAS_USER, SECRETS, WEBHOOK, Gateway
from tests.fuzz.hostile import FUZZ, header_text

if TYPE_CHECKING:
    from werkzeug.test import TestResponse

OPEN = {"/health", "/metrics", "/openapi.json"}
ADMIN_TOKEN = SECRETS["ADMIN_TOKEN_FILE"]
PASSWORD = SECRETS["OPENFAAS_PASSWORD_FILE"]
Headers = list[tuple[str, str]]


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@dataclass(frozen=True)
class Route:
    rule: str
    method: str
    path: str  # the rule with its arguments filled in

    @property
    def kind(self) -> str:
        """Who may call it, as the README's table says."""
        if self.rule in OPEN:
            return "open"
        if self.rule == "/ui" or self.rule.startswith("/ui/"):
            return "page"  # the dashboard's HTML: it asks for a login itself (gateway.http.ui)
        if self.rule == "/events":
            return "minio"
        if self.rule.startswith("/callbacks/"):
            return "callback"
        if self.rule.startswith(("/run/", "/job/")):
            return "service"
        return "admin"


@dataclass(frozen=True)
class Setting:
    gw: Gateway
    job_id: str
    call_id: str
    other_job_id: str
    tokens: dict[str, str]  # service name: its token

    def routes(self) -> list[Route]:
        values = {
            "name": "grayify",
            "job_id": self.job_id,
            "filename": "dashboard.js",
            "bucket": "photos",
        }
        found = []
        for rule in self.gw.app.url_map.iter_rules():
            path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: values[m.group(1)], rule.rule)
            found += [Route(rule.rule, method, path) for method in sorted(_methods(rule))]
        return found

    @property
    def credentials(self) -> dict[str, str]:
        """Every credential the gateway issues, by name: each right for some routes only."""
        return {
            "admin bearer": f"Bearer {ADMIN_TOKEN}",
            "admin basic": basic(OPENFAAS_USER, PASSWORD),
            "webhook bearer": WEBHOOK["Authorization"],
            "grayify token": f"Bearer {self.tokens['grayify']}",
            "docs token": f"Bearer {self.tokens['docs']}",
        }

    def right(self, route: Route) -> set[str]:
        return {
            "open": set(),
            "minio": {"webhook bearer"},
            "callback": set(),  # the signature in the URL, whatever the headers say
            "service": {"admin bearer", "grayify token"},
            "admin": {"admin bearer", "admin basic"},
            "page": set(),
        }[route.kind]

    def wrong(self, route: Route) -> Iterator[tuple[str, Headers]]:
        """(what it tries, the headers) for credentials that must not open this route."""
        valid = self.credentials
        right = self.right(route)
        yield "no credential", []
        for name, credential in valid.items():
            if name not in right:
                yield f"{name}, which is right elsewhere", [("Authorization", credential)]
        for credential in (
            "Bearer wrong",
            "Bearer ",
            "Bearer",
            basic("nobody", "wrong"),
            basic(OPENFAAS_USER, "wrong"),
            basic(OPENFAAS_USER, ""),
            basic(OPENFAAS_USER, ADMIN_TOKEN),
            f"Bearer {PASSWORD}",
            f"Bearer {SECRETS['CALLBACK_KEY_FILE']}",
            f"Bearer {SECRETS['MINIO_SECRET_KEY_FILE']}",
            f"bearer {ADMIN_TOKEN}",
            f"BEARER {ADMIN_TOKEN}",
            f"Bearer {ADMIN_TOKEN.upper()}",
            f"Bearer {ADMIN_TOKEN[:-1]}",
            f"Bearer {ADMIN_TOKEN}x",
            f"Bearer {ADMIN_TOKEN[:6]} {ADMIN_TOKEN[6:]}",
            f"Bearer\t{ADMIN_TOKEN}",
            f"Token {ADMIN_TOKEN}",
            ADMIN_TOKEN,
            basic(OPENFAAS_USER.upper(), PASSWORD),
            basic(f" {OPENFAAS_USER}", PASSWORD),
            basic(OPENFAAS_USER, PASSWORD.upper()),
            f"basic {basic(OPENFAAS_USER, PASSWORD)[6:]}",
            "Basic not-base64!!",
            "Basic " + base64.b64encode(b"\xff\xfe:\xff").decode(),
        ):
            yield f"mangled {credential!r}", [("Authorization", credential)]
        for name in sorted(right):
            yield (
                f"{name} repeated after a wrong one",
                [
                    ("Authorization", "Bearer wrong"),
                    ("Authorization", valid[name]),
                ],
            )
            yield (
                f"{name} repeated before a wrong one",
                [
                    ("Authorization", valid[name]),
                    ("Authorization", "Bearer wrong"),
                ],
            )


def _methods(rule: Rule) -> set[str]:
    return set(rule.methods or ())


@pytest.fixture
def setting(gw: Gateway) -> Setting:
    tokens = {
        name: gw.client.get(f"/system/services/{name}", headers=ADMIN).get_json()["token"]
        for name in ("grayify", "docs")
    }
    job = gw.running_job("in/a.png")
    other = gw.running_job("in/b.png")
    return Setting(gw, job.id, job.call_id, other.id, tokens)


def _refused(answer: TestResponse, *, also: frozenset[int] = frozenset()) -> None:
    text = answer.get_data(as_text=True)
    assert answer.status_code in {401, 403} | also, f"{answer.status_code}: {text}"
    assert answer.mimetype == "application/json", text
    if answer.request.method != "HEAD":  # a HEAD answer has the headers of a GET, no body
        assert answer.get_json()["error"]


def test_every_route_is_in_the_table_of_who_may_call_what(setting: Setting) -> None:
    kinds = {route.rule: route.kind for route in setting.routes()}

    assert {rule for rule, kind in kinds.items() if kind == "open"} == OPEN
    # Read from the app, so a new route lands in one of the kinds (admin unless said otherwise).
    assert set(kinds.values()) == {"open", "minio", "callback", "service", "admin", "page"}
    assert kinds["/system/jobs/<name>/<job_id>"] == "admin"


def test_open_routes_answer_anyone(setting: Setting) -> None:
    for route in setting.routes():
        if route.kind == "open":
            answer = setting.gw.client.open(route.path, method=route.method)
            assert answer.status_code == 200, route


def test_no_route_opens_to_a_credential_that_is_wrong_for_it(setting: Setting) -> None:
    checked = 0
    for route in setting.routes():
        if route.kind in {"open", "page"}:
            continue
        for attempt, headers in setting.wrong(route):
            answer = setting.gw.client.open(route.path, method=route.method, headers=headers)
            assert answer.status_code in {401, 403}, (route, attempt, answer.get_data())
            _refused(answer)
            checked += 1

    assert checked > 400


def test_the_dashboards_pages_show_only_the_login_form_without_a_session(
    setting: Setting,
) -> None:
    for route in setting.routes():
        if route.kind != "page" or route.method not in {"GET", "HEAD"}:
            continue
        with setting.gw.client.open(route.path, method=route.method) as answer:
            text = answer.get_data(as_text=True)
        assert answer.status_code == 200, route
        assert "csrf-token" not in text and setting.tokens["grayify"] not in text, route
        if route.rule == "/ui" and route.method == "GET":
            assert 'action="/ui/login"' in text


def test_a_missing_credential_is_a_401_and_a_wrong_one_a_403(setting: Setting) -> None:
    for route in setting.routes():
        if route.kind in {"open", "callback", "page"}:
            continue
        missing = setting.gw.client.open(route.path, method=route.method)
        wrong = setting.gw.client.open(
            route.path, method=route.method, headers={"Authorization": "Bearer wrong"}
        )
        assert missing.status_code == 401, route
        assert wrong.status_code == 403, route


def test_a_callback_opens_only_with_the_signature_of_its_own_job_and_attempt(
    setting: Setting,
) -> None:
    signer, gw = setting.gw.signer, setting.gw
    job, call, other = setting.job_id, setting.call_id, setting.other_job_id
    right = signer.sign(job, call)
    attempts = {
        "no signature": {"call": call},
        "no call": {"sig": right},
        "another job's signature": {"call": call, "sig": signer.sign(other, call)},
        "another attempt's signature": {"call": call, "sig": signer.sign(job, "other-call")},
        "the signature in capitals": {"call": call, "sig": right.upper()},
        "the signature cut short": {"call": call, "sig": right[:-2]},
        "the signature under another name": {"call": call, "signature": right},
        "the key itself": {"call": call, "sig": SECRETS["CALLBACK_KEY_FILE"]},
        "a signature made with another key": {
            "call": call,
            "sig": CallbackSigner("k").sign(job, call),
        },
    }
    for attempt, query in attempts.items():
        answer = gw.client.post(f"/callbacks/{job}", query_string=query, headers=ADMIN)
        assert answer.status_code == 403, (attempt, answer.get_data())
        _refused(answer)
    # A repeated `call`: the gateway reads the first one for the check and for the ledger alike.
    for repeated in (f"call={call}&call=x&sig={signer.sign(job, 'x')}",
                     f"call=x&call={call}&sig={right}"):  # fmt: skip
        _refused(gw.client.post(f"/callbacks/{job}?{repeated}"))
    # The signature of another job's attempt does not open this job, under any name.
    assert gw.client.post(f"/callbacks/{other}?call={call}&sig={right}").status_code == 403
    unchanged = gw.ledger.get(job)
    assert unchanged is not None and unchanged.status == "running"


@pytest.mark.parametrize(
    ("method", "path", "credential"),
    [
        ("POST", "/system/../run/grayify", "none"),
        ("GET", "/system/../system/services", "grayify token"),
        ("POST", "/run/grayify/../../system/services", "grayify token"),
        ("GET", "/run/grayify/../../system/services", "grayify token"),
        ("GET", "/job/grayify/../../system/jobs/grayify", "grayify token"),
        ("GET", "//system/services", "none"),
        ("GET", "//system/services", "grayify token"),
        ("GET", "/system//services", "grayify token"),
        ("GET", "/system/services/", "webhook bearer"),
        ("GET", "/system/services/grayify/", "grayify token"),
        ("GET", "/health/../system/services", "none"),
        ("GET", "/openapi.json/../system/jobs/grayify", "none"),
        ("GET", "/metrics/", "none"),
        ("GET", "/HEALTH", "none"),
        ("POST", "/events/", "webhook bearer"),
        ("POST", "/events/../run/grayify", "webhook bearer"),
        ("POST", "/Events", "webhook bearer"),
        ("POST", "/run/GRAYIFY", "grayify token"),
        ("POST", "/run/grayify\x00", "grayify token"),
        ("POST", "/run/docs", "grayify token"),
        ("POST", "/job/grayify/", "docs token"),
        ("POST", "/run/grayify/x", "none"),
        ("GET", "/system/services;/../../run/grayify", "grayify token"),
        ("GET", "/system/jobs/grayify%2F..%2F..", "none"),
        ("GET", "/static/../gateway/config.py", "none"),
        ("GET", "/static/%2e%2e/gateway/config.py", "grayify token"),
        ("GET", "/ui/../system/services", "none"),
        ("GET", "/ui/static/../../system/services", "none"),
        ("DELETE", "/ui/../system/services/grayify", "none"),
        ("GET", "/ui/static/../../../gateway/config.py", "none"),
        ("GET", "/ui/static/%2e%2e/ui.py", "none"),
        ("GET", "/ui/static/..%2fui.py", "none"),
        ("POST", "/ui/login/../../system/services/grayify/replay", "none"),
    ],
)
def test_path_tricks_get_no_further_than_the_check(
    setting: Setting, method: str, path: str, credential: str
) -> None:
    headers = {"Authorization": setting.credentials[credential]} if credential != "none" else {}

    # PATH_INFO as a server hands it over, decoded and not normalised (the test client would
    # read `//system` as a host name).
    answer = setting.gw.client.open(
        "/", method=method, headers=headers, environ_overrides={"PATH_INFO": path}
    )

    _refused(answer, also=frozenset({404, 405}))


def test_a_query_string_changes_nothing_about_who_may_call(setting: Setting) -> None:
    gw = setting.gw
    for query in ("x=1", "sig=x&call=y", "token=" + setting.tokens["grayify"]):
        assert gw.client.post(f"/events?{query}").status_code == 401
        assert gw.client.post(f"/events?{query}", headers=ADMIN).status_code == 403
        assert gw.client.get(f"/system/services?{query}", headers=WEBHOOK).status_code == 403
    assert (
        gw.client.post("/events?x=1", data=b'{"Records": []}', headers=WEBHOOK).status_code == 200
    )


def test_no_arbitrary_authorization_header_opens_a_route(gw: Gateway) -> None:
    rules = [
        rule
        for rule in gw.app.url_map.iter_rules()
        if rule.rule not in OPEN and Route(rule.rule, "GET", "").kind != "page"
    ]

    @FUZZ
    @given(
        credential=st.one_of(
            header_text,
            header_text.map(lambda text: f"Bearer {text}"),
            st.tuples(header_text, header_text).map(lambda pair: basic(*pair)),
        ),
        rule=st.sampled_from(rules),
        data=st.data(),
    )
    def refused(credential: str, rule: Rule, data: st.DataObject) -> None:
        method = data.draw(st.sampled_from(sorted(_methods(rule))))
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", "grayify", rule.rule)

        answer = gw.client.open(path, method=method, headers={"Authorization": credential})

        _refused(answer)

    refused()
