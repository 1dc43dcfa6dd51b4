"""The architecture's rules, checked on the source: who may import whom, where SQL lives."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.helpers.paths import REPO

OURS = {"gateway", "mail", "parsers", "store", "voice"}
# package -> our packages it must not import
FORBIDDEN = {
    "parsers": OURS - {"parsers"},
    "store": OURS - {"store"},
    "mail": {"gateway", "voice"},
    "voice": {"gateway", "mail"},
}
SQL = re.compile(r"\b(SELECT\s.+\sFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|"
                 r"CREATE\s+TABLE|PRAGMA\s)", re.IGNORECASE)


def _modules(package: str) -> list[Path]:
    return sorted((REPO / package).rglob("*.py"))


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_dependency_rule(package: str) -> None:
    offenders = {
        str(path.relative_to(REPO)): sorted(_imports(path) & FORBIDDEN[package])
        for path in _modules(package)
    }
    assert {k: v for k, v in offenders.items() if v} == {}


@pytest.mark.parametrize("package", sorted(OURS - {"store"}))
def test_no_sql_outside_the_store(package: str) -> None:
    offenders = []
    for path in _modules(package):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if SQL.search(node.value):
                    offenders.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert offenders == []


def test_every_package_ships_py_typed() -> None:
    assert all((REPO / package / "py.typed").is_file() for package in OURS)


def test_no_test_module_imports_another() -> None:
    # Test modules and conftest.py share code only through tests/helpers: a test module
    # imported by another runs its fixtures and tests twice, or drags its side effects in.
    offenders = []
    for path in sorted((REPO / "tests").rglob("*.py")):
        package = list(path.relative_to(REPO).parts[:-1])
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = (package[:len(package) - node.level + 1] if node.level else []) + (
                    node.module.split(".") if node.module else [])
                # `from tests import x` may name a module: check each name as one too.
                targets = [".".join(base), *(".".join([*base, a.name]) for a in node.names)]
            else:
                continue
            for target in targets:
                parts = target.split(".")
                if parts[0] == "tests" and parts[1:2] not in ([], ["helpers"]):
                    offenders.append(f"{path.relative_to(REPO)}:{node.lineno}: {target}")
    assert offenders == []
