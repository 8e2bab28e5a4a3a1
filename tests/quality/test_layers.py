"""Imports only run down the house: the table below is the layout, and the code keeps to it.

Every module of `app` belongs to the package named by its first path part (`app/kit/db.py`
to `kit`, `app/config.py` to `config`). A package may import only the packages its row
names. Inside a package, the HTTP and job modules (`router.py`, `http.py`, `deps.py`,
`jobs.py`) stand one floor higher: they alone may use the request's dependencies (`deps`)
and the worker's runtime (`runtime`), and no service-level module imports them. See
docs/architecture.md.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

APP = Path(__file__).parents[2] / "app"

DOMAIN = {"outbox", "webhooks", "suppliers", "access", "directory", "invoices"}
STAGES = {"intake", "submission", "tracking", "actions"}
PORTABLE = {"document", "formats", "validation", "chorus"}

MAY_IMPORT: dict[str, set[str]] = {
    # The bottom: the shared toolkit and the canonical invoice import nothing of the app.
    "kit": set(),
    "document": set(),
    # What reads and writes the invoice, and talks to Chorus Pro: no database, no domain.
    "formats": {"kit", "document"},
    "validation": {"kit", "document", "formats"},
    "chorus": {"kit"},
    "simulator": set(),  # a stand-in for Chorus Pro shares nothing with the gateway
    "models": {"kit"},
    "config": {"chorus"},
    # What the entry modules are handed: the request's resources, the worker's.
    "deps": {"kit", "config", "chorus", "suppliers"},
    "runtime": {"kit", "config", "chorus", "suppliers"},
    # The domain around invoices.
    "outbox": {"kit", "models"},
    "webhooks": {"kit", "models", "config", "access", "outbox"},
    "suppliers": {
        *{"kit", "models", "config", "chorus", "document", "formats"},
        *{"access", "webhooks", "invoices"},
    },
    # Who may do what: API keys, their scopes and suppliers.
    "access": {"kit", "models", "config"},
    "directory": {"kit", "models", "config", "chorus", "document", "access", "suppliers"},
    "invoices": {"kit", "models", "config", "access", "webhooks"},
    # The stages of an invoice's way, each over the ones it hands invoices to.
    "tracking": {"kit", "models", "config", "chorus", "suppliers", "invoices"},
    "submission": {
        *{"kit", "models", "config", "chorus", "document", "formats"},
        *{"outbox", "suppliers", "directory", "invoices", "tracking"},
    },
    "intake": {
        *{"kit", "models", "config", "document", "formats", "validation"},
        *{"access", "suppliers", "directory", "invoices", "submission"},
    },
    "actions": {
        *{"kit", "models", "config", "chorus", "document"},
        *{"access", "suppliers", "intake", "invoices", "tracking"},
    },
    # The processes: they assemble everything.
    "worker": {"kit", "config", "runtime", *DOMAIN, *STAGES},
    "api": {"kit", *DOMAIN, *STAGES},
    "health": set(),
    "migrate": {"kit", "models"},
    "embedded": {"kit"},
    "main": {
        "kit",
        "config",
        "chorus",
        "runtime",
        "api",
        "health",
        "access",
        "suppliers",
        "intake",
    },
    "manage": {"kit", "config", "access", "suppliers", "webhooks"},
    "runner": {"kit", "config", "manage", "migrate"},
    "cli": {
        *{"kit", "config", "access", "main", "manage", "migrate", "runner", "simulator"},
        *{"webhooks", "worker"},
    },
}
ENTRY_MODULES = {"router", "http", "deps", "jobs"}
"""The HTTP and job modules of a package: the floor above its services."""
ENTRY_ONLY = {"deps": {"router", "http", "deps"}, "runtime": {"jobs"}}
"""Packages only entry modules (of these names) may import; processes may too."""
PROCESSES = {"worker", "api", "main", "cli", "runner", "manage"}


def _package(module: str) -> str:
    return module.split(".")[1]


def _module_name(path: Path) -> str:
    relative = path.relative_to(APP.parent).with_suffix("")
    parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
    return ".".join(parts)


def _imports(path: Path) -> Iterator[tuple[int, str]]:
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.level:
                raise AssertionError(f"{path}:{node.lineno}: relative import")
            yield node.lineno, node.module
            for alias in node.names:  # `from app import x` names a package too
                if node.module == "app":
                    yield node.lineno, f"app.{alias.name}"


def _edges() -> Iterator[tuple[str, int, str, str]]:
    """(file, line, importing module, imported app module) for every import inside app."""
    for path in sorted(APP.rglob("*.py")):
        if path == APP / "__init__.py":
            continue
        module = _module_name(path)
        for line, target in _imports(path):
            if target.startswith("app.") and target.count(".") >= 1:
                yield str(path.relative_to(APP.parent)), line, module, target


def test_the_table_places_every_package_and_has_no_cycle() -> None:
    packages = {
        p.stem if p.is_file() else p.name
        for p in APP.iterdir()
        if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").exists()
    }
    assert packages == set(MAY_IMPORT), "place new packages in MAY_IMPORT"
    for package, allowed in MAY_IMPORT.items():
        assert package not in allowed
        assert allowed <= set(MAY_IMPORT), (package, allowed - set(MAY_IMPORT))
    try:
        order = list(TopologicalSorter(MAY_IMPORT).static_order())
    except CycleError as exc:  # pragma: no cover - the table itself is wrong
        pytest.fail(f"the table has a cycle: {exc.args[1]}")
    assert order.index("kit") < order.index("document") < order.index("formats")


def test_every_import_follows_the_table() -> None:
    broken = []
    for file, line, module, target in _edges():
        source, imported = _package(module), _package(target)
        if source == imported:
            continue
        leaf = module.rsplit(".", 1)[-1]
        allowed = MAY_IMPORT[source] | (
            {"deps", "runtime"} if leaf in ENTRY_MODULES or source in PROCESSES else set()
        )
        if imported not in allowed:
            broken.append(f"{file}:{line}: {source} may not import {imported} ({target})")
        elif (
            imported in ENTRY_ONLY and source not in PROCESSES and leaf not in ENTRY_ONLY[imported]
        ):
            broken.append(f"{file}:{line}: only {ENTRY_ONLY[imported]} import {imported}")
    assert not broken, "\n".join(broken)


def test_services_never_import_routes_or_jobs() -> None:
    broken = []
    for file, line, module, target in _edges():
        source_leaf = module.rsplit(".", 1)[-1]
        target_leaf = target.rsplit(".", 1)[-1]
        if _package(module) in PROCESSES or source_leaf in ENTRY_MODULES:
            continue
        if target_leaf in ENTRY_MODULES:
            broken.append(f"{file}:{line}: {module} imports the entry module {target}")
    assert not broken, "\n".join(broken)


def test_the_lower_floors_know_nothing_of_http_routes_or_the_database() -> None:
    """The Chorus client, the formats and the rules run anywhere: no FastAPI, no SQLAlchemy."""
    forbidden = ("fastapi", "starlette", "sqlalchemy", "arq")
    broken = []
    for path in sorted(APP.rglob("*.py")):
        if path.parent == APP or _package(_module_name(path)) not in PORTABLE:
            continue
        for line, target in _imports(path):
            if target.split(".")[0] in forbidden:
                broken.append(f"{path.relative_to(APP.parent)}:{line}: imports {target}")
    assert not broken, "\n".join(broken)
