"""The shape the project keeps (docs/architecture.md): core/ is pure logic, files stay small, and
the project explains itself without pointing outside the repository."""

import ast
import re

import pytest

from harness.process import REPO_ROOT

CORE = sorted((REPO_ROOT / "core").glob("*.py"))
SOURCES = sorted(p for folder in ("core", "components", "harness", "bench", "scripts", "tests")
                 for p in (REPO_ROOT / folder).rglob("*.py")) + [REPO_ROOT / "app.py"]
LINE_LIMIT = 450


@pytest.mark.parametrize("path", CORE, ids=lambda p: p.name)
def test_core_modules_import_no_ui_library(path):
    tree = ast.parse(path.read_text())
    imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert not imported & {"dash", "plotly", "flask"}


def test_no_app_source_file_is_long_unless_the_architecture_says_why():
    documented = set(re.findall(r"`([\w/]+\.py)` \(about \d+ lines\)", (REPO_ROOT / "docs/architecture.md").read_text()))
    app_sources = [p for p in SOURCES if p.parts[len(REPO_ROOT.parts)] in ("core", "components", "app.py")]
    long = {str(p.relative_to(REPO_ROOT)): len(p.read_text().splitlines()) for p in app_sources}
    over = {name: n for name, n in long.items() if n > LINE_LIMIT and name not in documented}
    assert not over, f"over {LINE_LIMIT} lines without a word in docs/architecture.md: {over}"


def test_the_project_points_nowhere_outside_itself():
    texts = [*SOURCES, *REPO_ROOT.glob("*.md"), *(REPO_ROOT / "docs").glob("*.md")]
    pointing = [str(p.relative_to(REPO_ROOT)) for p in texts if re.search(r"\.\./shared|DESIGN\.md", p.read_text())
                and p.name != "test_architecture.py"]
    assert not pointing, pointing
