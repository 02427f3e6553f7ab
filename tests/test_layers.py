"""The house rules of docs/architecture.md, checked on the source: no import circles, Akeneo's
vocabulary only in the client, sinks that never shape rows."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "akeneo_sync"
# Where Akeneo's wire vocabulary may be spelled.
VOCABULARY_HOMES = ("client/", "transform/_types.py", "emulator/")


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def imports(path: Path, known: dict[str, Path]) -> Iterator[str]:
    """Every akeneo_sync module ``path`` imports, wherever the import stands (type-only and
    function-level imports count: they tie the modules together all the same)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            if name in known and name != "akeneo_sync":
                yield name


def test_no_import_circles() -> None:
    known = modules()
    graph = {name: set(imports(path, known)) - {name} for name, path in known.items()}
    # A package's __init__ re-exporting its own modules is not a circle of the design.
    for name in graph:
        graph[name] = {dep for dep in graph[name] if not name.startswith(dep + ".")}
    circles = []
    state: dict[str, int] = {}

    def visit(name: str, stack: list[str]) -> None:
        state[name] = 1
        for dep in sorted(graph[name]):
            if state.get(dep) == 1:
                circles.append([*stack[stack.index(dep) :], dep])
            elif dep not in state:
                visit(dep, [*stack, dep])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert circles == []


def test_akeneo_vocabulary_lives_in_the_client() -> None:
    spelled = re.compile(r"/api/rest/v1|[\"']operator[\"']|pim_catalog_|akeneo_reference_entity")
    offenders = [
        f"{path.relative_to(PACKAGE)}:{number}"
        for path in PACKAGE.rglob("*.py")
        if not str(path.relative_to(PACKAGE)).startswith(VOCABULARY_HOMES)
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if spelled.search(line)
    ]
    assert offenders == []


def test_sinks_store_ready_rows() -> None:
    known = modules()
    shaping = [
        name
        for name, path in known.items()
        if name.startswith("akeneo_sync.sinks")
        and any(dep.startswith("akeneo_sync.transform") for dep in imports(path, known))
    ]
    assert shaping == []
