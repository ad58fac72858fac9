"""The API keeps the FastAPI template's house rules (DESIGN.md, point 10): bodies only in api/schemas/, no SQL in
routes, one token lookup, keyword-only CRUD, one-line route docstrings, modules a reader can hold in mind."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest
from fastapi.routing import APIRoute, APIWebSocketRoute

import api
import api.crud
import api.routes

API_DIR = Path(api.__file__).parent
MODULES = sorted(path for path in API_DIR.rglob("*.py") if "migrations" not in path.parts)
MAX_LINES = 400  # "about 400": a module a reader can hold in mind


def relative(path: Path) -> str:
    return path.relative_to(API_DIR.parent).as_posix()


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_routes_hold_no_sql() -> None:
    routes = sorted((API_DIR / "routes").glob("*.py"))
    assert routes
    offenders = {
        relative(path): sorted(name for name in imported_modules(path) if name.split(".")[0] == "sqlalchemy")
        for path in routes
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_bodies_are_defined_in_api_schemas_only() -> None:
    elsewhere = []
    for path in MODULES:
        if (API_DIR / "schemas") in path.parents:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            bases = {base.id for base in getattr(node, "bases", []) if isinstance(base, ast.Name)}
            if isinstance(node, ast.ClassDef) and "BaseModel" in bases:
                elsewhere.append(f"{relative(path)}:{node.name}")
    assert elsewhere == []


def test_tokens_are_looked_up_in_one_place() -> None:
    """The token table is read and written by api/crud/tokens.py alone (HTTP and WebSocket share its lookup)."""
    users = [relative(path) for path in MODULES if "ApiToken" in path.read_text()]
    assert users == ["api/crud/tokens.py", "api/models.py"]


def crud_functions() -> list[tuple[str, inspect.Signature]]:
    found = []
    for info in pkgutil.iter_modules(api.crud.__path__):
        module = importlib.import_module(f"api.crud.{info.name}")
        for name, function in inspect.getmembers(module, inspect.iscoroutinefunction):
            if function.__module__ == module.__name__:
                found.append((f"{module.__name__}.{name}", inspect.signature(function)))
    return found


def test_crud_functions_take_a_session_then_keywords_only() -> None:
    functions = crud_functions()
    assert len(functions) > 20
    positional = {
        name: [
            parameter.name
            for parameter in list(signature.parameters.values())[1:]
            if parameter.kind is not inspect.Parameter.KEYWORD_ONLY
        ]
        for name, signature in functions
    }
    assert {name: params for name, params in positional.items() if params} == {}
    assert {name for name, signature in functions if next(iter(signature.parameters)) != "session"} == set()


@pytest.mark.parametrize("path", MODULES, ids=relative)
def test_modules_stay_readable(path: Path) -> None:
    assert len(path.read_text().splitlines()) <= MAX_LINES


def test_every_route_has_a_one_line_docstring() -> None:
    routes = [
        route
        for info in pkgutil.iter_modules(api.routes.__path__)
        for route in importlib.import_module(f"api.routes.{info.name}").router.routes
        if isinstance(route, APIRoute | APIWebSocketRoute)
    ]
    assert len(routes) > 25
    missing = [route.path for route in routes if not route.endpoint.__doc__ or "\n" in route.endpoint.__doc__.strip()]
    assert missing == []
