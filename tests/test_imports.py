"""The import graph of facepsych: no circles, no upward imports into report/ or the CLI.

Imports are read from the source (``ast``), both module-level ones and the lazy ones inside
functions, so the check needs no import side effects.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "facepsych"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


MODULES = {_module_name(p): p for p in ROOT.rglob("*.py")}


def _target(name: str) -> str | None:
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def imports(module: str, *, lazy: bool) -> set[str]:
    """facepsych modules that ``module`` imports (module level only unless ``lazy``)."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = ast.walk(tree) if lazy else iter(tree.body)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            names = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base
                     for a in node.names]  # fmt: skip
        else:
            continue
        for name in names:
            if name.startswith("facepsych"):
                target = _target(name)
                if target and target != module:
                    out.add(target)
    return out


def _cycles(lazy: bool) -> list[list[str]]:
    graph = {m: imports(m, lazy=lazy) for m in MODULES}
    # importing a.b.c runs a/__init__ and a/b/__init__ first
    for m in list(graph):
        for dep in list(graph[m]):
            parts = dep.split(".")
            graph[m] |= {".".join(parts[:i]) for i in range(2, len(parts))} - {m}
    found, state, stack = [], {}, []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == 1:
                found.append(stack[stack.index(dep) :] + [dep])
            elif dep not in state:
                visit(dep)
        stack.pop()
        state[node] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)
    # a package __init__ re-exporting its own submodules is not a circle
    return [c for c in found if not all(x.startswith(c[0]) or c[0].startswith(x) for x in c)]


def test_no_module_level_import_circles():
    assert _cycles(lazy=False) == []


@pytest.mark.parametrize(
    ("a", "b"),
    [("facepsych.experiment.config", "facepsych.experiment.loading"),
     ("facepsych.stimuli.detect", "facepsych.stimuli.morph")],
)  # fmt: skip
def test_named_circles_are_gone(a, b):
    both = b in imports(a, lazy=True) and a in imports(b, lazy=True)
    assert not both, f"{a} and {b} import each other"


def test_nothing_imports_the_cli():
    users = sorted(m for m in MODULES if "facepsych.cli" in imports(m, lazy=True))
    assert users == []


def _report_users() -> list[str]:
    return sorted(
        m
        for m in MODULES
        if not m.startswith(("facepsych.report", "facepsych.cli", "facepsych.study"))
        and any(t.startswith("facepsych.report") for t in imports(m, lazy=True))
    )


def test_no_stage_imports_report():
    # only the top of the stack (the CLI and facepsych.study) builds the study page
    assert _report_users() == []
