"""courses/ is a pure library: it must never import the web app or its database."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ALLOWED = {"markdown", "pymdownx", "yaml", "nh3", "pyphen"}
PACKAGE = Path(__file__).resolve().parents[3] / "courses"


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_courses_imports_only_the_standard_library_and_its_few_dependencies():
    files = sorted(PACKAGE.glob("*.py"))
    assert files
    for path in files:
        outside = imported_modules(path) - ALLOWED - set(sys.stdlib_module_names)
        assert outside == set(), f"{path.name} imports {outside}"
        assert not imported_modules(path) & {"flask", "sqlalchemy", "lms", "flask_sqlalchemy"}
