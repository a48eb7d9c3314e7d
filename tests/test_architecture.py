"""core/ is pure logic: it never imports dash or plotly (DESIGN.md)."""

import ast
from pathlib import Path

import pytest

CORE = sorted((Path(__file__).resolve().parent.parent / "core").glob("*.py"))


@pytest.mark.parametrize("path", CORE, ids=lambda p: p.name)
def test_core_modules_import_no_ui_library(path):
    tree = ast.parse(path.read_text())
    imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert not imported & {"dash", "plotly", "flask"}
