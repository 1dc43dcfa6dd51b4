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


def _imported_modules(path: Path) -> set[str]:
    """Full names of the modules `path` imports (`from a.b import c` counts as a.b)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


@pytest.mark.parametrize("package", sorted(OURS - {"store"}))
def test_no_database_driver_outside_the_store(package: str) -> None:
    # Everything else reaches the database through store.ports, so a second backend can
    # stand behind it: no sqlite3, no sqlite-utils, no store.sqlite (the factories open it),
    # and no psycopg, psycopg_pool or store.postgres either.
    offenders = {
        str(path.relative_to(REPO)): sorted(
            name for name in _imported_modules(path)
            if name.split(".")[0] in {"sqlite3", "sqlite_utils", "psycopg", "psycopg_pool"}
            or name.startswith(("store.sqlite", "store.postgres")))
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


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _import_graph() -> dict[str, set[str]]:
    """Our module -> our modules it imports (`from a.b import c` counts a.b.c when that is a
    module, else a.b)."""
    paths = [path for package in sorted(OURS) for path in _modules(package)]
    modules = {_module_name(path) for path in paths}
    graph: dict[str, set[str]] = {}
    for path in paths:
        edges = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                edges.update(alias.name for alias in node.names if alias.name in modules)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    target = full if full in modules else node.module
                    if target in modules:
                        edges.add(target)
        graph[_module_name(path)] = edges - {_module_name(path)}
    return graph


def test_no_import_cycles_among_our_modules() -> None:
    graph = _import_graph()
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph.get(module, ())):
            if state.get(target) == 1:
                cycles.append(path[path.index(target):] + [target])
            elif target not in state:
                visit(target, path + [target])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == []


MAX_MODULE_LINES, MAX_FUNCTION_LINES = 300, 60


def test_modules_and_functions_stay_small() -> None:
    too_long = []
    for package in sorted(OURS):
        for path in _modules(package):
            text = path.read_text(encoding="utf-8")
            where = path.relative_to(REPO)
            if len(text.splitlines()) > MAX_MODULE_LINES:
                too_long.append(f"{where}: {len(text.splitlines())} lines")
            for node in ast.walk(ast.parse(text)):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    lines = (node.end_lineno or node.lineno) - node.lineno + 1
                    if lines > MAX_FUNCTION_LINES:
                        too_long.append(f"{where}:{node.lineno} {node.name}() {lines} lines")
    assert too_long == []


def test_the_simulator_stays_out_of_the_core() -> None:
    graph = _import_graph()
    users = sorted(m for m, targets in graph.items()
                   if not m.startswith(("gateway.sim", "gateway.cli"))
                   and any(t.startswith("gateway.sim") for t in targets))
    assert users == []


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
