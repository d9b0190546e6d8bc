"""The dashboard's login through the whole app: a session cookie that is HttpOnly and
SameSite=Strict, the admin's API with it, no change without the page's CSRF token, logout, the
idle timeout, and wrong logins answered with a message, slower each time."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from gateway.http.sessions import COOKIE, Sessions
from tests.fuzz.gateway_stack import OPENFAAS_USER, SECRETS, Gateway
from tests.fuzz.hostile import FUZZ, header_text

PASSWORD = SECRETS["OPENFAAS_PASSWORD_FILE"]


def logged_in(gw: Gateway) -> str:
    """Logs the test client in; the page's CSRF token."""
    answer = gw.client.post("/ui/login", data={"user": OPENFAAS_USER, "password": PASSWORD})
    assert answer.status_code == 303, answer.get_data(as_text=True)
    page = gw.client.get("/ui").get_data(as_text=True)
    found = re.search(r'name="csrf-token" content="([^"]+)"', page)
    assert found, page
    return found.group(1)


def test_a_login_sets_a_session_cookie_that_scripts_and_other_sites_cannot_use(
    gw: Gateway,
) -> None:
    answer = gw.client.post("/ui/login", data={"user": OPENFAAS_USER, "password": PASSWORD})

    cookie = answer.headers["Set-Cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    assert answer.headers["Location"].endswith("/ui")


def test_the_session_reads_the_admins_api_and_the_page_forbids_foreign_scripts(
    gw: Gateway,
) -> None:
    logged_in(gw)

    services = gw.client.get("/system/services")
    page = gw.client.get("/ui")

    assert services.status_code == 200 and {s["name"] for s in services.get_json()} >= {"grayify"}
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy


def test_a_change_with_the_session_needs_the_pages_csrf_token(gw: Gateway) -> None:
    csrf = logged_in(gw)
    url = "/system/services/grayify/replay?dead=true"

    without = gw.client.post(url)
    wrong = gw.client.post(url, headers={"X-CSRF-Token": csrf[:-1] + "x"})
    right = gw.client.post(url, headers={"X-CSRF-Token": csrf})

    assert without.status_code == 403 and "CSRF" in without.get_json()["error"]
    assert wrong.status_code == 403
    assert right.status_code == 202


@FUZZ
@given(token=st.one_of(st.just(""), header_text))
def test_no_made_up_csrf_token_lets_a_change_through(shared_gw: Gateway, token: str) -> None:
    shared_gw.client.post("/ui/login", data={"user": OPENFAAS_USER, "password": PASSWORD})

    answer = shared_gw.client.delete("/system/services/grayify", headers={"X-CSRF-Token": token})

    assert answer.status_code == 403


def test_a_made_up_session_cookie_is_a_401_asking_for_a_login(gw: Gateway) -> None:
    gw.client.set_cookie(COOKIE, "made-up")

    answer = gw.client.get("/system/services")

    assert answer.status_code == 401 and "/ui" in answer.get_json()["error"]


def test_after_logout_the_cookie_opens_nothing(gw: Gateway) -> None:
    csrf = logged_in(gw)
    cookie = gw.client.get_cookie(COOKIE)
    assert cookie is not None

    assert gw.client.post("/ui/logout", data={"csrf": csrf}).status_code == 303
    gw.client.set_cookie(COOKIE, cookie.value)

    assert gw.client.get("/system/services").status_code == 401
    assert 'action="/ui/login"' in gw.client.get("/ui").get_data(as_text=True)


def test_a_wrong_login_is_a_401_with_a_message_and_no_cookie(gw: Gateway) -> None:
    answer = gw.client.post("/ui/login", data={"user": OPENFAAS_USER, "password": "wrong"})

    assert answer.status_code == 401
    assert "Wrong user or password" in answer.get_data(as_text=True)
    assert "Set-Cookie" not in answer.headers


def test_each_wrong_login_in_a_row_waits_longer_until_a_good_one() -> None:
    waits: list[float] = []
    sessions = Sessions(pause=waits.append)

    for _ in range(6):
        sessions.failed_login("10.0.0.1")
    sessions.failed_login("10.0.0.2")
    sessions.good_login("10.0.0.1")
    sessions.failed_login("10.0.0.1")

    assert waits == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 0.5, 0.5]


def test_a_session_unused_for_the_idle_time_is_gone() -> None:
    now = [1000.0]
    sessions = Sessions(idle=60.0, clock=lambda: now[0])
    key, _ = sessions.open()

    now[0] += 59.0
    kept = sessions.find(key)
    now[0] += 59.0  # used a minute ago: still alive
    still = sessions.find(key)
    now[0] += 61.0

    assert kept is not None and still is not None
    assert sessions.find(key) is None
