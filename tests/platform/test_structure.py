"""The shape of the code, read from the source: no import cycles (imports inside functions count),
feature packages used only through what their `__init__` declares, a short flat services folder."""
import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "huishang"
SERVICES = "huishang.services"


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path):
    """(line, target module, imported names) for every import in the module, at any depth."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, []
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            yield node.lineno, target, [alias.name for alias in node.names]


def _known(target: str) -> str | None:
    while target and target not in MODULES:
        target = target.rpartition(".")[0]
    return target or None


def import_graph() -> dict[str, set[str]]:
    """Module → the huishang modules it imports (a package's own `__init__` is not an edge)."""
    graph = {name: set() for name in MODULES}
    for name, path in MODULES.items():
        for _, target, names in _imports(name, path):
            candidates = [f"{target}.{n}" for n in names if f"{target}.{n}" in MODULES] or [target]
            for candidate in candidates:
                known = _known(candidate)
                if known and known != name and not name.startswith(known + "."):
                    graph[name].add(known)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a list of modules, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node):
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_package_has_no_import_cycle():
    assert find_cycle(import_graph()) is None


def test_the_cycle_finder_finds_a_cycle():
    """The check above can fail: a hidden import inside a function closes a loop."""
    graph = {"a": {"b"}, "b": {"c"}, "c": set()}
    assert find_cycle(graph) is None
    graph["c"].add("a")
    assert find_cycle(graph) == ["a", "b", "c", "a"]


def _feature_packages() -> list[str]:
    return sorted(name for name, path in MODULES.items()
                  if name.count(".") == 2 and name.startswith(SERVICES + ".") and path.name == "__init__.py")


def test_every_feature_package_declares_what_others_may_use():
    for package in _feature_packages():
        module = __import__(package, fromlist=["__all__"])
        assert module.__doc__ and "Others use" in module.__doc__, package
        exported = getattr(module, "__all__", None)
        assert exported, f"{package} has no __all__"
        assert all(hasattr(module, name) for name in exported), package


@pytest.mark.parametrize("package", _feature_packages())
def test_others_use_a_feature_package_only_through_its_init(package):
    exported = set(__import__(package, fromlist=["__all__"]).__all__)
    wrong = []
    for name, path in MODULES.items():
        if name == package or name.startswith(package + "."):
            continue
        for line, target, names in _imports(name, path):
            where = f"{path.relative_to(PACKAGE.parent)}:{line}"
            if target == package:
                wrong += [f"{where} {n}" for n in names if n not in exported]
            elif target.startswith(package + "."):
                wrong.append(f"{where} {target}")
    assert not wrong, f"imports past {package}'s __init__: {wrong}"


def test_the_services_folder_holds_packages_and_a_few_modules():
    flat = [p.name for p in (PACKAGE / "services").glob("*.py") if p.name != "__init__.py"]
    assert len(flat) <= 12, flat
