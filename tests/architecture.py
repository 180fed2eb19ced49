"""The tree's layers and its longest functions: ``.venv/bin/python -m tests.architecture``.

Each layer may import only the layers before it in ``LAYERS`` (and itself); the test
``tests/unit/test_architecture.py`` holds the tree to that and to ``MAX_FUNCTION_LINES``.
"""

from __future__ import annotations

import ast
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Lowest first: core types, the tables, pure rules, queries, rendering, use cases, running them.
LAYERS = ("cdppe.core", "models", "cdppe.domain", "cdppe.store", "cdppe.present", "cdppe.services",
          "cdppe.ops", "tasks", "flows", "deployments", "cdppe.simulation", "cdppe.cli")
PACKAGES = ("cdppe", "models", "tasks", "flows", "deployments")
MAX_FUNCTION_LINES = 60
SKIPPED = ("migrations",)


@dataclass(frozen=True)
class Import:
    module: str
    imported: str
    line: int


def source_files() -> Iterator[tuple[str, Path]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if SKIPPED[0] not in path.relative_to(ROOT).parts:
                yield ".".join(path.relative_to(ROOT).with_suffix("").parts), path


def layer_of(module: str) -> str | None:
    """The longest layer name the module lies in (``cdppe`` itself is in none)."""
    matches = [layer for layer in LAYERS if module == layer or module.startswith(layer + ".")]
    return max(matches, key=len) if matches else None


def imports() -> Iterator[Import]:
    for module, path in source_files():
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                if layer_of(name) is not None:
                    yield Import(module, name, node.lineno)


def upward_imports() -> list[Import]:
    """Imports of a later layer: each one is a dependency pointing the wrong way."""
    wrong = []
    for found in imports():
        source, target = layer_of(found.module), layer_of(found.imported)
        if source and target and LAYERS.index(target) > LAYERS.index(source):
            wrong.append(found)
    return wrong


def layer_graph() -> Counter[tuple[str, str]]:
    graph: Counter[tuple[str, str]] = Counter()
    for found in imports():
        source, target = layer_of(found.module), layer_of(found.imported)
        if source and target and source != target:
            graph[(source, target)] += 1
    return graph


STATEMENTS = frozenset({"select", "delete", "update", "insert"})
STORE = "cdppe.store"


def queries_outside_store() -> list[str]:
    """``module:line name`` of each SQL statement builder imported outside the store layer."""
    found = []
    for module, path in source_files():
        if layer_of(module) == STORE:
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in ("sqlmodel",
                                                                                         "sqlalchemy"):
                found += [f"{module}:{node.lineno} {a.name}" for a in node.names if a.name in STATEMENTS]
    return found


def function_lengths() -> list[tuple[int, str]]:
    """(lines, ``path:line name``) of every function, longest first."""
    rows = []
    for _, path in source_files():
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                assert node.end_lineno is not None
                where = f"{path.relative_to(ROOT)}:{node.lineno} {node.name}"
                rows.append((node.end_lineno - node.lineno + 1, where))
    return sorted(rows, reverse=True)


def main() -> None:
    print("Layers, lowest first:", " < ".join(LAYERS))
    for (source, target), count in sorted(layer_graph().items(), key=lambda i: (LAYERS.index(i[0][0]),
                                                                                 LAYERS.index(i[0][1]))):
        print(f"  {source:17} -> {target:17} {count:3} import(s)")
    wrong = upward_imports()
    print(f"Imports pointing up: {len(wrong)}")
    for found in wrong:
        print(f"  {found.module}:{found.line} imports {found.imported}")
    queries = queries_outside_store()
    print(f"SQL statements built outside cdppe/store: {len(queries)}")
    for where in queries:
        print(f"  {where}")
    lengths = function_lengths()
    print(f"Longest functions (limit {MAX_FUNCTION_LINES} lines):")
    for length, where in lengths[:int(sys.argv[1]) if len(sys.argv) > 1 else 5]:
        print(f"  {length:4}  {where}")


if __name__ == "__main__":
    main()
