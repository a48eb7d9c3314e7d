"""Every word a page shows, in the learner's language: gettext catalogs made with Babel.

The English text in the code is the message id; `locale/ko/LC_MESSAGES/messages.po` holds the
Korean (`pybabel extract -F babel.cfg -o locale/messages.pot .` collects the ids, `pybabel update`
merges them into the .po: see docs/architecture.md). The catalog is read directly with Babel when
first needed, so there is no compile step.

The language of whatever is being rendered now is a context variable: the web layer sets it per
request (components/language.py), and `_` reads it. `N_` marks a text that is translated later,
when shown (a registry's names, a field's label).
"""

from __future__ import annotations

import contextvars
import functools
import gettext
import io
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LANGUAGES = {"en": "English", "ko": "한국어"}  # each in its own language, for the switch
DEFAULT_LANGUAGE = "en"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"

_language: contextvars.ContextVar[str] = contextvars.ContextVar("language", default=DEFAULT_LANGUAGE)


@functools.lru_cache(maxsize=None)
def translations(language: str) -> gettext.NullTranslations:
    """The catalog of `language` (English: the ids themselves)."""
    path = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    if language == DEFAULT_LANGUAGE or not path.exists():
        return gettext.NullTranslations()
    with open(path, "rb") as po:
        catalog = read_po(po, locale=language)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def current_language() -> str:
    return _language.get()


def set_language(language: str) -> contextvars.Token:
    """Render in `language` until `reset_language(token)` (the web layer: one request)."""
    return _language.set(language if language in LANGUAGES else DEFAULT_LANGUAGE)


def reset_language(token: contextvars.Token) -> None:
    _language.reset(token)


@contextmanager
def language(code: str) -> Iterator[None]:
    """Render in `code` inside the block (tests, the notebook)."""
    token = _language.set(code if code in LANGUAGES else DEFAULT_LANGUAGE)
    try:
        yield
    finally:
        _language.reset(token)


def _(message: str) -> str:
    """`message` in the current language."""
    return translations(_language.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_language.get()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Marks `message` for the catalog; translate it where it is shown, with `_`."""
    return message


def best_language(accept_language: str | None) -> str:
    """The first language of a browser's Accept-Language that the app speaks (ko, ko-KR → ko)."""
    ranked = []
    for i, part in enumerate((accept_language or "").split(",")):
        tag, _sep, params = part.strip().partition(";")
        try:
            quality = float(params.split("=", 1)[1]) if params.strip().startswith("q=") else 1.0
        except ValueError:
            quality = 0.0
        ranked.append((-quality, i, tag.strip().lower().split("-")[0]))
    for _q, _i, code in sorted(ranked):
        if code in LANGUAGES:
            return code
    return DEFAULT_LANGUAGE
