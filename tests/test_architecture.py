"""The layers import only what ARCHITECTURE.md allows; a wrong arrow fails here."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
WEB_OR_DB = {"flask", "flask_login", "flask_wtf", "flask_sqlalchemy", "flask_migrate",
             "sqlalchemy", "alembic", "werkzeug", "wtforms", "lms"}

# Which lms domains each domain may import (ARCHITECTURE.md: accounts <- catalog <- publishing;
# catalog <- learning <- credentials; reports read them all; admin screens use them all).
ALLOWED_DOMAIN_IMPORTS = {
    "accounts": set(),
    "catalog": {"accounts"},
    "publishing": {"accounts", "catalog"},
    "learning": {"accounts", "catalog"},
    "credentials": {"accounts", "catalog", "learning"},
    "reports": {"accounts", "catalog", "learning", "credentials"},
    "admin": {"accounts", "catalog", "publishing", "learning", "credentials", "reports", "privacy"},
    "sso": {"accounts"},
    "privacy": {"accounts", "catalog", "learning", "credentials", "sso", "assignments"},
    "api": {"accounts", "catalog", "learning", "credentials"},
    "assignments": {"accounts", "catalog", "learning"},
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("library", ["courses", "certificates"])
def test_pure_libraries_never_import_the_web_or_database_layer(library):
    offenders = []
    for path in sorted((ROOT / library).rglob("*.py")):
        for name in imported_modules(path):
            if name.split(".")[0] in WEB_OR_DB:
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert offenders == []


def test_lms_domains_import_only_along_the_allowed_arrows():
    offenders = []
    for domain, allowed in ALLOWED_DOMAIN_IMPORTS.items():
        folder = ROOT / "lms" / domain
        if not folder.exists():
            continue
        for path in sorted(folder.rglob("*.py")):
            for name in imported_modules(path):
                parts = name.split(".")
                other = parts[1] if parts[0] == "lms" and len(parts) > 1 else None
                if other in ALLOWED_DOMAIN_IMPORTS and other != domain and other not in allowed:
                    offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert offenders == []


def test_the_architecture_check_catches_a_wrong_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import flask\nfrom sqlalchemy import select\nfrom lms.learning import x\n")
    assert {"flask", "sqlalchemy", "lms.learning"} <= imported_modules(bad)


def test_nothing_outside_tests_creates_tables_without_migrations():
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "lms").rglob("*.py")
                 if "create_all(" in p.read_text(encoding="utf-8")]
    assert offenders == []
