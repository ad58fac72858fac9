"""The house rules on imports: the call plane (ivr) and the control plane (api) both stand on the shared core
(callcenter) and never on each other; the core stands on neither; no runtime package needs a tool (promptgen, sandbox).
The `ivr` command (ivr_cli.py, beside the packages) is the one module that wires them all.

Every import statement counts, at module level or inside a function: a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# package -> top-level packages it must never import
FORBIDDEN: dict[str, frozenset[str]] = {
    "api": frozenset({"ivr", "promptgen", "sandbox"}),
    "ivr": frozenset({"api", "promptgen", "sandbox"}),
    "callcenter": frozenset({"ivr", "api", "promptgen", "sandbox"}),
}


def imported_packages(source: str, filename: str) -> list[tuple[int, str]]:
    """(line, top-level package) of every absolute import in `source`."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name.split(".")[0]) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module.split(".")[0]))
    return found


def violations(package: str) -> list[str]:
    forbidden = FORBIDDEN[package]
    return [
        f"{path.relative_to(ROOT)}:{line}: {package} imports {imported}"
        for path in sorted((ROOT / package).rglob("*.py"))
        for line, imported in imported_packages(path.read_text(encoding="utf-8"), str(path))
        if imported in forbidden
    ]


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_keeps_to_its_side(package: str) -> None:
    assert (ROOT / package / "__init__.py").is_file()
    assert violations(package) == []


def test_the_walker_sees_every_kind_of_import() -> None:
    source = (
        "import api.main\n"
        "import os, ivr.flows as flows\n"
        "from ivr.settings import Settings\n"
        "def later():\n"
        "    from api import deps\n"
        "from . import sibling\n"
    )
    assert imported_packages(source, "example.py") == [(1, "api"), (2, "os"), (2, "ivr"), (3, "ivr"), (5, "api")]
