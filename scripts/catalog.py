"""Keep the translation catalogs in step with the code: `python -m scripts.catalog`.

Extracts every marked text (`_`, `N_`) into locale/messages.pot with Babel and merges it into each
language's .po (new texts arrive untranslated: tests/test_i18n.py fails until they are translated).
"""

from __future__ import annotations

import subprocess
import sys

from core.i18n import DEFAULT_LANGUAGE, LANGUAGES, LOCALE_DIR
from harness.process import REPO_ROOT

EXTRACT = ["-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "_", "-k", "N_", "-k", "_t",
           "--no-location", "--sort-output", "--omit-header", "-o", str(LOCALE_DIR / "messages.pot"), "."]


def main() -> None:
    subprocess.run([sys.executable, *EXTRACT], cwd=REPO_ROOT, check=True)
    for language in LANGUAGES:
        if language != DEFAULT_LANGUAGE:
            subprocess.run([sys.executable, "-m", "babel.messages.frontend", "update", "-i",
                            str(LOCALE_DIR / "messages.pot"), "-d", str(LOCALE_DIR), "-l", language,
                            "--no-fuzzy-matching", "--width", "100"], cwd=REPO_ROOT, check=True)


if __name__ == "__main__":
    main()
