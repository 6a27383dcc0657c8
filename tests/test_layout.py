"""The house's layout rules, checked on the source: dependencies point one way, no import cycles, and no runtime
module imports the developer tooling (demo data, synthetic generator, benchmark)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ("config", "registry", "orgs", "members", "reports")
TOOLING = "reports.tooling"
# Only these may import the tooling: management commands and the tooling itself.
TOOLING_USERS = ("reports.tooling", "reports.management.commands")
# registry ← orgs ← members ← reports: a lower app never imports a higher one.
LAYER = {"registry": 0, "orgs": 1, "members": 2, "reports": 3}


def _modules() -> dict[str, Path]:
    found = {}
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """First-party modules that ``name`` imports, at module level or inside functions (both make a cycle)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            # "from pkg import module" imports the module; "from module import name" the module itself.
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != name:
                out.add(target)
    return out


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def test_no_runtime_module_imports_the_tooling():
    offenders = sorted(
        f"{name} → {target}"
        for name, targets in GRAPH.items()
        if not name.startswith(TOOLING_USERS)
        for target in targets
        if target.startswith(TOOLING)
    )
    assert offenders == []


def test_serving_the_site_and_running_tasks_loads_no_tooling():
    """Import what a web process and a worker import (every URLconf, view and task) and look at sys.modules."""
    code = (
        "import django, os, sys; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings');"
        "os.environ.setdefault('DEBUG', '1'); django.setup();"
        "import config.urls, config.celery; from django.urls import get_resolver; get_resolver().url_patterns;"
        "from django.apps import apps; import importlib;"
        "[importlib.import_module(c.name + '.tasks') for c in apps.get_app_configs()"
        " if importlib.util.find_spec(c.name + '.tasks')];"
        "print(sorted(m for m in sys.modules if m.startswith('reports.tooling')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120, check=True
    )
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_dependencies_point_one_way():
    offenders = sorted(
        f"{name} → {target}"
        for name, targets in GRAPH.items()
        if name.split(".")[0] in LAYER
        for target in targets
        if target.split(".")[0] in LAYER and LAYER[target.split(".")[0]] > LAYER[name.split(".")[0]]
    )
    assert offenders == []


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles():
    # A package's __init__ re-exporting its own modules is not a cycle between modules: leave packages out.
    graph = {
        name: {t for t in targets if MODULES[t].name != "__init__.py"}
        for name, targets in GRAPH.items()
        if MODULES[name].name != "__init__.py"
    }
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
