"""The layering of ARCHITECTURE.md, enforced: packages depend downward only.

Every ``import`` and ``from ... import`` of every module (top level, inside functions and under
``TYPE_CHECKING`` alike: a lazy import is still a dependency) is read with :mod:`ast` and checked
against what its layer may import. A new upward or sideways import fails here, in CI, with the file,
the line and the rule it breaks.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OURS = ("hub", "tenants", "customs", "carriers", "i18n")

# Layer -> the layers (module prefixes) it may import, besides itself. Longest prefix wins, so
# ``hub.core`` and ``hub.orders`` have their own rules and the rest of ``hub`` is the composition.
ALLOWED: dict[str, tuple[str, ...]] = {
    "i18n": (),
    "hub.core": ("i18n",),
    "tenants": ("hub.core", "i18n"),
    "customs": ("tenants", "hub.core", "i18n"),
    "carriers": ("tenants", "hub.core", "i18n"),
    "hub.orders": ("customs", "carriers", "tenants", "hub.core", "i18n"),
}
# The composition (app, auth middleware, CLI, console, worker settings) may import every layer.
ALLOWED["hub"] = tuple(ALLOWED)


def _layer(module: str) -> str:
    matches = [layer for layer in ALLOWED if module == layer or module.startswith(layer + ".")]
    return max(matches, key=len)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = _module_name(path) if path.name == "__init__.py" else _module_name(path).rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this module's package
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.append((node.lineno, target))
            # ``from hub import auth`` imports the module hub.auth, not only the package hub.
            found.extend((node.lineno, f"{target}.{alias.name}") for alias in node.names if alias.name != "*")
    return found


def _ours(module: str) -> bool:
    return module.split(".", maxsplit=1)[0] in OURS


def _allowed(importer_layer: str, imported: str) -> bool:
    if not _ours(imported):
        return True
    target_layer = _layer(imported)
    return target_layer == importer_layer or target_layer in ALLOWED[importer_layer]


def _sources() -> list[Path]:
    return sorted(p for package in OURS for p in (ROOT / package).rglob("*.py"))


def violations() -> list[str]:
    found: list[str] = []
    for path in _sources():
        layer = _layer(_module_name(path))
        for line, imported in _imports(path):
            if not _allowed(layer, imported):
                found.append(f"{path.relative_to(ROOT)}:{line}: {layer} may not import {imported}")
    return sorted(set(found))


def test_the_walk_sees_the_code() -> None:
    sources = _sources()
    assert len(sources) > 100
    layers = {_layer(_module_name(p)) for p in sources}
    assert layers == set(ALLOWED)


def test_packages_depend_downward_only() -> None:
    assert violations() == []


@pytest.mark.parametrize(
    ("importer", "imported", "allowed"),
    [
        ("tenants", "hub.auth", False),  # the cycle issue 16 named
        ("hub.orders", "hub.problems", False),
        ("hub.orders", "hub.core.wire_errors", True),
        ("customs", "carriers.base", False),  # never sideways
        ("carriers", "customs.engine", False),
        ("customs", "hub.orders.intake", False),
        ("hub.core", "tenants.service", False),
        ("i18n", "hub.core.money", False),
        ("hub", "hub.orders.intake", True),
        ("hub.orders", "tenants.guards", True),
        ("customs", "msgspec", True),
    ],
)
def test_the_rule_itself(importer: str, imported: str, allowed: bool) -> None:
    assert _allowed(importer, imported) is allowed


def test_hub_has_no_assert_as_control_flow() -> None:
    """``python -O`` strips asserts: a check the code relies on is an ``if`` that raises (issue 16)."""
    found = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path in sorted((ROOT / "hub").rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
        if isinstance(node, ast.Assert)
    ]
    assert found == []


# --- one data-access seam per domain (issue 16) ---------------------------------------------------

# A string that opens with one of these is a SQL statement (the hub writes SQL keywords in capitals).
_SQL = re.compile(r"^\s*(SELECT|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|WITH\s+\w+\s+AS|LOCK\s+TABLE)\b")
# Domain -> the modules (or packages, ending in "/") that may hold its SQL and call database.fetch.
# The kernel (hub/core) and the composition (hub/*.py) are not domains: they own their few statements.
SEAMS: dict[str, tuple[str, ...]] = {
    "hub/orders/": ("hub/orders/repository/",),
    "hub/reports/": ("hub/reports/repository.py",),
    "tenants/": ("tenants/repository.py",),
    "carriers/": ("carriers/repository.py",),
    "customs/": ("customs/repository.py", "customs/schedules/store.py", "customs/hs_codes.py"),
}


def _sends_sql(path: Path, root: Path = ROOT) -> list[str]:
    """Where a module holds a SQL statement or imports the statement runner ``database.fetch``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and _SQL.match(node.value):
            found.append(f"{path.relative_to(root)}:{node.lineno}: a SQL statement")
        elif (
            isinstance(node, ast.ImportFrom)
            and node.module == "hub.core.database"
            and any(alias.name == "fetch" for alias in node.names)
        ):
            found.append(f"{path.relative_to(root)}:{node.lineno}: imports database.fetch")
    return found


def _outside_the_seams() -> dict[str, list[str]]:
    outside: dict[str, list[str]] = {}
    for path in _sources():
        name = path.relative_to(ROOT).as_posix()
        domain = next((d for d in SEAMS if name.startswith(d)), None)
        if domain is None or any(name == s or (s.endswith("/") and name.startswith(s)) for s in SEAMS[domain]):
            continue
        if found := _sends_sql(path):
            outside[name] = found
    return outside


def test_sql_lives_behind_each_domains_seam() -> None:
    assert _outside_the_seams() == {}, "SQL outside its domain's data-access seam; move it into the repository"


def test_the_sql_finder_finds_sql(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        'from hub.core.database import fetch\nQ = """\n    SELECT id FROM orders"""\nNOTE = "Select a carrier"\n',
        encoding="utf-8",
    )
    assert sorted(_sends_sql(sample, root=tmp_path)) == [
        "sample.py:1: imports database.fetch",
        "sample.py:2: a SQL statement",
    ]
