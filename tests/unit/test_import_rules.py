"""The house rules on imports: the call plane (ivr) and the control plane (api) both stand on the shared core
(callcenter) and never on each other; the core stands on neither; no runtime package needs a tool (promptgen, sandbox).
The `ivr` command (ivr_cli.py, beside the packages) is the one module that wires them all. Inside the call plane,
the flows stand on protocols only: the concrete adapters and the settings are chosen in ivr/wiring.py; the sans-I/O
cores (ivr/agi, ivr/delivery.py) stand on no adapter; the spool's file primitives know nothing of records; the
opening hours (callcenter/hours.py) stand below the model that re-exports them. The sandbox
uses the project's one AMI client, api/ami/client.py, and nothing else of the control plane; that module imports
nothing of the API, so a tool or a test that needs AMI does not load FastAPI or the database.

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
    "sandbox": frozenset({"ivr", "promptgen"}),
}


# folder or file -> (modules, with their submodules, it must never import; the exceptions among them)
FORBIDDEN_WITHIN: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "ivr/flows": (frozenset({"ivr.adapters", "ivr.wiring", "ivr.app", "ivr.settings"}), frozenset()),
    "ivr/agi": (frozenset({"ivr.adapters", "ivr.wiring", "ivr.app", "ivr.settings"}), frozenset()),
    "ivr/delivery.py": (frozenset({"ivr.adapters", "ivr.wiring", "ivr.app", "ivr.settings"}), frozenset()),
    "ivr/adapters/spool_files.py": (frozenset({"ivr", "callcenter"}), frozenset()),
    "callcenter/hours.py": (frozenset({"callcenter.config", "callcenter.calendar", "callcenter.loading"}), frozenset()),
    "sandbox": (frozenset({"api"}), frozenset({"api.ami.client"})),
    "api/ami/client.py": (frozenset({"api"}), frozenset()),
}


def within(module: str, names: frozenset[str]) -> bool:
    return any(module == name or module.startswith(name + ".") for name in names)


def imported_modules(source: str, filename: str) -> list[tuple[int, str]]:
    """(line, dotted name) of every absolute import in `source`: `from a.b import c` is `a.b.c` (c may be a module)."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.extend((node.lineno, f"{node.module}.{alias.name}") for alias in node.names)
    return found


def imported_packages(source: str, filename: str) -> list[tuple[int, str]]:
    """(line, top-level package) of every absolute import in `source`."""
    return [(line, module.split(".")[0]) for line, module in imported_modules(source, filename)]


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


@pytest.mark.parametrize("place", sorted(FORBIDDEN_WITHIN))
def test_folder_keeps_to_its_side(place: str) -> None:
    forbidden, allowed = FORBIDDEN_WITHIN[place]
    paths = [ROOT / place] if place.endswith(".py") else sorted((ROOT / place).rglob("*.py"))
    assert paths and all(path.is_file() for path in paths)
    found = [
        f"{path.relative_to(ROOT)}:{line}: imports {module}"
        for path in paths
        for line, module in imported_modules(path.read_text(encoding="utf-8"), str(path))
        if within(module, forbidden) and not within(module, allowed)
    ]
    assert found == []


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
    modules = imported_modules(source, "example.py")
    assert modules[2:] == [(2, "ivr.flows"), (3, "ivr.settings.Settings"), (5, "api.deps")]
