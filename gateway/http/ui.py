"""The dashboard at `/ui`: a login form, then one page whose script reads and changes
everything through the gateway's own JSON API (the routes the CLI calls), with the session
cookie this module sets (gateway.http.sessions).

| route | what |
|---|---|
| `GET /ui` | the dashboard, or the login form when there is no live session |
| `POST /ui/login` | form `user`, `password` (the OpenFaaS admin login): a session, then `/ui` |
| `POST /ui/logout` | form `csrf`: ends the session |
| `GET /ui/static/...` | the page's script and style, shipped with the gateway (no CDN) |

Its pages are HTML, not JSON, so they are not in the OpenAPI description; the data they show
is. Every page answer forbids framing and any script but the gateway's own (CSP).
"""

from __future__ import annotations

from flask import Blueprint, Response, redirect, render_template, request
from werkzeug.wrappers import Response as BaseResponse

from gateway.config import GatewayConfig
from gateway.http.sessions import COOKIE, IDLE_SECONDS, Sessions
from gateway.tokens import same

POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def blueprint(*, config: GatewayConfig, sessions: Sessions) -> Blueprint:
    routes = Blueprint(
        "ui",
        __name__,
        url_prefix="/ui",
        static_folder="ui_static",
        static_url_path="/static",
        template_folder="ui_templates",
    )
    secure = config.public_url.startswith("https://")

    @routes.after_request
    def _headers(answer: Response) -> Response:
        answer.headers["Content-Security-Policy"] = POLICY
        answer.headers["X-Content-Type-Options"] = "nosniff"
        answer.headers["Referrer-Policy"] = "no-referrer"
        if answer.mimetype == "text/html":
            answer.headers["Cache-Control"] = "no-store"
        return answer

    @routes.get("")
    @routes.get("/")
    def _page() -> tuple[str, int]:
        session = sessions.find(request.cookies.get(COOKIE))
        if session is None:
            return render_template("login.html", message=""), 200
        return render_template("app.html", csrf=session.csrf, user=config.openfaas_user), 200

    @routes.post("/login")
    def _login() -> BaseResponse | tuple[str, int]:
        address = request.remote_addr or "unknown"
        user = request.form.get("user", "")
        password = request.form.get("password", "")
        # Both compared every time: a wrong user answers as fast as a wrong password.
        right = [same(user, config.openfaas_user), same(password, config.openfaas_password)]
        if not all(right):
            sessions.failed_login(address)
            message = "Wrong user or password: use the OpenFaaS admin login (oscar status)."
            return render_template("login.html", message=message), 401
        sessions.good_login(address)
        key, _ = sessions.open()
        answer = redirect("/ui", 303)
        answer.set_cookie(
            COOKIE,
            key,
            max_age=int(IDLE_SECONDS) * 16,  # the idle timeout ends it sooner, on the server
            path="/",
            secure=secure,
            httponly=True,
            samesite="Strict",
        )
        return answer

    @routes.post("/logout")
    def _logout() -> BaseResponse | tuple[str, int]:
        key = request.cookies.get(COOKIE)
        session = sessions.find(key)
        if session is not None and not sessions.allows_change(session, request.form.get("csrf")):
            return render_template("login.html", message="Logging out needs the page's token."), 403
        sessions.close(key)
        answer = redirect("/ui", 303)
        answer.delete_cookie(COOKIE, path="/", secure=secure, httponly=True, samesite="Strict")
        return answer

    return routes
