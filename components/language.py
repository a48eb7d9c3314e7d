"""Which language a request is answered in: `?lang=ko|en` (then remembered in a cookie, so the
next visit's first response is already right), else the cookie, else the browser's
Accept-Language, else English. The choice is set for the request's rendering (core.i18n) before
Dash builds a page or runs a callback, and said in `<html lang>`."""

from __future__ import annotations

import flask

from core.i18n import LANGUAGES, best_language, current_language, reset_language, set_language

LANGUAGE_COOKIE = "lang"
COOKIE_DAYS = 365


def requested_language(request: flask.Request) -> str:
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        return asked
    remembered = request.cookies.get(LANGUAGE_COOKIE)
    if remembered in LANGUAGES:
        return remembered
    return best_language(request.headers.get("Accept-Language"))


def install(server: flask.Flask) -> None:
    @server.before_request
    def choose_language() -> None:
        flask.g.language_token = set_language(requested_language(flask.request))

    @server.teardown_request
    def forget_language(_error: BaseException | None = None) -> None:
        # the thread may serve the next request, or be a test's own
        token = flask.g.pop("language_token", None)
        if token is not None:
            try:
                reset_language(token)
            except ValueError:  # (set in another context: nothing of ours to undo)
                pass

    @server.after_request
    def remember_language(response: flask.Response) -> flask.Response:
        asked = flask.request.args.get("lang")
        if asked in LANGUAGES and flask.request.cookies.get(LANGUAGE_COOKIE) != asked:
            response.set_cookie(LANGUAGE_COOKIE, asked, max_age=COOKIE_DAYS * 86400, samesite="Lax")
        return response


def html_lang(index: str) -> str:
    """Dash's page with `<html lang>` saying the language in use."""
    return index.replace("<html>", f'<html lang="{current_language()}">', 1)
