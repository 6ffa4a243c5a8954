"""The package's architecture, checked from its source with ``ast``: the import graph has no
cycle, nothing imports upward (math <- models <- runs; math, models <- views), no module
uses another's private names, and imports inside functions say why they are deferred."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "pwae_core"
LAYERS = ("models", "runs", "views")
# What each part of the package may import from the others (besides the math, which all may).
ALLOWED = {"math": set(), "models": set(), "runs": {"models"}, "views": {"models"},
           "entry": {"models", "runs", "views"}}


def _name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_name(p): p for p in sorted(PKG.rglob("*.py"))}


def _part(module: str) -> str:
    """math | models | runs | views | entry (the package's face and the CLI)."""
    parts = module.split(".")
    if len(parts) == 1 or parts[1] == "__main__":
        return "entry"
    return parts[1] if parts[1] in LAYERS else "math"


def _resolve(module: str, node) -> list[str]:
    """The pwae_core modules one import statement loads (packages included)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.split(".")[0] == "pwae_core"]
    if node.level == 0:
        if not (node.module or "").startswith("pwae_core"):
            return []
        base = node.module
    else:
        pkg = module if MODULES[module].name == "__init__.py" else module.rsplit(".", 1)[0]
        for _ in range(node.level - 1):
            pkg = pkg.rsplit(".", 1)[0]
        base = pkg + ("." + node.module if node.module else "")
    subs = [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in MODULES]
    return subs or [base]


def _imports(module: str):
    """(target module, line, inside a function?) for every import of a pwae_core module."""
    tree = ast.parse(MODULES[module].read_text())
    in_function = set()
    for fn in ast.walk(tree):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            in_function.update(id(n) for n in ast.walk(fn) if n is not fn)
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for target in _resolve(module, node):
                yield target, node.lineno, id(node) in in_function


def _graph() -> dict[str, set[str]]:
    return {m: {t for t, _, _ in _imports(m) if t in MODULES and t != m} for m in MODULES}


def test_every_import_resolves_to_a_module():
    missing = [(m, t) for m in MODULES for t, _, _ in _imports(m) if t not in MODULES]
    assert not missing


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Import cycles of a module graph (the package face, which imports everything, aside)."""
    state, cycles = {}, []

    def visit(m, path):
        state[m] = "open"
        for t in sorted(graph.get(m, ())):
            if t == "pwae_core":
                continue
            if state.get(t) == "open":
                cycles.append(path[path.index(t):] + [t])
            elif t not in state:
                visit(t, path + [t])
        state[m] = "done"

    for m in sorted(graph):
        if m not in state:
            visit(m, [m])
    return cycles


def upward(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    """(importer, imported) pairs that break the layering."""
    bad = []
    for m, targets in graph.items():
        part = _part(m)
        for t in targets:
            if t == "pwae_core" and part == "entry":
                continue
            if t == "pwae_core" or _part(t) not in ALLOWED[part] | {"math", part}:
                bad.append((m, t))
    return sorted(bad)


def test_no_import_cycles():
    assert not find_cycles(_graph())


def test_nothing_imports_upward():
    assert not upward(_graph())


@pytest.mark.parametrize("graph, cycles, violations", [
    ({"pwae_core.costs": {"pwae_core.metrics"}, "pwae_core.metrics": {"pwae_core.costs"}}, 1, 0),
    ({"pwae_core.metrics": {"pwae_core.models.base"}}, 0, 1),          # math imports a model
    ({"pwae_core.views.ot": {"pwae_core.runs.experiments"}}, 0, 1),     # a view imports a runner
    ({"pwae_core.models.base": {"pwae_core.runs.loop"}}, 0, 1),         # a model imports a run
    ({"pwae_core.runs.loop": {"pwae_core.models"}, "pwae_core.views.ot": {"pwae_core.gmm"}}, 0, 0),
])
def test_the_graph_checks_catch_what_they_claim(graph, cycles, violations):
    assert len(find_cycles(graph)) == cycles
    assert len(upward(graph)) == violations


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_private_names_from_other_modules(module):
    tree = ast.parse(MODULES[module].read_text())
    aliases = {a.asname or a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)
               and (n.level or (n.module or "").startswith("pwae_core")) for a in n.names}
    bad = [a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level
           for a in n.names if a.name.startswith("_")]
    bad += [f"{n.value.id}.{n.attr}" for n in ast.walk(tree)
            if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)
            and n.value.id in aliases and n.attr.startswith("_") and not n.attr.startswith("__")]
    assert not bad, f"{module} uses private names of other modules: {bad}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_in_functions_say_why(module):
    lines = MODULES[module].read_text().splitlines()
    tree = ast.parse("\n".join(lines))
    hidden = []
    for fn in ast.walk(tree):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for n in ast.walk(fn):
                if isinstance(n, (ast.Import, ast.ImportFrom)) and "deferred" not in lines[n.lineno - 1]:
                    hidden.append(n.lineno)
    assert not hidden, f"{module}: imports inside functions without a '# deferred: why' comment at lines {hidden}"
