"""The shape of the code base that the house conventions promise
(docs/architecture.md): no two files of one package import each other,
and no module imports another's private names."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "civic"
PACKAGES = sorted(p.name for p in ROOT.iterdir() if (p / "__init__.py").exists())



def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path):
    """(module imported, names taken) for every import in the file, inside
    functions too, relative imports resolved."""
    here = _module_name(path)
    package = here if path.name == "__init__.py" else here.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, ()
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            names = [a.name for a in node.names]
            yield target, names
            for name in names:  # "from civic.x import services" imports the module civic.x.services
                yield f"{target}.{name}", ()


def _graph(package: str) -> dict[str, set[str]]:
    files = {_module_name(p): p for p in (ROOT / package).rglob("*.py")}
    graph = {}
    for name, path in files.items():
        graph[name] = {target for target, _ in _imports(path) if target in files and target != name}
    return graph


def _cycles(graph):
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    return out


@pytest.mark.parametrize("package", PACKAGES)
def test_no_two_files_of_a_package_import_each_other(package):
    # A package's __init__ imports its parts to declare them; parts importing
    # their own package's __init__ back is not a cycle of files worth refusing.
    graph = _graph(package)
    init = f"civic.{package}"
    graph = {k: {t for t in v if t != init} for k, v in graph.items()}
    assert _cycles(graph) == []


@pytest.mark.parametrize("package", PACKAGES)
def test_no_module_imports_private_names_of_another_module(package):
    found = []
    for path in (ROOT / package).rglob("*.py"):
        for target, names in _imports(path):
            if target and target.startswith("civic."):
                found += [f"{_module_name(path)}: {target}.{n}" for n in names
                          if n.startswith("_") and not n.startswith("__")]
    assert found == []


def test_core_imports_no_domain_package():
    """What core needs of a domain reaches it through a registry
    (content kinds, settings, people...), never by import."""
    domains = {f"civic.{p}" for p in PACKAGES if p != "core"}
    found = [f"{_module_name(path)} imports {target}" for path in (ROOT / "core").rglob("*.py")
             for target, _ in _imports(path)
             if target and any(target == d or target.startswith(d + ".") for d in domains)]
    assert found == []
