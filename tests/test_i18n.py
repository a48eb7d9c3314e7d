"""Korean and English: the catalog is complete and in step with the code, and a request is
answered in the language it asks for (?lang=, the remembered choice, the browser's preference)."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from babel.messages.pofile import read_po

from core.i18n import LOCALE_DIR, _, best_language, language
from core.run_status import status_line
from harness.process import REPO_ROOT

PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def catalog(path):
    with open(path, "rb") as po:
        return read_po(po)


KOREAN = catalog(LOCALE_DIR / "ko" / "LC_MESSAGES" / "messages.po")
TEMPLATE = catalog(LOCALE_DIR / "messages.pot")


def test_every_message_has_a_korean_translation_with_the_same_placeholders():
    for message in TEMPLATE:
        if not message.id:
            continue
        translated = KOREAN.get(message.id)
        assert translated is not None and translated.string, f"no Korean for {message.id!r}"
        assert not translated.fuzzy, f"a fuzzy (unchecked) Korean for {message.id!r}"
        assert sorted(PLACEHOLDER.findall(translated.string)) == sorted(PLACEHOLDER.findall(message.id)), (
            f"{message.id!r} -> {translated.string!r}: the placeholders differ")


def test_the_catalog_holds_every_text_the_code_marks(tmp_path):
    """A text marked in the code but missing from the catalog would show in English: extract again
    and compare (`python -m scripts.catalog` updates both files)."""
    fresh = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "_",
                    "-k", "N_", "-k", "_t", "--no-location", "--omit-header", "-o", str(fresh), "."],
                   cwd=REPO_ROOT, check=True, capture_output=True)
    marked = {m.id for m in catalog(fresh) if m.id}
    assert marked == {m.id for m in TEMPLATE if m.id}, "run python -m scripts.catalog"


@pytest.mark.parametrize("header, expected", [
    ("ko", "ko"), ("ko-KR,ko;q=0.9,en-US;q=0.8", "ko"), ("en-US,en;q=0.9", "en"), ("fr-FR, de", "en"),
    ("en;q=0.5, ko;q=0.8", "ko"), ("", "en"), (None, "en"), ("ko;q=abc, en", "en"), (";;,,", "en"),
])
def test_the_browser_preference_picks_a_language_the_app_speaks(header, expected):
    assert best_language(header) == expected


def test_status_lines_begin_with_the_state_word_of_the_language():
    done = {"status": "Done", "epochs_run": 10, "elapsed": 0.5, "final_loss": 1.0, "config": {"seed": 1}}
    assert status_line(done).startswith("Done — 10 epochs")
    with language("ko"):
        assert status_line(done).startswith("완료 — 10 에포크")
        assert _("Train") == "학습"
    assert _("Train") == "Train"


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    patch = pytest.MonkeyPatch()
    if "app" not in sys.modules:
        patch.setenv("DASH_CACHE_DIR", str(tmp_path_factory.mktemp("i18n-cache")))
    import app

    yield app.server
    patch.undo()


def page_and_layout(server, **kwargs) -> tuple[str, str]:
    """The page's HTML and the layout the browser renders (Dash fetches it as JSON)."""
    test_client = server.test_client()
    layout = json.loads(test_client.get("/_dash-layout", **kwargs).get_data(as_text=True))
    return test_client.get("/", **kwargs).get_data(as_text=True), json.dumps(layout, ensure_ascii=False)


def test_a_korean_browser_gets_korean_without_asking(client):
    page, layout = page_and_layout(client, headers={"Accept-Language": "ko-KR,ko;q=0.9"})
    assert '<html lang="ko">' in page and "학습" in layout and "Activation gallery" not in layout
    page, layout = page_and_layout(client, headers={"Accept-Language": "en-US"})
    assert '<html lang="en">' in page and "Activation gallery" in layout


def test_lang_in_the_link_wins_and_is_remembered(client):
    test_client = client.test_client()
    first = test_client.get("/?lang=en", headers={"Accept-Language": "ko"})
    assert '<html lang="en">' in first.get_data(as_text=True)
    assert "lang=en" in first.headers.get("Set-Cookie", "") or any(
        "lang=en" in value for value in first.headers.getlist("Set-Cookie"))
    again = test_client.get("/", headers={"Accept-Language": "ko"})  # the cookie now decides
    assert '<html lang="en">' in again.get_data(as_text=True)
    junk = client.test_client().get("/?lang=xx", headers={"Accept-Language": "ko"})
    assert '<html lang="ko">' in junk.get_data(as_text=True)  # an unknown language is ignored


def test_the_code_views_comments_follow_the_language_and_its_code_does_not():
    from core.script import standalone_script
    from core.training_config import TrainingConfig

    config = TrainingConfig(approach="module", optimizer="adam", seed=3)
    english = standalone_script(config, seeded=False)
    with language("ko"):
        korean = standalone_script(config, seeded=False)
    assert "matplotlib is optional" in english and "matplotlib는 없어도 됩니다" in korean
    assert "seed를 정하지 않음" in korean
    code = [line for line in english.splitlines() if "#" not in line]
    assert code == [line for line in korean.splitlines() if "#" not in line]
