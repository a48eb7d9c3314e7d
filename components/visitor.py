"""Which browser is asking: a random id in a cookie, so a run's handle works only in the browser
that started it (components/runs.py binds each handle to it)."""

from __future__ import annotations

import secrets

import flask

BROWSER_COOKIE = "browser"
COOKIE_DAYS = 30


def install(server: flask.Flask) -> None:
    @server.after_request
    def give_a_browser_id(response: flask.Response) -> flask.Response:
        if not flask.request.cookies.get(BROWSER_COOKIE):
            response.set_cookie(BROWSER_COOKIE, secrets.token_urlsafe(16), max_age=COOKIE_DAYS * 86400,
                                httponly=True, samesite="Lax")
        return response


def browser_id() -> str:
    """This request's browser id ("" outside a request, or for a browser that keeps no cookies)."""
    if not flask.has_request_context():
        return ""
    value = flask.request.cookies.get(BROWSER_COOKIE, "")
    return value if len(value) <= 64 else ""
